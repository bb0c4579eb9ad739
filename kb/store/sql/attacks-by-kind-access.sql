-- name: attacks-by-kind-access
-- mirrors: kb/queries/attacks-by-kind-access.rq, every kind and access level listed at build in the
-- query's order; the parameters pick rows through an index, so a page needs no sort
-- iri: kind access family area method paper
-- build:
CREATE TABLE r_attacks_by_kind_access AS
SELECT tk.iri AS kind, tac.iri AS access, tf.iri AS family, ta.iri AS area, sc.subcategory AS subcategory,
       tm.iri AS method, nm.o AS name, tp.iri AS paper, pp.year AS year
FROM t_type ty
JOIN t_role r ON r.s = ty.s AND r.o = {facet:role-attack}
JOIN t_threatKind k ON k.s = ty.s
JOIN t_accessLevel ac ON ac.s = ty.s
JOIN t_modelFamily f ON f.s = ty.s
JOIN t_label nm ON nm.s = ty.s
LEFT JOIN (
  SELECT s.s AS m, pl.o AS subcategory, bp.b AS area
  FROM t_subcategory s JOIN t_prefLabel pl ON pl.s = s.o
  JOIN broader_plus bp ON bp.a = s.o
  JOIN t_type at ON at.s = bp.b AND at.o = {kb:ThreatType}
) sc ON sc.m = ty.s
LEFT JOIN (
  SELECT pi.s AS m, pi.o AS paper, y.yi AS year FROM t_proposedIn pi LEFT JOIN t_year y ON y.s = pi.o
) pp ON pp.m = ty.s
JOIN term tk ON tk.id = k.o JOIN term tac ON tac.id = ac.o JOIN term tf ON tf.id = f.o
JOIN term tm ON tm.id = ty.s LEFT JOIN term ta ON ta.id = sc.area LEFT JOIN term tp ON tp.id = pp.paper
WHERE ty.o = {kb:Method}
ORDER BY family, area, year DESC, name, method, kind, access, subcategory, paper;
CREATE INDEX r_attacks_by_kind_access_ka ON r_attacks_by_kind_access(kind, access);
-- query:
SELECT kind, access, family, area, subcategory, method, name, paper, year FROM r_attacks_by_kind_access
WHERE 1 {?kind: AND kind = :kind_iri} {?access: AND access = :access_iri} ORDER BY rowid

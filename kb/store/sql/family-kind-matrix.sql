-- name: family-kind-matrix
-- mirrors: kb/queries/family-kind-matrix.rq, computed at build; the kind parameter filters it
-- iri: kind role family
-- build:
CREATE TABLE r_family_kind_matrix AS
SELECT tk.iri AS kind, tr.iri AS role, tf.iri AS family,
       COUNT(DISTINCT x.m) AS methods, COUNT(DISTINCT x.p) AS papers
FROM (
  SELECT ty.s AS m, k.o AS kd, f.o AS fam, r.o AS rl, pi.o AS p
  FROM t_type ty JOIN t_threatKind k ON k.s = ty.s JOIN t_modelFamily f ON f.s = ty.s
  LEFT JOIN t_role r ON r.s = ty.s LEFT JOIN t_proposedIn pi ON pi.s = ty.s
  WHERE ty.o = {kb:Method}
) x JOIN term tk ON tk.id = x.kd JOIN term tf ON tf.id = x.fam LEFT JOIN term tr ON tr.id = x.rl
GROUP BY x.kd, x.rl, x.fam
ORDER BY kind, role, methods DESC, family;
-- query:
SELECT kind, role, family, methods, papers FROM r_family_kind_matrix
WHERE 1 {?kind: AND kind = :kind_iri} ORDER BY rowid

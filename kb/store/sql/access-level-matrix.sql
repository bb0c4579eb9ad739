-- name: access-level-matrix
-- mirrors: kb/queries/access-level-matrix.rq, computed at build; the family parameter filters it
-- iri: family kind
-- build:
CREATE TABLE r_access_level_matrix AS
SELECT tf.iri AS family, tk.iri AS kind, x.level AS level, COUNT(DISTINCT x.m) AS methods
FROM (
  SELECT ty.s AS m, f.o AS fam, k.o AS kd,
         CASE WHEN a.o IS NULL THEN 'none'
              WHEN instr(ta.iri, 'access-') > 0 THEN substr(ta.iri, instr(ta.iri, 'access-') + 7)
              ELSE '' END AS level
  FROM t_type ty
  JOIN t_role r ON r.s = ty.s AND r.o = {facet:role-attack}
  JOIN t_modelFamily f ON f.s = ty.s
  JOIN t_threatKind k ON k.s = ty.s
  LEFT JOIN t_accessLevel a ON a.s = ty.s
  LEFT JOIN term ta ON ta.id = a.o
  WHERE ty.o = {kb:Method}
) x JOIN term tf ON tf.id = x.fam JOIN term tk ON tk.id = x.kd
GROUP BY x.fam, x.kd, x.level
ORDER BY family, kind, level;
-- query:
SELECT family, kind, level, methods FROM r_access_level_matrix
WHERE 1 {?family: AND family = :family_iri} ORDER BY rowid

-- name: role-split
-- mirrors: kb/queries/role-split.rq, computed at build; the family parameter filters it
-- iri: family role
-- build:
CREATE TABLE r_role_split AS
WITH x(fam, rl, m, p) AS (
  SELECT f.o, r.o, ty.s, NULL FROM t_type ty JOIN t_modelFamily f ON f.s = ty.s JOIN t_role r ON r.s = ty.s
  WHERE ty.o = {kb:Method}
  UNION ALL SELECT f.o, r.o, NULL, s.s FROM t_subject s JOIN t_role r ON r.s = s.o JOIN t_modelFamily f ON f.s = s.o)
SELECT tf.iri AS family, tr.iri AS role, COUNT(DISTINCT x.m) AS methods, COUNT(DISTINCT x.p) AS papers
FROM x JOIN term tf ON tf.id = x.fam JOIN term tr ON tr.id = x.rl
GROUP BY x.fam, x.rl
ORDER BY family, role;
-- query:
SELECT family, role, methods, papers FROM r_role_split WHERE 1 {?family: AND family = :family_iri} ORDER BY rowid

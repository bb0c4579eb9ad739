-- name: family-year-matrix
-- mirrors: kb/queries/family-year-matrix.rq, computed at build; the family parameter filters it
-- iri: family
-- build:
CREATE TABLE r_family_year_matrix AS
SELECT tf.iri AS family, y.yi AS year, COUNT(DISTINCT s.s) AS papers
FROM t_subject s JOIN t_year y ON y.s = s.s JOIN t_modelFamily mf ON mf.s = s.o
JOIN term tf ON tf.id = mf.o
GROUP BY mf.o, y.yi
ORDER BY family, year;
-- query:
SELECT family, year, papers FROM r_family_year_matrix
WHERE 1 {?family: AND family = :family_iri} ORDER BY rowid

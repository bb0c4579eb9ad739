-- name: newest-papers
-- mirrors: kb/queries/newest-papers.rq, listed at build in the query's order; family filters it
-- iri: family area paper
-- build:
CREATE TABLE r_newest_papers AS
WITH latest(area, year) AS (
  SELECT pa.area, MAX(y.yi) FROM paper_area pa JOIN t_year y ON y.s = pa.paper GROUP BY pa.area)
SELECT DISTINCT tf.iri AS family, ta.iri AS area, lb.o AS label, l.year AS year, tp.iri AS paper,
       ti.o AS title, o.o AS _order
FROM latest l JOIN t_modelFamily mf ON mf.s = l.area JOIN t_prefLabel lb ON lb.s = l.area
JOIN paper_area pa ON pa.area = l.area
JOIN t_year y2 ON y2.s = pa.paper AND y2.yi = l.year JOIN t_title ti ON ti.s = pa.paper
LEFT JOIN t_ord o ON o.s = l.area
JOIN term tf ON tf.id = mf.o JOIN term ta ON ta.id = l.area JOIN term tp ON tp.id = pa.paper
ORDER BY family, _order, area, paper, label, title;
CREATE INDEX r_newest_papers_family ON r_newest_papers(family);
-- query:
SELECT family, area, label, year, paper, title FROM r_newest_papers
WHERE 1 {?family: AND family = :family_iri} ORDER BY rowid

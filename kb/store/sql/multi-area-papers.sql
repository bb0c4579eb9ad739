-- name: multi-area-papers
-- mirrors: kb/queries/multi-area-papers.rq, listed at build in the query's order
-- iri: paper area family
-- build:
CREATE TABLE r_multi_area_papers AS
WITH multi(p, n) AS (
  SELECT paper, COUNT(DISTINCT area) FROM paper_area GROUP BY paper HAVING COUNT(DISTINCT area) > 1)
SELECT DISTINCT tp.iri AS paper, ti.o AS title, m.n AS areas, ta.iri AS area, tf.iri AS family
FROM multi m JOIN paper_area pa ON pa.paper = m.p JOIN t_title ti ON ti.s = m.p
JOIN t_modelFamily mf ON mf.s = pa.area
JOIN term tp ON tp.id = m.p JOIN term ta ON ta.id = pa.area JOIN term tf ON tf.id = mf.o
ORDER BY areas DESC, paper, area, family, title;
-- query:
SELECT paper, title, areas, area, family FROM r_multi_area_papers ORDER BY rowid

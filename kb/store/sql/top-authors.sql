-- name: top-authors
-- mirrors: kb/queries/top-authors.rq: (area, author) pairs with two or more papers kept at build
-- iri: area author
-- requires: min>=2
-- build:
CREATE TABLE r_top_authors AS
WITH c(area, author, papers) AS (
  SELECT pa.area, cr.o, COUNT(DISTINCT pa.paper) FROM paper_area pa JOIN t_creator cr ON cr.s = pa.paper
  GROUP BY pa.area, cr.o HAVING COUNT(DISTINCT pa.paper) >= 2)
SELECT ta.iri AS area, tu.iri AS author, n.o AS name, c.papers AS papers
FROM c JOIN t_name n ON n.s = c.author JOIN term ta ON ta.id = c.area JOIN term tu ON tu.id = c.author
ORDER BY area, papers DESC, name, author;
CREATE INDEX r_top_authors_area ON r_top_authors(area);
CREATE INDEX r_top_authors_papers ON r_top_authors(papers);
-- query:
SELECT :min AS min, area, author, name, papers FROM r_top_authors
WHERE papers >= :min {?area: AND area = :area_iri} ORDER BY rowid

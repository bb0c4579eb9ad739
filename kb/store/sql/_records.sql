-- The coverage report's paper records (mirrors kb/coverage/papers.rq), one row per paper, kept at
-- build so that `kb coverage --store` reads them in one table scan instead of a SPARQL join.
-- {prefix:local} stands for that IRI's id.
CREATE TABLE r_paper_records AS
WITH papers(p) AS (
  SELECT DISTINCT ty.s FROM t_type ty JOIN t_title ti ON ti.s = ty.s WHERE ty.o = {bibo:AcademicArticle})
SELECT tp.iri AS paper,
  (SELECT MIN(o) FROM t_title WHERE s = papers.p) AS title,
  (SELECT MIN(o) FROM t_year WHERE s = papers.p) AS year,
  (SELECT MIN(o) FROM t_doi WHERE s = papers.p) AS doi,
  (SELECT MIN(o) FROM t_arxivId WHERE s = papers.p) AS arxiv,
  (SELECT MIN(fn.o) FROM t_authorList al JOIN t_first f ON f.s = al.o
     JOIN t_familyName fn ON fn.s = f.o WHERE al.s = papers.p) AS first,
  (SELECT group_concat(o, '|') FROM (SELECT DISTINCT fn.o AS o FROM t_creator c
     JOIN t_familyName fn ON fn.s = c.o WHERE c.s = papers.p)) AS authors,
  (SELECT group_concat(iri, ' ') FROM (SELECT ta.iri AS iri FROM paper_area pa
     JOIN term ta ON ta.id = pa.area WHERE pa.paper = papers.p)) AS areas,
  (SELECT COUNT(DISTINCT s) FROM t_proposedIn WHERE o = papers.p) AS methods,
  (SELECT COUNT(DISTINCT s) FROM t_introducedBy WHERE o = papers.p) AS datasets
FROM papers JOIN term tp ON tp.id = papers.p
ORDER BY paper;

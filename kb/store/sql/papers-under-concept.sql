-- name: papers-under-concept
-- mirrors: kb/queries/papers-under-concept.rq: every paper's row listed at build in the query's
-- order, so a page of the papers under a concept is picked by rowid without a sort
-- iri: concept paper
-- requires: concept
-- build:
CREATE TABLE r_papers_under_concept AS
SELECT DISTINCT ti.s AS p, tp.iri AS paper, y.yi AS year, v.o AS venue, ti.o AS title,
       CASE WHEN ax.o IS NULL THEN NULL ELSE 'https://arxiv.org/abs/' || ax.o END AS arxiv
FROM (SELECT DISTINCT s FROM t_subject) sp JOIN t_title ti ON ti.s = sp.s
LEFT JOIN t_year y ON y.s = ti.s LEFT JOIN t_venue v ON v.s = ti.s LEFT JOIN t_arxivId ax ON ax.s = ti.s
JOIN term tp ON tp.id = ti.s
ORDER BY year DESC, paper, venue, title, arxiv;
CREATE INDEX r_papers_under_concept_p ON r_papers_under_concept(p);
-- query:
WITH c(c) AS (SELECT b FROM narrower_star WHERE a = :concept UNION SELECT :concept)
SELECT :concept_iri AS concept, paper, year, venue, title, arxiv FROM r_papers_under_concept
WHERE rowid IN (SELECT r.rowid FROM c JOIN t_subject s ON s.o = c.c JOIN r_papers_under_concept r ON r.p = s.s)
ORDER BY rowid

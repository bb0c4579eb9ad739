-- name: papers-under-concept
-- mirrors: kb/queries/papers-under-concept.rq (a join over the papers under the concept)
-- iri: concept paper
-- requires: concept
-- query:
WITH c(c) AS (SELECT b FROM narrower_star WHERE a = :concept UNION SELECT :concept),
p(p) AS (SELECT DISTINCT s.s FROM c JOIN t_subject s ON s.o = c.c)
SELECT DISTINCT :concept_iri AS concept, tp.iri AS paper, y.yi AS year, v.o AS venue, ti.o AS title,
       CASE WHEN ax.o IS NULL THEN NULL ELSE 'https://arxiv.org/abs/' || ax.o END AS arxiv
FROM p JOIN t_title ti ON ti.s = p.p
LEFT JOIN t_year y ON y.s = p.p LEFT JOIN t_venue v ON v.s = p.p LEFT JOIN t_arxivId ax ON ax.s = p.p
JOIN term tp ON tp.id = p.p
ORDER BY year DESC, paper, venue, title, arxiv

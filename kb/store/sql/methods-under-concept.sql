-- name: methods-under-concept
-- mirrors: kb/queries/methods-under-concept.rq: every (subcategory, method, paper) row listed at
-- build in the query's order, so a page under a concept is picked by rowid without a sort
-- iri: concept method paper
-- requires: concept
-- build:
CREATE TABLE r_methods_under_concept AS
SELECT s.o AS sub, tm.iri AS method, nm.o AS name, pl.o AS subcategory, tp.iri AS paper,
       y.yi AS year, v.o AS venue,
       CASE WHEN ax.o IS NULL THEN NULL ELSE 'https://arxiv.org/abs/' || ax.o END AS arxiv
FROM t_subcategory s JOIN t_label nm ON nm.s = s.s JOIN t_prefLabel pl ON pl.s = s.o
LEFT JOIN t_proposedIn pi ON pi.s = s.s LEFT JOIN t_year y ON y.s = pi.o
LEFT JOIN t_venue v ON v.s = pi.o LEFT JOIN t_arxivId ax ON ax.s = pi.o
JOIN term tm ON tm.id = s.s JOIN term tsub ON tsub.id = s.o LEFT JOIN term tp ON tp.id = pi.o
ORDER BY tsub.iri, year DESC, name, method, subcategory, paper, venue, arxiv;
CREATE INDEX r_methods_under_concept_sub ON r_methods_under_concept(sub);
-- query:
SELECT :concept_iri AS concept, method, name, subcategory, paper, year, venue, arxiv
FROM r_methods_under_concept
WHERE rowid IN (SELECT r.rowid FROM (SELECT b AS sub FROM narrower_star WHERE a = :concept UNION SELECT :concept) c
                JOIN r_methods_under_concept r ON r.sub = c.sub)
ORDER BY rowid

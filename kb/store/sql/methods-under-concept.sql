-- name: methods-under-concept
-- mirrors: kb/queries/methods-under-concept.rq (a join over the subcategories under the concept)
-- iri: concept method paper
-- requires: concept
-- query:
SELECT :concept_iri AS concept, tm.iri AS method, nm.o AS name, pl.o AS subcategory, tp.iri AS paper,
       y.yi AS year, v.o AS venue,
       CASE WHEN ax.o IS NULL THEN NULL ELSE 'https://arxiv.org/abs/' || ax.o END AS arxiv
FROM (SELECT b AS sub FROM narrower_star WHERE a = :concept UNION SELECT :concept) c
JOIN t_subcategory s ON s.o = c.sub JOIN t_label nm ON nm.s = s.s JOIN t_prefLabel pl ON pl.s = c.sub
LEFT JOIN t_proposedIn pi ON pi.s = s.s LEFT JOIN t_year y ON y.s = pi.o
LEFT JOIN t_venue v ON v.s = pi.o LEFT JOIN t_arxivId ax ON ax.s = pi.o
JOIN term tm ON tm.id = s.s JOIN term tsub ON tsub.id = c.sub LEFT JOIN term tp ON tp.id = pi.o
ORDER BY tsub.iri, year DESC, name, method, subcategory, paper, venue, arxiv

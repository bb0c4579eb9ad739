-- name: datasets-for-area
-- mirrors: kb/queries/datasets-for-area.rq (a join over the methods and datasets under the area)
-- iri: area dataset
-- bool: in_survey_table
-- requires: area
-- query:
WITH c(c) AS (SELECT b FROM narrower_star WHERE a = :area UNION SELECT :area),
hits(d, m) AS (
  SELECT e.o, s.s FROM c JOIN t_subcategory s ON s.o = c.c JOIN t_evaluatedOn e ON e.s = s.s
  UNION ALL SELECT ev.s, NULL FROM c JOIN t_evaluates ev ON ev.o = c.c)
SELECT :area_iri AS area, td.iri AS dataset, ti.o AS title, iss.yi AS issued, sz.o AS size,
       EXISTS (SELECT 1 FROM t_source src WHERE src.s = h.d) AS in_survey_table,
       COUNT(DISTINCT h.m) AS methods
FROM hits h JOIN term td ON td.id = h.d
LEFT JOIN t_title ti ON ti.s = h.d LEFT JOIN t_issued iss ON iss.s = h.d LEFT JOIN t_size sz ON sz.s = h.d
GROUP BY h.d, ti.o, iss.yi, sz.o
ORDER BY methods DESC, in_survey_table DESC, title, dataset, size

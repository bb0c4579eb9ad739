-- name: datasets-for-area
-- mirrors: kb/queries/datasets-for-area.rq, counted at build for every concept in the query's order
-- iri: area dataset
-- bool: in_survey_table
-- requires: area
-- build:
CREATE TABLE r_datasets_for_area AS
WITH hits(a, d, m) AS (
  SELECT ns.a, e.o, s.s FROM narrower_star ns JOIN t_subcategory s ON s.o = ns.b
    JOIN t_evaluatedOn e ON e.s = s.s
  UNION ALL SELECT ns.a, ev.s, NULL FROM narrower_star ns JOIN t_evaluates ev ON ev.o = ns.b)
SELECT h.a AS a, td.iri AS dataset, ti.o AS title, iss.yi AS issued, sz.o AS size,
       EXISTS (SELECT 1 FROM t_source src WHERE src.s = h.d) AS in_survey_table,
       COUNT(DISTINCT h.m) AS methods
FROM hits h JOIN term td ON td.id = h.d
LEFT JOIN t_title ti ON ti.s = h.d LEFT JOIN t_issued iss ON iss.s = h.d LEFT JOIN t_size sz ON sz.s = h.d
GROUP BY h.a, h.d, ti.o, iss.yi, sz.o
ORDER BY h.a, methods DESC, in_survey_table DESC, title, dataset, size;
CREATE INDEX r_datasets_for_area_a ON r_datasets_for_area(a);
-- query:
SELECT :area_iri AS area, dataset, title, issued, size, in_survey_table, methods
FROM r_datasets_for_area WHERE a = :area ORDER BY rowid

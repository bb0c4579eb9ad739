-- name: stale-areas
-- mirrors: kb/queries/stale-areas.rq: each area's latest year and papers kept at build; since filters
-- iri: family area role
-- build:
CREATE TABLE r_stale_areas AS
WITH agg(area, latest, papers) AS (
  SELECT ty.s, MAX(y.yi), COUNT(DISTINCT y.s)
  FROM t_type ty LEFT JOIN paper_area pa ON pa.area = ty.s LEFT JOIN t_year y ON y.s = pa.paper
  WHERE ty.o = {kb:ThreatType} GROUP BY ty.s)
SELECT tf.iri AS family, ta.iri AS area, lb.o AS label, tr.iri AS role, agg.latest AS latest,
       agg.papers AS papers, o.o AS _order
FROM agg JOIN t_modelFamily mf ON mf.s = agg.area JOIN t_prefLabel lb ON lb.s = agg.area
LEFT JOIN t_role r ON r.s = agg.area LEFT JOIN t_ord o ON o.s = agg.area
JOIN term tf ON tf.id = mf.o JOIN term ta ON ta.id = agg.area LEFT JOIN term tr ON tr.id = r.o
WHERE NOT (agg.papers = 0 AND r.o IS NOT NULL AND r.o = {facet:role-evaluation})
ORDER BY family, _order, area, label, role;
-- query:
SELECT :since AS since, family, area, label, role, latest, papers FROM r_stale_areas
WHERE latest IS NULL OR latest < :since ORDER BY rowid

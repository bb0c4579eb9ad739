-- name: family-summary
-- mirrors: kb/queries/family-summary.rq, computed at build (paper_share rounds half up, as SPARQL ROUND)
-- iri: family
-- build:
CREATE TABLE r_family_summary AS
WITH fam(f) AS (
  SELECT DISTINCT ty.s FROM t_type ty JOIN t_topConceptOf tc ON tc.s = ty.s WHERE ty.o = {kb:ModelFamily}),
typed(f, cls, n) AS (
  SELECT mf.o, ty.o, COUNT(DISTINCT mf.s) FROM t_modelFamily mf JOIN t_type ty ON ty.s = mf.s
  WHERE ty.o IN ({kb:ThreatType}, {kb:Category}, {kb:Subcategory}, {kb:Method}, {dcat:Dataset})
  GROUP BY mf.o, ty.o),
papers(f, n) AS (
  SELECT mf.o, COUNT(DISTINCT s.s) FROM t_subject s JOIN t_modelFamily mf ON mf.s = s.o GROUP BY mf.o),
total(n) AS (SELECT COUNT(DISTINCT s) FROM t_type WHERE o = {bibo:AcademicArticle}),
counts AS (
  SELECT fam.f AS f,
    COALESCE((SELECT n FROM typed WHERE typed.f = fam.f AND cls = {kb:ThreatType}), 0) AS threat_types,
    COALESCE((SELECT n FROM typed WHERE typed.f = fam.f AND cls = {kb:Category}), 0) AS categories,
    COALESCE((SELECT n FROM typed WHERE typed.f = fam.f AND cls = {kb:Subcategory}), 0) AS subcategories,
    COALESCE((SELECT n FROM typed WHERE typed.f = fam.f AND cls = {kb:Method}), 0) AS methods,
    COALESCE((SELECT n FROM typed WHERE typed.f = fam.f AND cls = {dcat:Dataset}), 0) AS datasets,
    COALESCE((SELECT n FROM papers WHERE papers.f = fam.f), 0) AS papers
  FROM fam)
SELECT tf.iri AS family, lb.o AS label, c.threat_types, c.categories, c.subcategories, c.methods,
       c.datasets, c.papers,
       ((20000 * c.papers + total.n) / (2 * total.n)) / 100.0 AS paper_share, o.o AS _order
FROM counts c CROSS JOIN total JOIN t_prefLabel lb ON lb.s = c.f JOIN term tf ON tf.id = c.f
LEFT JOIN t_ord o ON o.s = c.f
ORDER BY _order, family, label;
-- query:
SELECT family, label, threat_types, categories, subcategories, methods, datasets, papers, paper_share
FROM r_family_summary ORDER BY rowid

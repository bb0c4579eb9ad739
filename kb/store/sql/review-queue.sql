-- name: review-queue
-- mirrors: kb/queries/review-queue.rq, listed at build in the query's order
-- iri: item
-- build:
CREATE TABLE r_review_queue AS
WITH items(issue, item, detail) AS (
  SELECT 'needs review', s, NULL FROM t_needsReview WHERE o = 1
  UNION ALL SELECT 'flag', s, o FROM t_flag
  UNION ALL SELECT 'possible duplicate', d.s, t.iri FROM t_possibleDuplicateOf d JOIN term t ON t.id = d.o
  UNION ALL SELECT 'road-map category differs', r.s, c.o
    FROM t_roadmapDisagrees r JOIN t_roadmapCategory c ON c.s = r.s WHERE r.o = 1
  UNION ALL SELECT 'threat type unverified', s, NULL FROM t_threatTypeUnverified WHERE o = 1
  UNION ALL SELECT 'subcategory unverified', s, NULL FROM t_subcategoryUnverified WHERE o = 1),
labelled(issue, item, label, detail) AS (
  SELECT i.issue, i.item, t.o, i.detail FROM items i JOIN t_title t ON t.s = i.item
  UNION ALL SELECT i.issue, i.item, t.o, i.detail FROM items i JOIN t_label t ON t.s = i.item
  UNION ALL SELECT i.issue, i.item, NULL, i.detail FROM items i
    WHERE NOT EXISTS (SELECT 1 FROM t_title WHERE s = i.item) AND NOT EXISTS (SELECT 1 FROM t_label WHERE s = i.item))
SELECT DISTINCT l.issue AS issue, ti.iri AS item, l.label AS label, l.detail AS detail
FROM labelled l JOIN term ti ON ti.id = l.item
ORDER BY issue, item, detail, label;
-- query:
SELECT issue, item, label, detail FROM r_review_queue ORDER BY rowid

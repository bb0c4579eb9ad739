-- name: methods-targeting-model
-- mirrors: kb/queries/methods-targeting-model.rq: target labels from the text index, then a join
-- iri: method family role
-- query:
WITH hit(t, label) AS (
  SELECT x.s, x.o FROM t_label x WHERE x.rowid IN {match:label:model} AND instr(x.low, :model_low) > 0)
SELECT :model AS model, tm.iri AS method, nm.o AS name, tf.iri AS family, tr.iri AS role,
       MIN(h.label) AS first_match, COUNT(DISTINCT h.t) AS matching_targets
FROM hit h JOIN t_targetModel tg ON tg.o = h.t JOIN t_label nm ON nm.s = tg.s
JOIN t_modelFamily f ON f.s = tg.s LEFT JOIN t_role r ON r.s = tg.s
JOIN term tm ON tm.id = tg.s JOIN term tf ON tf.id = f.o LEFT JOIN term tr ON tr.id = r.o
GROUP BY tg.s, nm.o, f.o, r.o
ORDER BY family, name, method, role

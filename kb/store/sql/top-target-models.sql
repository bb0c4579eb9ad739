-- name: top-target-models
-- mirrors: kb/queries/top-target-models.rq: per-model counts kept at build; match uses the text index
-- iri: model
-- build:
CREATE TABLE r_top_target_models AS
SELECT tm.iri AS model, lb.o AS label, lb.rowid AS _label_row, COUNT(DISTINCT tg.s) AS methods,
       SUM(r.o = {facet:role-attack}) AS attacks, SUM(r.o = {facet:role-defense}) AS defenses,
       COUNT(DISTINCT f.o) AS families
FROM t_type ty JOIN t_label lb ON lb.s = ty.s JOIN t_targetModel tg ON tg.o = ty.s
JOIN t_modelFamily f ON f.s = tg.s JOIN t_role r ON r.s = tg.s JOIN term tm ON tm.id = ty.s
WHERE ty.o = {kb:Model}
GROUP BY ty.s, lb.o
ORDER BY methods DESC, label, model;
CREATE INDEX r_top_target_models_row ON r_top_target_models(_label_row);
-- query:
SELECT :match AS match, model, label, methods, attacks, defenses, families FROM r_top_target_models
WHERE 1 {+match: AND _label_row IN (SELECT rowid FROM t_label WHERE rowid IN {match:label:match} AND instr(low, :match_low) > 0)}
ORDER BY rowid

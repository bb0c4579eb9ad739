-- name: undefended-attacks
-- mirrors: kb/queries/undefended-attacks.rq, computed at build; the family parameter filters it
-- iri: family area
-- build:
CREATE TABLE r_undefended_attacks AS
SELECT tf.iri AS family, ta.iri AS area, lb.o AS label, st.methods AS methods, st.papers AS papers,
       o.o AS _order
FROM t_type ty JOIN t_role r ON r.s = ty.s AND r.o = {facet:role-attack}
JOIN subtree_stats st ON st.root = ty.s
JOIN t_modelFamily mf ON mf.s = ty.s JOIN t_prefLabel lb ON lb.s = ty.s LEFT JOIN t_ord o ON o.s = ty.s
JOIN term tf ON tf.id = mf.o JOIN term ta ON ta.id = ty.s
WHERE ty.o = {kb:ThreatType} AND NOT EXISTS (SELECT 1 FROM t_answers an WHERE an.o = ty.s)
ORDER BY family, _order, area, label;
-- query:
SELECT family, area, label, methods, papers FROM r_undefended_attacks
WHERE 1 {?family: AND family = :family_iri} ORDER BY rowid

-- name: family-threat-matrix
-- mirrors: kb/queries/family-threat-matrix.rq, computed at build; the family parameter filters it
-- iri: family area role
-- build:
CREATE TABLE r_family_threat_matrix AS
SELECT tf.iri AS family, ta.iri AS area, lb.o AS label, tr.iri AS role,
       st.papers AS papers, st.methods AS methods, st.datasets AS datasets
FROM t_type ty JOIN subtree_stats st ON st.root = ty.s
JOIN t_modelFamily mf ON mf.s = ty.s JOIN t_prefLabel lb ON lb.s = ty.s
LEFT JOIN t_role r ON r.s = ty.s LEFT JOIN t_ord o ON o.s = ty.s LEFT JOIN t_ord fo ON fo.s = mf.o
JOIN term tf ON tf.id = mf.o JOIN term ta ON ta.id = ty.s LEFT JOIN term tr ON tr.id = r.o
WHERE ty.o = {kb:ThreatType}
ORDER BY fo.o, o.o, area, family, label, role;
-- query:
SELECT family, area, label, role, papers, methods, datasets FROM r_family_threat_matrix
WHERE 1 {?family: AND family = :family_iri} ORDER BY rowid

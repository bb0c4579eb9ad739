-- name: defenses-for-attack
-- mirrors: kb/queries/defenses-for-attack.rq with the per-area counts kept at build
-- iri: attack area defense
-- requires: attack
-- query:
WITH areas(area) AS (SELECT b FROM broader_star WHERE a = :attack UNION SELECT :attack)
SELECT :attack_iri AS attack, tar.iri AS area, tdf.iri AS defense, lb.o AS label,
       st.methods AS methods, st.papers AS papers, nt.note AS note
FROM areas JOIN t_answers an ON an.o = areas.area
JOIN t_prefLabel lb ON lb.s = an.s
JOIN subtree_stats st ON st.root = an.s
LEFT JOIN (
  SELECT d.o AS defense, a.o AS area, c.o AS note
  FROM t_defense d JOIN t_attack a ON a.s = d.s JOIN t_comment c ON c.s = d.s
) nt ON nt.defense = an.s AND nt.area = areas.area
JOIN term tar ON tar.id = areas.area JOIN term tdf ON tdf.id = an.s
ORDER BY area, defense, label, note

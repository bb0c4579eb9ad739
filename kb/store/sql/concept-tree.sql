-- name: concept-tree
-- mirrors: kb/queries/concept-tree.rq over the taxonomy tables and per-concept counts kept at build
-- iri: concept node kind parent
-- requires: concept
-- query:
SELECT :concept_iri AS concept, tn.iri AS node, lb.o AS label, tk.iri AS kind,
       ns.depth - rd.depth AS depth, tpar.iri AS parent, ns.papers AS papers, ns.methods AS methods
FROM (SELECT b AS node FROM narrower_star WHERE a = :concept UNION SELECT :concept) sub
JOIN t_type ty ON ty.s = sub.node AND ty.o IN ({kb:ModelFamily}, {kb:ThreatType}, {kb:Category}, {kb:Subcategory})
JOIN t_prefLabel lb ON lb.s = sub.node
JOIN node_stats ns ON ns.node = sub.node
JOIN node_stats rd ON rd.node = :concept
LEFT JOIN t_broader par ON par.s = sub.node
LEFT JOIN t_ord o ON o.s = sub.node
JOIN term tn ON tn.id = sub.node JOIN term tk ON tk.id = ty.o LEFT JOIN term tpar ON tpar.id = par.o
ORDER BY o.o, node, kind, parent, label

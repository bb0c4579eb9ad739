-- name: search
-- mirrors: kb/queries/search.rq: titles and names from the text index (FTS5 trigram), then checked
-- iri: item
-- query:
WITH hits(kind, item, label, y) AS (
  SELECT 'paper', t.s, t.o, y.yi FROM t_title t
    JOIN t_type ty ON ty.s = t.s AND ty.o = {bibo:AcademicArticle} LEFT JOIN t_year y ON y.s = t.s
    WHERE t.rowid IN {match:title:text} AND instr(t.low, :text_low) > 0
  UNION ALL SELECT 'method', l.s, l.o, py.yi FROM t_label l
    JOIN t_type ty ON ty.s = l.s AND ty.o = {kb:Method}
    LEFT JOIN (SELECT pi.s AS m, y.yi AS yi FROM t_proposedIn pi JOIN t_year y ON y.s = pi.o) py ON py.m = l.s
    WHERE l.rowid IN {match:label:text} AND instr(l.low, :text_low) > 0
  UNION ALL SELECT 'dataset', t.s, t.o, i.yi FROM t_title t
    JOIN t_type ty ON ty.s = t.s AND ty.o = {dcat:Dataset} LEFT JOIN t_issued i ON i.s = t.s
    WHERE t.rowid IN {match:title:text} AND instr(t.low, :text_low) > 0)
SELECT DISTINCT :text AS text, h.kind AS kind, ti.iri AS item, h.label AS label, h.y AS year
FROM hits h JOIN term ti ON ti.id = h.item
ORDER BY kind, year DESC, label, item

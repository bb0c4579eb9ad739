-- name: search
-- mirrors: kb/queries/search.rq: every paper title, method name and dataset title listed at build
-- in the query's order with a trigram text index, so a page of matches needs no sort
-- iri: item
-- build:
CREATE TABLE r_search AS
SELECT DISTINCT kind, ti.iri AS item, label, year, low FROM (
  SELECT 'paper' AS kind, t.s AS s, t.o AS label, y.yi AS year, t.low AS low FROM t_title t
    JOIN t_type ty ON ty.s = t.s AND ty.o = {bibo:AcademicArticle} LEFT JOIN t_year y ON y.s = t.s
  UNION ALL SELECT 'method', l.s, l.o, my.yi, l.low FROM t_label l
    JOIN t_type ty ON ty.s = l.s AND ty.o = {kb:Method} LEFT JOIN method_year my ON my.m = l.s
  UNION ALL SELECT 'dataset', t.s, t.o, i.yi, t.low FROM t_title t
    JOIN t_type ty ON ty.s = t.s AND ty.o = {dcat:Dataset} LEFT JOIN t_issued i ON i.s = t.s
) h JOIN term ti ON ti.id = h.s
ORDER BY kind, year DESC, label, item;
CREATE VIRTUAL TABLE fts_r_search USING fts5(low, content='r_search', content_rowid='rowid',
  tokenize='trigram', detail='none');
INSERT INTO fts_r_search(fts_r_search) VALUES ('rebuild');
-- query:
SELECT :text AS text, kind, item, label, year FROM r_search
WHERE rowid IN {match:r_search:text} AND instr(low, :text_low) > 0
ORDER BY rowid

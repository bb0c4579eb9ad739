-- name: papers-by-author
-- mirrors: kb/queries/papers-by-author.rq: author names from the text index, then a join
-- iri: author paper
-- query:
WITH au(a, name) AS (
  SELECT x.s, x.o FROM t_name x WHERE x.rowid IN {match:name:name} AND instr(x.low, :name_low) > 0)
SELECT DISTINCT :name AS name, ta.iri AS author, au.name AS author_name, tp.iri AS paper,
       y.yi AS year, v.o AS venue, ti.o AS title
FROM au JOIN t_creator c ON c.o = au.a JOIN t_title ti ON ti.s = c.s
LEFT JOIN t_year y ON y.s = c.s LEFT JOIN t_venue v ON v.s = c.s
JOIN term ta ON ta.id = au.a JOIN term tp ON tp.id = c.s
ORDER BY author_name, author, year DESC, paper, venue, title

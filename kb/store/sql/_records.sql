-- What the coverage records are built from (kb/store/records.py), as SQL over the side index's
-- tables: the same facts kb/coverage/{papers,authors,placements}.rq read from the graph.
-- {prefix:local} stands for that IRI's id. Temporary tables: only the cov_* tables are kept.

-- every paper with a title, numbered in the order of its id (the record's position n)
CREATE TEMP TABLE rec_paper AS
  SELECT ROW_NUMBER() OVER (ORDER BY id) - 1 AS n, s, id FROM (
    SELECT t.s AS s,
      CASE WHEN substr(i.iri, 1, length('{ns:paper}')) = '{ns:paper}'
           THEN substr(i.iri, length('{ns:paper}') + 1) ELSE i.iri END AS id
    FROM (SELECT DISTINCT s FROM t_type WHERE o = {bibo:AcademicArticle}) t
    JOIN term i ON i.id = t.s
    WHERE EXISTS (SELECT 1 FROM t_title x WHERE x.s = t.s)
  );
CREATE UNIQUE INDEX rec_paper_s ON rec_paper(s);

-- c skos:broader* a, from every concept a paper or a placement names (zero-length included)
CREATE TEMP TABLE rec_up AS
  SELECT a, b FROM broader_star
  UNION SELECT o, o FROM t_subject UNION SELECT o, o FROM t_placementConcept;
CREATE INDEX rec_up_a ON rec_up(a, b);
CREATE TEMP TABLE rec_area AS
  SELECT DISTINCT s AS area FROM t_type WHERE o IN ({kb:ThreatType}, {kb:Topic});
CREATE UNIQUE INDEX rec_area_area ON rec_area(area);

-- an author list's cells: the family name of rdf:first and the next cell (authors.rq)
CREATE TEMP TABLE rec_cell AS
  SELECT f.s AS cell, MIN(fn.o) AS fn, MIN(r.o) AS rest
  FROM t_first f JOIN t_familyName fn ON fn.s = f.o JOIN t_rest r ON r.s = f.s
  GROUP BY f.s;
CREATE UNIQUE INDEX rec_cell_cell ON rec_cell(cell);

-- each paper's family names in list order (a cyclic list stops after 1,000 cells)
CREATE TEMP TABLE rec_author AS
  WITH RECURSIVE walk(n, pos, cell) AS (
    SELECT p.n, 0, MIN(a.o) FROM rec_paper p JOIN t_authorList a ON a.s = p.s GROUP BY p.n
    UNION ALL
    SELECT w.n, w.pos + 1, c.rest FROM walk w JOIN rec_cell c ON c.cell = w.cell WHERE w.pos < 1000
  )
  SELECT w.n AS n, w.pos AS pos, c.fn AS fn FROM walk w JOIN rec_cell c ON c.cell = w.cell;
CREATE INDEX rec_author_n ON rec_author(n, pos);

-- every kb:Placement lifted to the areas at or above its concept (placements.rq)
CREATE TEMP TABLE rec_place AS
  SELECT DISTINCT p.n AS n, ai.iri AS area, hi.iri AS how, sc.o AS score
  FROM t_type t
  JOIN t_placementPaper pp ON pp.s = t.s JOIN rec_paper p ON p.s = pp.o
  JOIN t_placementConcept c ON c.s = t.s
  JOIN t_how h ON h.s = t.s JOIN term hi ON hi.id = h.o
  LEFT JOIN t_score sc ON sc.s = t.s
  JOIN rec_up u ON u.a = c.o JOIN rec_area ra ON ra.area = u.b JOIN term ai ON ai.id = u.b
  WHERE t.o = {kb:Placement};
CREATE INDEX rec_place_n ON rec_place(n);

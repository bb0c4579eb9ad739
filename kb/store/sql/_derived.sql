-- Tables several store forms share, computed once at build (see kb/store/index.py).
-- {prefix:local} stands for that IRI's id. Every closure is over the taxonomy only (hundreds of nodes).

-- every node a property path over the taxonomy can start from (zero-length paths match these)
CREATE TABLE nodes AS
  SELECT s AS n FROM t_narrower UNION SELECT o FROM t_narrower
  UNION SELECT s FROM t_broader UNION SELECT o FROM t_broader
  UNION SELECT s FROM t_type WHERE o IN ({skos:Concept}, {kb:ThreatType})
  UNION SELECT s FROM t_answers UNION SELECT o FROM t_answers
  UNION SELECT o FROM t_subject UNION SELECT o FROM t_subcategory UNION SELECT o FROM t_evaluates;

-- a skos:narrower* b, a skos:broader* b, a skos:broader+ b
CREATE TABLE narrower_star AS
  WITH RECURSIVE c(a, b) AS (SELECT n, n FROM nodes UNION SELECT c.a, e.o FROM c JOIN t_narrower e ON e.s = c.b)
  SELECT a, b FROM c;
CREATE INDEX narrower_star_a ON narrower_star(a, b);
CREATE TABLE broader_star AS
  WITH RECURSIVE c(a, b) AS (SELECT n, n FROM nodes UNION SELECT c.a, e.o FROM c JOIN t_broader e ON e.s = c.b)
  SELECT a, b FROM c;
CREATE INDEX broader_star_a ON broader_star(a, b);
CREATE TABLE broader_plus AS
  WITH RECURSIVE c(a, b) AS (SELECT s, o FROM t_broader UNION SELECT c.a, e.o FROM c JOIN t_broader e ON e.s = c.b)
  SELECT a, b FROM c;
CREATE INDEX broader_plus_a ON broader_plus(a, b);

-- ?paper dcterms:subject/skos:broader* ?area . ?area a kb:ThreatType
CREATE TABLE paper_area AS
  SELECT DISTINCT s.s AS paper, bs.b AS area
  FROM t_subject s JOIN broader_star bs ON bs.a = s.o
  JOIN t_type t ON t.s = bs.b AND t.o = {kb:ThreatType};
CREATE INDEX paper_area_area ON paper_area(area, paper);
CREATE INDEX paper_area_paper ON paper_area(paper, area);

-- per area (threat type) or defense area: distinct papers, methods and evaluating datasets at or
-- below it (?root skos:narrower* ?c . ?p dcterms:subject ?c / ?m kb:subcategory ?c / ?d kb:evaluates ?c)
CREATE TABLE subtree_stats AS
  SELECT r.r AS root,
    (SELECT COUNT(DISTINCT x.s) FROM narrower_star ns JOIN t_subject x ON x.o = ns.b WHERE ns.a = r.r) AS papers,
    (SELECT COUNT(DISTINCT x.s) FROM narrower_star ns JOIN t_subcategory x ON x.o = ns.b WHERE ns.a = r.r) AS methods,
    (SELECT COUNT(DISTINCT x.s) FROM narrower_star ns JOIN t_evaluates x ON x.o = ns.b WHERE ns.a = r.r) AS datasets
  FROM (SELECT s AS r FROM t_type WHERE o = {kb:ThreatType} UNION SELECT s FROM t_answers) r;
CREATE INDEX subtree_stats_root ON subtree_stats(root);

-- per skos:Concept: ancestors (skos:broader+), direct papers and direct methods (concept-tree)
CREATE TABLE node_stats AS
  SELECT t.s AS node,
    (SELECT COUNT(DISTINCT b) FROM broader_plus WHERE a = t.s) AS depth,
    (SELECT COUNT(DISTINCT s) FROM t_subject WHERE o = t.s) AS papers,
    (SELECT COUNT(DISTINCT s) FROM t_subcategory WHERE o = t.s) AS methods
  FROM (SELECT DISTINCT s FROM t_type WHERE o = {skos:Concept}) t;
CREATE INDEX node_stats_node ON node_stats(node);

-- ?m kb:proposedIn ?p . ?p fabio:hasPublicationYear ?y : a method's year(s), the sort key of search
CREATE TABLE method_year AS
  SELECT DISTINCT pi.s AS m, y.yi AS yi FROM t_proposedIn pi JOIN t_year y ON y.s = pi.o;
CREATE INDEX method_year_m ON method_year(m, yi);

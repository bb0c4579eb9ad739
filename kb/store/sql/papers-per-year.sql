-- name: papers-per-year
-- mirrors: kb/queries/papers-per-year.rq, computed at build
-- build:
CREATE TABLE r_papers_per_year AS
SELECT y.yi AS year, COUNT(DISTINCT ty.s) AS papers,
       COUNT(DISTINCT CASE WHEN EXISTS (SELECT 1 FROM t_proposedIn pi WHERE pi.o = ty.s) THEN ty.s END)
         AS papers_with_methods
FROM t_type ty JOIN t_year y ON y.s = ty.s
WHERE ty.o = {bibo:AcademicArticle}
GROUP BY y.yi
ORDER BY year;
-- query:
SELECT year, papers, papers_with_methods FROM r_papers_per_year ORDER BY rowid

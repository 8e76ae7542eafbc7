CREATE TABLE a.b.c.d (x int);
COPY t FROM STDIN;
VACUUM;
;;
SELECT 1 -- no semicolon
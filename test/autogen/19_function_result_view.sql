-- A function whose result changes, used by a view: both re-created.
-- from
CREATE FUNCTION price_of(i integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT i * 10 $$;
CREATE VIEW prices AS SELECT g AS id, price_of(g) AS price FROM generate_series(1, 3) g;
-- to
CREATE FUNCTION price_of(i integer) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT i * 10.5 $$;
CREATE VIEW prices AS SELECT g AS id, price_of(g) AS price FROM generate_series(1, 3) g;

-- An enum loses a value and reorders the rest: rebuilt, with the columns
-- (and an array column) that use it, their defaults, and a view and a
-- function that use it.
-- from
CREATE TYPE status AS ENUM ('new', 'paid', 'void');
CREATE TABLE invoices (id integer, s status NOT NULL DEFAULT 'new', history status[]);
CREATE VIEW paid AS SELECT id FROM invoices WHERE s = 'paid';
CREATE FUNCTION is_new(status) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 = 'new' $$;
-- to
CREATE TYPE status AS ENUM ('paid', 'new');
CREATE TABLE invoices (id integer, s status NOT NULL DEFAULT 'new', history status[]);
CREATE VIEW paid AS SELECT id FROM invoices WHERE s = 'paid';
CREATE FUNCTION is_new(status) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 = 'new' $$;

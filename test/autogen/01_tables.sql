-- A new table with every kind of column, and a table dropped.
-- from
CREATE TABLE old_stuff (id integer PRIMARY KEY, note text);
-- to
CREATE TABLE customers (
    id bigint GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 5) PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text COLLATE "C" DEFAULT 'nobody',
    score numeric(10,2) CHECK (score >= 0),
    created timestamptz NOT NULL DEFAULT now(),
    name_upper text GENERATED ALWAYS AS (upper(name)) STORED
);
COMMENT ON TABLE customers IS 'who pays';
COMMENT ON COLUMN customers.email IS 'unique, it''s the login';
CREATE UNLOGGED TABLE scratch (k text, v text) WITH (fillfactor = 70);

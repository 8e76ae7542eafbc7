-- Domains, composite and range types: new ones used by new columns, and
-- a domain and a composite type changed in place (an attribute added: the
-- type of one cannot change while a column uses the type).
-- from
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TYPE address AS (street text, city text);
CREATE TABLE shops (id integer, addr address, stock positive);
-- to
CREATE DOMAIN positive AS integer DEFAULT 1 NOT NULL CONSTRAINT positive_check CHECK (VALUE > 0) CONSTRAINT small CHECK (VALUE < 1000000);
CREATE TYPE address AS (street text, city text, zip text);
CREATE DOMAIN email AS text COLLATE "C" CHECK (VALUE LIKE '%@%');
CREATE TYPE floatrange AS RANGE (SUBTYPE = float8, SUBTYPE_DIFF = float8mi);
CREATE TABLE shops (id integer, addr address, stock positive, contact email, hours floatrange);
COMMENT ON DOMAIN email IS 'an address';

-- A new schema with objects in it, and an extension (citext) used by a
-- column; comments on both.
-- from
CREATE SCHEMA old_area;
CREATE TABLE old_area.t (id integer);
-- to
CREATE SCHEMA billing;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TABLE billing."Invoice" ("Id" integer PRIMARY KEY, customer citext);
CREATE INDEX "Invoice customer" ON billing."Invoice" (customer);
COMMENT ON SCHEMA billing IS 'money';

-- Sequences: a new one owned by a new column, options changed, one no
-- longer owned, one dropped with its column.
-- from
CREATE SEQUENCE counter START 5;
CREATE TABLE t (id serial, other integer);
CREATE SEQUENCE free_seq;
-- to
CREATE SEQUENCE counter AS integer START 10 INCREMENT 2 MAXVALUE 100000 CACHE 5 CYCLE;
CREATE TABLE t (other integer, tick bigint);
CREATE SEQUENCE tick_seq OWNED BY t.tick;
ALTER TABLE t ALTER COLUMN tick SET DEFAULT nextval('tick_seq');
CREATE SEQUENCE free_seq;
ALTER SEQUENCE free_seq OWNED BY t.other;

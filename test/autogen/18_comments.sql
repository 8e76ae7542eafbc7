-- Comments changed and removed on objects that stay.
-- from
CREATE TABLE c (id integer CONSTRAINT c_id_check CHECK (id > 0));
COMMENT ON TABLE c IS 'old';
COMMENT ON COLUMN c.id IS 'the id';
COMMENT ON CONSTRAINT c_id_check ON c IS 'positive';
CREATE VIEW cv AS SELECT id FROM c;
COMMENT ON VIEW cv IS 'a view';
-- to
CREATE TABLE c (id integer CONSTRAINT c_id_check CHECK (id > 0));
COMMENT ON TABLE c IS 'new';
COMMENT ON CONSTRAINT c_id_check ON c IS 'strictly positive';
CREATE VIEW cv AS SELECT id FROM c;

-- Functions and procedures: a body changed, a result type changed (with
-- the trigger and the default that use it), a new procedure.
-- from
CREATE FUNCTION add_one(i integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT i + 1 $$;
CREATE FUNCTION next_code() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated := now(); RETURN NEW; END $$;
CREATE TABLE things (id integer, code integer DEFAULT next_code(), updated timestamptz);
CREATE TRIGGER things_touch BEFORE UPDATE ON things FOR EACH ROW EXECUTE FUNCTION touch();
-- to
CREATE FUNCTION add_one(i integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT i + 2 $$;
CREATE FUNCTION next_code() RETURNS bigint LANGUAGE sql AS $$ SELECT 2::bigint $$;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated := clock_timestamp(); RETURN NEW; END $$;
CREATE TABLE things (id integer, code integer DEFAULT next_code(), updated timestamptz);
CREATE TRIGGER things_touch BEFORE UPDATE ON things FOR EACH ROW EXECUTE FUNCTION touch();
CREATE PROCEDURE reset_things(keep integer DEFAULT 0) LANGUAGE sql AS $$ DELETE FROM things WHERE id > keep $$;
COMMENT ON FUNCTION add_one(integer) IS 'adds two now';

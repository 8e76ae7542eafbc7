-- migrate:up
-- two columns added whose names do not sort in their order; a composite
-- type only functions use, its attribute narrowed; a table created with
-- an identity sequence of its own name (as a renamed table keeps it)
ALTER TABLE app.accounts ADD COLUMN zone text, ADD COLUMN active boolean NOT NULL DEFAULT true;
CREATE TYPE app.spec AS (name text, weight integer);
CREATE FUNCTION app.spec_weight(s app.spec[]) RETURNS bigint LANGUAGE sql
    AS $$SELECT sum((x).weight) FROM unnest(s) x$$;
ALTER TYPE app.spec ALTER ATTRIBUTE weight TYPE smallint;
CREATE TABLE app.tickets (id bigint GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME app.old_tickets_seq) PRIMARY KEY);
-- migrate:down
DROP TABLE app.tickets;
DROP FUNCTION app.spec_weight(app.spec[]);
DROP TYPE app.spec;
ALTER TABLE app.accounts DROP COLUMN active, DROP COLUMN zone;

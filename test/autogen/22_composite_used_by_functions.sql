-- A composite type that only functions use: the type of an attribute
-- changes in place (PostgreSQL refuses it only while values are stored).
-- from
CREATE TYPE job_spec AS (name text, priority integer);
CREATE FUNCTION top_priority(specs job_spec[]) RETURNS integer LANGUAGE sql
    AS $$SELECT max((s).priority) FROM unnest(specs) s$$;
-- to
CREATE TYPE job_spec AS (name text, priority smallint);
CREATE FUNCTION top_priority(specs job_spec[]) RETURNS integer LANGUAGE sql
    AS $$SELECT max((s).priority) FROM unnest(specs) s$$;

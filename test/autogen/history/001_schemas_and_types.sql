-- migrate:up
CREATE SCHEMA app;
CREATE TYPE app.plan AS ENUM ('free', 'pro');
CREATE DOMAIN app.email AS text CHECK (VALUE LIKE '%@%');
-- migrate:down
DROP DOMAIN app.email;
DROP TYPE app.plan;
DROP SCHEMA app;

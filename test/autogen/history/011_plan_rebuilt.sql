-- migrate:up
DROP MATERIALIZED VIEW app.plan_counts;
ALTER TABLE app.accounts ALTER COLUMN plan DROP DEFAULT;
ALTER TYPE app.plan RENAME TO plan_old;
CREATE TYPE app.plan AS ENUM ('free', 'pro', 'enterprise');
ALTER TABLE app.accounts ALTER COLUMN plan TYPE app.plan USING plan::text::app.plan;
ALTER TABLE app.accounts ALTER COLUMN plan SET DEFAULT 'free';
DROP TYPE app.plan_old;
CREATE MATERIALIZED VIEW app.plan_counts AS SELECT plan, count(*) AS n FROM app.accounts GROUP BY plan;
-- migrate:down
SELECT 1;

-- migrate:up
DROP VIEW app.active_projects;
DROP INDEX app.projects_account;
ALTER TABLE app.projects DROP COLUMN archived;
CREATE INDEX projects_account ON app.projects (account_id);
CREATE VIEW app.active_projects AS
    SELECT p.id, p.name, a.email FROM app.projects p JOIN app.accounts a ON a.id = p.account_id;
CREATE MATERIALIZED VIEW app.plan_counts AS SELECT plan, count(*) AS n FROM app.accounts GROUP BY plan;
-- migrate:down
DROP MATERIALIZED VIEW app.plan_counts;
DROP VIEW app.active_projects;
DROP INDEX app.projects_account;
ALTER TABLE app.projects ADD COLUMN archived boolean NOT NULL DEFAULT false;
CREATE INDEX projects_account ON app.projects (account_id) WHERE NOT archived;
CREATE VIEW app.active_projects AS
    SELECT p.id, p.name, a.email FROM app.projects p JOIN app.accounts a ON a.id = p.account_id
    WHERE NOT p.archived;

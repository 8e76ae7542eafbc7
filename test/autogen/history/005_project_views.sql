-- migrate:up
CREATE VIEW app.active_projects AS
    SELECT p.id, p.name, a.email FROM app.projects p JOIN app.accounts a ON a.id = p.account_id
    WHERE NOT p.archived;
CREATE FUNCTION app.project_count(acc bigint) RETURNS integer LANGUAGE sql STABLE
    AS $$ SELECT count(*)::integer FROM app.projects WHERE account_id = acc $$;
-- migrate:down
DROP FUNCTION app.project_count(bigint);
DROP VIEW app.active_projects;

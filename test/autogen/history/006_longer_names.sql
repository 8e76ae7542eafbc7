-- migrate:up
DROP VIEW app.active_projects;
ALTER TABLE app.projects ALTER COLUMN name TYPE varchar(200);
ALTER TABLE app.projects ADD COLUMN description text;
CREATE VIEW app.active_projects AS
    SELECT p.id, p.name, a.email FROM app.projects p JOIN app.accounts a ON a.id = p.account_id
    WHERE NOT p.archived;
-- migrate:down
DROP VIEW app.active_projects;
ALTER TABLE app.projects DROP COLUMN description;
ALTER TABLE app.projects ALTER COLUMN name TYPE varchar(100);
CREATE VIEW app.active_projects AS
    SELECT p.id, p.name, a.email FROM app.projects p JOIN app.accounts a ON a.id = p.account_id
    WHERE NOT p.archived;

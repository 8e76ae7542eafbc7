-- migrate:up
ALTER TABLE app.projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_projects ON app.projects USING (account_id = current_setting('app.account')::bigint);
-- migrate:down
DROP POLICY own_projects ON app.projects;
ALTER TABLE app.projects DISABLE ROW LEVEL SECURITY;

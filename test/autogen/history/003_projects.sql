-- migrate:up
CREATE TABLE app.projects (
    id serial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES app.accounts ON DELETE CASCADE,
    name varchar(100) NOT NULL,
    archived boolean NOT NULL DEFAULT false
);
CREATE INDEX projects_account ON app.projects (account_id) WHERE NOT archived;
-- migrate:down
DROP TABLE app.projects;

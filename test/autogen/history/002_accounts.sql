-- migrate:up
CREATE TABLE app.accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email app.email NOT NULL UNIQUE,
    plan app.plan NOT NULL DEFAULT 'free',
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app.accounts IS 'one per customer';
-- migrate:down
DROP TABLE app.accounts;

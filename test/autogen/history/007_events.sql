-- migrate:up
CREATE TABLE app.events (
    id bigint NOT NULL,
    project_id integer NOT NULL,
    at timestamptz NOT NULL,
    payload jsonb
) PARTITION BY RANGE (at);
CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX events_project ON app.events (project_id, at);
-- migrate:down
DROP TABLE app.events;

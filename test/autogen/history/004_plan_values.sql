-- migrate:up
ALTER TYPE app.plan ADD VALUE 'team' AFTER 'free';
ALTER TYPE app.plan ADD VALUE 'enterprise';
-- migrate:down
SELECT 1;

SELECT 1;
-- migrate:up

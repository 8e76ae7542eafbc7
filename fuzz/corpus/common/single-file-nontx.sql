-- migrate:up transaction:false
-- Log-in looks customers up by e-mail.  CONCURRENTLY builds the index
-- without blocking writes to a busy table, and cannot run inside a
-- transaction block: hence transaction:false.
CREATE INDEX CONCURRENTLY customers_email_idx ON customers (lower(email));

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY customers_email_idx;

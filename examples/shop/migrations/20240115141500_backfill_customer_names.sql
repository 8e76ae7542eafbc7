-- migrate:up
-- Customers get a display name.  Existing rows are backfilled from the
-- local part of their e-mail address so the column can be NOT NULL.
ALTER TABLE customers ADD COLUMN name text;

UPDATE customers
   SET name = split_part(email, '@', 1)
 WHERE name IS NULL;

ALTER TABLE customers ALTER COLUMN name SET NOT NULL;

-- migrate:down
ALTER TABLE customers DROP COLUMN name;

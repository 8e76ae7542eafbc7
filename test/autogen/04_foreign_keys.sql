-- Foreign keys between new tables (both ways), to an existing table, and
-- deferrable ones; a foreign key dropped with its table.
-- from
CREATE TABLE accounts (id integer PRIMARY KEY, code text UNIQUE);
CREATE TABLE gone (id integer PRIMARY KEY, account integer REFERENCES accounts);
-- to
CREATE TABLE accounts (id integer PRIMARY KEY, code text UNIQUE);
CREATE TABLE a (id integer PRIMARY KEY, b_id integer);
CREATE TABLE b (id integer PRIMARY KEY, a_id integer REFERENCES a ON DELETE CASCADE,
                account_code text REFERENCES accounts (code) DEFERRABLE INITIALLY DEFERRED);
ALTER TABLE a ADD CONSTRAINT a_b_fk FOREIGN KEY (b_id) REFERENCES b (id) DEFERRABLE;
CREATE TABLE self_ref (id integer PRIMARY KEY, parent integer REFERENCES self_ref);

-- Row-level security and policies.
-- from
CREATE TABLE notes (id integer, owner name, body text);
CREATE POLICY mine ON notes USING (owner = current_user);
-- to
CREATE TABLE notes (id integer, owner name, body text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY mine ON notes AS RESTRICTIVE FOR SELECT USING (owner = current_user);
CREATE POLICY writers ON notes FOR INSERT TO PUBLIC WITH CHECK (body IS NOT NULL);

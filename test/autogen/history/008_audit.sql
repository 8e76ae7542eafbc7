-- migrate:up
ALTER TABLE app.accounts ADD COLUMN updated_at timestamptz;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER accounts_touch BEFORE UPDATE ON app.accounts FOR EACH ROW EXECUTE FUNCTION app.touch();
-- migrate:down
DROP TRIGGER accounts_touch ON app.accounts;
DROP FUNCTION app.touch();
ALTER TABLE app.accounts DROP COLUMN updated_at;

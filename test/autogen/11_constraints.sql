-- Constraints: exclusion, NOT VALID, validated, changed, renamed by a drop
-- and an add, deferrable unique.
-- from
CREATE TABLE rooms (id integer PRIMARY KEY, during tsrange, price integer);
ALTER TABLE rooms ADD CONSTRAINT price_positive CHECK (price > 0) NOT VALID;
ALTER TABLE rooms ADD CONSTRAINT price_cap CHECK (price < 1000);
-- to
CREATE TABLE rooms (id integer PRIMARY KEY, during tsrange, price integer);
ALTER TABLE rooms ADD CONSTRAINT price_positive CHECK (price > 0);
ALTER TABLE rooms ADD CONSTRAINT price_cap CHECK (price < 5000);
ALTER TABLE rooms ADD CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&);
ALTER TABLE rooms ADD CONSTRAINT id_later UNIQUE (id, price) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE rooms ADD CONSTRAINT price_even CHECK (price % 2 = 0) NOT VALID;

-- Indexes: unique, partial, expression, INCLUDE, other methods, changed.
-- from
CREATE TABLE docs (id integer, title text, body text, tags text[], score real);
CREATE INDEX docs_title ON docs (title);
-- to
CREATE TABLE docs (id integer, title text, body text, tags text[], score real);
CREATE INDEX docs_title ON docs (title DESC NULLS LAST);
CREATE UNIQUE INDEX docs_id ON docs (id) INCLUDE (title) WHERE score > 0;
CREATE INDEX docs_lower ON docs (lower(body));
CREATE INDEX docs_tags ON docs USING gin (tags);
CREATE INDEX docs_hash ON docs USING hash (title);
COMMENT ON INDEX docs_lower IS 'case-insensitive search';

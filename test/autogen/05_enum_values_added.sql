-- Values added to an enum, before the first one, in the middle and last.
-- from
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE TABLE people (id integer, m mood DEFAULT 'sad');
-- to
CREATE TYPE mood AS ENUM ('awful', 'bad', 'sad', 'ok', 'happy', 'ecstatic');
CREATE TABLE people (id integer, m mood DEFAULT 'sad');

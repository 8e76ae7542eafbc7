-- Inheritance: a new child, and a child that gains a second parent.
-- from
CREATE TABLE base (id integer, created date);
CREATE TABLE extra (note text);
CREATE TABLE child1 (x integer) INHERITS (base);
-- to
CREATE TABLE base (id integer, created date);
CREATE TABLE extra (note text);
CREATE TABLE child1 (x integer) INHERITS (base);
CREATE TABLE child2 (y text) INHERITS (base, extra);

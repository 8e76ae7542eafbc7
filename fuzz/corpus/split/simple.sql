CREATE TABLE customers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      text NOT NULL
);
INSERT INTO customers (email) VALUES ('a@example.com'), ('b;c@example.com');
-- a comment; with a semicolon
/* a block comment; /* nested */ still */
SELECT 1

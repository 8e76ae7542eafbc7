-- The schema the migrations of this project build, declared: what
-- "pgmig diff" and "pgmig new --autogenerate" compare the migrations'
-- head with.  Edit it, then let pgmig write the revision.

CREATE TABLE customers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    name       text NOT NULL
);

-- Log-in looks customers up by e-mail.
CREATE INDEX customers_email_idx ON customers (lower(email));

CREATE TABLE orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE RESTRICT,
    total_cents integer NOT NULL CHECK (total_cents >= 0),
    status      text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'paid', 'shipped', 'cancelled')),
    placed_at   timestamptz NOT NULL DEFAULT now()
);

-- "Orders of this customer" is the shop's most common query.
CREATE INDEX orders_customer_id_idx ON orders (customer_id, placed_at DESC);

-- A view over a column whose type changes is dropped and created again
-- around the change, and so is a view over that view.
-- from
CREATE TABLE orders (id integer PRIMARY KEY, amount integer NOT NULL, note text);
CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100;
CREATE VIEW big_order_ids AS SELECT id FROM big_orders;
CREATE VIEW notes AS SELECT note FROM orders;
-- to
CREATE TABLE orders (id integer PRIMARY KEY, amount bigint NOT NULL, note text);
CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100;
CREATE VIEW big_order_ids AS SELECT id FROM big_orders;
CREATE VIEW notes AS SELECT note FROM orders;

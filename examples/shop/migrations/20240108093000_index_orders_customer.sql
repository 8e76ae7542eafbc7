-- migrate:up
-- "Orders of this customer" is the shop's most common query; the foreign
-- key alone does not index the referencing column.
CREATE INDEX orders_customer_id_idx ON orders (customer_id, placed_at DESC);

-- migrate:down
DROP INDEX orders_customer_id_idx;

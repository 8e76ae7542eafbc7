-- Partitioned tables: a new partition, an index on the parent (inherited
-- by the partitions), a default partition, a sub-partitioned partition.
-- from
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, body text) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
-- to
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, body text) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01') PARTITION BY RANGE (id);
CREATE TABLE events_2026_a PARTITION OF events_2026 FOR VALUES FROM (0) TO (1000000);
CREATE TABLE events_other PARTITION OF events DEFAULT;
CREATE INDEX events_at ON events (at);
ALTER TABLE events ADD PRIMARY KEY (id, at);

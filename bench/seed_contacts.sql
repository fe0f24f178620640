-- Fill the (empty, migrated) contact table of a bench database with deterministic customers,
-- set-based: one INSERT ... SELECT over generate_series, no per-row round trips.
--
-- Settings read (bench/seed.py sets them with set_config before running this file):
--   bench.mix_contacts  contacts in ordinary customers, the ones the load generator picks from
--   bench.scale_sizes   comma-separated sizes of the extra clusters of the scaling test
--
-- Customer n (1, 2, ... for ordinary customers; 900000000 + size for a scaling cluster)
-- owns contacts k = 0 .. size-1, all linked straight to contact 0, its primary:
--   email  'c<n>.<(k+1)/2>@bench.test'      phone  '1<n, 9 digits><k/2, 5 digits>'
-- so consecutive contacts share one identifier (the cluster is connected the way
-- requests would have built it) and each contact brings one value no older contact had.
-- Contact 0's pair is what bench/mix.lua sends for a repeat customer.
-- Ids are consecutive per customer and created_at grows with the id, so every primary is
-- the oldest contact of its cluster by (created_at, id).
--
-- Sizes: 60% 1, 25% 2, 10% 3, 4.5% 4..20 and 0.5% a Pareto tail from 21 to 1,000,
-- drawn from hashint4(n), so the same n always gets the same size.

CREATE TEMPORARY TABLE seed_customer ON COMMIT DROP AS
WITH drawn AS (
    SELECT n,
           (hashint4(n)::bigint + 2147483648) / 4294967296.0 AS u,
           (hashint4(-n)::bigint + 2147483648) / 4294967296.0 AS v
    FROM generate_series(1, current_setting('bench.mix_contacts')::int) AS n
),
sized AS (
    SELECT n,
           CASE
               WHEN u < 0.60 THEN 1
               WHEN u < 0.85 THEN 2
               WHEN u < 0.95 THEN 3
               WHEN u < 0.995 THEN 4 + floor(v * 17)::int
               ELSE least(1000, floor(21 / (1 - v))::int)
           END AS size
    FROM drawn
),
placed AS (
    SELECT n, size, sum(size) OVER (ORDER BY n) - size AS first_offset
    FROM sized
),
ordinary AS (
    -- The last customer is cut so that the total is exactly bench.mix_contacts.
    SELECT n, least(size, current_setting('bench.mix_contacts')::int - first_offset) AS size, first_offset
    FROM placed
    WHERE first_offset < current_setting('bench.mix_contacts')::int
),
scaling AS (
    SELECT 900000000 + size AS n, size,
           current_setting('bench.mix_contacts')::int + sum(size) OVER (ORDER BY size) - size AS first_offset
    FROM unnest(string_to_array(current_setting('bench.scale_sizes'), ',')::int[]) AS size
)
SELECT n, size, first_offset FROM ordinary
UNION ALL
SELECT n, size, first_offset FROM scaling;

INSERT INTO contact (id, email, phone_number, linked_id, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT customer.first_offset + k + 1,
       'c' || customer.n || '.' || (k + 1) / 2 || '@bench.test',
       '1' || lpad(customer.n::text, 9, '0') || lpad((k / 2)::text, 5, '0'),
       CASE WHEN k > 0 THEN customer.first_offset + 1 END,
       timestamptz '2020-01-01 00:00:00+00' + (customer.first_offset + k) * interval '1 millisecond',
       timestamptz '2020-01-01 00:00:00+00' + (customer.first_offset + k) * interval '1 millisecond'
FROM seed_customer AS customer
CROSS JOIN LATERAL generate_series(0, customer.size - 1) AS k
ORDER BY 1;

-- The service's own inserts must continue after the seeded ids.
SELECT setval(pg_get_serial_sequence('contact', 'id'), (SELECT max(id) FROM contact));

-- What the load generator needs to know: customers 1 .. mix_customers exist.
CREATE TABLE bench_seed AS
SELECT count(*) FILTER (WHERE n < 900000000) AS mix_customers,
       (SELECT count(*) FROM contact) AS contacts
FROM seed_customer;

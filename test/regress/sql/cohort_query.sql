-- exp_assign_cohort_query as an engineer sees it in psql: a NOTICE after
-- each batch (its DETAIL, the clock, is hidden by VERBOSITY terse), then
-- the split.
SET search_path = exp_assign, public;
\set VERBOSITY terse

INSERT INTO experiments (id, key, seed, status) VALUES (201, 'cohort_by_query', 'seed_q', 'active');
INSERT INTO variants (id, experiment_id, key, allocation_pct) VALUES
    (2011, 201, 'control', 45), (2012, 201, 'treatment', 45);

SELECT * FROM exp_assign_cohort_query(201, $$SELECT 'q' || g FROM generate_series(1, 1000) g$$, 400);
-- Again, with 200 more users: the first thousand are stored.
SELECT * FROM exp_assign_cohort_query(201, $$SELECT 'q' || g FROM generate_series(1, 1200) g$$);
-- Mistakes get an error with a hint.
\set VERBOSITY default
SELECT * FROM exp_assign_cohort_query(201, 'SELECT 1, 2');
SELECT * FROM exp_assign_cohort_query(201, $$SELECT NULLIF(g, 3) FROM generate_series(1, 5) g$$);

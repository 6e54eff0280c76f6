-- pgTAP: the functions run as the caller, so table privileges and row level
-- security on assignments apply to them as to a query: the stored-row
-- lookup reads the primary key index directly (src/pg/stored_rows.cpp) and
-- must check both itself. The admin functions (0.2) write through plain SQL
-- and run the caller's query as the caller.
-- Run from the repository root: pg_prove -d DB test/pgtap/privileges.sql
\ir preamble.psql

BEGIN;
SELECT plan(11);

INSERT INTO exp_assign.experiments (id, key, seed) VALUES (900001, 'priv_test', 'p');
INSERT INTO exp_assign.variants (id, experiment_id, key, allocation_pct) VALUES (9000011, 900001, 'only', 100);
UPDATE exp_assign.experiments SET status = 'active' WHERE id = 900001;
INSERT INTO exp_assign.assignments (experiment_id, user_id, variant_id) VALUES
    (900001, 'visible', 9000011), (900001, 'hidden', 9000011);

CREATE ROLE exp_assign_priv_reader;
GRANT USAGE ON SCHEMA exp_assign TO exp_assign_priv_reader;
GRANT SELECT ON exp_assign.experiments, exp_assign.variants TO exp_assign_priv_reader;

SET LOCAL ROLE exp_assign_priv_reader;
SELECT throws_ok($$SELECT * FROM exp_assign.exp_assign_peek('visible', ARRAY[900001])$$, '42501', NULL,
                 'peek without SELECT on assignments: 42501, as a query would get');
SELECT throws_ok($$SELECT * FROM exp_assign.exp_assign_user('visible', ARRAY[900001])$$, '42501', NULL,
                 'get-or-create without SELECT on assignments: 42501');
RESET ROLE;

GRANT SELECT ON exp_assign.assignments TO exp_assign_priv_reader;
SET LOCAL ROLE exp_assign_priv_reader;
SELECT is((SELECT source FROM exp_assign.exp_assign_peek('visible', ARRAY[900001])), 'existing',
          'with SELECT granted, peek finds the stored row');
-- The admin functions write through plain SQL: the caller's INSERT privilege.
SELECT throws_ok($$SELECT * FROM exp_assign.exp_assign_cohort_query(900001, 'SELECT ''new_one''')$$, '42501', NULL,
                 'cohort_query without INSERT on assignments: 42501');
SELECT throws_ok($$SELECT * FROM exp_assign.exp_assign_import('SELECT 900001, ''new_one'', ''only''')$$, '42501', NULL,
                 'import without INSERT on assignments: 42501');
RESET ROLE;
-- The cohort query itself runs as the caller.
CREATE TABLE public.priv_secret_users (id text);
INSERT INTO public.priv_secret_users VALUES ('secret_1');
GRANT INSERT ON exp_assign.assignments TO exp_assign_priv_reader;
SET LOCAL ROLE exp_assign_priv_reader;
SELECT throws_ok($$SELECT * FROM exp_assign.exp_assign_cohort_query(900001, 'SELECT id FROM public.priv_secret_users')$$,
                 '42501', NULL, 'the cohort query runs with the caller''s privileges: a table it may not read is 42501');
SELECT is((SELECT sum(new_users)::int FROM exp_assign.exp_assign_cohort_query(900001, 'SELECT ''new_one''')), 1,
          'with INSERT granted, cohort_query creates the row');
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_warm(ARRAY['visible', 'new_two'], ARRAY[900001])), 2,
          'warm needs no privilege on the push queue');
RESET ROLE;

-- A policy hides one user's row from the reader: peek must not see it.
ALTER TABLE exp_assign.assignments ENABLE ROW LEVEL SECURITY;
CREATE POLICY priv_test_visible ON exp_assign.assignments FOR SELECT TO exp_assign_priv_reader
    USING (user_id <> 'hidden');
SET LOCAL ROLE exp_assign_priv_reader;
SELECT is((SELECT source FROM exp_assign.exp_assign_peek('visible', ARRAY[900001])), 'existing',
          'under row level security, a row the policy shows is found');
SELECT is((SELECT source FROM exp_assign.exp_assign_peek('hidden', ARRAY[900001])), 'computed',
          'under row level security, a row the policy hides is not found');
RESET ROLE;
SELECT is((SELECT source FROM exp_assign.exp_assign_peek('hidden', ARRAY[900001])), 'existing',
          'the table owner still finds it');

SELECT * FROM finish();
ROLLBACK;

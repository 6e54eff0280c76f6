-- pgTAP: the functions run as the caller, so table privileges and row level
-- security on assignments apply to them as to a query: the stored-row
-- lookup reads the primary key index directly (src/pg/stored_rows.cpp) and
-- must check both itself.
-- Run from the repository root: pg_prove -d DB test/pgtap/privileges.sql
\ir preamble.psql

BEGIN;
SELECT plan(6);

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

-- pgTAP: exp_assign_import (assignments from another system, by a query)
-- and exp_assign_migrate (users of one experiment moved to another with
-- their variant). Counts, stored rows, stickiness, conflict_count, the
-- all-or-nothing check of every row, and bad input (SQLSTATE and HINT).
-- Run from the repository root: pg_prove -d DB test/pgtap/import_migrate.sql
\ir preamble.psql

BEGIN;
SET LOCAL search_path = public, exp_assign;
SELECT plan(54);

INSERT INTO exp_assign.experiments (id, key, seed, status) VALUES
    (840001, 'im_old',   'im-old',   'active'),
    (840002, 'im_new',   'im-new',   'draft'),
    (840003, 'im_other', 'im-other', 'active');
INSERT INTO exp_assign.variants (id, experiment_id, key, allocation_pct) VALUES
    (8400101, 840001, 'control', 50), (8400102, 840001, 'green', 50),
    (8400201, 840002, 'control', 50), (8400202, 840002, 'treatment', 50),
    (8400301, 840003, 'only', 100);
UPDATE exp_assign.experiments SET version = 4 WHERE id = 840001;

-- The other system's table, as a migration script would load it (COPY).
CREATE TEMP TABLE legacy (exp int, uid text, arm text, seen timestamptz);
INSERT INTO legacy VALUES
    (840001, 'im_a', 'control', '2025-01-02 03:04:05+00'),
    (840001, 'im_b', 'green',   NULL),
    (840001, 'im_c', 'green',   '2025-03-01 00:00:00+00'),
    (840001, 'im_c', 'green',   '2025-03-02 00:00:00+00'),   -- the same assignment twice
    (840002, 'im_a', 'treatment', '2025-01-02 03:04:05+00');  -- a draft experiment takes imports

-- ---------------------------------------------------------------------------
-- Import.
-- ---------------------------------------------------------------------------
SELECT results_eq($$SELECT * FROM exp_assign.exp_assign_import('SELECT * FROM legacy')$$,
                  $$VALUES (4::bigint, 0::bigint, 0::bigint, 0::bigint)$$,
                  'four distinct pairs imported (a repeated row counts once)');
SELECT results_eq(
    $$SELECT experiment_id, user_id COLLATE "default", variant_id, version, assigned_at, conflict_count
        FROM exp_assign.assignments WHERE user_id LIKE 'im\_%' AND user_id <> 'im_b' ORDER BY 1, 2$$,
    $$VALUES (840001, 'im_a', 8400101, 4, '2025-01-02 03:04:05+00'::timestamptz, 0),
             (840001, 'im_c', 8400102, 4, '2025-03-01 00:00:00+00', 0),
             (840002, 'im_a', 8400202, 1, '2025-01-02 03:04:05+00', 0)$$,
    'imported rows: the variant by key, the experiment''s version, assigned_at as given (the first of a repeated row)');
SELECT is((SELECT assigned_at FROM exp_assign.assignments WHERE user_id = 'im_b'), now(),
          'a NULL assigned_at becomes now()');
SELECT results_eq($$SELECT * FROM exp_assign.exp_assign_import('SELECT * FROM legacy')$$,
                  $$VALUES (0::bigint, 4::bigint, 0::bigint, 0::bigint)$$,
                  'the same import again: everything unchanged');

-- A stored row wins and counts as a conflict.
SELECT results_eq(
    $$SELECT * FROM exp_assign.exp_assign_import($q$VALUES (840001, 'im_a', 'green'), (840001, 'im_d', 'green'),
                                                          (840001, 'im_b', 'green')$q$)$$,
    $$VALUES (1::bigint, 1::bigint, 1::bigint, 0::bigint)$$,
    'three columns: one new, one unchanged, one conflicting');
SELECT results_eq(
    $$SELECT variant_id, conflict_count FROM exp_assign.assignments WHERE experiment_id = 840001 AND user_id = 'im_a'$$,
    $$VALUES (8400101, 1)$$,
    'a conflicting import keeps the stored variant and increments conflict_count');
SELECT results_eq(
    $$SELECT variant_id, source FROM exp_assign.exp_assign_user('im_d', ARRAY[840001])$$,
    $$VALUES (8400102, 'existing')$$,
    'an imported row is sticky: get-or-create returns it');

-- Variants by id; ids of another type taken as their text.
SELECT results_eq(
    $$SELECT * FROM exp_assign.exp_assign_import('SELECT 840003::bigint, g, 8400301 FROM generate_series(1, 3) g')$$,
    $$VALUES (3::bigint, 0::bigint, 0::bigint, 0::bigint)$$,
    'variant ids instead of keys; integer user ids');
SELECT is((SELECT array_agg(user_id::text ORDER BY user_id) FROM exp_assign.assignments WHERE experiment_id = 840003),
          ARRAY['1', '2', '3'], 'integer user ids are stored as their text');
SELECT results_eq($$SELECT * FROM exp_assign.exp_assign_import('SELECT 1, ''x'', ''y'' WHERE false')$$,
                  $$VALUES (0::bigint, 0::bigint, 0::bigint, 0::bigint)$$, 'an empty import');
SELECT results_eq(
    $$SELECT count(*)::int FROM exp_assign.exp_assign_import($q$SELECT 840003, 'im_twice', 'only'$q$) i1
       CROSS JOIN exp_assign.exp_assign_import($q$SELECT 840003, 'im_twice2', 'only'$q$) i2$$,
    $$VALUES (1)$$, 'two imports in one statement');

-- A stored pair the 32-row sample misses: the plain INSERT meets it (23505)
-- and the call falls back to ON CONFLICT, counting it as a conflict.
INSERT INTO exp_assign.assignments (experiment_id, user_id, variant_id) VALUES (840003, 'im_f50', 8400301);
SELECT results_eq(
    $$SELECT * FROM exp_assign.exp_assign_import($q$SELECT 840003, 'im_f' || g, 'only' FROM generate_series(1, 100) g$q$)$$,
    $$VALUES (99::bigint, 1::bigint, 0::bigint, 0::bigint)$$,
    'a stored pair outside the sample: the plain insert falls back, 99 imported, the stored one unchanged');

-- ---------------------------------------------------------------------------
-- Bad input: every row is checked first; the first bad one is named.
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE im_cases (n int GENERATED ALWAYS AS IDENTITY, what text, query text, state text, message text);
INSERT INTO im_cases (what, query, state, message) VALUES
('NULL query', $$SELECT * FROM exp_assign.exp_assign_import(NULL)$$, '22004', 'query must not be NULL'),
('read-only transaction', $$SET TRANSACTION READ ONLY; SELECT * FROM exp_assign.exp_assign_import('SELECT 840001, ''x'', ''green''')$$,
 '25006', 'exp_assign_import cannot run in a read-only transaction'),
('two columns', $$SELECT * FROM exp_assign.exp_assign_import('SELECT 840001, ''x''')$$,
 '42601', 'the import query must return 3 or 4 columns'),
('five columns', $$SELECT * FROM exp_assign.exp_assign_import('SELECT 840001, ''x'', ''green'', now(), 5')$$,
 '42601', 'the import query must return 3 or 4 columns, it returns 5'),
('NULL user id at row 3', $$SELECT * FROM exp_assign.exp_assign_import(
     $q$VALUES (840001, 'imx_1', 'green'), (840001, 'imx_2', 'green'), (840001, NULL, 'green')$q$)$$,
 '22004', 'row 3 of the import has a NULL user_id'),
('NULL variant', $$SELECT * FROM exp_assign.exp_assign_import($q$SELECT 840001, 'imx_1', NULL::text$q$)$$,
 '22004', 'row 1 of the import has a NULL variant'),
('empty user id', $$SELECT * FROM exp_assign.exp_assign_import($q$VALUES (840001, 'imx_1', 'green'), (840001, '', 'green')$q$)$$,
 '22023', 'row 2 of the import is an empty user id'),
('over-long user id', $$SELECT * FROM exp_assign.exp_assign_import($q$SELECT 840001, repeat('x', 1001), 'green'$q$)$$,
 '22001', NULL),
('unknown experiment', $$SELECT * FROM exp_assign.exp_assign_import($q$VALUES (840001, 'imx_1', 'green'), (849999, 'imx_2', 'green')$q$)$$,
 '42704', 'row 2 of the import: experiment 849999 does not exist'),
('unknown variant key', $$SELECT * FROM exp_assign.exp_assign_import($q$SELECT 840001, 'imx_1', 'blue'$q$)$$,
 '42704', 'row 1 of the import: experiment 840001 has no variant ''blue'''),
('a variant of another experiment', $$SELECT * FROM exp_assign.exp_assign_import($q$SELECT 840001, 'imx_1', 8400201$q$)$$,
 '42704', 'row 1 of the import: experiment 840001 has no variant with id 8400201'),
('two variants for one pair', $$SELECT * FROM exp_assign.exp_assign_import(
     $q$VALUES (840001, 'imx_1', 'green'), (840001, 'imx_2', 'green'), (840001, 'imx_1', 'control')$q$)$$,
 '21000', 'user "imx_1" appears in experiment 840001 with different variants (first at row 1)'),
('migrate: NULL', $$SELECT * FROM exp_assign.exp_assign_migrate(NULL, 840002)$$,
 '22004', 'from_experiment_id must not be NULL'),
('migrate: unknown experiment', $$SELECT * FROM exp_assign.exp_assign_migrate(840001, 849999)$$,
 '42704', 'experiment 849999 does not exist'),
('migrate: to itself', $$SELECT * FROM exp_assign.exp_assign_migrate(840001, 840001)$$,
 '22023', 'cannot migrate experiment 840001 to itself'),
('migrate: map not an object', $$SELECT * FROM exp_assign.exp_assign_migrate(840001, 840002, '["green"]')$$,
 '22023', 'variant_map must be a JSON object of variant keys to variant keys'),
('migrate: map of an unknown key', $$SELECT * FROM exp_assign.exp_assign_migrate(840001, 840002, '{"blue": "treatment"}')$$,
 '42704', 'variant_map names variant "blue", which experiment 840001 does not have'),
('migrate: a variant with no counterpart', $$SELECT * FROM exp_assign.exp_assign_migrate(840001, 840002)$$,
 '42704', NULL);
SELECT * FROM pg_temp.error_cases('im_cases');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE user_id LIKE 'imx\_%'), 0,
          'a failing import writes nothing, not even its good rows');

-- ---------------------------------------------------------------------------
-- Migrate 840001 -> 840002: green becomes treatment, control stays control.
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE before_move AS
SELECT user_id, variant_id FROM exp_assign.assignments WHERE experiment_id = 840001;
SELECT results_eq(
    $$SELECT * FROM exp_assign.exp_assign_migrate(840001, 840002, '{"green": "treatment"}', false)$$,
    $$VALUES (3::bigint, 0::bigint, 1::bigint, 0::bigint)$$,
    'migrate without delete_old: im_b, im_c, im_d imported; im_a, imported earlier as treatment, conflicts; nothing deleted');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE experiment_id = 840001),
          (SELECT count(*)::int FROM before_move), 'delete_old false keeps the old rows');
SELECT is((SELECT count(*)::int FROM before_move b
             JOIN exp_assign.assignments a ON a.experiment_id = 840002 AND a.user_id = b.user_id
            WHERE b.user_id <> 'im_a' AND a.variant_id <> CASE b.variant_id WHEN 8400101 THEN 8400201 ELSE 8400202 END), 0,
          'each moved user keeps its arm: control to control, green to treatment');
DELETE FROM exp_assign.assignments WHERE experiment_id = 840002 AND user_id = 'im_d';
UPDATE exp_assign.assignments SET variant_id = 8400201 WHERE experiment_id = 840002 AND user_id = 'im_c';
SELECT results_eq(
    $$SELECT * FROM exp_assign.exp_assign_migrate(840001, 840002, '{"green": "treatment"}')$$,
    $$VALUES (1::bigint, 1::bigint, 2::bigint, 4::bigint)$$,
    'migrate again: the deleted row comes back, im_b is unchanged, im_a and the changed im_c conflict, the 4 old rows are deleted');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE experiment_id = 840001), 0,
          'the old experiment has no rows left');
SELECT results_eq(
    $$SELECT variant_id, conflict_count FROM exp_assign.assignments WHERE experiment_id = 840002 AND user_id = 'im_c'$$,
    $$VALUES (8400201, 1)$$, 'the conflicting row keeps its variant and counts the conflict');

SELECT * FROM finish();
ROLLBACK;

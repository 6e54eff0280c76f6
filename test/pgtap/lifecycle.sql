-- pgTAP: the status lifecycle, restart, erasure and the history (issue #10
-- items 7, 8; issue #12 item 4), impact preview (item 6) and sample ratio
-- mismatch (item 5) with their bad input.
\ir preamble.psql

BEGIN;
SELECT plan(58);

INSERT INTO exp_assign.experiments (id, key, seed) VALUES (890001, 'life', 'life-seed'), (890002, 'life_to', 'to-seed'),
                                                           (890003, 'life_other', 'other-seed');
INSERT INTO exp_assign.variants (id, experiment_id, key, allocation_pct) VALUES
    (8900011, 890001, 'control', 50), (8900012, 890001, 'treatment', 50),
    (8900021, 890002, 'control', 50), (8900022, 890002, 'treatment', 50),
    (8900031, 890003, 'x', 100);

-- Lifecycle: draft -> active <-> paused -> stopped, draft -> stopped.
SELECT lives_ok($$UPDATE exp_assign.experiments SET status = 'active' WHERE id IN (890001, 890002, 890003)$$, 'draft -> active');
SELECT lives_ok($$UPDATE exp_assign.experiments SET status = 'paused' WHERE id = 890003$$, 'active -> paused');
SELECT lives_ok($$UPDATE exp_assign.experiments SET status = 'active' WHERE id = 890003$$, 'paused -> active');
SELECT lives_ok($$UPDATE exp_assign.experiments SET status = 'active' WHERE id = 890003$$, 'active -> active (no change)');
SELECT throws_ok($$UPDATE exp_assign.experiments SET status = 'draft' WHERE id = 890003$$, '22023',
                 'experiment "life_other" cannot go from active to draft', 'active -> draft: 22023');
SELECT lives_ok($$UPDATE exp_assign.experiments SET status = 'stopped' WHERE id = 890003$$, 'active -> stopped');
SELECT throws_ok($$UPDATE exp_assign.experiments SET status = 'active' WHERE id = 890003$$, '22023',
                 'experiment "life_other" cannot go from stopped to active', 'stopped -> active: 22023');
SELECT matches((pg_temp.err($$UPDATE exp_assign.experiments SET status = 'paused' WHERE id = 890003$$)).hint,
               'stays stopped', 'the HINT says a stopped experiment stays stopped');
INSERT INTO exp_assign.experiments (id, key, seed) VALUES (890004, 'life_draft', 's');
SELECT throws_ok($$UPDATE exp_assign.experiments SET status = 'paused' WHERE id = 890004$$, '22023', NULL, 'draft -> paused: 22023');
SELECT lives_ok($$UPDATE exp_assign.experiments SET status = 'stopped' WHERE id = 890004$$, 'draft -> stopped');
SELECT lives_ok($$INSERT INTO exp_assign.experiments (key, seed, status) VALUES ('born_active', 's', 'active')$$,
                'a new row may start in any status (imports)');

-- Restart: re-randomise.
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_cohort(890001, ARRAY(SELECT 'r' || g FROM generate_series(1, 500) g))),
          500, '500 users assigned');
CREATE TEMP TABLE before AS SELECT user_id, variant_id, version, assigned_at FROM exp_assign.assignments WHERE experiment_id = 890001;
INSERT INTO exp_assign.overrides (experiment_id, user_id, variant_id) VALUES (890001, 'r1', 8900012);
SELECT is(exp_assign.exp_assign_restart(890001, 'life-seed-2'), 500::bigint, 'restart returns the rows moved');
SELECT is((SELECT seed || '/' || version FROM exp_assign.experiments WHERE id = 890001), 'life-seed-2/2',
          'restart sets the seed and bumps version');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE experiment_id = 890001), 0, 'no stored row is left');
SELECT is((SELECT count(*)::int FROM exp_assign.assignment_history h JOIN before b USING (user_id, variant_id, version, assigned_at)
            WHERE h.experiment_id = 890001 AND h.reason = 'restart' AND h.moved_to_experiment IS NULL), 500,
          'every row is in assignment_history as it was, reason restart');
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_cohort(890001, ARRAY(SELECT 'r' || g FROM generate_series(2, 500) g))
            c WHERE c.source = 'new' AND c.version = 2
              AND c.variant_id = CASE WHEN exp_assign.exp_assign_bucket(c.user_id, 'life-seed-2') < 5000 THEN 8900011 ELSE 8900012 END),
          499, 'after restart users are assigned afresh by the new seed and version');
SELECT is((SELECT source || '/' || version FROM exp_assign.exp_assign_user('r1', ARRAY[890001])), 'override/2',
          'an override survives restart, with the new version');
SELECT throws_ok($$SELECT exp_assign.exp_assign_restart(890001, 'life-seed-2')$$, '22023', NULL, 'restart with the same seed: 22023');
SELECT throws_ok($$SELECT exp_assign.exp_assign_restart(-7, 'x')$$, '42704', NULL, 'restart of an unknown experiment: 42704');
SELECT throws_ok($$SELECT exp_assign.exp_assign_restart(890001, NULL)$$, '22004', NULL, 'restart with a NULL seed: 22004');

-- Migrate with delete_old keeps the rows in the history.
SELECT is((SELECT deleted FROM exp_assign.exp_assign_migrate(890001, 890002)), 499::bigint, 'migrate moves 499 rows');
SELECT is((SELECT count(*)::int FROM exp_assign.assignment_history
            WHERE experiment_id = 890001 AND reason = 'migrate' AND moved_to_experiment = 890002 AND version = 2), 499,
          'migrate(delete_old) writes the old rows to assignment_history');

-- Forget: nothing of the user is left.
INSERT INTO exp_assign.overrides (experiment_id, user_id, variant_id) VALUES (890002, 'r2', 8900021);
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE user_id IN ('r2', 'r3'))
        + (SELECT count(*)::int FROM exp_assign.overrides WHERE user_id IN ('r2', 'r3'))
        + (SELECT count(*)::int FROM exp_assign.assignment_history WHERE user_id IN ('r2', 'r3')), 7,
          'r2 and r3 have rows in assignments, overrides and history');
SELECT is(exp_assign.exp_assign_forget(ARRAY['r2', 'r3', 'r2', 'nobody']), 7::bigint, 'forget returns the rows deleted');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE user_id IN ('r2', 'r3'))
        + (SELECT count(*)::int FROM exp_assign.overrides WHERE user_id IN ('r2', 'r3'))
        + (SELECT count(*)::int FROM exp_assign.assignment_history WHERE user_id IN ('r2', 'r3')), 0,
          'nothing of them is left in the tables');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE user_id = 'r4'), 1, 'other users are untouched');
SELECT is(exp_assign.exp_assign_forget('{}'), 0::bigint, 'forget of nobody: 0');
CREATE TEMP TABLE cases (n int, what text, query text, state text, message text);
INSERT INTO cases VALUES
    (1, 'forget NULL', $$SELECT exp_assign.exp_assign_forget(NULL)$$, '22004', NULL),
    (2, 'forget a NULL element', $$SELECT exp_assign.exp_assign_forget(ARRAY['a', NULL])$$, '22004', 'user_ids[2] is NULL'),
    (3, 'forget an empty id', $$SELECT exp_assign.exp_assign_forget(ARRAY[''])$$, '22023', NULL),
    (4, 'forget a 2-D array', $$SELECT exp_assign.exp_assign_forget(ARRAY[ARRAY['a'], ARRAY['b']])$$, '2202E', NULL),
    (5, 'preview of an unknown experiment', $$SELECT * FROM exp_assign.exp_assign_preview(-1, '{}')$$, '42704', NULL),
    (6, 'preview with an unknown variant', $$SELECT * FROM exp_assign.exp_assign_preview(890002, '{"nope": 10}')$$, '42704',
     'new_allocations names variant "nope", which experiment 890002 does not have'),
    (7, 'preview with a non-object', $$SELECT * FROM exp_assign.exp_assign_preview(890002, '[50, 50]')$$, '22023', NULL),
    (8, 'preview with a string value', $$SELECT * FROM exp_assign.exp_assign_preview(890002, '{"control": "50"}')$$, '22023', NULL),
    (9, 'preview with a value over 100', $$SELECT * FROM exp_assign.exp_assign_preview(890002, '{"control": 101}')$$, '22023', NULL),
    (10, 'preview summing over 100', $$SELECT * FROM exp_assign.exp_assign_preview(890002, '{"control": 60, "treatment": 60}')$$,
     '23514', NULL),
    (11, 'preview with NULL', $$SELECT * FROM exp_assign.exp_assign_preview(890002, NULL)$$, '22004', NULL),
    (12, 'srm of an unknown experiment', $$SELECT * FROM exp_assign.exp_assign_srm(-1)$$, '42704', NULL),
    (13, 'srm of NULL', $$SELECT * FROM exp_assign.exp_assign_srm(NULL)$$, '22004', NULL);
SELECT * FROM pg_temp.error_cases('cases');

-- Preview: never writes; counts by the rule's bucket under the new split.
CREATE TEMP TABLE stored_before AS SELECT * FROM exp_assign.assignments WHERE experiment_id = 890002;
CREATE TEMP TABLE preview AS SELECT * FROM exp_assign.exp_assign_preview(890002, '{"control": 20, "treatment": 70}');
SELECT is((SELECT array_agg(x ORDER BY x COLLATE "C")
             FROM (SELECT from_variant_key || '>' || coalesce(to_variant_key, '-') || ':' || users AS x FROM preview) p),
          (SELECT array_agg(x ORDER BY x COLLATE "C") FROM (
              SELECT v.key || '>' || CASE WHEN b < 2000 THEN 'control' WHEN b < 9000 THEN 'treatment' ELSE '-' END
                     || ':' || count(*) AS x
                FROM (SELECT a.variant_id, exp_assign.exp_assign_bucket(a.user_id, 'to-seed') AS b
                        FROM exp_assign.assignments a WHERE a.experiment_id = 890002) a
                JOIN exp_assign.variants v ON v.id = a.variant_id
               GROUP BY 1 = 1, v.key, CASE WHEN b < 2000 THEN 'control' WHEN b < 9000 THEN 'treatment' ELSE '-' END) y),
          'preview counts each stored user by the new allocation, not enrolled as NULL');
SELECT is((SELECT sum(users)::int FROM preview), (SELECT count(*)::int FROM stored_before), 'preview covers every stored user');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments a JOIN stored_before b USING (experiment_id, user_id)
            WHERE a.variant_id = b.variant_id), (SELECT count(*)::int FROM stored_before), 'preview wrote nothing');
SELECT is((SELECT sum(users)::int FROM exp_assign.exp_assign_preview(890002, '{}') WHERE from_variant_key = to_variant_key),
          (SELECT count(*)::int FROM stored_before a
            WHERE a.variant_id = CASE WHEN exp_assign.exp_assign_bucket(a.user_id, 'to-seed') < 5000 THEN 8900021 ELSE 8900022 END),
          'preview of the current allocation: those whose stored variant is the rule''s stay');
-- The same preview when the planner splits the scan over parallel workers:
-- their partial counts merge to the serial result.
CREATE FUNCTION pg_temp.plan_of(query text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    line text;
    plan text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN ' || query LOOP
        plan := plan || line || E'\n';
    END LOOP;
    RETURN plan;
END
$f$;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL cpu_tuple_cost = 10;  -- a scan dear enough to split,
SET LOCAL parallel_tuple_cost = 50;  -- and its rows too dear to gather
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL min_parallel_index_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT matches(pg_temp.plan_of($$SELECT exp_assign.preview_counts(a.user_id, a.variant_id, 'to-seed', 'mmh3', 100,
                                                                   '{2000,7000}', '{8900021,8900022}')
                                   FROM exp_assign.assignments a WHERE a.experiment_id = 890002$$),
               'Partial Aggregate', 'preview counts in parallel workers when the planner splits the scan');
SELECT set_eq($$SELECT * FROM exp_assign.exp_assign_preview(890002, '{"control": 20, "treatment": 70}')$$,
              $$SELECT * FROM preview$$, 'preview in parallel workers gives the serial counts');
RESET parallel_setup_cost;
RESET cpu_tuple_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET min_parallel_index_scan_size;
RESET max_parallel_workers_per_gather;

-- SRM on a small table of counts: one row per variant, the test's columns alike on every row.
CREATE TEMP TABLE srm AS SELECT * FROM exp_assign.exp_assign_srm(890002);
SELECT is((SELECT count(*)::int FROM srm), 2, 'srm: one row per variant');
SELECT is((SELECT sum(observed)::int FROM srm), (SELECT count(*)::int FROM stored_before), 'srm: observed are the stored rows');
SELECT is((SELECT count(DISTINCT (chi_square, df, p_value, srm))::int FROM srm), 1, 'srm: the test''s columns alike on every row');
SELECT is((SELECT round(sum(expected)::numeric, 6) FROM srm), (SELECT count(*)::numeric FROM stored_before), 'srm: expected sums to the total');
SELECT is((SELECT df FROM srm LIMIT 1), 1, 'srm: df = variants - 1');
SELECT is((SELECT round(chi_square::numeric, 9) FROM srm LIMIT 1),
          (SELECT round(sum((observed - expected) ^ 2 / expected)::numeric, 9) FROM srm), 'srm: chi_square is Pearson''s');
-- 10 vs 30 users on a 50/50 split: chi-square 10, p = erfc(sqrt(5)) = 0.0015654022580025
SELECT is((SELECT round(p_value::numeric, 12) FROM exp_assign.srm_test(ARRAY[10, 30]::bigint[], ARRAY[50, 50]::float8[])),
          0.001565402258, 'srm_test: p of chi-square 10, df 1');
SELECT is((SELECT srm FROM exp_assign.srm_test(ARRAY[10, 40]::bigint[], ARRAY[1, 1]::float8[])), true,
          'srm_test: 10 vs 40 is a mismatch (p < 0.001)');

SELECT * FROM finish();
ROLLBACK;

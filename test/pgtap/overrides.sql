-- pgTAP: QA overrides (issue #10 item 1). An override wins over the rule
-- and over a stored row in every get-or-create shape, in peek and in
-- explain, comes back as source 'override', is never written to
-- assignments, works in draft and paused experiments, not in stopped ones;
-- removing it restores the normal assignment.
\ir preamble.psql

BEGIN;
SELECT plan(32);

INSERT INTO exp_assign.experiments (id, key, seed) VALUES (870001, 'ovr', 'ovr-seed'), (870002, 'ovr_draft', 'd'),
                                                           (870003, 'ovr_other', 'o');
INSERT INTO exp_assign.variants (id, experiment_id, key, allocation_pct) VALUES
    (8700011, 870001, 'control', 50), (8700012, 870001, 'treatment', 50),
    (8700021, 870002, 'only', 100), (8700031, 870003, 'x', 100);
UPDATE exp_assign.experiments SET status = 'active' WHERE id IN (870001, 870003);
-- 'stored' has a row in control; 'fresh' has none.
INSERT INTO exp_assign.assignments (experiment_id, user_id, variant_id) VALUES (870001, 'stored', 8700011);
INSERT INTO exp_assign.overrides (experiment_id, user_id, variant_id) VALUES
    (870001, 'stored', 8700012), (870001, 'fresh', 8700012), (870002, 'qa', 8700021);

SELECT is((SELECT variant_key || '/' || source FROM exp_assign.exp_assign_user('stored', ARRAY[870001])),
          'treatment/override', 'user: the override wins over the stored row');
SELECT is((SELECT variant_key || '/' || source FROM exp_assign.exp_assign_user('fresh', ARRAY[870001])),
          'treatment/override', 'user: the override wins over the rule');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE experiment_id = 870001 AND user_id = 'fresh'), 0,
          'an override is never written to assignments');
SELECT is((SELECT variant_id FROM exp_assign.assignments WHERE experiment_id = 870001 AND user_id = 'stored'), 8700011,
          'the stored row stays as it was');
SELECT is((SELECT array_agg(source ORDER BY user_id) FROM exp_assign.exp_assign_cohort(870001, ARRAY['stored', 'fresh'])),
          ARRAY['override', 'override'], 'cohort: both overridden');
SELECT is((SELECT array_agg(experiment_id || ':' || source ORDER BY experiment_id)
             FROM exp_assign.exp_assign_matrix(ARRAY['fresh'], ARRAY[870001, 870003])),
          ARRAY['870001:override', '870003:new'], 'matrix: the override and a new row side by side');
SELECT is((SELECT array_agg(source) FROM exp_assign.exp_assign_bulk(ARRAY['stored', 'stored'], ARRAY[870001, 870001])),
          ARRAY['override'], 'bulk: a duplicate pair, one override row');
SELECT is((SELECT source FROM exp_assign.exp_assign_warm(ARRAY['fresh'], ARRAY[870001])), 'override', 'warm: override');
SELECT is((SELECT variant_key || '/' || source FROM exp_assign.exp_assign_peek('fresh', ARRAY[870001])),
          'treatment/override', 'peek: override');
SELECT is((SELECT version FROM exp_assign.exp_assign_user('fresh', ARRAY[870001])), 1, 'an override carries the experiment''s version');
SELECT is((SELECT assigned_at FROM exp_assign.exp_assign_user('fresh', ARRAY[870001])),
          (SELECT created_at FROM exp_assign.overrides WHERE experiment_id = 870001 AND user_id = 'fresh'),
          'an override''s assigned_at is its created_at');
SELECT is(exp_assign.exp_assign_explain('stored', 870001) ->> 'decision', 'override', 'explain: decision override');
SELECT is(exp_assign.exp_assign_explain('stored', 870001) -> 'override' ->> 'variant_key', 'treatment',
          'explain: the override''s variant');
SELECT is(exp_assign.exp_assign_explain('stored', 870001) -> 'stored' ->> 'variant_key', 'control',
          'explain: the stored row it shadows');

-- Draft: only overrides; paused: overrides and stored rows; stopped: nothing.
SELECT is((SELECT variant_key || '/' || source FROM exp_assign.exp_assign_user('qa', ARRAY[870002])), 'only/override',
          'draft: a QA override works before launch');
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_user('someone', ARRAY[870002])), 0,
          'draft: everyone else gets nothing');
SELECT is(exp_assign.exp_assign_explain('qa', 870002) ->> 'decision', 'override', 'draft: explain says override');
UPDATE exp_assign.experiments SET status = 'paused' WHERE id = 870001;
SELECT is((SELECT source FROM exp_assign.exp_assign_user('fresh', ARRAY[870001])), 'override', 'paused: override');
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_user('nobody', ARRAY[870001])), 0, 'paused: no new row');
UPDATE exp_assign.experiments SET status = 'stopped' WHERE id = 870002;
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_user('qa', ARRAY[870002])), 0, 'stopped: not even an override');
UPDATE exp_assign.experiments SET status = 'active' WHERE id = 870001;

-- Removing the override restores the normal assignment.
DELETE FROM exp_assign.overrides WHERE experiment_id = 870001;
SELECT is((SELECT variant_key || '/' || source FROM exp_assign.exp_assign_user('stored', ARRAY[870001])),
          'control/existing', 'without the override the stored row is back');
SELECT is((SELECT source FROM exp_assign.exp_assign_user('fresh', ARRAY[870001])), 'new',
          'without the override the rule assigns the user');
SELECT is((SELECT variant_id FROM exp_assign.exp_assign_user('fresh', ARRAY[870001])),
          (SELECT CASE WHEN exp_assign.exp_assign_bucket('fresh', 'ovr-seed') < 5000 THEN 8700011 ELSE 8700012 END),
          'and by the rule''s bucket');

-- Deleting a variant deletes its overrides; TRUNCATE of the seed's tables still works.
INSERT INTO exp_assign.overrides (experiment_id, user_id, variant_id) VALUES (870003, 'gone', 8700031);
DELETE FROM exp_assign.assignments WHERE experiment_id = 870003;
DELETE FROM exp_assign.variants WHERE id = 8700031;
SELECT is((SELECT count(*)::int FROM exp_assign.overrides WHERE experiment_id = 870003), 0,
          'deleting a variant deletes its overrides');

-- Bad input.
CREATE TEMP TABLE cases (n int, what text, query text, state text, message text);
INSERT INTO cases VALUES
    (1, 'a variant of another experiment',
     $$INSERT INTO exp_assign.overrides (experiment_id, user_id, variant_id) VALUES (870001, 'u', 8700021)$$,
     '23503', 'experiment 870001 has no variant with id 8700021'),
    (2, 'an unknown variant',
     $$INSERT INTO exp_assign.overrides (experiment_id, user_id, variant_id) VALUES (870001, 'u', -5)$$, '23503', NULL),
    (3, 'an unknown experiment',
     $$INSERT INTO exp_assign.overrides (experiment_id, user_id, variant_id) VALUES (-1, 'u', 8700011)$$,
     '23503', 'experiment -1 does not exist'),
    (4, 'an empty user id',
     $$INSERT INTO exp_assign.overrides (experiment_id, user_id, variant_id) VALUES (870001, '', 8700011)$$, '22023', NULL),
    (5, 'an over-long user id',
     $$INSERT INTO exp_assign.overrides (experiment_id, user_id, variant_id) VALUES (870001, repeat('x', 5000), 8700011)$$,
     '22001', NULL);
SELECT * FROM pg_temp.error_cases('cases');

SELECT * FROM finish();
ROLLBACK;

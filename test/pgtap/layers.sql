-- pgTAP: layers and holdouts (issue #10 items 2, 3). The layer bucket is
-- DESIGN section 3's hash of user_id:layer_seed; a user is eligible only
-- inside the experiment's [layer_start, layer_end); overlapping ranges of
-- active or paused experiments of one layer are refused at commit. A
-- holdout keeps users whose bucket is below pct x 100 out of new
-- assignments; stored rows stay sticky.
\ir preamble.psql

BEGIN;
SELECT plan(27);

INSERT INTO exp_assign.layers (id, key, seed) VALUES (88001, 'checkout', 'layer-seed');
INSERT INTO exp_assign.holdouts (id, key, seed, pct) VALUES (88001, 'global', 'holdout-seed', 20);
INSERT INTO exp_assign.experiments (id, key, seed, layer_id, layer_start, layer_end) VALUES
    (880001, 'lay_a', 'seed-a', 88001, 0, 3000), (880002, 'lay_b', 'seed-b', 88001, 3000, 10000);
INSERT INTO exp_assign.experiments (id, key, seed, holdout_id) VALUES (880003, 'held', 'seed-h', 88001);
INSERT INTO exp_assign.experiments (id, key, seed) VALUES (880004, 'plain', 'seed-a');
INSERT INTO exp_assign.variants (experiment_id, key, allocation_pct)
SELECT e, k, 50 FROM unnest(ARRAY[880001, 880002, 880003, 880004]) e, unnest(ARRAY['control', 'treatment']) k ORDER BY e, k;
UPDATE exp_assign.experiments SET status = 'active' WHERE id BETWEEN 880001 AND 880004;

CREATE TEMP TABLE users AS SELECT 'lu' || g AS user_id FROM generate_series(1, 4000) g;
CREATE TEMP TABLE got AS
SELECT * FROM exp_assign.exp_assign_matrix(ARRAY(SELECT user_id FROM users), ARRAY[880001, 880002, 880003, 880004]);

SELECT is((SELECT count(*)::int FROM got g JOIN users u USING (user_id)
            WHERE g.experiment_id = 880001
              AND NOT exp_assign.exp_assign_bucket(u.user_id, 'layer-seed') < 3000), 0,
          'layer: everyone in lay_a has a layer bucket in [0, 3000)');
SELECT is((SELECT count(*)::int FROM got g WHERE g.experiment_id = 880002
              AND NOT exp_assign.exp_assign_bucket(g.user_id, 'layer-seed') >= 3000), 0,
          'layer: everyone in lay_b has a layer bucket in [3000, 10000)');
SELECT is((SELECT count(*)::int FROM (SELECT user_id FROM got WHERE experiment_id IN (880001, 880002)
                                       GROUP BY user_id HAVING count(*) > 1) x), 0,
          'layer: no user is in both experiments of the layer');
SELECT is((SELECT count(*)::int FROM got WHERE experiment_id IN (880001, 880002)), 4000,
          'layer: ranges covering the layer enrol every user in exactly one');
-- Inside the range the experiment's own bucket decides: lay_a and plain
-- share seed-a, so the users lay_a enrols get plain's variant key.
SELECT is((SELECT count(*)::int FROM got a JOIN got p ON p.user_id = a.user_id AND p.experiment_id = 880004
            WHERE a.experiment_id = 880001 AND a.variant_key <> p.variant_key), 0,
          'layer: inside the range the variant comes from the experiment''s own bucket and allocation');
SELECT is((SELECT count(*)::int FROM got), (SELECT count(*)::int FROM got WHERE source = 'new'), 'all new');

SELECT is((SELECT count(*)::int FROM got g WHERE g.experiment_id = 880003
              AND exp_assign.exp_assign_bucket(g.user_id, 'holdout-seed') < 2000), 0,
          'holdout: nobody whose holdout bucket is below 2000 is assigned');
SELECT is((SELECT count(*)::int FROM users u WHERE exp_assign.exp_assign_bucket(u.user_id, 'holdout-seed') >= 2000),
          (SELECT count(*)::int FROM got WHERE experiment_id = 880003),
          'holdout: everyone else is (100 % allocated)');
SELECT is((SELECT count(*)::int FROM got WHERE experiment_id = 880004), 4000, 'a plain experiment enrols everyone');

-- Explain shows the layer and the holdout.
SELECT is((SELECT exp_assign.exp_assign_explain('never_seen_' || g, 880001) ->> 'decision' FROM generate_series(1, 100) g
            WHERE exp_assign.exp_assign_bucket('never_seen_' || g, 'layer-seed') >= 3000 LIMIT 1), 'outside_layer',
          'explain: outside the range, decision outside_layer');
SELECT is((SELECT (exp_assign.exp_assign_explain('never_seen_1', 880001) -> 'layer' ->> 'bucket')::int),
          exp_assign.exp_assign_bucket('never_seen_1', 'layer-seed'), 'explain: the layer bucket');
SELECT is((SELECT exp_assign.exp_assign_explain('never_seen_' || g, 880003) ->> 'decision' FROM generate_series(1, 100) g
            WHERE exp_assign.exp_assign_bucket('never_seen_' || g, 'holdout-seed') < 2000 LIMIT 1), 'held_out',
          'explain: a held-out user, decision held_out');
SELECT is((exp_assign.exp_assign_explain('never_seen_1', 880003) -> 'holdout' ->> 'pct'), '20.00', 'explain: holdout pct');

-- Stored rows stay sticky: raising the holdout or moving the range
-- changes only new assignments.
UPDATE exp_assign.holdouts SET pct = 100 WHERE id = 88001;
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_cohort(880003, ARRAY(SELECT user_id FROM users))),
          (SELECT count(*)::int FROM got WHERE experiment_id = 880003), 'holdout 100 %: stored rows still returned');
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_cohort(880003, ARRAY['brand_new_1', 'brand_new_2'])), 0,
          'holdout 100 %: no new assignment');

-- Ranges: moved in several statements, checked at commit.
SAVEPOINT s;
SET CONSTRAINTS ALL DEFERRED;
UPDATE exp_assign.experiments SET layer_end = 5000 WHERE id = 880001;
UPDATE exp_assign.experiments SET layer_start = 5000 WHERE id = 880002;
SELECT lives_ok($$SET CONSTRAINTS ALL IMMEDIATE$$, 'a range moved in two statements is checked at commit and passes');
ROLLBACK TO SAVEPOINT s;
SAVEPOINT s;
SET CONSTRAINTS ALL DEFERRED;
UPDATE exp_assign.experiments SET layer_end = 5000 WHERE id = 880001;
SELECT throws_ok($$SET CONSTRAINTS ALL IMMEDIATE$$, '23P01',
                 'experiments "lay_a" [0, 5000) and "lay_b" [3000, 10000) overlap in layer "checkout"',
                 'overlapping ranges: 23P01 naming both');
ROLLBACK TO SAVEPOINT s;
SAVEPOINT s;
SET CONSTRAINTS ALL DEFERRED;
UPDATE exp_assign.experiments SET layer_end = 5000 WHERE id = 880001;
SELECT matches((pg_temp.err($$SET CONSTRAINTS ALL IMMEDIATE$$)).hint, 'lay_b.*880002', 'the HINT names the other experiment');
ROLLBACK TO SAVEPOINT s;
SAVEPOINT s;
SET CONSTRAINTS ALL DEFERRED;
UPDATE exp_assign.experiments SET status = 'stopped' WHERE id = 880002;
UPDATE exp_assign.experiments SET layer_end = 10000 WHERE id = 880001;
SELECT lives_ok($$SET CONSTRAINTS ALL IMMEDIATE$$, 'a stopped experiment''s range does not count');
ROLLBACK TO SAVEPOINT s;
SAVEPOINT s;
SET CONSTRAINTS ALL DEFERRED;
INSERT INTO exp_assign.experiments (id, key, seed, layer_id, status) VALUES (880009, 'whole', 's', 88001, 'draft');
SELECT lives_ok($$SET CONSTRAINTS ALL IMMEDIATE$$, 'a draft experiment''s range does not count (NULL range: the whole layer)');
SELECT throws_ok($$UPDATE exp_assign.experiments SET status = 'active' WHERE id = 880009; SET CONSTRAINTS ALL IMMEDIATE$$,
                 '23P01', NULL, 'activating it over the others: 23P01');
ROLLBACK TO SAVEPOINT s;

CREATE TEMP TABLE cases (n int, what text, query text, state text, message text);
INSERT INTO cases VALUES
    (1, 'layer_end over 10000', $$UPDATE exp_assign.experiments SET layer_end = 10001 WHERE id = 880002$$, '23514',
     'layer range [3000, 10001) of experiment "lay_b" is not a range within 0 to 10000'),
    (2, 'a negative layer_start', $$UPDATE exp_assign.experiments SET layer_start = -1 WHERE id = 880001$$, '23514', NULL),
    (3, 'an empty range', $$UPDATE exp_assign.experiments SET layer_start = 3000 WHERE id = 880001$$, '23514', NULL),
    (4, 'a holdout pct over 100', $$UPDATE exp_assign.holdouts SET pct = 100.5 WHERE id = 88001$$, '23514', NULL);
SELECT * FROM pg_temp.error_cases('cases');

SELECT * FROM finish();
ROLLBACK;

-- pgTAP: statistical properties over 1,000,000 synthetic users (issue #10
-- item 11): a 50/50 split passes the SRM test, two experiments with
-- different seeds are independent, and no user is in two experiments of
-- one layer. Fixed user ids, so a run is reproducible; each check fails
-- with probability 0.001 or less only if the hash were as random as it
-- should be, and deterministically for a given build.
\ir preamble.psql

BEGIN;
SELECT plan(7);

INSERT INTO exp_assign.layers (id, key, seed) VALUES (86001, 'stat_layer', 'stat-layer-seed');
INSERT INTO exp_assign.experiments (id, key, seed, layer_id, layer_start, layer_end) VALUES
    (860001, 'stat_split', 'stat-split-seed', NULL, NULL, NULL),
    (860002, 'stat_left', 'stat-left-seed', 86001, 0, 5000),
    (860003, 'stat_right', 'stat-right-seed', 86001, 5000, 10000);
INSERT INTO exp_assign.variants (experiment_id, key, allocation_pct)
SELECT e, k, 50 FROM unnest(ARRAY[860001, 860002, 860003]) e, unnest(ARRAY['control', 'treatment']) k ORDER BY e, k;
UPDATE exp_assign.experiments SET status = 'active' WHERE id IN (860001, 860002, 860003);
CREATE TEMP TABLE million AS SELECT 'stat-user-' || g AS user_id FROM generate_series(1, 1000000) g;

SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_cohort(860001, ARRAY(SELECT user_id FROM million))), 1000000,
          '1,000,000 users assigned 50/50');
SELECT ok((SELECT p_value > 0.001 AND NOT srm FROM exp_assign.exp_assign_srm(860001) LIMIT 1),
          'the 50/50 split passes SRM (p > 0.001): ' || (SELECT p_value::text FROM exp_assign.exp_assign_srm(860001) LIMIT 1));
-- Dropping a tenth of the treatment rows is a mismatch SRM must flag.
DELETE FROM exp_assign.assignments a USING exp_assign.variants v
 WHERE a.experiment_id = 860001 AND v.id = a.variant_id AND v.key = 'treatment' AND right(a.user_id, 1) = '7';
SELECT ok((SELECT srm AND p_value < 1e-100 FROM exp_assign.exp_assign_srm(860001) LIMIT 1),
          'losing 10 % of one arm is flagged (p < 1e-100)');

-- Independence: the 2x2 table of (bucket < 5000) under two seeds.
-- Pearson's chi-square with 1 degree of freedom is below 10.828 exactly
-- when p > 0.001 (scipy.stats.chi2.isf(0.001, 1) = 10.827566170662733).
CREATE TEMP TABLE two AS
SELECT exp_assign.exp_assign_bucket(user_id, 'stat-left-seed') < 5000 AS a,
       exp_assign.exp_assign_bucket(user_id, 'stat-right-seed') < 5000 AS b FROM million;
CREATE TEMP TABLE cells AS
SELECT c.a, c.b, c.n, ra.n::float8 * rb.n / 1000000 AS expected
  FROM (SELECT a, b, count(*) AS n FROM two GROUP BY a, b) c
  JOIN (SELECT a, count(*) AS n FROM two GROUP BY a) ra USING (a)
  JOIN (SELECT b, count(*) AS n FROM two GROUP BY b) rb USING (b);
SELECT is((SELECT count(*)::int FROM cells), 4, 'the 2x2 table has four cells');
SELECT cmp_ok((SELECT sum((n - expected) ^ 2 / expected) FROM cells), '<', 10.827566170662733::float8,
              'two seeds are independent: chi-square on the 2x2 table, p > 0.001');

-- Mutual exclusion: every user through both experiments of the layer.
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_matrix(ARRAY(SELECT user_id FROM million), ARRAY[860002, 860003])),
          1000000, 'a layer split in two ranges enrols each of 1,000,000 users exactly once');
SELECT is((SELECT count(*)::int FROM (SELECT user_id FROM exp_assign.assignments WHERE experiment_id IN (860002, 860003)
                                       GROUP BY user_id HAVING count(*) > 1) x), 0,
          'no user is in two experiments of one layer');

SELECT * FROM finish();
ROLLBACK;

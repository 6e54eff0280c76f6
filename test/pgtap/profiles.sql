-- pgTAP: the compatible bucketing profiles through SQL (issue #10 item 4).
-- The peers' published vectors, kept in test/unit/vectors (sources and
-- commits in each file's header and docs/profiles.md), go through
-- experiments with hash_profile 'optimizely' or 'unleash': the bucket
-- explain shows and the variant get-or-create stores. The unit tests
-- check the same files against the core alone.
-- Run: PROFILE_VECTORS=test/unit/vectors pg_prove -d DB test/pgtap/profiles.sql (test/run-all sets it)
\ir preamble.psql

BEGIN;
SELECT plan(14);

CREATE TEMP TABLE opt_buckets (user_id text, seed text, bucket int);
\copy opt_buckets FROM PROGRAM 'grep -hv "^#" "${PROFILE_VECTORS:?set PROFILE_VECTORS}/optimizely_bucketing.tsv" | tail -n +2; grep -hv "^#" "$PROFILE_VECTORS/optimizely_non_ascii.tsv" | tail -n +2' WITH (FORMAT csv, DELIMITER E'\t', QUOTE E'\x01', ENCODING 'UTF8')
CREATE TEMP TABLE unl_variants (spec_file text, description text, group_id text, user_id text, rollout_pct int,
                                variants text, expected text);
\copy unl_variants FROM PROGRAM 'grep -hv "^#" "$PROFILE_VECTORS/unleash_variants.tsv" | tail -n +2' WITH (FORMAT csv, DELIMITER E'\t', QUOTE E'\x01', ENCODING 'UTF8')
CREATE TEMP TABLE unl_rollout (spec_file text, description text, group_id text, user_id text, rollout_pct int,
                               enrolled boolean);
\copy unl_rollout FROM PROGRAM 'grep -hv "^#" "$PROFILE_VECTORS/unleash_rollout.tsv" | tail -n +2' WITH (FORMAT csv, DELIMITER E'\t', QUOTE E'\x01', ENCODING 'UTF8')
CREATE TEMP TABLE unl_non_ascii (user_id text, group_id text, rollout_value int, variant_value int);
\copy unl_non_ascii FROM PROGRAM 'grep -hv "^#" "$PROFILE_VECTORS/unleash_non_ascii.tsv" | tail -n +2' WITH (FORMAT csv, DELIMITER E'\t', QUOTE E'\x01', ENCODING 'UTF8')

SELECT cmp_ok((SELECT count(*)::int FROM opt_buckets), '>=', 37, 'the Optimizely bucket vectors loaded (5 published, 32 non-ASCII)');
SELECT cmp_ok((SELECT count(*)::int FROM unl_variants) + (SELECT count(*)::int FROM unl_rollout), '>=', 25,
              'the Unleash vectors loaded (17 variant, 8 rollout cases)');

-- Optimizely: one experiment per seed (the Optimizely experiment id), ten
-- 10 % variants, so the stored variant names the bucket's thousand.
INSERT INTO exp_assign.experiments (key, seed, hash_profile)
SELECT 'opt:' || s, s, 'optimizely' FROM (SELECT DISTINCT seed AS s FROM opt_buckets) d;
INSERT INTO exp_assign.variants (experiment_id, key, allocation_pct)
SELECT e.id, 'k' || k, 10 FROM exp_assign.experiments e, generate_series(0, 9) k WHERE e.key LIKE 'opt:%' ORDER BY e.id, k;
UPDATE exp_assign.experiments SET status = 'active' WHERE key LIKE 'opt:%';
CREATE TEMP TABLE opt_got AS
SELECT o.*, (exp_assign.exp_assign_explain(o.user_id, e.id) ->> 'bucket')::int AS explained,
       (SELECT r.variant_key FROM exp_assign.exp_assign_user(o.user_id, ARRAY[e.id]) r) AS stored
  FROM opt_buckets o JOIN exp_assign.experiments e ON e.key = 'opt:' || o.seed;
SELECT is((SELECT count(*)::int FROM opt_got WHERE explained IS DISTINCT FROM bucket), 0,
          'optimizely: explain gives every vector''s bucket, floor(murmur3(user_id || seed, 1) * 10000 / 2^32)');
SELECT is((SELECT count(*)::int FROM opt_got WHERE stored IS DISTINCT FROM 'k' || (bucket / 1000)), 0,
          'optimizely: get-or-create stores the variant whose range holds the vector''s bucket');
SELECT is((SELECT exp_assign.exp_assign_explain('ppid1', id) ->> 'hash_input' FROM exp_assign.experiments
            WHERE key = 'opt:1886780721'), 'ppid11886780721', 'optimizely: the hash input has no separator');

-- Unleash variants: one experiment per case (seed = groupId, rollout,
-- integer weights); allocation_pct is not used by the profile.
INSERT INTO exp_assign.experiments (key, seed, hash_profile, rollout_pct)
SELECT 'unl:' || row_number() OVER (ORDER BY description, user_id), group_id, 'unleash', rollout_pct FROM unl_variants;
CREATE TEMP TABLE unl_cases AS
SELECT 'unl:' || row_number() OVER (ORDER BY description, user_id) AS key, * FROM unl_variants;
INSERT INTO exp_assign.variants (experiment_id, key, allocation_pct, weight)
SELECT e.id, split_part(v.item, ':', 1), 0, split_part(v.item, ':', 2)::int
  FROM unl_cases c JOIN exp_assign.experiments e ON e.key = c.key,
       unnest(string_to_array(nullif(c.variants, ''), ',')) WITH ORDINALITY v(item, n)
 ORDER BY e.id, v.n;
UPDATE exp_assign.experiments SET status = 'active' WHERE key LIKE 'unl:%';
CREATE TEMP TABLE unl_got AS
SELECT c.*, coalesce((SELECT r.variant_key FROM exp_assign.exp_assign_user(c.user_id, ARRAY[e.id]) r), '-') AS got
  FROM unl_cases c JOIN exp_assign.experiments e ON e.key = c.key;
SELECT is((SELECT string_agg(description || ': ' || got, '; ') FROM unl_got WHERE got <> expected), NULL,
          'unleash: every client-specification variant case gives the spec''s variant (or none)');
SELECT is((SELECT count(*)::int FROM unl_got WHERE expected = '-' AND got = '-'), 2,
          'unleash: the disabled cases (no variants, rollout 0) store nothing');

-- Unleash gradual rollout: one variant of weight 1; enrolled = a row.
INSERT INTO exp_assign.experiments (key, seed, hash_profile, rollout_pct)
SELECT 'unr:' || description, group_id, 'unleash', rollout_pct FROM unl_rollout;
INSERT INTO exp_assign.variants (experiment_id, key, allocation_pct)
SELECT id, 'on', 0 FROM exp_assign.experiments WHERE key LIKE 'unr:%';
UPDATE exp_assign.experiments SET status = 'active' WHERE key LIKE 'unr:%';
SELECT is((SELECT count(*)::int FROM unl_rollout r JOIN exp_assign.experiments e ON e.key = 'unr:' || r.description
            WHERE EXISTS (SELECT FROM exp_assign.exp_assign_peek(r.user_id, ARRAY[e.id])) IS DISTINCT FROM r.enrolled), 0,
          'unleash: every gradual-rollout case is enrolled exactly when the spec says (peek)');

-- Non-ASCII ids over UTF-8: the rollout value explain shows, and with
-- weights 500/500 the variant is the first exactly when variant_value <= 500.
INSERT INTO exp_assign.experiments (key, seed, hash_profile)
SELECT 'una:' || g, g, 'unleash' FROM (SELECT DISTINCT group_id AS g FROM unl_non_ascii) d;
INSERT INTO exp_assign.variants (experiment_id, key, allocation_pct, weight)
SELECT e.id, k, 0, 500 FROM exp_assign.experiments e, unnest(ARRAY['first', 'second']) k
 WHERE e.key LIKE 'una:%' ORDER BY e.id, k;
UPDATE exp_assign.experiments SET status = 'active' WHERE key LIKE 'una:%';
SELECT is((SELECT count(*)::int FROM unl_non_ascii n JOIN exp_assign.experiments e ON e.key = 'una:' || n.group_id
            WHERE (exp_assign.exp_assign_explain(n.user_id, e.id) ->> 'rollout_value')::int <> n.rollout_value
               OR (SELECT r.variant_key FROM exp_assign.exp_assign_user(n.user_id, ARRAY[e.id]) r)
                  IS DISTINCT FROM CASE WHEN n.variant_value <= 500 THEN 'first' ELSE 'second' END), 0,
          'unleash: non-ASCII ids hash as UTF-8: rollout value and weighted variant of every row');

-- The default never changes: an mmh3 experiment next to them is DESIGN section 3.
INSERT INTO exp_assign.experiments (key, seed) VALUES ('mmh3_default', 'mmh3-seed');
INSERT INTO exp_assign.variants (experiment_id, key, allocation_pct)
SELECT id, 'all', 100 FROM exp_assign.experiments WHERE key = 'mmh3_default';
SELECT is((SELECT hash_profile FROM exp_assign.experiments WHERE key = 'mmh3_default'), 'mmh3',
          'hash_profile defaults to mmh3');
SELECT is((SELECT (exp_assign.exp_assign_explain('ppid1', id) ->> 'bucket')::int FROM exp_assign.experiments
            WHERE key = 'mmh3_default'), exp_assign.exp_assign_bucket('ppid1', 'mmh3-seed'),
          'an mmh3 experiment''s bucket is exp_assign_bucket''s');

-- Bad input.
SELECT throws_ok($$INSERT INTO exp_assign.experiments (key, seed, hash_profile) VALUES ('bad_profile', 's', 'growthbook')$$,
                 '23514', 'experiment "bad_profile" names hash profile "growthbook", which does not exist',
                 'an unknown profile: 23514 naming it');
SELECT is((pg_temp.err($$INSERT INTO exp_assign.experiments (key, seed, hash_profile, rollout_pct)
                         VALUES ('bad_rollout', 's', 'unleash', 101)$$)).state, '23514', 'rollout_pct 101: 23514');
SELECT is((pg_temp.err($$INSERT INTO exp_assign.variants (experiment_id, key, allocation_pct, weight)
                         SELECT id, 'neg', 0, -1 FROM exp_assign.experiments WHERE key = 'mmh3_default'$$)).state,
          '23514', 'a negative weight: 23514');

SELECT * FROM finish();
ROLLBACK;

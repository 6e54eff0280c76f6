-- pgTAP: every row of ../shared/vectors/mmh3_buckets.tsv (DESIGN.md section 3),
-- checked through every path that computes a bucket: exp_assign_bucket, the
-- bucket shown by exp_assign_explain, and the variant chosen by
-- exp_assign_peek and exp_assign_bulk (each vector row gets an experiment
-- whose middle variant covers exactly the row's bucket).
-- Run: VECTORS=/path/to/shared/vectors/mmh3_buckets.tsv pg_prove -d DB test/pgtap/vectors.sql (test/run-all sets it)
\ir preamble.psql

BEGIN;
SET LOCAL search_path = public, exp_assign;
SELECT plan(16);

-- Loaded byte-exact: CSV with a quote character that never occurs, so a '"'
-- or a backslash in the data is taken literally, the empty user id stays
-- '' (NULL is spelled with a byte that never occurs), and the bytes are
-- read as UTF-8 whatever the client's locale.
CREATE TEMP TABLE vectors (
    line    int GENERATED ALWAYS AS IDENTITY,
    user_id text,
    seed    text,
    bucket  int
) ON COMMIT DROP;
\copy vectors (user_id, seed, bucket) FROM PROGRAM 'cat "${VECTORS:?set VECTORS to the path of mmh3_buckets.tsv}"' WITH (FORMAT csv, DELIMITER E'\t', QUOTE E'\x01', NULL E'\x02', HEADER true, ENCODING 'UTF8')

-- The file (2,008 lines with its header) as DESIGN.md describes it.
SELECT is((SELECT count(*)::int FROM vectors), 2007, 'all 2,007 vector rows are loaded');
SELECT is((SELECT count(*)::int FROM vectors WHERE user_id IS NULL OR seed IS NULL OR bucket IS NULL), 0,
          'no vector field is NULL (the empty user id is loaded as the empty string)');
SELECT ok((SELECT count(*) FROM vectors WHERE user_id = '' AND seed = '' AND bucket = 7430) = 1
          AND (SELECT count(*) FROM vectors WHERE user_id ~ '[^\x01-\x7f]') > 1000,
          'the vectors hold the empty user id and over 1,000 non-ASCII user ids, loaded as UTF-8');

-- 1. exp_assign_bucket reproduces every row.
SELECT is(
    (SELECT count(*)::int FROM vectors
      WHERE exp_assign.exp_assign_bucket(user_id, seed) IS DISTINCT FROM bucket),
    0,
    'exp_assign_bucket equals the bucket of every vector row'
    || coalesce((SELECT format(' -- first mismatch: line %s, user_id %L, seed %L: expected %s, got %s',
                               line + 1, user_id, seed, bucket, exp_assign.exp_assign_bucket(user_id, seed))
                   FROM vectors
                  WHERE exp_assign.exp_assign_bucket(user_id, seed) IS DISTINCT FROM bucket
                  ORDER BY line LIMIT 1), ''));

-- The function's declaration (DESIGN.md section 4: pure, IMMUTABLE, PARALLEL SAFE; STRICT).
SELECT volatility_is('exp_assign', 'exp_assign_bucket', ARRAY['text', 'text'], 'immutable',
                     'exp_assign_bucket is IMMUTABLE');
SELECT is_strict('exp_assign', 'exp_assign_bucket', ARRAY['text', 'text'], 'exp_assign_bucket is STRICT');
SELECT is((SELECT proparallel::text FROM pg_proc WHERE oid = 'exp_assign.exp_assign_bucket(text,text)'::regprocedure),
          's', 'exp_assign_bucket is PARALLEL SAFE');

-- STRICT: NULL in, NULL out.
SELECT is(exp_assign.exp_assign_bucket(NULL, 'seed_abc'), NULL, 'exp_assign_bucket(NULL, seed) is NULL');
SELECT is(exp_assign.exp_assign_bucket('user_1', NULL), NULL, 'exp_assign_bucket(user_id, NULL) is NULL');
SELECT is(exp_assign.exp_assign_bucket(NULL, NULL), NULL, 'exp_assign_bucket(NULL, NULL) is NULL');

-- 2. The same buckets through the tables: one active experiment per vector
-- row, seeded with the row's seed, with three variants in ascending id:
--   below  = bucket basis points, [0, bucket)
--   hit    = 1 basis point,       [bucket, bucket + 1)
--   above  = the rest,            [bucket + 1, 10000)
-- so the rule picks "hit" exactly when the bucket computed on that path
-- equals the vector's.
INSERT INTO exp_assign.experiments (id, key, seed, status)
SELECT 700000 + line, 'vector_' || line, seed, 'active' FROM vectors;
INSERT INTO exp_assign.variants (id, experiment_id, key, allocation_pct)
SELECT 7000000 + 3 * line + k, 700000 + line, name, pct
  FROM vectors,
       LATERAL (VALUES (0, 'below', bucket / 100.0),
                       (1, 'hit',   0.01),
                       (2, 'above', (9999 - bucket) / 100.0)) AS v(k, name, pct);

SELECT is(
    (SELECT count(*)::int FROM exp_assign.variants v JOIN vectors ON v.experiment_id = 700000 + line
      GROUP BY () HAVING bool_and(round(v.allocation_pct * 100) = CASE v.key WHEN 'below' THEN bucket
                                                                             WHEN 'hit' THEN 1
                                                                             ELSE 9999 - bucket END)),
    3 * 2007, 'every vector row has its three-variant experiment with exact basis points');

-- exp_assign_explain shows the same bucket and hash input for every row
-- (the empty user id included: explain does not validate user ids).
SELECT is(
    (SELECT count(*)::int FROM vectors, LATERAL exp_assign.exp_assign_explain(user_id, 700000 + line) x
      WHERE (x ->> 'bucket')::int IS DISTINCT FROM bucket
         OR x ->> 'hash_input' IS DISTINCT FROM user_id || ':' || seed
         OR x ->> 'rule_variant_id' IS DISTINCT FROM (7000001 + 3 * line)::text),
    0,
    'exp_assign_explain shows the vector bucket, hash input and rule variant of every row'
    || coalesce((SELECT format(' -- first mismatch: line %s, user_id %L, seed %L: expected %s, explain says %s',
                               line + 1, user_id, seed, bucket, x ->> 'bucket')
                   FROM vectors, LATERAL exp_assign.exp_assign_explain(user_id, 700000 + line) x
                  WHERE (x ->> 'bucket')::int IS DISTINCT FROM bucket
                     OR x ->> 'rule_variant_id' IS DISTINCT FROM (7000001 + 3 * line)::text
                  ORDER BY line LIMIT 1), ''));

-- exp_assign_peek (no write) picks "hit" for every row but the empty user id,
-- which the get-or-create functions and peek refuse.
SELECT is(
    (SELECT count(*)::int FROM vectors v
       LEFT JOIN LATERAL exp_assign.exp_assign_peek(v.user_id, ARRAY[700000 + v.line]) p ON true
      WHERE v.user_id <> '' AND (p.variant_id IS DISTINCT FROM 7000001 + 3 * v.line
                                 OR p.source IS DISTINCT FROM 'computed')),
    0,
    'exp_assign_peek chooses the variant of the vector bucket for every non-empty user id'
    || coalesce((SELECT format(' -- first mismatch: line %s, user_id %L, seed %L: expected bucket %s, got variant %s',
                               v.line + 1, v.user_id, v.seed, v.bucket,
                               coalesce(p.variant_key, 'none'))
                   FROM vectors v
                   LEFT JOIN LATERAL exp_assign.exp_assign_peek(v.user_id, ARRAY[700000 + v.line]) p ON true
                  WHERE v.user_id <> '' AND p.variant_id IS DISTINCT FROM 7000001 + 3 * v.line
                  ORDER BY v.line LIMIT 1), ''));
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE experiment_id > 700000 AND experiment_id <= 702007),
          0, 'exp_assign_peek wrote nothing');

-- exp_assign_bulk: all 2,006 pairs in one call, stored and returned.
CREATE TEMP TABLE bulk_result ON COMMIT DROP AS
SELECT * FROM exp_assign.exp_assign_bulk(
    ARRAY(SELECT user_id FROM vectors WHERE user_id <> '' ORDER BY line),
    ARRAY(SELECT 700000 + line FROM vectors WHERE user_id <> '' ORDER BY line));

SELECT is(
    (SELECT count(*)::int FROM vectors v
       LEFT JOIN bulk_result r ON r.experiment_id = 700000 + v.line AND r.user_id = v.user_id
      WHERE v.user_id <> '' AND (r.variant_id IS DISTINCT FROM 7000001 + 3 * v.line
                                 OR r.variant_key IS DISTINCT FROM 'hit' OR r.source IS DISTINCT FROM 'new'))
    + (SELECT count(*)::int FROM bulk_result) - 2006,
    0,
    'exp_assign_bulk returns one new row per pair, in the variant of the vector bucket'
    || coalesce((SELECT format(' -- first mismatch: line %s, user_id %L, seed %L: expected bucket %s, got %s',
                               v.line + 1, v.user_id, v.seed, v.bucket, coalesce(r.variant_key, 'no row'))
                   FROM vectors v
                   LEFT JOIN bulk_result r ON r.experiment_id = 700000 + v.line AND r.user_id = v.user_id
                  WHERE v.user_id <> '' AND r.variant_id IS DISTINCT FROM 7000001 + 3 * v.line
                  ORDER BY v.line LIMIT 1), ''));
SELECT is(
    (SELECT count(*)::int FROM vectors v
       JOIN exp_assign.assignments a ON a.experiment_id = 700000 + v.line AND a.user_id = v.user_id
      WHERE a.variant_id = 7000001 + 3 * v.line),
    2006, 'exp_assign_bulk stored every pair in the variant of the vector bucket');

SELECT * FROM finish();
ROLLBACK;

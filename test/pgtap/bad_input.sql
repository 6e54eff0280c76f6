-- pgTAP: bad input (DESIGN.md section 4, "bad input" table and the paragraph
-- under it). Every case of the table for every function it applies to: the
-- SQLSTATE (throws_ok), a message that names the offending argument or
-- element, and a non-empty HINT. Also: no half-written batch, read-only
-- transactions (25006, peek still works), unknown experiments, the user id
-- length setting, and the per-call pair limit.
-- Run from the repository root: pg_prove -d DB test/pgtap/bad_input.sql
\ir preamble.psql

BEGIN;
SET LOCAL search_path = public, exp_assign;
-- A missing check must fail its test, not hang the suite.
SET LOCAL statement_timeout = '300s';
SELECT plan(205);

-- Runs a query in a read-only subtransaction (as in SET TRANSACTION READ
-- ONLY), then undoes it: its rows as jsonb, or its error.
CREATE FUNCTION pg_temp.read_only(query text, OUT state text, OUT message text, OUT hint text, OUT rows jsonb)
LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        PERFORM set_config('transaction_read_only', 'on', true);
        EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(q) - ''assigned_at''), ''[]'') FROM (%s) q', query)
           INTO rows;
        state := '00000';
        RAISE EXCEPTION 'undo' USING ERRCODE = 'ZZ999';
    EXCEPTION
        WHEN SQLSTATE 'ZZ999' THEN NULL;
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    END;
END
$$;

-- Fixtures: 800001 active 50/50, 800002 and 800003 active 100%.
INSERT INTO exp_assign.experiments (id, key, seed, status) VALUES
    (800001, 'bad_input_split', 'bad-input-1', 'active'),
    (800002, 'bad_input_all',   'bad-input-2', 'active'),
    (800003, 'bad_input_third', 'bad-input-3', 'active');
INSERT INTO exp_assign.variants (id, experiment_id, key, allocation_pct) VALUES
    (8000011, 800001, 'control', 50), (8000012, 800001, 'treatment', 50),
    (8000021, 800002, 'only', 100), (8000031, 800003, 'only', 100);
-- Loads the library, so exp_assign.max_user_id_bytes exists.
SELECT exp_assign.exp_assign_bucket('load', 'library') IS NOT NULL AS loaded \gset
SET LOCAL exp_assign.max_user_id_bytes = 1000;

-- ---------------------------------------------------------------------------
-- The cases: the statement, the expected SQLSTATE, and a LIKE pattern the
-- message must match (the documented message; it names the argument or
-- element at fault).
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE cases (
    n       int GENERATED ALWAYS AS IDENTITY,
    what    text,
    query   text,
    state   text,
    pattern text
) ON COMMIT DROP;

INSERT INTO cases (what, query, state, pattern) VALUES
-- exp_assign_bulk(user_ids text[], experiment_ids int[])
('bulk: NULL user_ids',
 $$SELECT * FROM exp_assign.exp_assign_bulk(NULL, ARRAY[800001])$$,
 '22004', 'user_ids must not be NULL'),
('bulk: NULL experiment_ids',
 $$SELECT * FROM exp_assign.exp_assign_bulk(ARRAY['a'], NULL)$$,
 '22004', 'experiment_ids must not be NULL'),
('bulk: NULL element of user_ids',
 $$SELECT * FROM exp_assign.exp_assign_bulk(ARRAY['a', NULL, 'c'], ARRAY[800001, 800001, 800001])$$,
 '22004', 'user_ids[2] is NULL'),
('bulk: NULL element of experiment_ids',
 $$SELECT * FROM exp_assign.exp_assign_bulk(ARRAY['a', 'b', 'c'], ARRAY[800001, 800001, NULL])$$,
 '22004', 'experiment_ids[3] is NULL'),
('bulk: NULL element, subscript follows the lower bound',
 $$SELECT * FROM exp_assign.exp_assign_bulk('[5:7]={a,NULL,c}'::text[], ARRAY[800001, 800001, 800001])$$,
 '22004', 'user_ids[6] is NULL'),
('bulk: 2-dimensional user_ids',
 $$SELECT * FROM exp_assign.exp_assign_bulk(ARRAY[['a', 'b'], ['c', 'd']], ARRAY[800001, 800001, 800001, 800001])$$,
 '2202E', 'user_ids must be a one-dimensional array, not 2-dimensional'),
('bulk: 2-dimensional experiment_ids',
 $$SELECT * FROM exp_assign.exp_assign_bulk(ARRAY['a', 'b', 'c', 'd'], ARRAY[[800001, 800001], [800001, 800001]])$$,
 '2202E', 'experiment_ids must be a one-dimensional array, not 2-dimensional'),
('bulk: 3-dimensional user_ids',
 $$SELECT * FROM exp_assign.exp_assign_bulk(ARRAY[[['a']]], ARRAY[800001])$$,
 '2202E', 'user_ids must be a one-dimensional array, not 3-dimensional'),
('bulk: more user_ids than experiment_ids',
 $$SELECT * FROM exp_assign.exp_assign_bulk(ARRAY['a', 'b'], ARRAY[800001])$$,
 '2202E', 'user_ids has 2 elements but experiment_ids has 1'),
('bulk: fewer user_ids than experiment_ids',
 $$SELECT * FROM exp_assign.exp_assign_bulk(ARRAY['a'], ARRAY[800001, 800001, 800001])$$,
 '2202E', 'user_ids has 1 element% but experiment_ids has 3'),
('bulk: empty user_ids, one experiment id',
 $$SELECT * FROM exp_assign.exp_assign_bulk('{}', ARRAY[800001])$$,
 '2202E', 'user_ids has 0 elements but experiment_ids has 1'),
('bulk: empty user id',
 $$SELECT * FROM exp_assign.exp_assign_bulk(ARRAY['a', '', 'c'], ARRAY[800001, 800001, 800001])$$,
 '22023', 'user_ids[2] is an empty user id'),
('bulk: user id of 1001 bytes',
 $$SELECT * FROM exp_assign.exp_assign_bulk(ARRAY['a', repeat('x', 1001)], ARRAY[800001, 800001])$$,
 '22001', 'user_ids[2] is 1001 bytes long, over exp_assign.max_user_id_bytes (1000): "' || repeat('x', 40) || '..."'),
('bulk: 20,000,001 pairs',
 $$SELECT * FROM exp_assign.exp_assign_bulk(array_fill('u'::text, ARRAY[20000001]), array_fill(899999, ARRAY[20000001]))$$,
 '54000', '20000001 pairs requested, over the limit of 20000000 per call'),
-- exp_assign_user(user_id text, experiment_ids int[])
('user: NULL user_id',
 $$SELECT * FROM exp_assign.exp_assign_user(NULL, ARRAY[800001])$$,
 '22004', 'user_id must not be NULL'),
('user: NULL experiment_ids',
 $$SELECT * FROM exp_assign.exp_assign_user('a', NULL)$$,
 '22004', 'experiment_ids must not be NULL'),
('user: NULL element of experiment_ids',
 $$SELECT * FROM exp_assign.exp_assign_user('a', ARRAY[800001, NULL])$$,
 '22004', 'experiment_ids[2] is NULL'),
('user: 2-dimensional experiment_ids',
 $$SELECT * FROM exp_assign.exp_assign_user('a', ARRAY[[800001], [800002]])$$,
 '2202E', 'experiment_ids must be a one-dimensional array, not 2-dimensional'),
('user: empty user id',
 $$SELECT * FROM exp_assign.exp_assign_user('', ARRAY[800001])$$,
 '22023', 'user_id is an empty user id'),
('user: user id of 1001 bytes',
 $$SELECT * FROM exp_assign.exp_assign_user(repeat('x', 1001), ARRAY[800001])$$,
 '22001', 'user_id is 1001 bytes long, over exp_assign.max_user_id_bytes (1000): "' || repeat('x', 40) || '..."'),
('user: user id of 334 characters, 1002 bytes',
 $$SELECT * FROM exp_assign.exp_assign_user(repeat('€', 334), ARRAY[800001])$$,
 '22001', 'user_id is 1002 bytes long, over exp_assign.max_user_id_bytes (1000): "' || repeat('€', 13) || '..."'),
('user: 20,000,001 experiment ids',
 $$SELECT * FROM exp_assign.exp_assign_user('u', array_fill(899999, ARRAY[20000001]))$$,
 '54000', '20000001 pairs requested, over the limit of 20000000 per call'),
-- exp_assign_cohort(experiment_id int, user_ids text[])
('cohort: NULL experiment_id',
 $$SELECT * FROM exp_assign.exp_assign_cohort(NULL, ARRAY['a'])$$,
 '22004', 'experiment_id must not be NULL'),
('cohort: NULL user_ids',
 $$SELECT * FROM exp_assign.exp_assign_cohort(800001, NULL)$$,
 '22004', 'user_ids must not be NULL'),
('cohort: NULL element of user_ids',
 $$SELECT * FROM exp_assign.exp_assign_cohort(800001, ARRAY['a', 'b', NULL])$$,
 '22004', 'user_ids[3] is NULL'),
('cohort: 2-dimensional user_ids',
 $$SELECT * FROM exp_assign.exp_assign_cohort(800001, ARRAY[['a'], ['b']])$$,
 '2202E', 'user_ids must be a one-dimensional array, not 2-dimensional'),
('cohort: empty user id',
 $$SELECT * FROM exp_assign.exp_assign_cohort(800001, ARRAY['a', 'b', ''])$$,
 '22023', 'user_ids[3] is an empty user id'),
('cohort: user id of 1001 bytes',
 $$SELECT * FROM exp_assign.exp_assign_cohort(800001, ARRAY['a', repeat('x', 1001)])$$,
 '22001', 'user_ids[2] is 1001 bytes long, over exp_assign.max_user_id_bytes (1000): "' || repeat('x', 40) || '..."'),
('cohort: user id of 400 characters, 1200 bytes',
 $$SELECT * FROM exp_assign.exp_assign_cohort(800001, ARRAY['a', repeat('€', 400)])$$,
 '22001', 'user_ids[2] is 1200 bytes long, over exp_assign.max_user_id_bytes (1000): "' || repeat('€', 13) || '..."'),
('cohort: 20,000,001 user ids',
 $$SELECT * FROM exp_assign.exp_assign_cohort(899999, array_fill('u'::text, ARRAY[20000001]))$$,
 '54000', '20000001 pairs requested, over the limit of 20000000 per call'),
-- exp_assign_matrix(user_ids text[], experiment_ids int[])
('matrix: NULL user_ids',
 $$SELECT * FROM exp_assign.exp_assign_matrix(NULL, ARRAY[800001])$$,
 '22004', 'user_ids must not be NULL'),
('matrix: NULL experiment_ids',
 $$SELECT * FROM exp_assign.exp_assign_matrix(ARRAY['a'], NULL)$$,
 '22004', 'experiment_ids must not be NULL'),
('matrix: NULL element of user_ids',
 $$SELECT * FROM exp_assign.exp_assign_matrix(ARRAY[NULL, 'b'], ARRAY[800001])$$,
 '22004', 'user_ids[1] is NULL'),
('matrix: NULL element of experiment_ids',
 $$SELECT * FROM exp_assign.exp_assign_matrix(ARRAY['a'], ARRAY[800001, 800002, NULL])$$,
 '22004', 'experiment_ids[3] is NULL'),
('matrix: 2-dimensional user_ids',
 $$SELECT * FROM exp_assign.exp_assign_matrix(ARRAY[['a', 'b'], ['c', 'd']], ARRAY[800001])$$,
 '2202E', 'user_ids must be a one-dimensional array, not 2-dimensional'),
('matrix: 2-dimensional experiment_ids',
 $$SELECT * FROM exp_assign.exp_assign_matrix(ARRAY['a'], ARRAY[[800001], [800002]])$$,
 '2202E', 'experiment_ids must be a one-dimensional array, not 2-dimensional'),
('matrix: empty user id',
 $$SELECT * FROM exp_assign.exp_assign_matrix(ARRAY['a', ''], ARRAY[800001])$$,
 '22023', 'user_ids[2] is an empty user id'),
('matrix: user id of 1001 bytes',
 $$SELECT * FROM exp_assign.exp_assign_matrix(ARRAY['a', repeat('y', 1001)], ARRAY[800001])$$,
 '22001', 'user_ids[2] is 1001 bytes long, over exp_assign.max_user_id_bytes (1000): "' || repeat('y', 40) || '..."'),
('matrix: 5,000 x 4,001 pairs',
 $$SELECT * FROM exp_assign.exp_assign_matrix(array_fill('u'::text, ARRAY[5000]), array_fill(899999, ARRAY[4001]))$$,
 '54000', '20005000 pairs requested, over the limit of 20000000 per call'),
-- exp_assign_peek(user_id text, experiment_ids int[]): checked as exp_assign_user
('peek: NULL user_id',
 $$SELECT * FROM exp_assign.exp_assign_peek(NULL, ARRAY[800001])$$,
 '22004', 'user_id must not be NULL'),
('peek: NULL experiment_ids',
 $$SELECT * FROM exp_assign.exp_assign_peek('a', NULL)$$,
 '22004', 'experiment_ids must not be NULL'),
('peek: NULL element of experiment_ids',
 $$SELECT * FROM exp_assign.exp_assign_peek('a', ARRAY[800001, NULL])$$,
 '22004', 'experiment_ids[2] is NULL'),
('peek: 2-dimensional experiment_ids',
 $$SELECT * FROM exp_assign.exp_assign_peek('a', ARRAY[[800001, 800002]])$$,
 '2202E', 'experiment_ids must be a one-dimensional array, not 2-dimensional'),
('peek: empty user id',
 $$SELECT * FROM exp_assign.exp_assign_peek('', ARRAY[800001])$$,
 '22023', 'user_id is an empty user id'),
('peek: user id of 1001 bytes',
 $$SELECT * FROM exp_assign.exp_assign_peek(repeat('x', 1001), ARRAY[800001])$$,
 '22001', 'user_id is 1001 bytes long, over exp_assign.max_user_id_bytes (1000): "' || repeat('x', 40) || '..."'),
('peek: 20,000,001 experiment ids',
 $$SELECT * FROM exp_assign.exp_assign_peek('u', array_fill(899999, ARRAY[20000001]))$$,
 '54000', '20000001 pairs requested, over the limit of 20000000 per call'),
-- exp_assign_explain(user_id text, experiment_id int)
('explain: NULL user_id',
 $$SELECT exp_assign.exp_assign_explain(NULL, 800001)$$,
 '22004', 'user_id must not be NULL'),
('explain: NULL experiment_id',
 $$SELECT exp_assign.exp_assign_explain('a', NULL)$$,
 '22004', 'experiment_id must not be NULL'),
('explain: unknown experiment',
 $$SELECT exp_assign.exp_assign_explain('a', 899999)$$,
 '42704', 'experiment 899999 does not exist'),
-- variants.allocation_pct out of 0..100, NaN; allocations summing over 100
('variants: allocation_pct -1',
 $$INSERT INTO exp_assign.variants (experiment_id, key, allocation_pct) VALUES (800001, 'negative', -1)$$,
 '23514', '%allocation_pct%'),
('variants: allocation_pct 100.5',
 $$INSERT INTO exp_assign.variants (experiment_id, key, allocation_pct) VALUES (800001, 'over', 100.5)$$,
 '23514', '%allocation_pct%'),
('variants: allocation_pct NaN',
 $$UPDATE exp_assign.variants SET allocation_pct = 'NaN' WHERE id = 8000011$$,
 '23514', '%allocation_pct%'),
('variants: a variant that takes an active experiment to 110',
 $$INSERT INTO exp_assign.variants (experiment_id, key, allocation_pct) VALUES (800002, 'extra', 10);
   SET CONSTRAINTS ALL IMMEDIATE$$,
 '23514', 'allocations of active experiment "bad_input_all" (id 800002) sum to 110.00, over 100'),
('variants: raising a variant of an active experiment to a sum of 150',
 $$UPDATE exp_assign.variants SET allocation_pct = 100 WHERE id = 8000011;
   SET CONSTRAINTS ALL IMMEDIATE$$,
 '23514', 'allocations of active experiment "bad_input_split" (id 800001) sum to 150.00, over 100'),
('experiments: activating a draft whose allocations sum to 140',
 $$INSERT INTO exp_assign.experiments (id, key, seed) VALUES (800009, 'bad_input_draft', 'd');
   INSERT INTO exp_assign.variants (experiment_id, key, allocation_pct) VALUES (800009, 'x', 70), (800009, 'y', 70);
   SET CONSTRAINTS ALL IMMEDIATE;
   UPDATE exp_assign.experiments SET status = 'active' WHERE id = 800009;
   SET CONSTRAINTS ALL IMMEDIATE$$,
 '23514', 'allocations of active experiment "bad_input_draft" (id 800009) sum to 140.00, over 100');

-- Each case: the SQLSTATE, a message naming what is wrong, a HINT.
SELECT throws_ok(query, state, NULL, what || ': SQLSTATE ' || state) FROM cases ORDER BY n;
-- Past numeric(5,2) (1000 and up, Infinity) the cast to the column type fails
-- before any trigger runs: PostgreSQL's own 22003, which names no column and
-- has no HINT (a documented departure, docs/errors.md).
SELECT throws_ok($$UPDATE exp_assign.variants SET allocation_pct = 1000 WHERE id = 8000011$$,
                 '22003', NULL, 'variants: allocation_pct 1000: SQLSTATE 22003');
SELECT throws_ok($$UPDATE exp_assign.variants SET allocation_pct = 'Infinity' WHERE id = 8000011$$,
                 '22003', NULL, 'variants: allocation_pct Infinity: SQLSTATE 22003');

CREATE TEMP TABLE outcomes ON COMMIT DROP AS
SELECT c.n, c.what, c.pattern, e.* FROM cases c, LATERAL pg_temp.err(c.query) e;

SELECT alike(message, pattern, what || ': the message names the argument or element') FROM outcomes ORDER BY n;
SELECT ok(coalesce(hint, '') <> '', what || ': the error has a HINT' || CASE WHEN coalesce(hint, '') = ''
          THEN ' (none; message: ' || coalesce(message, 'no error') || ')' ELSE '' END)
  FROM outcomes ORDER BY n;

SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE experiment_id IN (800001, 800002)), 0,
          'no bad call stored anything');
SELECT is((SELECT sum(allocation_pct) FROM exp_assign.variants WHERE experiment_id = 800001), 100.00,
          'no refused allocation change was kept');

-- ---------------------------------------------------------------------------
-- No half-written batch: many valid pairs and one bad one store nothing.
-- ---------------------------------------------------------------------------
SELECT throws_ok(
    $$SELECT * FROM exp_assign.exp_assign_bulk(ARRAY(SELECT 'batch_' || g FROM generate_series(1, 1000) g) || ''::text,
                                               array_fill(800001, ARRAY[1001]))$$,
    '22023', 'user_ids[1001] is an empty user id',
    'bulk: 1,000 valid pairs and an empty user id last: 22023 for element 1001');
SELECT throws_ok(
    $$SELECT * FROM exp_assign.exp_assign_bulk(ARRAY(SELECT 'batch_' || g FROM generate_series(1, 1000) g),
                                               array_fill(800001, ARRAY[999]) || NULL::int)$$,
    '22004', 'experiment_ids[1000] is NULL',
    'bulk: 999 valid pairs and a NULL experiment id last: 22004');
SELECT throws_ok(
    $$SELECT * FROM exp_assign.exp_assign_cohort(800001, ARRAY(SELECT 'batch_' || g FROM generate_series(1, 1000) g)
                                                         || repeat('z', 1001))$$,
    '22001', NULL, 'cohort: 1,000 valid users and an over-long id last: 22001');
SELECT throws_ok(
    $$SELECT * FROM exp_assign.exp_assign_matrix(ARRAY(SELECT 'batch_' || g FROM generate_series(1, 500) g),
                                                 ARRAY[800001, 800002, NULL])$$,
    '22004', 'experiment_ids[3] is NULL', 'matrix: 500 users x 2 valid experiments and a NULL one: 22004');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE experiment_id IN (800001, 800002)), 0,
          'the refused batches stored none of their valid pairs');
-- ... while the same batch without the bad element stores all of them.
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_bulk(ARRAY(SELECT 'batch_' || g FROM generate_series(1, 1000) g),
                                                                 array_fill(800001, ARRAY[1000]))),
          1000, 'bulk: the 1,000 valid pairs alone are assigned');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE experiment_id = 800001), 1000,
          'bulk: and stored');

-- ---------------------------------------------------------------------------
-- Unknown experiments: no row and no error from get-or-create and peek
-- (DESIGN.md section 4); only explain raises 42704 (a case above).
-- ---------------------------------------------------------------------------
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_bulk(ARRAY['unknown_1', 'unknown_1'], ARRAY[899999, 800002])),
          1, 'bulk: an unknown experiment yields no row, the known one its row');
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_user('unknown_2', ARRAY[899999, 899998])),
          0, 'user: unknown experiments yield no row');
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_cohort(899999, ARRAY['unknown_3', 'unknown_4'])),
          0, 'cohort: an unknown experiment yields no row');
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_matrix(ARRAY['unknown_5'], ARRAY[899999, 800002])),
          1, 'matrix: an unknown experiment yields no row, the known one its row');
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_peek('unknown_6', ARRAY[899999])),
          0, 'peek: an unknown experiment yields no row');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE experiment_id NOT IN (800001, 800002)
                                                              AND user_id LIKE 'unknown%'),
          0, 'nothing is stored for unknown experiments');

-- ---------------------------------------------------------------------------
-- exp_assign_bucket validates nothing; explain does not validate user ids.
-- ---------------------------------------------------------------------------
SELECT is(exp_assign.exp_assign_bucket('', ''), 7430, 'bucket: the empty user id is hashed (7430)');
SELECT ok(exp_assign.exp_assign_bucket(repeat('x', 100000), 'seed') BETWEEN 0 AND 9999,
          'bucket: a 100,000-byte user id is hashed, ignoring exp_assign.max_user_id_bytes');
SELECT is(exp_assign.exp_assign_explain('', 800002) ->> 'decision', 'new', 'explain: the empty user id is explained');
SELECT is(exp_assign.exp_assign_explain(repeat('x', 5000), 800002) ->> 'decision', 'new',
          'explain: a user id over exp_assign.max_user_id_bytes is explained');

-- ---------------------------------------------------------------------------
-- exp_assign.max_user_id_bytes: at least 1,000; the limit is inclusive.
-- ---------------------------------------------------------------------------
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_user(repeat('x', 1000), ARRAY[800002])), 1,
          'user: a user id of exactly 1000 bytes is accepted');
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_cohort(800002, ARRAY[repeat('é', 500)])), 1,
          'cohort: 500 two-byte characters (1000 bytes) are accepted');
SELECT throws_ok($$SET LOCAL exp_assign.max_user_id_bytes = 999$$, '22023', NULL,
                 'exp_assign.max_user_id_bytes cannot be set below 1000');
SET LOCAL exp_assign.max_user_id_bytes = 2000;
SELECT is((SELECT count(*)::int FROM exp_assign.exp_assign_user(repeat('x', 2000), ARRAY[800002])), 1,
          'with the limit raised to 2000, a user id of 2000 bytes is accepted');
SELECT throws_ok($$SELECT * FROM exp_assign.exp_assign_bulk(ARRAY['a', repeat('x', 2001)], ARRAY[800002, 800002])$$,
                 '22001', 'user_ids[2] is 2001 bytes long, over exp_assign.max_user_id_bytes (2000): "' || repeat('x', 40) || '..."',
                 'with the limit raised to 2000, 2001 bytes are refused and the message shows the limit');
-- An id the setting accepts must be assigned, not fail in the index: the
-- setting stops below what a btree entry of the primary key can hold.
SELECT throws_ok($$SET LOCAL exp_assign.max_user_id_bytes = '8kB'$$, '22023', NULL,
                 'exp_assign.max_user_id_bytes cannot be raised past what the primary key index holds');
SET LOCAL exp_assign.max_user_id_bytes = 2600;
SELECT lives_ok(
    $$SELECT * FROM exp_assign.exp_assign_user((SELECT left(string_agg(md5(g::text), ''), 2600) FROM generate_series(1, 100) g),
                                               ARRAY[800002])$$,
    'with the limit at its maximum, an incompressible 2600-byte user id is assigned');
SET LOCAL exp_assign.max_user_id_bytes = 1000;

-- ---------------------------------------------------------------------------
-- Read-only transaction: stored rows come back, a missing pair raises 25006
-- with a HINT to use exp_assign_peek, and peek works.
-- ---------------------------------------------------------------------------
SELECT count(*) AS ro_stored_rows FROM exp_assign.exp_assign_user('ro_stored', ARRAY[800001, 800002]) \gset
CREATE TEMP TABLE ro ON COMMIT DROP AS
SELECT what, (pg_temp.read_only(query)).* FROM (VALUES
    ('user, stored pairs',   $$SELECT user_id, experiment_id, source FROM exp_assign.exp_assign_user('ro_stored', ARRAY[800001, 800002])$$),
    ('user, a missing pair', $$SELECT * FROM exp_assign.exp_assign_user('ro_missing', ARRAY[800002])$$),
    ('user, stored and missing', $$SELECT * FROM exp_assign.exp_assign_user('ro_stored', ARRAY[800001, 800002, 800003])$$),
    ('bulk, a missing pair', $$SELECT * FROM exp_assign.exp_assign_bulk(ARRAY['ro_stored', 'ro_missing'], ARRAY[800002, 800002])$$),
    ('cohort, a missing pair', $$SELECT * FROM exp_assign.exp_assign_cohort(800002, ARRAY['ro_stored', 'ro_missing'])$$),
    ('matrix, a missing pair', $$SELECT * FROM exp_assign.exp_assign_matrix(ARRAY['ro_stored', 'ro_missing'], ARRAY[800002])$$),
    ('peek',                 $$SELECT user_id, experiment_id, variant_key, source FROM exp_assign.exp_assign_peek('ro_missing', ARRAY[800002])$$),
    ('peek, stored',         $$SELECT user_id, experiment_id, source FROM exp_assign.exp_assign_peek('ro_stored', ARRAY[800002])$$),
    ('explain',              $$SELECT exp_assign.exp_assign_explain('ro_missing', 800002) ->> 'decision' AS decision$$)
) AS v(what, query);

SELECT is((SELECT rows FROM ro WHERE what = 'user, stored pairs'),
          '[{"source": "existing", "user_id": "ro_stored", "experiment_id": 800001},
            {"source": "existing", "user_id": "ro_stored", "experiment_id": 800002}]'::jsonb,
          'read-only: exp_assign_user returns the stored rows');
SELECT is((SELECT state FROM ro WHERE what = 'user, a missing pair'), '25006',
          'read-only: exp_assign_user of a missing pair raises 25006');
SELECT is((SELECT message FROM ro WHERE what = 'user, a missing pair'),
          'cannot create the assignment of user "ro_missing" in experiment 800002 in a read-only transaction',
          'read-only: the message names the user and the experiment');
SELECT alike((SELECT hint FROM ro WHERE what = 'user, a missing pair'), '%exp_assign_peek%',
             'read-only: the HINT points to exp_assign_peek');
SELECT is((SELECT state FROM ro WHERE what = 'user, stored and missing'), '25006',
          'read-only: exp_assign_user of stored and missing pairs raises 25006');
SELECT is((SELECT state FROM ro WHERE what = 'bulk, a missing pair'), '25006',
          'read-only: exp_assign_bulk of a missing pair raises 25006');
SELECT is((SELECT state FROM ro WHERE what = 'cohort, a missing pair'), '25006',
          'read-only: exp_assign_cohort of a missing pair raises 25006');
SELECT is((SELECT state FROM ro WHERE what = 'matrix, a missing pair'), '25006',
          'read-only: exp_assign_matrix of a missing pair raises 25006');
SELECT is((SELECT rows FROM ro WHERE what = 'peek'),
          jsonb_build_array(jsonb_build_object('user_id', 'ro_missing', 'experiment_id', 800002,
                                               'variant_key', 'only', 'source', 'computed')),
          'read-only: exp_assign_peek computes the missing pair');
SELECT is((SELECT rows FROM ro WHERE what = 'peek, stored'),
          '[{"source": "existing", "user_id": "ro_stored", "experiment_id": 800002}]'::jsonb,
          'read-only: exp_assign_peek returns the stored pair');
SELECT is((SELECT rows FROM ro WHERE what = 'explain'), '[{"decision": "new"}]'::jsonb,
          'read-only: exp_assign_explain works');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE user_id = 'ro_missing'), 0,
          'read-only: nothing was stored for the missing pair');

SELECT * FROM finish();
ROLLBACK;

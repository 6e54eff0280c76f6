-- pgTAP: exp_assign_import with on_error 'reject' (issue #12 item 3): the
-- good rows imported, each bad one in import_rejects with its reason, the
-- counts; 'stop' as before; erasure of rejected rows; bad on_error.
-- Run from the repository root: pg_prove -d DB test/pgtap/import_rejects.sql
\ir preamble.psql

BEGIN;
SELECT plan(26);

INSERT INTO exp_assign.experiments (id, key, seed, status) VALUES
    (850001, 'rj_one', 'rj-one', 'active'),
    (850002, 'rj_two', 'rj-two', 'active');
INSERT INTO exp_assign.variants (id, experiment_id, key, allocation_pct) VALUES
    (8500101, 850001, 'control', 50), (8500102, 850001, 'green', 50),
    (8500201, 850002, 'only', 100);
INSERT INTO exp_assign.assignments (experiment_id, user_id, variant_id) VALUES
    (850001, 'rj_stored', 8500101), (850001, 'rj_conflict', 8500101);

-- An export of another platform with every kind of bad row, in order.
CREATE TEMP TABLE export (n int, exp int, uid text, arm text, seen timestamptz);
INSERT INTO export VALUES
    (1,  850001, 'rj_a',        'control', '2025-01-02 03:04:05+00'),
    (2,  NULL,   'rj_b',        'control', NULL),
    (3,  850001, NULL,          'control', NULL),
    (4,  850001, 'rj_c',        NULL,      NULL),
    (5,  850001, '',            'control', NULL),
    (6,  850001, repeat('x', 1001), 'control', NULL),
    (7,  859999, 'rj_d',        'control', NULL),
    (8,  850001, 'rj_e',        'blue',    NULL),
    (9,  850001, 'rj_split',    'control', NULL),
    (10, 850002, 'rj_a',        'only',    NULL),
    (11, 850001, 'rj_split',    'green',   NULL),
    (12, 850001, 'rj_a',        'control', NULL),      -- the same assignment again: fine
    (13, 850001, 'rj_stored',   'control', NULL),      -- stored alike: unchanged
    (14, 850001, 'rj_conflict', 'green',   NULL);      -- stored with another variant: a conflict

SELECT results_eq(
    $$SELECT * FROM exp_assign.exp_assign_import('SELECT exp, uid, arm, seen FROM export ORDER BY n', 'reject')$$,
    $$VALUES (2::bigint, 1::bigint, 1::bigint, 9::bigint)$$,
    'reject: 2 imported, 1 unchanged, 1 conflict, 9 rows rejected');
SELECT is((SELECT count(DISTINCT import_id)::int FROM exp_assign.import_rejects), 1, 'one import id for the call');
SELECT is((SELECT min(import_id) FROM exp_assign.import_rejects), currval('exp_assign.import_id_seq'),
          'the import id is the sequence''s currval');
SELECT results_eq(
    $$SELECT row_number, experiment_id, user_id, variant, reason FROM exp_assign.import_rejects
       WHERE row_number <> 6 ORDER BY row_number$$,
    $$VALUES (2::bigint, NULL::int, 'rj_b', 'control', 'experiment_id is NULL'),
             (3, 850001, NULL, 'control', 'user_id is NULL'),
             (4, 850001, 'rj_c', NULL, 'variant is NULL'),
             (5, 850001, '', 'control', 'user_id is empty'),
             (7, 859999, 'rj_d', 'control', 'experiment 859999 does not exist'),
             (8, 850001, 'rj_e', 'blue', 'experiment 850001 has no variant ''blue'''),
             (9, 850001, 'rj_split', 'control',
              'the input gives this user variants ''control'', ''green'' in experiment 850001 (first at row 9): keep one row'),
             (11, 850001, 'rj_split', 'green',
              'the input gives this user variants ''control'', ''green'' in experiment 850001 (first at row 9): keep one row')$$,
    'each rejected row as the query gave it, by its row number, with a reason a person can act on');
SELECT is((SELECT reason FROM exp_assign.import_rejects WHERE row_number = 6),
          'user_id is 1001 bytes long, over exp_assign.max_user_id_bytes (1000)', 'an over-long user id, with the limit');
SELECT is((SELECT user_id FROM exp_assign.import_rejects WHERE row_number = 6), repeat('x', 1001),
          'the over-long id is kept whole');
SELECT is((SELECT assigned_at FROM exp_assign.import_rejects WHERE row_number = 2), NULL::timestamptz,
          'assigned_at kept as given (NULL)');
SELECT results_eq(
    $$SELECT experiment_id, user_id COLLATE "default", variant_id, assigned_at, conflict_count FROM exp_assign.assignments
       WHERE user_id IN ('rj_a', 'rj_conflict', 'rj_stored') ORDER BY 1, 2$$,
    $$VALUES (850001, 'rj_a', 8500101, '2025-01-02 03:04:05+00'::timestamptz, 0),
             (850001, 'rj_conflict', 8500101, now(), 1),
             (850001, 'rj_stored', 8500101, now(), 0),
             (850002, 'rj_a', 8500201, now(), 0)$$,
    'the good rows imported, the stored ones kept, the conflict counted');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE user_id IN ('rj_b', 'rj_c', 'rj_d', 'rj_e', 'rj_split', '')),
          0, 'no rejected row was imported');

-- Variants by id: an id of another experiment is named as an id.
SELECT results_eq(
    $$SELECT * FROM exp_assign.exp_assign_import('VALUES (850002, ''rj_f'', 8500201), (850002, ''rj_g'', 8500101)', 'reject')$$,
    $$VALUES (1::bigint, 0::bigint, 0::bigint, 1::bigint)$$, 'by id: one imported, one rejected');
SELECT is((SELECT reason FROM exp_assign.import_rejects WHERE import_id = currval('exp_assign.import_id_seq')),
          'experiment 850002 has no variant with id 8500101', 'by id: the reason names the id');

-- Nothing bad: no rejects, and 'reject' imports like 'stop'.
SELECT results_eq(
    $$SELECT * FROM exp_assign.exp_assign_import('VALUES (850002, ''rj_h'', ''only'')', 'reject')$$,
    $$VALUES (1::bigint, 0::bigint, 0::bigint, 0::bigint)$$, 'a clean import with reject: nothing rejected');
SELECT is((SELECT count(*)::int FROM exp_assign.import_rejects WHERE import_id = currval('exp_assign.import_id_seq')), 0,
          'a clean import writes no reject');

-- All bad: nothing imported, every row rejected.
SELECT results_eq(
    $$SELECT * FROM exp_assign.exp_assign_import('VALUES (859999, ''rj_i'', ''x''), (859999, ''rj_j'', ''x'')', 'reject')$$,
    $$VALUES (0::bigint, 0::bigint, 0::bigint, 2::bigint)$$, 'an all-bad import: nothing imported, two rejected');

-- 'stop' (the default) as before: the first bad row fails the call and
-- nothing is written, not even a reject.
SELECT is((SELECT count(*)::int FROM exp_assign.import_rejects), 12, 'rejects so far');
SELECT throws_ok($$SELECT * FROM exp_assign.exp_assign_import('SELECT exp, uid, arm, seen FROM export ORDER BY n')$$,
                 '22004', 'row 2 of the import has a NULL experiment_id', 'stop by default: the first bad row fails the call');
SELECT throws_ok($$SELECT * FROM exp_assign.exp_assign_import('SELECT exp, uid, arm, seen FROM export ORDER BY n', 'stop')$$,
                 '22004', 'row 2 of the import has a NULL experiment_id', 'stop: the first bad row fails the call');
SELECT is((SELECT count(*)::int FROM exp_assign.import_rejects), 12, 'stop writes no reject');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE experiment_id IN (850001, 850002)), 6,
          'stop writes no assignment');

-- Erasure deletes a user's rejected rows too.
SELECT is(exp_assign.exp_assign_forget(ARRAY['rj_split']), 2::bigint, 'forget counts the two rejected rows of the user');
SELECT is((SELECT count(*)::int FROM exp_assign.import_rejects WHERE user_id = 'rj_split'), 0,
          'nothing of a forgotten user is left in import_rejects');

-- Bad on_error.
CREATE TEMP TABLE cases (n int GENERATED ALWAYS AS IDENTITY, what text, query text, state text, message text);
INSERT INTO cases (what, query, state, message) VALUES
('NULL on_error', $$SELECT * FROM exp_assign.exp_assign_import('VALUES (850002, ''rj_k'', ''only'')', NULL)$$,
 '22004', 'on_error must not be NULL'),
('unknown on_error', $$SELECT * FROM exp_assign.exp_assign_import('VALUES (850002, ''rj_k'', ''only'')', 'skip')$$,
 '22023', 'on_error must be ''stop'' or ''reject'', not ''skip''');
SELECT * FROM pg_temp.error_cases('cases');

SELECT * FROM finish();
ROLLBACK;

-- pgTAP: exp_assign_cohort_query (a cohort chosen by a query, the split as
-- its result) and exp_assign_warm (a matrix whose rows are all queued).
-- The rows each creates are checked against the rule recomputed in SQL, the
-- split against the stored rows, and bad input against SQLSTATE and HINT.
-- Run from the repository root: pg_prove -d DB test/pgtap/cohort_query.sql
\ir preamble.psql

BEGIN;
SET LOCAL search_path = public, exp_assign;
SELECT plan(43);

INSERT INTO exp_assign.experiments (id, key, seed, status) VALUES
    (830001, 'cq_split',   'cq-seed',     'active'),
    (830002, 'cq_paused',  'cq-paused',   'paused'),
    (830003, 'cq_draft',   'cq-draft',    'draft'),
    (830004, 'cq_stopped', 'cq-stopped',  'stopped'),
    (830005, 'cq_warm',    'cq-warm',     'active');
-- 30 + 45 = 75 % enrolled, so the split has a "no variant" row.
INSERT INTO exp_assign.variants (id, experiment_id, key, allocation_pct) VALUES
    (8300101, 830001, 'control', 30), (8300102, 830001, 'treatment', 45),
    (8300201, 830002, 'only', 100), (8300301, 830003, 'only', 100),
    (8300401, 830004, 'only', 100), (8300501, 830005, 'only', 100);

-- The rule in SQL: the variant of user u in experiment 830001, or NULL.
CREATE FUNCTION pg_temp.rule(u text) RETURNS int LANGUAGE sql AS $$
    SELECT CASE WHEN b < 3000 THEN 8300101 WHEN b < 7500 THEN 8300102 END
      FROM (SELECT exp_assign.exp_assign_bucket(u, 'cq-seed') AS b) x
$$;

-- ---------------------------------------------------------------------------
-- A cohort of 2,500 users in batches of 1,000 (three batches, the last short).
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE split1 AS
SELECT * FROM exp_assign.exp_assign_cohort_query(830001,
    $$SELECT 'cq_' || g FROM generate_series(1, 2500) g$$, 1000);
SELECT results_eq(
    $$SELECT variant_id, variant_key, users, new_users FROM split1$$,
    $$SELECT v.id, v.key, count(r.u), count(r.u) FROM (VALUES (8300101, 'control'), (8300102, 'treatment')) v(id, key)
        LEFT JOIN (SELECT pg_temp.rule('cq_' || g) AS vid, g AS u FROM generate_series(1, 2500) g) r ON r.vid = v.id
       GROUP BY v.id, v.key
      UNION ALL
      SELECT NULL::int, NULL::text, count(*), 0 FROM generate_series(1, 2500) g WHERE pg_temp.rule('cq_' || g) IS NULL$$,
    'the split: one row per variant in id order with the rule''s counts, all new, then the users without a variant');
SELECT is((SELECT sum(users)::int FROM split1), 2500, 'the split accounts for every user of the query');
SELECT is((SELECT sum(pct) FROM split1 WHERE users > 0) BETWEEN 99.98 AND 100.02, true, 'pct adds up to 100');
SELECT is((SELECT pct FROM split1 WHERE variant_id = 8300101),
          round(100.0 * (SELECT users FROM split1 WHERE variant_id = 8300101) / 2500, 2),
          'pct is the share of the query''s users, two decimals');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments a
            WHERE a.experiment_id = 830001 AND a.user_id LIKE 'cq\_%'
              AND a.variant_id IS DISTINCT FROM pg_temp.rule(a.user_id)), 0,
          'every stored row is the rule''s variant');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE experiment_id = 830001 AND user_id LIKE 'cq\_%'),
          (SELECT (sum(users) FILTER (WHERE variant_id IS NOT NULL))::int FROM split1),
          'one stored row per enrolled user, none for the others');

-- Again: everything is stored, nothing new; then a larger batch covering new users.
SELECT results_eq(
    $$SELECT variant_id, users, new_users FROM exp_assign.exp_assign_cohort_query(830001,
          $q$SELECT 'cq_' || g FROM generate_series(1, 2500) g$q$)$$,
    $$SELECT variant_id, users, 0::bigint FROM split1$$,
    'the same cohort again: the same split, no new user (default batch size)');
SELECT is((SELECT sum(new_users)::int FROM exp_assign.exp_assign_cohort_query(830001,
              $$SELECT 'cq_' || g FROM generate_series(2001, 3000) g$$, 300)),
          (SELECT count(*)::int FROM generate_series(2501, 3000) g WHERE pg_temp.rule('cq_' || g) IS NOT NULL),
          'overlapping cohort: only the users not stored yet are new');

-- Stickiness: a stored row wins over the rule, and is counted where it is.
UPDATE exp_assign.assignments SET variant_id = 8300101
 WHERE experiment_id = 830001 AND user_id = (SELECT 'cq_' || g FROM generate_series(1, 2500) g
                                               WHERE pg_temp.rule('cq_' || g) = 8300102 LIMIT 1);
SELECT is((SELECT users FROM exp_assign.exp_assign_cohort_query(830001,
              $$SELECT 'cq_' || g FROM generate_series(1, 2500) g$$) WHERE variant_id = 8300101),
          (SELECT users + 1 FROM split1 WHERE variant_id = 8300101),
          'a stored row counts under its stored variant, not the rule''s');

-- Ids of any type are taken as their text; duplicates in a batch count once.
SELECT results_eq(
    $$SELECT sum(users)::int, sum(new_users)::int FROM exp_assign.exp_assign_cohort_query(830005,
          'SELECT g FROM generate_series(1, 50) g CROSS JOIN generate_series(1, 2)')$$,
    $$VALUES (50, 50)$$,
    'integer ids, each twice in one batch: 50 users, 50 new');
SELECT is((SELECT array_agg(user_id ORDER BY user_id::int) FROM exp_assign.assignments WHERE experiment_id = 830005),
          (SELECT array_agg(g::text ORDER BY g) FROM generate_series(1, 50) g),
          'integer ids are stored as their text');
SELECT results_eq(
    $$SELECT variant_id, users, new_users, pct FROM exp_assign.exp_assign_cohort_query(830005, 'SELECT ''x'' WHERE false')$$,
    $$VALUES (8300501, 0::bigint, 0::bigint, NULL::numeric), (NULL, 0, 0, NULL)$$,
    'an empty cohort: zero counts, no pct');
-- The query may read the table it fills: its snapshot is taken once, at the start.
SELECT is((SELECT sum(new_users)::int FROM exp_assign.exp_assign_cohort_query(830005,
              $$SELECT 'w' || user_id FROM exp_assign.assignments WHERE experiment_id = 830005$$, 7)),
          50, 'a query over assignments sees the table as it was when the call began');

-- Paused: stored rows come back, nobody new is assigned.
INSERT INTO exp_assign.assignments (experiment_id, user_id, variant_id) VALUES (830002, 'cq_1', 8300201);
SELECT results_eq(
    $$SELECT variant_id, users, new_users FROM exp_assign.exp_assign_cohort_query(830002,
          $q$SELECT 'cq_' || g FROM generate_series(1, 10) g$q$)$$,
    $$VALUES (8300201, 1::bigint, 0::bigint), (NULL, 9, 0)$$,
    'a paused experiment: its stored row counts, the other nine get no variant');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE experiment_id = 830002), 1,
          'a paused experiment gains no row');

-- ---------------------------------------------------------------------------
-- Bad input: SQLSTATE, a message naming the problem, a HINT; nothing written.
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE cq_cases (n int GENERATED ALWAYS AS IDENTITY, what text, query text, state text, message text);
INSERT INTO cq_cases (what, query, state, message) VALUES
('NULL experiment', $$SELECT * FROM exp_assign.exp_assign_cohort_query(NULL, 'SELECT 1')$$,
 '22004', 'experiment_id must not be NULL'),
('NULL query', $$SELECT * FROM exp_assign.exp_assign_cohort_query(830001, NULL)$$,
 '22004', 'query must not be NULL'),
('empty query', $$SELECT * FROM exp_assign.exp_assign_cohort_query(830001, '  ')$$,
 '42601', 'the cohort query is empty'),
('NULL batch size', $$SELECT * FROM exp_assign.exp_assign_cohort_query(830001, 'SELECT 1', NULL)$$,
 '22004', 'batch_size must not be NULL'),
('batch size 0', $$SELECT * FROM exp_assign.exp_assign_cohort_query(830001, 'SELECT 1', 0)$$,
 '22023', 'batch_size 0 is out of range'),
('unknown experiment', $$SELECT * FROM exp_assign.exp_assign_cohort_query(839999, 'SELECT 1')$$,
 '42704', 'experiment 839999 does not exist'),
('draft experiment', $$SELECT * FROM exp_assign.exp_assign_cohort_query(830003, 'SELECT 1')$$,
 '55000', 'experiment 830003 is draft: no user can be assigned to it'),
('stopped experiment', $$SELECT * FROM exp_assign.exp_assign_cohort_query(830004, 'SELECT 1')$$,
 '55000', 'experiment 830004 is stopped: no user can be assigned to it'),
('two columns', $$SELECT * FROM exp_assign.exp_assign_cohort_query(830001, 'SELECT 1, 2')$$,
 '42601', 'the cohort query must return one column, the user ids; it returns 2'),
('NULL id in the second batch', $$SELECT * FROM exp_assign.exp_assign_cohort_query(830001,
     'SELECT CASE WHEN g = 15 THEN NULL ELSE ''cqn_'' || g END FROM generate_series(1, 20) g ORDER BY g', 10)$$,
 '22004', 'row 15 of the cohort query has a NULL user id'),
('empty id', $$SELECT * FROM exp_assign.exp_assign_cohort_query(830001,
     'SELECT CASE WHEN g = 3 THEN '''' ELSE ''cqn_'' || g END FROM generate_series(1, 5) g ORDER BY g')$$,
 '22023', 'row 3 of the cohort query is an empty user id'),
('over-long id', $$SELECT * FROM exp_assign.exp_assign_cohort_query(830001, 'SELECT repeat(''x'', 5000)')$$,
 '22001', NULL);
SELECT * FROM pg_temp.error_cases('cq_cases');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE user_id LIKE 'cqn\_%'), 0,
          'a failing cohort leaves nothing behind, not even its first batch');

-- ---------------------------------------------------------------------------
-- exp_assign_warm: exp_assign_matrix's rows, stored ones included. Queueing
-- itself is tested against a real worker and Redis (test/redis/run).
-- ---------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT user_id, experiment_id, variant_id, source FROM exp_assign.exp_assign_warm(ARRAY['cq_1', 'cq_new'], ARRAY[830005, 830002])$$,
    $$VALUES ('cq_1', 830005, 8300501, 'new'), ('cq_1', 830002, 8300201, 'existing'), ('cq_new', 830005, 8300501, 'new')$$,
    'warm returns what the matrix would, in request order: new rows and stored ones (also of a paused experiment)');
SELECT is((SELECT state FROM pg_temp.err($$SELECT * FROM exp_assign.exp_assign_warm(ARRAY[NULL], ARRAY[830005])$$)),
          '22004', 'warm checks its input like the matrix: NULL user id');
SELECT is((SELECT count(*)::int FROM exp_assign.push_queue), 0,
          'nothing is queued where no worker serves the database');

SELECT * FROM finish();
ROLLBACK;

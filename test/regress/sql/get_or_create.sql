-- Get-or-create in every shape: results, stickiness, status rules, order.
SET search_path = exp_assign, public;

-- Shows an error as SQLSTATE, message and hint (no source line numbers).
CREATE FUNCTION public.sql_error(query text) RETURNS TABLE (code text, message text, hint text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE query;
    RETURN QUERY SELECT 'ok'::text, NULL::text, NULL::text;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RETURN NEXT;
END
$$;

INSERT INTO experiments (id, key, seed, status) VALUES
    (1, 'checkout', 'seed_checkout', 'active'),
    (2, 'banner',   'seed_banner',   'active'),
    (3, 'paused',   'seed_paused',   'paused'),
    (4, 'draft',    'seed_draft',    'draft'),
    (5, 'stopped',  'seed_stopped',  'stopped');
INSERT INTO variants (id, experiment_id, key, allocation_pct) VALUES
    (11, 1, 'control', 50), (12, 1, 'treatment', 50),
    (21, 2, 'a', 25.5), (22, 2, 'b', 24.5),
    (31, 3, 'x', 100), (41, 4, 'x', 100), (51, 5, 'x', 100);

-- One user, every experiment (and one that does not exist): rows for the
-- active experiments only, in request order.
SELECT user_id, experiment_id, variant_id, variant_key, version, assigned_at IS NOT NULL AS stamped, source
  FROM exp_assign_user('alice', ARRAY[2, 1, 3, 4, 5, 999]);
-- Again: the same variants, now 'existing'.
SELECT user_id, experiment_id, variant_id, variant_key, source
  FROM exp_assign_user('alice', ARRAY[2, 1, 3, 4, 5, 999]);

-- The variant is the rule's: first running bound above the bucket.
SELECT a.experiment_id, a.variant_id,
       (SELECT v.id FROM (SELECT v.id, sum(round(v.allocation_pct * 100)) OVER (ORDER BY v.id) AS bound
                            FROM variants v WHERE v.experiment_id = a.experiment_id) v
         WHERE v.bound > exp_assign_bucket(a.user_id, e.seed) ORDER BY v.id LIMIT 1) AS by_rule
  FROM assignments a JOIN experiments e ON e.id = a.experiment_id
 WHERE a.user_id = 'alice' ORDER BY 1;

-- Pairs: duplicates fold into one row, order is first occurrence.
SELECT user_id, experiment_id, variant_key, source
  FROM exp_assign_bulk(ARRAY['bob', 'carol', 'bob', 'alice'], ARRAY[1, 1, 1, 1]);

-- Cohort: 1,000 users, split close to 50/50, all new, then all existing.
SELECT source, variant_key, count(*) FROM exp_assign_cohort(1, ARRAY(SELECT 'user_' || g FROM generate_series(1, 1000) g))
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT source, count(*) FROM exp_assign_cohort(1, ARRAY(SELECT 'user_' || g FROM generate_series(1, 1000) g))
 GROUP BY 1;

-- Matrix: user-major order; experiment 2 enrolls 50% of traffic.
SELECT user_id, experiment_id, variant_key, source
  FROM exp_assign_matrix(ARRAY['m1', 'm2', 'm3'], ARRAY[1, 2]);

-- Empty requests give empty sets.
SELECT count(*) FROM exp_assign_bulk('{}', '{}');
SELECT count(*) FROM exp_assign_user('alice', '{}');
SELECT count(*) FROM exp_assign_cohort(1, '{}');
SELECT count(*) FROM exp_assign_matrix('{}', ARRAY[1]);

-- Stickiness: change allocation, seed and version; stored rows win.
UPDATE variants SET allocation_pct = CASE id WHEN 11 THEN 0 ELSE 100 END WHERE experiment_id = 1;
UPDATE experiments SET seed = 'reseeded', version = 2 WHERE id = 1;
SELECT count(*) FILTER (WHERE variant_key = 'control') > 0 AS control_kept,
       count(*) FILTER (WHERE source = 'new') AS created
  FROM exp_assign_cohort(1, ARRAY(SELECT 'user_' || g FROM generate_series(1, 1000) g));
-- New users get the new rule and the new version.
SELECT variant_key, version, source FROM exp_assign_user('newcomer', ARRAY[1]);

-- Paused: stored rows come back, nothing new is created.
INSERT INTO assignments (experiment_id, user_id, variant_id) VALUES (3, 'alice', 31);
SELECT user_id, variant_key, source FROM exp_assign_user('alice', ARRAY[3]);
SELECT count(*) FROM exp_assign_user('someone_else', ARRAY[3]);
-- Draft and stopped: nothing, even with a stored row.
INSERT INTO assignments (experiment_id, user_id, variant_id) VALUES (4, 'alice', 41), (5, 'alice', 51);
SELECT count(*) FROM exp_assign_user('alice', ARRAY[4, 5]);

-- Peek never writes: the rule's answer comes back as 'computed'.
SELECT user_id, experiment_id, variant_key, assigned_at IS NULL AS unstamped, source
  FROM exp_assign_peek('peeker', ARRAY[1, 2, 3]);
SELECT count(*) FROM assignments WHERE user_id = 'peeker';

-- A read-only transaction may read stored rows but not create one.
BEGIN READ ONLY;
SELECT user_id, variant_key, source FROM exp_assign_user('alice', ARRAY[1]);
SELECT * FROM sql_error($$SELECT * FROM exp_assign_user('not_yet', ARRAY[1])$$);
ROLLBACK;

-- Allocations over 100 are refused at commit; under 100 leaves traffic unenrolled.
SELECT * FROM sql_error($$INSERT INTO variants (experiment_id, key, allocation_pct) VALUES (2, 'c', 60);
                           SET CONSTRAINTS ALL IMMEDIATE$$);
SELECT sum(allocation_pct) FROM variants WHERE experiment_id = 2;
-- A rebalance in several statements of one transaction is fine.
BEGIN;
UPDATE variants SET allocation_pct = 80 WHERE id = 21;
UPDATE variants SET allocation_pct = 20 WHERE id = 22;
COMMIT;
SELECT id, allocation_pct FROM variants WHERE experiment_id = 2 ORDER BY id;

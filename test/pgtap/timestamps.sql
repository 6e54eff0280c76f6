-- pgTAP: a stored assigned_at of 'infinity' or '-infinity' reads the same
-- everywhere: as the timestamp itself from every get-or-create shape and
-- from peek, and as the words "infinity" / "-infinity" in explain's
-- document, as the Redis value spells it (test/redis/run checks that one).
-- One conversion serves explain and the push worker (src/pg/unix_micros.cpp,
-- src/core/utc_time.cpp).
\ir preamble.psql

BEGIN;
SELECT plan(22);

INSERT INTO exp_assign.experiments (key, seed) VALUES ('ts', 'ts-seed');
INSERT INTO exp_assign.variants (experiment_id, key, allocation_pct)
    SELECT e.id, v, 50 FROM exp_assign.experiments e, unnest(ARRAY['control', 'treatment']) v WHERE e.key = 'ts';
UPDATE exp_assign.experiments SET status = 'active' WHERE key = 'ts';
CREATE TEMP TABLE ts AS SELECT id FROM exp_assign.experiments WHERE key = 'ts';
INSERT INTO exp_assign.assignments (experiment_id, user_id, variant_id, version, assigned_at)
    SELECT ts.id, u, (SELECT min(v.id) FROM exp_assign.variants v WHERE v.experiment_id = ts.id), 1, at
    FROM ts, (VALUES ('forever', 'infinity'::timestamptz), ('always', '-infinity'::timestamptz),
                     ('plain', '2026-11-24 08:00:00.5+00'::timestamptz)) AS s(u, at);

-- Every shape returns the stored timestamp as it is.
SELECT is((SELECT assigned_at FROM exp_assign.exp_assign_user('forever', ARRAY[(SELECT id FROM ts)])),
          'infinity'::timestamptz, 'exp_assign_user returns infinity');
SELECT is((SELECT assigned_at FROM exp_assign.exp_assign_user('always', ARRAY[(SELECT id FROM ts)])),
          '-infinity'::timestamptz, 'exp_assign_user returns -infinity');
SELECT is((SELECT array_agg(assigned_at ORDER BY user_id)
             FROM exp_assign.exp_assign_cohort((SELECT id FROM ts), ARRAY['forever', 'always'])),
          ARRAY['-infinity', 'infinity']::timestamptz[], 'exp_assign_cohort returns both');
SELECT is((SELECT array_agg(assigned_at ORDER BY user_id)
             FROM exp_assign.exp_assign_matrix(ARRAY['forever', 'always'], ARRAY[(SELECT id FROM ts)])),
          ARRAY['-infinity', 'infinity']::timestamptz[], 'exp_assign_matrix returns both');
SELECT is((SELECT array_agg(assigned_at ORDER BY user_id)
             FROM exp_assign.exp_assign_bulk(ARRAY['forever', 'always'], ARRAY[(SELECT id FROM ts), (SELECT id FROM ts)])),
          ARRAY['-infinity', 'infinity']::timestamptz[], 'exp_assign_bulk returns both');
SELECT is((SELECT array_agg(assigned_at ORDER BY user_id)
             FROM exp_assign.exp_assign_warm(ARRAY['forever', 'always'], ARRAY[(SELECT id FROM ts)])),
          ARRAY['-infinity', 'infinity']::timestamptz[], 'exp_assign_warm returns both');
SELECT is((SELECT assigned_at FROM exp_assign.exp_assign_peek('forever', ARRAY[(SELECT id FROM ts)])),
          'infinity'::timestamptz, 'exp_assign_peek returns infinity');
SELECT is((SELECT assigned_at FROM exp_assign.exp_assign_peek('always', ARRAY[(SELECT id FROM ts)])),
          '-infinity'::timestamptz, 'exp_assign_peek returns -infinity');
SELECT is((SELECT source FROM exp_assign.exp_assign_user('forever', ARRAY[(SELECT id FROM ts)])),
          'existing', 'the infinite rows are stored rows');
SELECT is((SELECT count(*)::int FROM exp_assign.assignments WHERE user_id IN ('forever', 'always')), 2,
          'no call stored a second row for them');

-- Explain names the sentinels as PostgreSQL's to_json does.
SELECT is(exp_assign.exp_assign_explain('forever', (SELECT id FROM ts)) -> 'stored' ->> 'assigned_at',
          'infinity', 'explain shows infinity as "infinity"');
SELECT is(exp_assign.exp_assign_explain('always', (SELECT id FROM ts)) -> 'stored' ->> 'assigned_at',
          '-infinity', 'explain shows -infinity as "-infinity"');
SELECT is(exp_assign.exp_assign_explain('forever', (SELECT id FROM ts)) -> 'stored' ->> 'assigned_at',
          to_json('infinity'::timestamptz) #>> '{}', 'explain agrees with to_json for infinity');
SELECT is(exp_assign.exp_assign_explain('always', (SELECT id FROM ts)) -> 'stored' ->> 'assigned_at',
          to_json('-infinity'::timestamptz) #>> '{}', 'explain agrees with to_json for -infinity');
-- Finite instants keep their microseconds and are UTC, whatever TimeZone says.
SET LOCAL TimeZone = 'Asia/Kolkata';
SELECT is(exp_assign.exp_assign_explain('plain', (SELECT id FROM ts)) -> 'stored' ->> 'assigned_at',
          '2026-11-24T08:00:00.500000Z', 'explain shows a finite instant in UTC with its microseconds');
SELECT is(exp_assign.exp_assign_explain('plain', (SELECT id FROM ts)) -> 'stored' ->> 'assigned_at',
          to_char('2026-11-24 08:00:00.5+00'::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
          'and the same as to_char in UTC');
SELECT is(exp_assign.exp_assign_explain('forever', (SELECT id FROM ts)) ->> 'decision', 
          exp_assign.exp_assign_explain('plain', (SELECT id FROM ts)) ->> 'decision',
          'an infinite row is decided like any stored row');
-- The limits of the finite range.
UPDATE exp_assign.assignments SET assigned_at = '4713-11-24 00:00:00+00 BC' WHERE user_id = 'plain';
SELECT is(exp_assign.exp_assign_explain('plain', (SELECT id FROM ts)) -> 'stored' ->> 'assigned_at',
          '-4712-11-24T00:00:00Z', 'an instant of 4713 BC (year -4712 in ISO 8601)');
UPDATE exp_assign.assignments SET assigned_at = '294276-12-31 23:59:59.999999+00' WHERE user_id = 'plain';
SELECT is(exp_assign.exp_assign_explain('plain', (SELECT id FROM ts)) -> 'stored' ->> 'assigned_at',
          '294276-12-31T23:59:59.999999Z', 'the last finite instant');
SELECT isnt(exp_assign.exp_assign_explain('plain', (SELECT id FROM ts)) -> 'stored' ->> 'assigned_at',
          'infinity', 'the last finite instant is not infinity');
SELECT is((SELECT assigned_at FROM exp_assign.exp_assign_user('plain', ARRAY[(SELECT id FROM ts)])),
          '294276-12-31 23:59:59.999999+00'::timestamptz, 'and exp_assign_user returns it as stored');
SELECT ok(exp_assign.exp_assign_explain('forever', (SELECT id FROM ts)) -> 'stored' ->> 'assigned_at'
          NOT LIKE '%-290278-%', 'no epoch arithmetic on the sentinel (the old "-290278-12-22T19:59:05.224191Z")');

SELECT * FROM finish();
ROLLBACK;

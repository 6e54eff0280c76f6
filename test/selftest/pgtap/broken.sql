-- test/run-all's self-test runs this with EXP_ASSIGN_BREAK=1: one of its two
-- checks fails, so the pgtap suite must count it.
\ir ../../pgtap/preamble.psql
BEGIN;
SELECT plan(2);
SELECT is(exp_assign.exp_assign_bucket('user_1', 'seed_abc'), 4933, 'a vector row (passes)');
SELECT is(exp_assign.exp_assign_bucket('user_1', 'seed_abc'), 4934, 'broken on purpose: EXP_ASSIGN_BREAK');
SELECT * FROM finish();
ROLLBACK;

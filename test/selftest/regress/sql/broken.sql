-- test/run-all's self-test runs this with EXP_ASSIGN_BREAK=1: its expected
-- output says 2, so the regress suite must count one FAILED test.
SELECT 1 + 1 AS sum;

-- The one-step upgrade 0.1 -> 0.2 gives what CREATE EXTENSION gives; the
-- data of 0.1 stays.
DROP EXTENSION exp_assign CASCADE;
CREATE EXTENSION exp_assign VERSION '0.1';
INSERT INTO exp_assign.experiments (id, key, seed, status) VALUES (1, 'kept', 's', 'draft');
SELECT to_regprocedure('exp_assign.exp_assign_warm(text[], int[])') IS NULL AS no_warm_in_0_1;
ALTER EXTENSION exp_assign UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'exp_assign';
SELECT p.oid::regprocedure AS added, obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
  FROM pg_proc p
 WHERE p.pronamespace = 'exp_assign'::regnamespace
   AND p.proname IN ('exp_assign_warm', 'exp_assign_cohort_query', 'exp_assign_import', 'exp_assign_migrate', 'queue_keys')
 ORDER BY 1::text;
SELECT key FROM exp_assign.experiments;
DROP EXTENSION exp_assign;
CREATE EXTENSION exp_assign;
SELECT extversion FROM pg_extension WHERE extname = 'exp_assign';

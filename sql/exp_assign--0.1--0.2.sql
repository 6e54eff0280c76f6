-- exp_assign 0.1 -> 0.2: the psql and migration entry points of DESIGN.md
-- section 1 that build on the get-or-create core.
\echo Use "ALTER EXTENSION exp_assign UPDATE TO '0.2'" to load this file. \quit

-- Queues keys for the Redis push worker, which writes what is stored for
-- each key when it delivers it (a SET, or a DEL where no row exists), so a
-- key queued twice or for a missing row never puts a wrong value in Redis.
-- SECURITY DEFINER: callers need no privilege on the queue.
CREATE FUNCTION @extschema@.queue_keys(experiment_ids int[], user_ids text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT @extschema@.push_wanted() THEN
        RETURN;
    END IF;
    INSERT INTO @extschema@.push_queue (experiment_ids, user_ids, key_count)
    SELECT array_agg(k.e ORDER BY k.n), array_agg(k.u ORDER BY k.n), count(*)
      FROM unnest($1, $2) WITH ORDINALITY AS k(e, u, n)
     GROUP BY (k.n - 1) / 1000;
END
$$;
COMMENT ON FUNCTION @extschema@.queue_keys(int[], text[]) IS
    'Queues the keys (experiment_ids[i], user_ids[i]) for the Redis push worker, when this database is exp_assign.database and the library is preloaded.';

CREATE FUNCTION @extschema@.exp_assign_warm(user_ids text[], experiment_ids int[])
RETURNS TABLE (user_id text, experiment_id int, variant_id int, variant_key text,
               version int, assigned_at timestamptz, source text)
AS 'MODULE_PATHNAME', 'exp_assign_warm'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.exp_assign_warm(text[], int[]) IS
    'exp_assign_matrix that also queues every row it returns for Redis, stored rows included: warms the cache before a launch.';

CREATE FUNCTION @extschema@.exp_assign_cohort_query(experiment_id int, query text,
                                                    batch_size int DEFAULT 10000)
RETURNS TABLE (variant_id int, variant_key text, users bigint, new_users bigint, pct numeric)
AS 'MODULE_PATHNAME', 'exp_assign_cohort_query'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 3;
COMMENT ON FUNCTION @extschema@.exp_assign_cohort_query(int, text, int) IS
    'Assigns the users a query returns (one column) to an experiment, batch_size at a time through exp_assign_cohort, with progress as NOTICEs; returns the split: users and new users per variant, and a last row (NULL variant) for those without one.';

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

-- ---------------------------------------------------------------------------
-- Import and migration: set-based SQL, one INSERT for all rows, in lock
-- order (user id bytes, then experiment), like the get-or-create functions.
-- ---------------------------------------------------------------------------

-- Imports the rows a query returns: (experiment_id, user_id, variant[,
-- assigned_at]) by position, variant as a key (text) or an id (integer).
-- The rows are checked first, all of them: any bad row fails the whole call
-- before anything is written. A stored row wins (stickiness); where it
-- names another variant, its conflict_count goes up by one.
-- Each step is a function of its own, below, in the order the import runs
-- them; they share the scratch table pg_temp.exp_assign_import_rows, which
-- exp_assign_migrate reads afterwards too.

-- Step 1: the call and the query's shape, without running it (LIMIT 0): its
-- columns are taken by position, 4 or else 3 (then without assigned_at).
-- No SET search_path: the caller's query runs with the caller's.
CREATE FUNCTION @extschema@._import_columns(query text, OUT aliases text, OUT by_id boolean)
LANGUAGE plpgsql AS $$
DECLARE
    hint_columns constant text :=
        'Return experiment_id, user_id, the variant''s key (or id) and optionally assigned_at, in that order.';
    ncols int;
    detail text;
BEGIN
    IF query IS NULL THEN
        RAISE EXCEPTION 'query must not be NULL' USING ERRCODE = '22004', HINT = hint_columns;
    END IF;
    IF current_setting('transaction_read_only')::boolean THEN
        RAISE EXCEPTION 'exp_assign_import cannot run in a read-only transaction' USING ERRCODE = '25006',
            HINT = 'Import on the primary, in a read-write transaction.';
    END IF;
    aliases := 'experiment_id, user_id, variant, assigned_at';
    BEGIN
        EXECUTE format('CREATE TEMP TABLE exp_assign_import_probe ON COMMIT DROP AS'
                       ' SELECT * FROM (%s) q(%s) LIMIT 0', query, aliases);
    EXCEPTION WHEN invalid_column_reference OR duplicate_column THEN
        aliases := 'experiment_id, user_id, variant';
        BEGIN
            EXECUTE format('CREATE TEMP TABLE exp_assign_import_probe ON COMMIT DROP AS'
                           ' SELECT * FROM (%s) q(%s) LIMIT 0', query, aliases);
        EXCEPTION WHEN invalid_column_reference OR duplicate_column THEN
            GET STACKED DIAGNOSTICS detail = MESSAGE_TEXT;
            RAISE EXCEPTION 'the import query must return 3 or 4 columns' USING ERRCODE = '42601',
                DETAIL = detail, HINT = hint_columns;
        END;
    END;
    SELECT count(*), bool_or(a.attname = 'variant' AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype))
      INTO ncols, by_id
      FROM pg_attribute a
     WHERE a.attrelid = 'pg_temp.exp_assign_import_probe'::regclass AND a.attnum > 0 AND NOT a.attisdropped;
    IF ncols NOT IN (3, 4) OR (ncols = 4 AND aliases NOT LIKE '%assigned_at') THEN
        RAISE EXCEPTION 'the import query must return 3 or 4 columns, it returns %', ncols
            USING ERRCODE = '42601', HINT = hint_columns;
    END IF;
    DROP TABLE pg_temp.exp_assign_import_probe;
END
$$;
COMMENT ON FUNCTION @extschema@._import_columns(text) IS
    'Step 1 of exp_assign_import: rejects a NULL query or a read-only transaction, and finds the query''s column aliases (3 or 4 columns) and whether variant is an id, without running it.';

-- Step 2: one pass over the query into the scratch table: its rows in
-- order, cast to the column types (a value that does not cast fails here),
-- with the variant and the experiment's version looked up (NULL: unknown).
-- Returns the number of rows. No SET search_path, as in step 1.
CREATE FUNCTION @extschema@._import_load(query text, aliases text, by_id boolean) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    nrows bigint;
BEGIN
    -- Dropped at commit, or here on a second call in the same transaction.
    IF to_regclass('pg_temp.exp_assign_import_rows') IS NOT NULL THEN
        DROP TABLE pg_temp.exp_assign_import_rows;
    END IF;
    EXECUTE format(
        'CREATE TEMP TABLE exp_assign_import_rows ON COMMIT DROP AS'
        ' SELECT q.exp_assign_row, q.experiment_id::int AS experiment_id,'
        '        q.user_id::text COLLATE "C" AS user_id, q.variant::text AS variant, %s AS assigned_at,'
        '        v.id AS variant_id, e.version, e.id IS NOT NULL AS experiment_known'
        '   FROM (SELECT row_number() OVER () AS exp_assign_row, q.* FROM (%s) q(%s)) q'
        '   LEFT JOIN @extschema@.experiments e ON e.id = q.experiment_id::int'
        '   LEFT JOIN @extschema@.variants v ON v.experiment_id = q.experiment_id::int AND %s',
        CASE WHEN aliases LIKE '%assigned_at' THEN 'q.assigned_at::timestamptz' ELSE 'NULL::timestamptz' END,
        query, aliases,
        CASE WHEN by_id THEN 'v.id = q.variant::int' ELSE 'v.key = q.variant::text' END);
    GET DIAGNOSTICS nrows = ROW_COUNT;
    RETURN nrows;
END
$$;
COMMENT ON FUNCTION @extschema@._import_load(text, text, boolean) IS
    'Step 2 of exp_assign_import: runs the query once into pg_temp.exp_assign_import_rows, cast and numbered, with variant id and experiment version joined in; returns the row count.';

-- Step 3: every row is checked before any is written; the first bad one is
-- named.
CREATE FUNCTION @extschema@._import_check_rows(by_id boolean) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad record;
    -- pg_settings gives it in bytes; current_setting() would add a unit.
    max_len int := coalesce((SELECT s.setting::int FROM pg_catalog.pg_settings s
                              WHERE s.name = 'exp_assign.max_user_id_bytes'), 1000);
BEGIN
    SELECT t.* INTO bad FROM pg_temp.exp_assign_import_rows t
     WHERE t.experiment_id IS NULL OR t.user_id IS NULL OR t.variant IS NULL
        OR octet_length(t.user_id) = 0 OR octet_length(t.user_id) > max_len
        OR NOT t.experiment_known OR t.variant_id IS NULL
     ORDER BY t.exp_assign_row LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF bad.experiment_id IS NULL OR bad.user_id IS NULL OR bad.variant IS NULL THEN
        RAISE EXCEPTION 'row % of the import has a NULL %', bad.exp_assign_row,
            CASE WHEN bad.experiment_id IS NULL THEN 'experiment_id' WHEN bad.user_id IS NULL THEN 'user_id'
                 ELSE 'variant' END
            USING ERRCODE = '22004',
            HINT = 'Every row needs an experiment, a user id and a variant; filter the others out in the query.';
    ELSIF octet_length(bad.user_id) = 0 THEN
        RAISE EXCEPTION 'row % of the import is an empty user id', bad.exp_assign_row USING ERRCODE = '22023',
            HINT = 'User ids must be non-empty; remove the row or supply the real id.';
    ELSIF octet_length(bad.user_id) > max_len THEN
        RAISE EXCEPTION 'row % of the import is % bytes long, over exp_assign.max_user_id_bytes (%): "%..."',
            bad.exp_assign_row, octet_length(bad.user_id), max_len, left(bad.user_id, 40)
            USING ERRCODE = '22001', HINT = 'Use a shorter id (hash it) or raise exp_assign.max_user_id_bytes.';
    ELSIF NOT bad.experiment_known THEN
        RAISE EXCEPTION 'row % of the import: experiment % does not exist', bad.exp_assign_row, bad.experiment_id
            USING ERRCODE = '42704', HINT = 'See SELECT id, key, status FROM exp_assign.experiments.';
    ELSE
        RAISE EXCEPTION 'row % of the import: experiment % has no variant %', bad.exp_assign_row, bad.experiment_id,
            CASE WHEN by_id THEN 'with id ' || bad.variant ELSE quote_literal(bad.variant) END
            USING ERRCODE = '42704',
            HINT = format('Create it first, or map it in the query; see SELECT id, key FROM exp_assign.variants WHERE experiment_id = %s.',
                          bad.experiment_id);
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._import_check_rows(boolean) IS
    'Step 3 of exp_assign_import: raises on the first row with a NULL, an empty or over-long user id, an unknown experiment or an unknown variant.';

-- Step 4: the distinct pairs, and the first pair given two different
-- variants.
CREATE FUNCTION @extschema@._import_check_pairs() RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    pairs bigint;
    bad_row bigint;
    bad record;
BEGIN
    SELECT count(*), min(g.first_row) FILTER (WHERE g.vmin <> g.vmax) INTO pairs, bad_row
      FROM (SELECT min(t.exp_assign_row) AS first_row, min(t.variant_id) AS vmin, max(t.variant_id) AS vmax
              FROM pg_temp.exp_assign_import_rows t GROUP BY t.experiment_id, t.user_id) g;
    IF bad_row IS NOT NULL THEN
        SELECT t.* INTO bad FROM pg_temp.exp_assign_import_rows t WHERE t.exp_assign_row = bad_row;
        RAISE EXCEPTION 'user "%" appears in experiment % with different variants (first at row %)',
            left(bad.user_id, 40), bad.experiment_id, bad.exp_assign_row USING ERRCODE = '21000',
            HINT = 'An assignment has one variant: keep one row per user and experiment.';
    END IF;
    RETURN pairs;
END
$$;
COMMENT ON FUNCTION @extschema@._import_check_pairs() IS
    'Step 4 of exp_assign_import: raises 21000 on the first (experiment, user) pair given two different variants; returns the number of distinct pairs.';

-- Step 5: the insert, in lock order, as every bulk call inserts: no
-- deadlock with them. When a sample of 32 rows finds none stored (a first
-- import), a plain INSERT is tried first: without ON CONFLICT's speculative
-- insertion it takes about 0.85 of the time. One stored pair makes it fail
-- with 23505; its subtransaction is rolled back and the general path runs.
CREATE FUNCTION @extschema@._import_insert(nrows bigint) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    sample record;
    some_stored boolean := false;
    imported bigint;
BEGIN
    FOR sample IN SELECT t.experiment_id, t.user_id FROM pg_temp.exp_assign_import_rows t
                   WHERE t.exp_assign_row % greatest(nrows / 32, 1) = 0 LIMIT 32 LOOP
        some_stored := EXISTS (SELECT FROM @extschema@.assignments a
                                WHERE a.experiment_id = sample.experiment_id AND a.user_id = sample.user_id);
        EXIT WHEN some_stored;
    END LOOP;
    IF NOT some_stored THEN
        BEGIN
            INSERT INTO @extschema@.assignments (experiment_id, user_id, variant_id, version, assigned_at)
            SELECT DISTINCT ON (t.user_id, t.experiment_id) t.experiment_id, t.user_id, t.variant_id, t.version,
                   coalesce(t.assigned_at, now())
              FROM pg_temp.exp_assign_import_rows t
             ORDER BY t.user_id, t.experiment_id, t.exp_assign_row;
            GET DIAGNOSTICS imported = ROW_COUNT;
            RETURN imported;
        EXCEPTION WHEN unique_violation THEN
            NULL;  -- a stored pair outside the sample: the general path below
        END;
    END IF;
    INSERT INTO @extschema@.assignments (experiment_id, user_id, variant_id, version, assigned_at)
    SELECT DISTINCT ON (t.user_id, t.experiment_id) t.experiment_id, t.user_id, t.variant_id, t.version,
           coalesce(t.assigned_at, now())
      FROM pg_temp.exp_assign_import_rows t
     ORDER BY t.user_id, t.experiment_id, t.exp_assign_row
    ON CONFLICT (experiment_id, user_id) DO NOTHING;
    GET DIAGNOSTICS imported = ROW_COUNT;
    RETURN imported;
END
$$;
COMMENT ON FUNCTION @extschema@._import_insert(bigint) IS
    'Step 5 of exp_assign_import: inserts the checked rows in lock order, a stored pair left as it is; nrows sizes the sample that picks a plain INSERT or ON CONFLICT DO NOTHING. Returns the rows inserted.';

-- Step 6: a stored pair naming another variant keeps it and counts one
-- more conflict. A new statement: under READ COMMITTED it also sees rows a
-- concurrent transaction stored first.
CREATE FUNCTION @extschema@._import_mark_conflicts() RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    conflicts bigint;
BEGIN
    UPDATE @extschema@.assignments a SET conflict_count = a.conflict_count + 1
      FROM (SELECT DISTINCT t.experiment_id, t.user_id, t.variant_id FROM pg_temp.exp_assign_import_rows t) s
     WHERE a.experiment_id = s.experiment_id AND a.user_id = s.user_id AND a.variant_id <> s.variant_id;
    GET DIAGNOSTICS conflicts = ROW_COUNT;
    RETURN conflicts;
END
$$;
COMMENT ON FUNCTION @extschema@._import_mark_conflicts() IS
    'Step 6 of exp_assign_import: conflict_count + 1 on each stored assignment whose variant differs from the imported one; returns how many.';

CREATE FUNCTION @extschema@.exp_assign_import(query text)
RETURNS TABLE (imported bigint, unchanged bigint, conflicts bigint)
-- No SET search_path: the caller's query runs with the caller's.
LANGUAGE plpgsql AS $$
DECLARE
    shape record;
    nrows bigint;
    pairs bigint;
    work_mem_before constant text := current_setting('work_mem');
BEGIN
    shape := @extschema@._import_columns(query);
    -- A million rows are sorted and grouped: in memory, not in temp files,
    -- for this call only (restored at the end; an error ends the
    -- transaction, which restores it too). Set here, not in a step: a
    -- step's SET search_path would undo it when the step returns.
    IF pg_size_bytes(current_setting('work_mem')) < pg_size_bytes('256MB') THEN
        PERFORM set_config('work_mem', '256MB', true);
    END IF;
    nrows := @extschema@._import_load(query, shape.aliases, shape.by_id);
    PERFORM @extschema@._import_check_rows(shape.by_id);
    pairs := @extschema@._import_check_pairs();
    imported := @extschema@._import_insert(nrows);
    conflicts := 0;
    IF imported < pairs THEN
        conflicts := @extschema@._import_mark_conflicts();
    END IF;
    unchanged := pairs - imported - conflicts;
    PERFORM set_config('work_mem', work_mem_before, true);
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION @extschema@.exp_assign_import(text) IS
    'Imports the rows a query returns, (experiment_id, user_id, variant key or id [, assigned_at]); all rows are checked before any is written; stored rows win, and count as conflicts (conflict_count + 1) where their variant differs. Returns imported, unchanged and conflicting counts.';

-- Moves the users of one experiment to another: each user's variant is
-- carried over by key (or through variant_map, {"old key": "new key"}),
-- through exp_assign_import; then, with delete_old, the moved rows of the
-- old experiment are deleted (and their Redis keys with them).
CREATE FUNCTION @extschema@.exp_assign_migrate(from_experiment_id int, to_experiment_id int,
                                               variant_map jsonb DEFAULT NULL, delete_old boolean DEFAULT true)
RETURNS TABLE (imported bigint, unchanged bigint, conflicts bigint, deleted bigint)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad text;
BEGIN
    IF from_experiment_id IS NULL OR to_experiment_id IS NULL OR delete_old IS NULL THEN
        RAISE EXCEPTION '% must not be NULL',
            CASE WHEN from_experiment_id IS NULL THEN 'from_experiment_id'
                 WHEN to_experiment_id IS NULL THEN 'to_experiment_id' ELSE 'delete_old' END
            USING ERRCODE = '22004', HINT = 'Pass the ids of two rows of exp_assign.experiments.';
    END IF;
    FOREACH bad IN ARRAY ARRAY[from_experiment_id, to_experiment_id]::text[] LOOP
        IF NOT EXISTS (SELECT FROM @extschema@.experiments e WHERE e.id = bad::int) THEN
            RAISE EXCEPTION 'experiment % does not exist', bad USING ERRCODE = '42704',
                HINT = 'See SELECT id, key, status FROM exp_assign.experiments.';
        END IF;
    END LOOP;
    IF from_experiment_id = to_experiment_id THEN
        RAISE EXCEPTION 'cannot migrate experiment % to itself', from_experiment_id USING ERRCODE = '22023',
            HINT = 'Pass the new experiment as to_experiment_id.';
    END IF;
    IF variant_map IS NOT NULL AND (jsonb_typeof(variant_map) <> 'object'
        OR EXISTS (SELECT FROM jsonb_each(variant_map) m WHERE jsonb_typeof(m.value) <> 'string')) THEN
        RAISE EXCEPTION 'variant_map must be a JSON object of variant keys to variant keys' USING ERRCODE = '22023',
            HINT = 'For example ''{"control": "control", "green": "treatment"}''; unmapped keys keep their name.';
    END IF;
    SELECT m.key INTO bad FROM jsonb_each_text(variant_map) m
     WHERE NOT EXISTS (SELECT FROM @extschema@.variants v WHERE v.experiment_id = from_experiment_id AND v.key = m.key)
     ORDER BY m.key LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'variant_map names variant "%", which experiment % does not have', bad, from_experiment_id
            USING ERRCODE = '42704',
            HINT = format('See SELECT key FROM exp_assign.variants WHERE experiment_id = %s.', from_experiment_id);
    END IF;

    SELECT i.imported, i.unchanged, i.conflicts INTO imported, unchanged, conflicts
      FROM @extschema@.exp_assign_import(format(
        'SELECT %s, a.user_id, coalesce(%L::jsonb ->> v.key, v.key)'
        '  FROM @extschema@.assignments a'
        '  JOIN @extschema@.variants v ON v.id = a.variant_id'
        ' WHERE a.experiment_id = %s',
        to_experiment_id, coalesce(variant_map, '{}'::jsonb), from_experiment_id)) i;
    deleted := 0;
    IF delete_old THEN
        -- Only the rows the import read: one stored in the old experiment
        -- since then was not moved, so it stays.
        DELETE FROM @extschema@.assignments a
         USING pg_temp.exp_assign_import_rows t
         WHERE a.experiment_id = from_experiment_id AND a.user_id = t.user_id;
        GET DIAGNOSTICS deleted = ROW_COUNT;
    END IF;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION @extschema@.exp_assign_migrate(int, int, jsonb, boolean) IS
    'Moves the users of from_experiment_id to to_experiment_id with their variant, matched by key or through variant_map, using exp_assign_import; with delete_old (default) deletes the moved rows of the old experiment. Returns imported, unchanged, conflicting and deleted counts.';

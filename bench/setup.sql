-- Benchmark data and the timed calls; bench/run loads this into each
-- benchmark database after CREATE EXTENSION exp_assign and the seed's CTE
-- (seed_cte in public). Everything of the benchmark's own lives in schema
-- bench. bench/assign/measure.py drives it.
--
-- Each implementation writes into its own copy ("twin") of the same ten
-- experiments: same seed, same variants in the same id order, same keys. So
-- every implementation creates rows for the same user ids on equal terms, in
-- the same assignments table, and what they stored can be compared user by
-- user afterwards.

CREATE SCHEMA bench;

CREATE TABLE bench.twins (
    n             int  NOT NULL,   -- logical experiment 1..10
    impl          text NOT NULL,   -- exp_assign | seed | floor | copy
    experiment_id int  NOT NULL,
    shape         text NOT NULL,   -- allocations, e.g. '10/90'
    seed          text NOT NULL,
    lowers        int[] NOT NULL,  -- lower bucket bound of each variant, ascending id
    vids          int[] NOT NULL,  -- the variant ids, ascending
    total         int  NOT NULL,   -- sum of round(allocation_pct * 100)
    PRIMARY KEY (n, impl)
);

-- Ten experiments of 2 or 3 variants summing to 100, four twins each
-- (floor: the bare INSERT and the bare lookup; copy: COPY, large cohort
-- only). Created as drafts and activated afterwards, as the install
-- script's allocation check expects (it runs when an experiment becomes
-- active).
DO $$
DECLARE
    shapes numeric[][] := ARRAY[[50, 50, 0], [10, 90, 0], [34, 33, 33], [20, 30, 50]];
    names  text[] := ARRAY['control', 'treatment', 'treatment_b'];
    impl   text;
    n      int;
    s      int;
    k      int;
    eid    int;
    shape  text;
BEGIN
    FOREACH impl IN ARRAY ARRAY['exp_assign', 'seed', 'floor', 'copy'] LOOP
        FOR n IN 1..10 LOOP
            s := (n - 1) % 4 + 1;
            INSERT INTO exp_assign.experiments (key, seed, status)
            VALUES (format('bench_%s_%s', n, impl), format('bench-seed-%s', n), 'draft')
            RETURNING id INTO eid;
            shape := NULL;
            FOR k IN 1..3 LOOP
                CONTINUE WHEN shapes[s][k] = 0;
                INSERT INTO exp_assign.variants (experiment_id, key, allocation_pct)
                VALUES (eid, names[k], shapes[s][k]);
                shape := concat_ws('/', shape, shapes[s][k]::int);
            END LOOP;
            INSERT INTO bench.twins
            SELECT n, impl, eid, shape, format('bench-seed-%s', n),
                   array_agg(coalesce(lo, 0) ORDER BY id), array_agg(id ORDER BY id), max(hi)
              FROM (SELECT id,
                           sum(round(allocation_pct * 100)) OVER w - round(allocation_pct * 100) AS lo,
                           sum(round(allocation_pct * 100)) OVER w AS hi
                      FROM exp_assign.variants WHERE experiment_id = eid
                    WINDOW w AS (ORDER BY id)) b;
        END LOOP;
    END LOOP;
    UPDATE exp_assign.experiments SET status = 'active' WHERE key LIKE 'bench\_%';
END
$$;

-- Experiment ids of one implementation's twins, in logical order.
CREATE FUNCTION bench.ids(p_impl text) RETURNS int[] LANGUAGE sql STABLE AS $$
    SELECT array_agg(experiment_id ORDER BY n) FROM bench.twins WHERE impl = p_impl
$$;

-- The variant DESIGN.md section 3 gives, computed in SQL: bucket from
-- exp_assign_bucket, then the variant whose [lower, bound) holds it
-- (width_bucket counts the lower bounds <= bucket; a 0 % variant shares its
-- lower bound with the next one and is skipped). NULL: not enrolled. The
-- reference the checks use, and how the bare INSERT's rows are precomputed.
CREATE FUNCTION bench.rule_variant(p_twin bench.twins, p_user text) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
    -- A bucket at or past the total falls into the extra last bound: vids
    -- has no element there, so NULL. One expression: the planner inlines it.
    SELECT p_twin.vids[width_bucket(exp_assign.exp_assign_bucket(p_user, p_twin.seed),
                                    p_twin.lowers || p_twin.total)]
$$;

-- The variant the seed's CTE picks, written out again: the offset
-- abs(hashtext(user_id || seed)) mod (number of variants), allocations ignored.
CREATE FUNCTION bench.seed_rule_variant(p_twin bench.twins, p_user text) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
    SELECT p_twin.vids[abs(hashtext(p_user || p_twin.seed)) % cardinality(p_twin.vids) + 1]
$$;

-- User ids p_prefix || 1 .. p_prefix || p_size.
CREATE FUNCTION bench.users(p_prefix text, p_size int) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY(SELECT p_prefix || g FROM generate_series(1, p_size) g)
$$;

-- One timed call, in the caller's transaction (measure.py runs each in its
-- own, with synchronous_commit off: the COMMIT is not timed). The arguments
-- and, for the bare statements, the rows with their variants are built
-- before the clock starts; only the call itself is between the two
-- clock_timestamp() readings; rows are consumed with count().
--
--   p_impl   exp_assign | seed | floor (bare INSERT) | lookup (bare indexed
--            lookup of the floor twin's rows) | copy (COPY FROM p_file) |
--            import | import_reject (exp_assign_import from a table, 1 % bad)
--   p_kind   cohort (p_ns[1] x users) | matrix (users x p_ns, user-major)
--   p_ns     logical experiments; users are p_prefix || 1 .. p_size
--
-- Returns the call's milliseconds, the rows it returned (floor and copy:
-- inserted; lookup: found) and the size of the user-id array.
CREATE FUNCTION bench.timed(p_impl text, p_kind text, p_ns int[], p_prefix text, p_size int,
                            p_file text DEFAULT NULL)
RETURNS TABLE (ms float8, nrows bigint, input_bytes int)
LANGUAGE plpgsql AS $$
DECLARE
    -- The imports write into the copy twin, other users ('I' or 'R' before
    -- the prefix).
    twin   text := CASE p_impl WHEN 'lookup' THEN 'floor' WHEN 'import' THEN 'copy' WHEN 'import_reject' THEN 'copy'
                               ELSE p_impl END;
    users  text[] := bench.users(CASE p_impl WHEN 'import' THEN 'I' WHEN 'import_reject' THEN 'R' ELSE '' END || p_prefix,
                                 p_size);
    eids   int[];
    eid    int;
    pe     int[];     -- pairs: experiment ids
    pu     text[];    -- pairs: user ids
    pv     int[];     -- pairs: precomputed variants (floor)
    t      bench.twins;
    t0     timestamptz;
    t1     timestamptz;
BEGIN
    eids := ARRAY(SELECT experiment_id FROM bench.twins w
                   WHERE w.impl = twin AND w.n = ANY (p_ns) ORDER BY array_position(p_ns, w.n));
    eid := eids[1];
    input_bytes := pg_column_size(users);
    SELECT * INTO t FROM bench.twins w WHERE w.impl = twin AND w.n = p_ns[1];
    IF p_kind = 'cohort' AND p_impl IN ('seed', 'floor', 'lookup') THEN
        pe := array_fill(eid, ARRAY[p_size]);
        pu := users;
        IF p_impl = 'floor' THEN
            pv := ARRAY(SELECT bench.rule_variant(t, u) FROM unnest(users) u);
        END IF;
    ELSIF p_impl IN ('seed', 'floor', 'lookup') THEN
        -- Pairs in the order exp_assign_matrix takes them: user-major.
        SELECT array_agg(w.experiment_id ORDER BY u.i, array_position(p_ns, w.n)),
               array_agg(u.id ORDER BY u.i, array_position(p_ns, w.n)),
               array_agg(bench.rule_variant(w, u.id) ORDER BY u.i, array_position(p_ns, w.n))
          INTO pe, pu, pv
          FROM unnest(users) WITH ORDINALITY AS u(id, i)
          CROSS JOIN bench.twins w
         WHERE w.impl = twin AND w.n = ANY (p_ns);
    END IF;
    IF p_impl = 'copy' THEN
        IF p_kind <> 'cohort' THEN
            RAISE EXCEPTION 'copy is measured for cohorts only';
        END IF;
        -- The precomputed rows, written by the server to the file COPY reads.
        EXECUTE format('COPY (SELECT %s, u, bench.rule_variant(t, u)'
                       '        FROM unnest(bench.users(%L, %s)) u, bench.twins t'
                       '       WHERE t.impl = %L AND t.n = %s) TO %L',
                       eid, p_prefix, p_size, 'copy', p_ns[1], p_file);
    ELSIF p_impl IN ('import', 'import_reject') THEN
        -- The other system's rows, by variant key, loaded before the clock
        -- starts (a migration would COPY them in). For import_reject every
        -- 100th row is bad, in turn an unknown variant, an empty user id, a
        -- NULL variant and an unknown experiment (issue #12 item 3).
        DROP TABLE IF EXISTS bench.import_rows;
        CREATE UNLOGGED TABLE bench.import_rows AS
        SELECT CASE WHEN bad AND i / 100 % 4 = 3 THEN -eid ELSE eid END AS experiment_id,
               CASE WHEN bad AND i / 100 % 4 = 1 THEN '' ELSE u END AS user_id,
               CASE WHEN bad AND i / 100 % 4 = 0 THEN 'nope' WHEN bad AND i / 100 % 4 = 2 THEN NULL
                    ELSE v.key END AS variant
          FROM unnest(users) WITH ORDINALITY AS x(u, i)
          JOIN exp_assign.variants v ON v.id = bench.rule_variant(t, u)
          CROSS JOIN LATERAL (SELECT p_impl = 'import_reject' AND x.i % 100 = 0 AS bad) b;
        ANALYZE bench.import_rows;
    ELSIF p_impl = 'lookup' THEN
        -- A nested loop of primary-key index scans, one per pair: keep the
        -- planner from hashing the whole table or caching lookups.
        PERFORM set_config('enable_hashjoin', 'off', true),
                set_config('enable_mergejoin', 'off', true),
                set_config('enable_memoize', 'off', true);
    END IF;

    t0 := clock_timestamp();
    IF p_impl = 'exp_assign' AND p_kind = 'cohort' THEN
        SELECT count(*) INTO nrows FROM exp_assign.exp_assign_cohort(eid, users);
    ELSIF p_impl = 'exp_assign' THEN
        SELECT count(*) INTO nrows FROM exp_assign.exp_assign_matrix(users, eids);
    ELSIF p_impl = 'seed' THEN
        SELECT count(*) INTO nrows
          FROM public.seed_cte(pu, pe)
               AS s(experiment_id int, user_id text, variant_id int, version int,
                    assigned_at timestamptz, variant_key_or_source text);
    ELSIF p_impl = 'floor' THEN
        INSERT INTO exp_assign.assignments (experiment_id, user_id, variant_id)
        SELECT * FROM unnest(pe, pu, pv) ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS nrows = ROW_COUNT;
    ELSIF p_impl = 'lookup' THEN
        SELECT count(a.variant_id) INTO nrows
          FROM unnest(pe, pu) AS p(experiment_id, user_id)
          JOIN exp_assign.assignments a
            ON a.experiment_id = p.experiment_id AND a.user_id = p.user_id;
    ELSIF p_impl = 'copy' THEN
        EXECUTE format('COPY exp_assign.assignments (experiment_id, user_id, variant_id) FROM %L',
                       p_file);
        GET DIAGNOSTICS nrows = ROW_COUNT;
    ELSIF p_impl = 'import' THEN
        SELECT i.imported INTO nrows
          FROM exp_assign.exp_assign_import('SELECT experiment_id, user_id, variant FROM bench.import_rows') i;
    ELSIF p_impl = 'import_reject' THEN
        SELECT i.imported INTO nrows
          FROM exp_assign.exp_assign_import('SELECT experiment_id, user_id, variant FROM bench.import_rows', 'reject') i;
    ELSE
        RAISE EXCEPTION 'unknown implementation %', p_impl;
    END IF;
    t1 := clock_timestamp();
    ms := 1000 * extract(epoch FROM t1 - t0);
    RETURN NEXT;
END
$$;

-- The page-load pool: p_size users ('pe-1' ...) already assigned in all ten
-- experiments of every twin that page loads read (exp_assign through
-- exp_assign_matrix, seed through its CTE, floor through the bare INSERT),
-- so the "existing" page loads find every row.
CREATE FUNCTION bench.page_pool(p_size int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    total bigint := 0;
    n     bigint;
BEGIN
    FOREACH n IN ARRAY ARRAY[
        (SELECT r.nrows FROM bench.timed('exp_assign', 'matrix', ARRAY[1,2,3,4,5,6,7,8,9,10], 'pe-', p_size) r),
        (SELECT r.nrows FROM bench.timed('seed', 'matrix', ARRAY[1,2,3,4,5,6,7,8,9,10], 'pe-', p_size) r),
        (SELECT r.nrows FROM bench.timed('floor', 'matrix', ARRAY[1,2,3,4,5,6,7,8,9,10], 'pe-', p_size) r)]
    LOOP
        total := total + n;
    END LOOP;
    RETURN total;
END
$$;

-- Stored rows that break a rule, per implementation, for the users whose
-- ids match p_like: exp_assign rows against DESIGN.md section 3 (must be
-- 0), seed rows against the seed's own rule (0: its differences from
-- exp_assign are the rule and nothing else). The bare INSERT's and COPY's
-- rows are not checked: bench.rule_variant computed them.
CREATE FUNCTION bench.off_rule(p_like text)
RETURNS TABLE (impl text, checked bigint, off_rule bigint)
LANGUAGE sql STABLE AS $$
    SELECT t.impl, count(*),
           count(*) FILTER (WHERE a.variant_id IS DISTINCT FROM
                            CASE t.impl WHEN 'seed' THEN bench.seed_rule_variant(t, a.user_id)
                                        ELSE bench.rule_variant(t, a.user_id) END)
      FROM exp_assign.assignments a
      JOIN bench.twins t ON t.experiment_id = a.experiment_id
     WHERE a.user_id LIKE p_like AND t.impl IN ('exp_assign', 'seed')
     GROUP BY t.impl
     ORDER BY t.impl
$$;

-- Compares what exp_assign and the seed stored for the users whose ids
-- match p_like, twin by twin: pairs stored by both, same variant key,
-- different key, stored by only one.
CREATE FUNCTION bench.compare(p_like text)
RETURNS TABLE (both_stored bigint, same_variant bigint, different_variant bigint,
               stored_by_one bigint)
LANGUAGE sql STABLE AS $$
    WITH stored AS (
        SELECT t.impl, t.n, a.user_id, v.key
          FROM exp_assign.assignments a
          JOIN bench.twins t ON t.experiment_id = a.experiment_id
          JOIN exp_assign.variants v ON v.id = a.variant_id
         WHERE t.impl IN ('exp_assign', 'seed') AND a.user_id LIKE p_like
    ),
    e AS (SELECT * FROM stored WHERE impl = 'exp_assign'),
    s AS (SELECT * FROM stored WHERE impl = 'seed')
    SELECT count(*) FILTER (WHERE e.user_id IS NOT NULL AND s.user_id IS NOT NULL),
           count(*) FILTER (WHERE e.key = s.key),
           count(*) FILTER (WHERE e.key <> s.key),
           count(*) FILTER (WHERE e.user_id IS NULL OR s.user_id IS NULL)
      FROM e FULL JOIN s ON s.n = e.n AND s.user_id = e.user_id
$$;

-- Share of each variant among the users whose ids match the regular
-- expression p_re, per allocation shape and implementation: the seed
-- ignores allocation_pct.
CREATE FUNCTION bench.split(p_re text)
RETURNS TABLE (shape text, impl text, shares text)
LANGUAGE sql STABLE AS $$
    WITH counts AS (
        SELECT t.shape, t.impl, v.id, v.key, count(a.user_id) AS users
          FROM bench.twins t
          JOIN exp_assign.variants v ON v.experiment_id = t.experiment_id
          LEFT JOIN exp_assign.assignments a ON a.variant_id = v.id AND a.user_id ~ p_re
         WHERE t.impl IN ('exp_assign', 'seed')
         GROUP BY t.shape, t.impl, v.id, v.key
    ),
    per_key AS (
        SELECT shape, impl, key, min(id) AS first_id, sum(users) AS users
          FROM counts GROUP BY shape, impl, key
    ),
    totals AS (
        SELECT *, sum(users) OVER (PARTITION BY shape, impl) AS total FROM per_key
    )
    SELECT shape, impl,
           string_agg(format('%s %s%%', key, round(100.0 * users / nullif(total, 0), 1)), ', '
                      ORDER BY first_id)
      FROM totals
     GROUP BY shape, impl
     ORDER BY shape, impl
$$;

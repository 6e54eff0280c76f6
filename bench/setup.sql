-- Benchmark data and measuring procedures; bench/run loads this into a fresh
-- database that already has the extension and the seed's CTE (seed_cte in
-- public). Everything of the benchmark's own lives in schema bench.
--
-- Each implementation writes into its own copy ("twin") of the same ten
-- experiments: same seed, same variants in the same id order, same keys. So
-- all three sides create rows for the same user ids on equal terms, in the
-- same assignments table, and the variants they stored can be compared
-- user by user afterwards.

CREATE SCHEMA bench;

CREATE TABLE bench.twins (
    n             int  NOT NULL,   -- logical experiment 1..10
    impl          text NOT NULL,   -- exp_assign | seed | floor
    experiment_id int  NOT NULL,
    first_variant int  NOT NULL,   -- what the floor stores
    shape         text NOT NULL,   -- allocations, e.g. '10/90'
    PRIMARY KEY (n, impl)
);

CREATE TABLE bench.results (
    scenario text   NOT NULL,
    impl     text   NOT NULL,
    rep      int    NOT NULL,      -- 0 is the warm-up
    ms       float8 NOT NULL,      -- per call
    rows     bigint NOT NULL       -- rows returned (floor: rows inserted), per call
);

-- Ten experiments of 2 or 3 variants summing to 100, three twins each.
-- Created as drafts and activated afterwards, as the install script's
-- allocation check expects (it runs when an experiment becomes active).
DO $$
DECLARE
    shapes numeric[][] := ARRAY[[50, 50, 0], [10, 90, 0], [34, 33, 33], [20, 30, 50]];
    names  text[] := ARRAY['control', 'treatment', 'treatment_b'];
    impl   text;
    n      int;
    s      int;
    k      int;
    eid    int;
    first  int;
    shape  text;
BEGIN
    FOREACH impl IN ARRAY ARRAY['exp_assign', 'seed', 'floor'] LOOP
        FOR n IN 1..10 LOOP
            s := (n - 1) % 4 + 1;
            INSERT INTO exp_assign.experiments (key, seed, status)
            VALUES (format('bench_%s_%s', n, impl), format('bench-seed-%s', n), 'draft')
            RETURNING id INTO eid;
            first := NULL;
            shape := NULL;
            FOR k IN 1..3 LOOP
                CONTINUE WHEN shapes[s][k] = 0;
                INSERT INTO exp_assign.variants (experiment_id, key, allocation_pct)
                VALUES (eid, names[k], shapes[s][k]);
                first := coalesce(first, currval(pg_get_serial_sequence('exp_assign.variants', 'id'))::int);
                shape := concat_ws('/', shape, shapes[s][k]::int);
            END LOOP;
            INSERT INTO bench.twins VALUES (n, impl, eid, first, shape);
        END LOOP;
    END LOOP;
    UPDATE exp_assign.experiments SET status = 'active' WHERE key LIKE 'bench\_%';
END
$$;

-- Experiment ids of one implementation's twins, in logical order.
CREATE FUNCTION bench.ids(p_impl text) RETURNS int[] LANGUAGE sql STABLE AS $$
    SELECT array_agg(experiment_id ORDER BY n) FROM bench.twins WHERE impl = p_impl
$$;

-- The variant DESIGN.md section 3 gives, computed in SQL: the reference for
-- checking what exp_assign stored.
CREATE FUNCTION bench.rule_variant(p_experiment int, p_user text) RETURNS int
LANGUAGE sql STABLE AS $$
    SELECT v.id
      FROM (SELECT id, sum(round(allocation_pct * 100)) OVER (ORDER BY id) AS bound
              FROM exp_assign.variants WHERE experiment_id = p_experiment) v
     WHERE v.bound > (SELECT exp_assign.exp_assign_bucket(p_user, e.seed)
                        FROM exp_assign.experiments e WHERE e.id = p_experiment)
     ORDER BY v.id LIMIT 1
$$;

-- The variant the seed's CTE picks, written out again: the offset
-- abs(hashtext(user_id || seed)) mod (number of variants), allocations ignored.
CREATE FUNCTION bench.seed_rule_variant(p_experiment int, p_user text) RETURNS int
LANGUAGE sql STABLE AS $$
    SELECT v.id FROM exp_assign.variants v
     WHERE v.experiment_id = p_experiment
     ORDER BY v.id
     LIMIT 1
    OFFSET (SELECT abs(hashtext(p_user || e.seed)) %
                   (SELECT count(*) FROM exp_assign.variants WHERE experiment_id = p_experiment)
              FROM exp_assign.experiments e WHERE e.id = p_experiment)
$$;

-- Scenario A: one experiment, p_size users per call. Each repetition uses
-- new user ids (prefix c<rep>_) and rotates which implementation goes first;
-- then the same users again ("existing"). Every call is its own transaction;
-- only the call is timed, not the COMMIT.
CREATE PROCEDURE bench.cohort(p_reps int, p_size int) LANGUAGE plpgsql AS $$
DECLARE
    impls  text[] := ARRAY['exp_assign', 'seed', 'floor'];
    rep    int;
    k      int;
    v_n    int;
    phase  text;
    v_impl text;
    eid    int;
    vid    int;
    users  text[];
    eids   int[];
    nrows  bigint;
    t0     timestamptz;
    t1     timestamptz;
BEGIN
    FOR rep IN 0..p_reps LOOP
        v_n := rep % 10 + 1;
        users := ARRAY(SELECT format('c%s_u%s', rep, i) FROM generate_series(1, p_size) i);
        FOREACH phase IN ARRAY ARRAY['A_cohort_new', 'A_cohort_existing'] LOOP
            FOR k IN 0..2 LOOP
                v_impl := impls[(rep + k) % 3 + 1];
                SELECT experiment_id, first_variant INTO eid, vid
                  FROM bench.twins t WHERE t.n = v_n AND t.impl = v_impl;
                eids := array_fill(eid, ARRAY[p_size]);
                t0 := clock_timestamp();
                IF v_impl = 'exp_assign' THEN
                    SELECT count(*) INTO nrows FROM exp_assign.exp_assign_cohort(eid, users);
                ELSIF v_impl = 'seed' THEN
                    SELECT count(*) INTO nrows
                      FROM public.seed_cte(users, eids)
                           AS s(experiment_id int, user_id text, variant_id int, version int,
                                assigned_at timestamptz, variant_key_or_source text);
                ELSE
                    INSERT INTO exp_assign.assignments (experiment_id, user_id, variant_id)
                    SELECT eid, u, vid FROM unnest(users) u ON CONFLICT DO NOTHING;
                    GET DIAGNOSTICS nrows = ROW_COUNT;
                END IF;
                t1 := clock_timestamp();
                INSERT INTO bench.results
                VALUES (phase, v_impl, rep, 1000 * extract(epoch FROM t1 - t0), nrows);
                COMMIT;
            END LOOP;
        END LOOP;
    END LOOP;
END
$$;

-- Scenario B: page load, one user in all ten experiments per call, p_users
-- users per repetition (prefix p<rep>_), each call its own transaction; the
-- figure is the mean time of one call. Then the same users again.
CREATE PROCEDURE bench.page_load(p_reps int, p_users int) LANGUAGE plpgsql AS $$
DECLARE
    impls  text[] := ARRAY['exp_assign', 'seed', 'floor'];
    rep    int;
    k      int;
    i      int;
    phase  text;
    v_impl text;
    u      text;
    eids   int[];
    vids   int[];
    users  text[];
    nrows  bigint;
    total  bigint;
    spent  interval;
    t0     timestamptz;
    t1     timestamptz;
BEGIN
    FOR rep IN 0..p_reps LOOP
        FOREACH phase IN ARRAY ARRAY['B_user_new', 'B_user_existing'] LOOP
            FOR k IN 0..2 LOOP
                v_impl := impls[(rep + k) % 3 + 1];
                eids := bench.ids(v_impl);
                vids := ARRAY(SELECT first_variant FROM bench.twins t
                               WHERE t.impl = v_impl ORDER BY t.n);
                spent := interval '0';
                total := 0;
                FOR i IN 1..p_users LOOP
                    u := format('p%s_u%s', rep, i);
                    users := array_fill(u, ARRAY[10]);
                    t0 := clock_timestamp();
                    IF v_impl = 'exp_assign' THEN
                        SELECT count(*) INTO nrows FROM exp_assign.exp_assign_user(u, eids);
                    ELSIF v_impl = 'seed' THEN
                        SELECT count(*) INTO nrows
                          FROM public.seed_cte(users, eids)
                               AS s(experiment_id int, user_id text, variant_id int, version int,
                                    assigned_at timestamptz, variant_key_or_source text);
                    ELSE
                        INSERT INTO exp_assign.assignments (experiment_id, user_id, variant_id)
                        SELECT e, u, v FROM unnest(eids, vids) AS x(e, v) ON CONFLICT DO NOTHING;
                        GET DIAGNOSTICS nrows = ROW_COUNT;
                    END IF;
                    t1 := clock_timestamp();
                    spent := spent + (t1 - t0);
                    total := total + nrows;
                    COMMIT;
                END LOOP;
                INSERT INTO bench.results
                VALUES (phase, v_impl, rep, 1000 * extract(epoch FROM spent) / p_users, total / p_users);
                COMMIT;
            END LOOP;
        END LOOP;
    END LOOP;
END
$$;

-- Compares what exp_assign and the seed stored for the users whose ids
-- start with p_prefix, twin by twin: pairs stored by both, same variant key,
-- different key, stored by only one; exp_assign rows that break the rule of
-- DESIGN.md section 3 (must be 0); seed rows that break the seed's own rule.
CREATE FUNCTION bench.compare(p_prefix text)
RETURNS TABLE (both_stored bigint, same_variant bigint, different_variant bigint,
               stored_by_one bigint, exp_assign_off_rule bigint, seed_off_own_rule bigint)
LANGUAGE sql STABLE AS $$
    WITH stored AS (
        SELECT t.impl, t.n, a.experiment_id, a.user_id, a.variant_id, v.key
          FROM exp_assign.assignments a
          JOIN bench.twins t ON t.experiment_id = a.experiment_id
          JOIN exp_assign.variants v ON v.id = a.variant_id
         WHERE t.impl IN ('exp_assign', 'seed') AND a.user_id LIKE p_prefix || '%'
    ),
    e AS (SELECT * FROM stored WHERE impl = 'exp_assign'),
    s AS (SELECT * FROM stored WHERE impl = 'seed')
    SELECT count(*) FILTER (WHERE e.user_id IS NOT NULL AND s.user_id IS NOT NULL),
           count(*) FILTER (WHERE e.key = s.key),
           count(*) FILTER (WHERE e.key <> s.key),
           count(*) FILTER (WHERE e.user_id IS NULL OR s.user_id IS NULL),
           count(*) FILTER (WHERE e.variant_id <> bench.rule_variant(e.experiment_id, e.user_id)),
           count(*) FILTER (WHERE s.variant_id <> bench.seed_rule_variant(s.experiment_id, s.user_id))
      FROM e FULL JOIN s ON s.n = e.n AND s.user_id = e.user_id
$$;

-- Share of each variant among the benchmark's users, per allocation shape
-- and implementation: the seed ignores allocation_pct.
CREATE FUNCTION bench.split()
RETURNS TABLE (shape text, impl text, shares text)
LANGUAGE sql STABLE AS $$
    WITH counts AS (
        SELECT t.shape, t.impl, v.id, v.key, count(a.user_id) AS users
          FROM bench.twins t
          JOIN exp_assign.variants v ON v.experiment_id = t.experiment_id
          LEFT JOIN exp_assign.assignments a ON a.variant_id = v.id
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

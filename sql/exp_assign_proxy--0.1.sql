-- exp_assign_proxy: exp_assign on many nodes (DESIGN.md section 6). Installed
-- in a proxy database, it gives the get-or-create API of exp_assign, with
-- the same names, arguments and result columns, and runs each call through
-- PL/Proxy on shards that each run exp_assign: a user's rows live on the
-- shard hashtext(user_id) picks, and a bulk call is split by user id.
--
-- The shards are the partitions of the PL/Proxy cluster named 'exp_assign'
-- (a SQL/MED server: CREATE SERVER exp_assign FOREIGN DATA WRAPPER plproxy
-- OPTIONS (p0 '...', p1 '...'), a power of two of them). Every shard holds
-- the same experiments and variants, with the same ids.
--
-- PL/Proxy runs each shard's part in a transaction of its own on that
-- shard (autocommit). So bad input is checked on one shard before any
-- shard is asked to write, a read-only proxy transaction reads through
-- exp_assign_peek instead of writing, and the rows of a split call are put
-- back in request order here.
\echo Use "CREATE EXTENSION exp_assign_proxy" to load this file. \quit

CREATE TYPE @extschema@.proxy_row AS (
    user_id text, experiment_id int, variant_id int, variant_key text,
    version int, assigned_at timestamptz, source text);
COMMENT ON TYPE @extschema@.proxy_row IS
    'A row of the get-or-create functions, as the shards return it.';

-- The hash PL/Proxy routes a user id by (its low bits pick the partition).
-- NULL goes to partition 0, whose exp_assign rejects it with its own 22004.
CREATE FUNCTION @extschema@.proxy_hash(user_id text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(pg_catalog.hashtext(user_id), 0);
COMMENT ON FUNCTION @extschema@.proxy_hash(text) IS
    'The hash exp_assign_proxy routes a user id by: hashtext(user_id), 0 for NULL; partition = hash & (partitions - 1).';

-- ---------------------------------------------------------------------------
-- The calls made on the shards (PL/Proxy; used by the functions below).
-- ---------------------------------------------------------------------------

-- Checks bad input where exp_assign's own checks run, on partition 0,
-- before any shard writes: exp_assign_cohort with no users checks only the
-- experiment id, exp_assign_matrix with one array empty only the other
-- array. So the errors are exp_assign's, with its messages and HINTs, the
-- subscripts of the whole array and the shards' max_user_id_bytes.
CREATE FUNCTION @extschema@.shard_check(experiment_id int, user_ids text[], experiment_ids int[])
RETURNS bigint
LANGUAGE plproxy AS $$
    CLUSTER 'exp_assign';
    RUN ON 0;
    SELECT (SELECT count(*) FROM exp_assign.exp_assign_cohort(experiment_id, '{}'::text[]))
         + (SELECT count(*) FROM exp_assign.exp_assign_matrix(user_ids, '{}'::int[]))
         + (SELECT count(*) FROM exp_assign.exp_assign_matrix('{}'::text[], experiment_ids));
$$;
COMMENT ON FUNCTION @extschema@.shard_check(int, text[], int[]) IS
    'Internal: raises exp_assign''s error for bad arguments of a split call, on partition 0, before any shard writes.';

CREATE FUNCTION @extschema@.shard_user(user_id text, experiment_ids int[])
RETURNS SETOF @extschema@.proxy_row
LANGUAGE plproxy AS $$
    CLUSTER 'exp_assign';
    RUN ON @extschema@.proxy_hash($1);
    TARGET exp_assign.exp_assign_user;
$$;

CREATE FUNCTION @extschema@.shard_peek(user_id text, experiment_ids int[])
RETURNS SETOF @extschema@.proxy_row
LANGUAGE plproxy AS $$
    CLUSTER 'exp_assign';
    RUN ON @extschema@.proxy_hash($1);
    TARGET exp_assign.exp_assign_peek;
$$;

CREATE FUNCTION @extschema@.shard_cohort(experiment_id int, user_ids text[])
RETURNS SETOF @extschema@.proxy_row
LANGUAGE plproxy AS $$
    CLUSTER 'exp_assign';
    SPLIT user_ids;
    RUN ON @extschema@.proxy_hash(user_ids);
    TARGET exp_assign.exp_assign_cohort;
$$;

CREATE FUNCTION @extschema@.shard_bulk(user_ids text[], experiment_ids int[])
RETURNS SETOF @extschema@.proxy_row
LANGUAGE plproxy AS $$
    CLUSTER 'exp_assign';
    SPLIT user_ids, experiment_ids;
    RUN ON @extschema@.proxy_hash(user_ids);
    TARGET exp_assign.exp_assign_bulk;
$$;

CREATE FUNCTION @extschema@.shard_matrix(user_ids text[], experiment_ids int[])
RETURNS SETOF @extschema@.proxy_row
LANGUAGE plproxy AS $$
    CLUSTER 'exp_assign';
    SPLIT user_ids;
    RUN ON @extschema@.proxy_hash(user_ids);
    TARGET exp_assign.exp_assign_matrix;
$$;

CREATE FUNCTION @extschema@.shard_warm(user_ids text[], experiment_ids int[])
RETURNS SETOF @extschema@.proxy_row
LANGUAGE plproxy AS $$
    CLUSTER 'exp_assign';
    SPLIT user_ids;
    RUN ON @extschema@.proxy_hash(user_ids);
    TARGET exp_assign.exp_assign_warm;
$$;

-- Pairs read without writing, for read-only proxy transactions: each shard
-- peeks each of its users once, with that user's experiments.
CREATE FUNCTION @extschema@.shard_peek_pairs(user_ids text[], experiment_ids int[])
RETURNS SETOF @extschema@.proxy_row
LANGUAGE plproxy AS $$
    CLUSTER 'exp_assign';
    SPLIT user_ids, experiment_ids;
    RUN ON @extschema@.proxy_hash(user_ids);
    SELECT p.user_id, p.experiment_id, p.variant_id, p.variant_key, p.version, p.assigned_at, p.source
      FROM (SELECT x.u, array_agg(x.e ORDER BY x.n) AS es
              FROM unnest(user_ids, experiment_ids) WITH ORDINALITY AS x(u, e, n)
             GROUP BY x.u) g,
           LATERAL exp_assign.exp_assign_peek(g.u, g.es) p;
$$;

COMMENT ON FUNCTION @extschema@.shard_user(text, int[]) IS 'Internal: exp_assign_user on the user''s shard.';
COMMENT ON FUNCTION @extschema@.shard_peek(text, int[]) IS 'Internal: exp_assign_peek on the user''s shard.';
COMMENT ON FUNCTION @extschema@.shard_cohort(int, text[]) IS 'Internal: exp_assign_cohort, the users split by shard.';
COMMENT ON FUNCTION @extschema@.shard_bulk(text[], int[]) IS 'Internal: exp_assign_bulk, the pairs split by their user''s shard.';
COMMENT ON FUNCTION @extschema@.shard_matrix(text[], int[]) IS 'Internal: exp_assign_matrix, the users split by shard.';
COMMENT ON FUNCTION @extschema@.shard_warm(text[], int[]) IS 'Internal: exp_assign_warm, the users split by shard.';
COMMENT ON FUNCTION @extschema@.shard_peek_pairs(text[], int[]) IS
    'Internal: exp_assign_peek of pairs, split by their user''s shard; the read path of a read-only proxy transaction.';

-- ---------------------------------------------------------------------------
-- The get-or-create of every shape, on the shards
-- ---------------------------------------------------------------------------

-- shape: user, cohort, bulk, matrix or warm; the arguments of that
-- function (user: user_ids holds the one user id; cohort: experiment_id).
-- Rows come in request order: each distinct pair at its first occurrence,
-- matrix and warm user-major, as exp_assign returns them.
CREATE FUNCTION @extschema@.proxy_get(shape text, one_experiment_id int, user_ids text[], experiment_ids int[])
RETURNS SETOF @extschema@.proxy_row
LANGUAGE plpgsql AS $$
DECLARE
    read_only constant boolean := current_setting('transaction_read_only')::boolean;
    found_rows @extschema@.proxy_row[];
    missing @extschema@.proxy_row;
    pair_users text[];
    pair_experiments int[];
BEGIN
    IF shape = 'user' THEN
        IF NOT read_only THEN
            RETURN QUERY SELECT * FROM @extschema@.shard_user(user_ids[1], experiment_ids);
            RETURN;
        END IF;
        found_rows := ARRAY(SELECT r FROM @extschema@.shard_peek(user_ids[1], experiment_ids) r);
    ELSE
        PERFORM @extschema@.shard_check(coalesce(one_experiment_id, CASE WHEN shape <> 'cohort' THEN 0 END),
                                        user_ids, coalesce(experiment_ids, CASE WHEN shape = 'cohort' THEN '{}'::int[] END));
        IF shape = 'bulk' AND cardinality(user_ids) <> cardinality(experiment_ids) THEN
            RAISE EXCEPTION 'user_ids has % elements but experiment_ids has %', cardinality(user_ids), cardinality(experiment_ids)
                USING ERRCODE = '2202E',
                HINT = 'exp_assign_bulk pairs element i of each array: pass arrays of the same length, or use exp_assign_matrix for every user in every experiment.';
        END IF;
        IF read_only THEN
            SELECT array_agg(p.u ORDER BY p.n), array_agg(p.e ORDER BY p.n) INTO pair_users, pair_experiments
              FROM @extschema@.requested_pairs(shape, one_experiment_id, user_ids, experiment_ids) p;
            found_rows := ARRAY(SELECT r FROM @extschema@.shard_peek_pairs(coalesce(pair_users, '{}'),
                                                                            coalesce(pair_experiments, '{}')) r);
        ELSIF shape = 'cohort' THEN
            found_rows := ARRAY(SELECT r FROM @extschema@.shard_cohort(one_experiment_id, user_ids) r);
        ELSIF shape = 'bulk' THEN
            found_rows := ARRAY(SELECT r FROM @extschema@.shard_bulk(user_ids, experiment_ids) r);
        ELSIF shape = 'matrix' THEN
            found_rows := ARRAY(SELECT r FROM @extschema@.shard_matrix(user_ids, experiment_ids) r);
        ELSE
            found_rows := ARRAY(SELECT r FROM @extschema@.shard_warm(user_ids, experiment_ids) r);
        END IF;
    END IF;
    IF read_only THEN
        -- As exp_assign: stored rows are returned, a row to create fails
        -- the call, naming the first such pair in lock order.
        SELECT r.* INTO missing FROM unnest(found_rows) r WHERE r.source = 'computed'
         ORDER BY r.user_id COLLATE "C", r.experiment_id LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'cannot create the assignment of user "%" in experiment % in a read-only transaction',
                left(missing.user_id, 40), missing.experiment_id
                USING ERRCODE = '25006',
                HINT = 'Use exp_assign_peek(), which never writes, on a standby or in a read-only transaction.';
        END IF;
    END IF;
    IF shape = 'user' THEN
        RETURN QUERY SELECT * FROM unnest(found_rows);
        RETURN;
    END IF;
    RETURN QUERY
        SELECT r.*
          FROM unnest(found_rows) r
          JOIN (SELECT p.u, p.e, min(p.n) AS n
                  FROM @extschema@.requested_pairs(shape, one_experiment_id, user_ids, experiment_ids) p
                 GROUP BY p.u, p.e) o ON o.u = r.user_id AND o.e = r.experiment_id
         ORDER BY o.n;
END
$$;
COMMENT ON FUNCTION @extschema@.proxy_get(text, int, text[], int[]) IS
    'Internal: a get-or-create call of any shape on the shards: checks, the read-only path, request order.';

-- The pairs a call requests, in request order (n), as exp_assign reads
-- them: cohort (user, the experiment), bulk (user_ids[i], experiment_ids[i]),
-- matrix and warm every user with every experiment, user-major.
CREATE FUNCTION @extschema@.requested_pairs(shape text, one_experiment_id int, user_ids text[], experiment_ids int[])
RETURNS TABLE (u text, e int, n bigint)
LANGUAGE sql IMMUTABLE AS $$
    SELECT x.u, one_experiment_id, x.n FROM unnest(user_ids) WITH ORDINALITY AS x(u, n) WHERE shape = 'cohort'
    UNION ALL
    SELECT x.u, x.e, x.n FROM unnest(user_ids, experiment_ids) WITH ORDINALITY AS x(u, e, n) WHERE shape = 'bulk'
    UNION ALL
    SELECT x.u, y.e, (x.n - 1) * cardinality(experiment_ids) + y.n
      FROM unnest(user_ids) WITH ORDINALITY AS x(u, n), unnest(experiment_ids) WITH ORDINALITY AS y(e, n)
     WHERE shape IN ('matrix', 'warm')
$$;
COMMENT ON FUNCTION @extschema@.requested_pairs(text, int, text[], int[]) IS
    'Internal: the (user, experiment) pairs a get-or-create call of a shape requests, in request order.';

-- ---------------------------------------------------------------------------
-- The API: exp_assign's names, arguments and result columns.
-- ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.exp_assign_user(user_id text, experiment_ids int[])
RETURNS TABLE (user_id text, experiment_id int, variant_id int, variant_key text,
               version int, assigned_at timestamptz, source text)
LANGUAGE sql VOLATILE ROWS 10 AS $$
    SELECT * FROM @extschema@.proxy_get('user', NULL, ARRAY[$1], $2)
$$;
COMMENT ON FUNCTION @extschema@.exp_assign_user(text, int[]) IS
    'exp_assign_user on the user''s shard (page load).';

CREATE FUNCTION @extschema@.exp_assign_cohort(experiment_id int, user_ids text[])
RETURNS TABLE (user_id text, experiment_id int, variant_id int, variant_key text,
               version int, assigned_at timestamptz, source text)
LANGUAGE sql VOLATILE ROWS 1000 AS $$
    SELECT * FROM @extschema@.proxy_get('cohort', $1, $2, NULL)
$$;
COMMENT ON FUNCTION @extschema@.exp_assign_cohort(int, text[]) IS
    'exp_assign_cohort, the users split by shard; rows in request order.';

CREATE FUNCTION @extschema@.exp_assign_bulk(user_ids text[], experiment_ids int[])
RETURNS TABLE (user_id text, experiment_id int, variant_id int, variant_key text,
               version int, assigned_at timestamptz, source text)
LANGUAGE sql VOLATILE ROWS 100 AS $$
    SELECT * FROM @extschema@.proxy_get('bulk', NULL, $1, $2)
$$;
COMMENT ON FUNCTION @extschema@.exp_assign_bulk(text[], int[]) IS
    'exp_assign_bulk, the pairs split by their user''s shard; rows in request order.';

CREATE FUNCTION @extschema@.exp_assign_matrix(user_ids text[], experiment_ids int[])
RETURNS TABLE (user_id text, experiment_id int, variant_id int, variant_key text,
               version int, assigned_at timestamptz, source text)
LANGUAGE sql VOLATILE ROWS 1000 AS $$
    SELECT * FROM @extschema@.proxy_get('matrix', NULL, $1, $2)
$$;
COMMENT ON FUNCTION @extschema@.exp_assign_matrix(text[], int[]) IS
    'exp_assign_matrix, the users split by shard; rows in request order (user-major).';

CREATE FUNCTION @extschema@.exp_assign_warm(user_ids text[], experiment_ids int[])
RETURNS TABLE (user_id text, experiment_id int, variant_id int, variant_key text,
               version int, assigned_at timestamptz, source text)
LANGUAGE sql VOLATILE ROWS 1000 AS $$
    SELECT * FROM @extschema@.proxy_get('warm', NULL, $1, $2)
$$;
COMMENT ON FUNCTION @extschema@.exp_assign_warm(text[], int[]) IS
    'exp_assign_warm, the users split by shard (each shard queues its rows for Redis); rows in request order.';

-- Read-only and one shard each: no checks or ordering of their own needed.
CREATE FUNCTION @extschema@.exp_assign_peek(user_id text, experiment_ids int[])
RETURNS TABLE (user_id text, experiment_id int, variant_id int, variant_key text,
               version int, assigned_at timestamptz, source text)
LANGUAGE plproxy ROWS 10 AS $$
    CLUSTER 'exp_assign';
    RUN ON @extschema@.proxy_hash($1);
    TARGET exp_assign.exp_assign_peek;
$$;
COMMENT ON FUNCTION @extschema@.exp_assign_peek(text, int[]) IS
    'exp_assign_peek on the user''s shard: never writes.';

CREATE FUNCTION @extschema@.exp_assign_explain(user_id text, experiment_id int) RETURNS jsonb
LANGUAGE plproxy AS $$
    CLUSTER 'exp_assign';
    RUN ON @extschema@.proxy_hash($1);
    TARGET exp_assign.exp_assign_explain;
$$;
COMMENT ON FUNCTION @extschema@.exp_assign_explain(text, int) IS
    'exp_assign_explain on the user''s shard, whose stored row it reports.';

CREATE FUNCTION @extschema@.exp_assign_bucket(user_id text, seed text) RETURNS int
LANGUAGE plproxy STRICT AS $$
    CLUSTER 'exp_assign';
    RUN ON 0;
    TARGET exp_assign.exp_assign_bucket;
$$;
COMMENT ON FUNCTION @extschema@.exp_assign_bucket(text, text) IS
    'exp_assign_bucket, computed on partition 0 (the rule is the same everywhere); VOLATILE here, as PL/Proxy requires.';

-- ---------------------------------------------------------------------------
-- exp_assign_cohort_query: the query runs here, in the proxy database; its
-- users go to the shards batch by batch through exp_assign_cohort.
-- ---------------------------------------------------------------------------

-- What the cohort query needs of an experiment, from partition 0 (every
-- shard holds the same catalog): its status, its variants in ascending id,
-- and the shards' exp_assign.max_user_id_bytes (calling exp_assign_bucket
-- loads the library, which defines the setting).
CREATE FUNCTION @extschema@.shard_experiment(experiment_id int)
RETURNS TABLE (status text, variant_ids int[], variant_keys text[], max_user_id_bytes int)
LANGUAGE plproxy AS $$
    CLUSTER 'exp_assign';
    RUN ON 0;
    SELECT e.status,
           ARRAY(SELECT v.id FROM exp_assign.variants v WHERE v.experiment_id = e.id ORDER BY v.id) AS variant_ids,
           ARRAY(SELECT v.key FROM exp_assign.variants v WHERE v.experiment_id = e.id ORDER BY v.id) AS variant_keys,
           (SELECT s.setting::int FROM pg_catalog.pg_settings s
             WHERE s.name = 'exp_assign.max_user_id_bytes' AND exp_assign.exp_assign_bucket('', '') IS NOT NULL)
               AS max_user_id_bytes
      FROM exp_assign.experiments e
     WHERE e.id = experiment_id;
$$;
COMMENT ON FUNCTION @extschema@.shard_experiment(int) IS
    'Internal: an experiment''s status and variants, and the shards'' max_user_id_bytes, from partition 0.';

-- One batch of the cohort query: its distinct users assigned on their
-- shards, the counts per variant (in variant_ids order) and the distinct
-- users so far carried on, and the progress NOTICE.
CREATE FUNCTION @extschema@.proxy_cohort_batch(
    experiment_id int, variant_ids int[], batch text[], rows_read bigint, started timestamptz,
    INOUT counts bigint[], INOUT fresh bigint[], INOUT total bigint)
LANGUAGE plpgsql AS $$
DECLARE
    distinct_users constant text[] := ARRAY(SELECT DISTINCT b FROM unnest(batch) b);
    seconds numeric;
BEGIN
    total := total + cardinality(distinct_users);
    SELECT array_agg(coalesce(c.n_users, 0) + counts[v.ord] ORDER BY v.ord),
           array_agg(coalesce(c.n_new, 0) + fresh[v.ord] ORDER BY v.ord)
      INTO counts, fresh
      FROM unnest(variant_ids) WITH ORDINALITY AS v(id, ord)
      LEFT JOIN (SELECT r.variant_id, count(*) AS n_users, count(*) FILTER (WHERE r.source = 'new') AS n_new
                   FROM @extschema@.proxy_get('cohort', $1, distinct_users, NULL) r
                  GROUP BY r.variant_id) c ON c.variant_id = v.id;
    seconds := extract(epoch FROM clock_timestamp() - started);
    RAISE NOTICE 'experiment %: % rows read, % users assigned (% new)', $1, rows_read,
        coalesce((SELECT sum(x) FROM unnest(counts) x), 0), coalesce((SELECT sum(x) FROM unnest(fresh) x), 0)
        USING DETAIL = format('%s s so far, %s rows/s.', round(seconds, 1),
                              CASE WHEN seconds > 0 THEN round(rows_read / seconds) ELSE 0 END);
END
$$;
COMMENT ON FUNCTION @extschema@.proxy_cohort_batch(int, int[], text[], bigint, timestamptz, bigint[], bigint[], bigint) IS
    'Internal: one batch of exp_assign_cohort_query through the proxy.';

CREATE FUNCTION @extschema@.exp_assign_cohort_query(experiment_id int, query text, batch_size int DEFAULT 10000)
RETURNS TABLE (variant_id int, variant_key text, users bigint, new_users bigint, pct numeric)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    hint_query constant text := 'Pass a query returning one column of user ids, e.g. ''SELECT id FROM users WHERE country = ''''NZ''''''.';
    e record;
    ncols int;
    max_len int;
    rows_read bigint := 0;
    total bigint := 0;              -- distinct users per batch, summed
    counts bigint[];                -- users per variant, in variant_ids order
    fresh bigint[];
    batch text[] := '{}';
    u text;
    shown text;
    started constant timestamptz := clock_timestamp();
BEGIN
    IF $1 IS NULL THEN
        RAISE EXCEPTION 'experiment_id must not be NULL' USING ERRCODE = '22004',
            HINT = 'Pass the id of a row in exp_assign.experiments.';
    ELSIF $2 IS NULL THEN
        RAISE EXCEPTION 'query must not be NULL' USING ERRCODE = '22004', HINT = hint_query;
    ELSIF $3 IS NULL THEN
        RAISE EXCEPTION 'batch_size must not be NULL' USING ERRCODE = '22004',
            HINT = 'Leave it out for the default of 10000.';
    ELSIF btrim($2, E' \t\r\n\f\v;') = '' THEN
        RAISE EXCEPTION 'the cohort query is empty' USING ERRCODE = '42601', HINT = hint_query;
    ELSIF $3 < 1 OR $3 > 1000000 THEN
        RAISE EXCEPTION 'batch_size % is out of range', $3 USING ERRCODE = '22023',
            HINT = 'Use 1 to 1000000 users per batch; the default is 10000.';
    END IF;
    SELECT * INTO e FROM @extschema@.shard_experiment($1);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'experiment % does not exist', $1 USING ERRCODE = '42704',
            HINT = 'See SELECT id, key, status FROM exp_assign.experiments.';
    ELSIF e.status IN ('draft', 'stopped') THEN
        RAISE EXCEPTION 'experiment % is %: no user can be assigned to it', $1, e.status USING ERRCODE = '55000',
            HINT = format('Activate it first: UPDATE exp_assign.experiments SET status = ''active'' WHERE id = %s;', $1);
    END IF;
    max_len := coalesce(e.max_user_id_bytes, 1000);
    -- The query's columns, counted without fetching a row: naming one
    -- column more than it has fails (42P10). Two probes for a good query.
    ncols := 0;
    LOOP
        BEGIN
            EXECUTE format('SELECT 1 FROM (%s) AS q(%s) LIMIT 0', $2,
                           (SELECT string_agg('c' || g, ', ') FROM generate_series(1, ncols + 1) g));
        EXCEPTION WHEN invalid_column_reference THEN
            EXIT;
        END;
        ncols := ncols + 1;
    END LOOP;
    IF ncols <> 1 THEN
        RAISE EXCEPTION 'the cohort query must return one column, the user ids; it returns %', ncols
            USING ERRCODE = '42601', HINT = 'Select only the user id, e.g. SELECT user_id FROM ...';
    END IF;

    counts := array_fill(0::bigint, ARRAY[cardinality(e.variant_ids)]);
    fresh := counts;
    FOR u IN EXECUTE format('SELECT q.u::text FROM (%s) AS q(u)', $2) LOOP
        rows_read := rows_read + 1;
        IF u IS NULL THEN
            RAISE EXCEPTION 'row % of the cohort query has a NULL user id', rows_read USING ERRCODE = '22004',
                HINT = 'Filter them out: add WHERE <user id column> IS NOT NULL to the query.';
        ELSIF u = '' THEN
            RAISE EXCEPTION 'row % of the cohort query is an empty user id', rows_read USING ERRCODE = '22023',
                HINT = 'User ids must be non-empty; remove the element or supply the real id.';
        ELSIF octet_length(u) > max_len THEN
            -- As exp_assign shows it: the first 40 bytes, cut at a character.
            shown := left(u, 40);
            WHILE octet_length(shown) > 40 LOOP
                shown := left(shown, -1);
            END LOOP;
            RAISE EXCEPTION 'row % of the cohort query is % bytes long, over exp_assign.max_user_id_bytes (%): "%..."',
                rows_read, octet_length(u), max_len, shown USING ERRCODE = '22001',
                HINT = 'Use a shorter id (hash it client-side) or raise exp_assign.max_user_id_bytes.';
        END IF;
        batch := batch || u;
        IF cardinality(batch) = $3 THEN
            SELECT * INTO counts, fresh, total
              FROM @extschema@.proxy_cohort_batch($1, e.variant_ids, batch, rows_read, started, counts, fresh, total);
            batch := '{}';
        END IF;
    END LOOP;
    IF cardinality(batch) > 0 THEN
        SELECT * INTO counts, fresh, total
          FROM @extschema@.proxy_cohort_batch($1, e.variant_ids, batch, rows_read, started, counts, fresh, total);
    END IF;
    RETURN QUERY
        SELECT s.variant_id, s.variant_key, s.users, s.new_users,
               CASE WHEN total > 0 THEN round(s.users * 100.0 / total, 2) END
          FROM (SELECT v.id AS variant_id, v.key AS variant_key, c.n AS users, f.n AS new_users, v.ord
                  FROM unnest(e.variant_ids, e.variant_keys) WITH ORDINALITY AS v(id, key, ord)
                  JOIN unnest(counts) WITH ORDINALITY AS c(n, ord) ON c.ord = v.ord
                  JOIN unnest(fresh) WITH ORDINALITY AS f(n, ord) ON f.ord = v.ord
                UNION ALL
                SELECT NULL, NULL, (total - coalesce((SELECT sum(x) FROM unnest(counts) x), 0))::bigint, 0::bigint, NULL) s
         ORDER BY s.ord NULLS LAST;
END
$$;
COMMENT ON FUNCTION @extschema@.exp_assign_cohort_query(int, text, int) IS
    'exp_assign_cohort_query with the query run in the proxy database: its users go to their shards batch_size at a time, with a NOTICE per batch; returns the split per variant and a last row (NULL variant) for those without one.';

-- The hash half of the rule: exact values, range, and properties.
CREATE EXTENSION exp_assign;
SET search_path = exp_assign, public;

-- Rows of ../shared/vectors/mmh3_buckets.tsv (all 2,007 are checked by the
-- unit and pgTAP suites).
SELECT exp_assign_bucket('user_1', 'seed_abc') AS user_1,          -- 4933
       exp_assign_bucket('', '') AS empty,                         -- 7430
       exp_assign_bucket('42', 'exp-42') AS forty_two,             -- 9991
       exp_assign_bucket('ünïcødé-用户', '種') AS multibyte,        -- 2877
       exp_assign_bucket(' ', '  ') AS spaces;                     -- 6216

-- STRICT: NULL in, NULL out.
SELECT exp_assign_bucket(NULL, 's') IS NULL AS null_user, exp_assign_bucket('u', NULL) IS NULL AS null_seed;

-- Every bucket lies in 0..9999 and the ten deciles are evenly filled.
SELECT min(b) >= 0 AS min_ok, max(b) <= 9999 AS max_ok,
       count(DISTINCT b / 1000) AS deciles,
       bool_and(n BETWEEN 900 AND 1100) AS deciles_even
  FROM (SELECT b, count(*) OVER (PARTITION BY b / 1000) AS n
          FROM (SELECT exp_assign_bucket('user_' || g, 'seed') AS b
                  FROM generate_series(1, 10000) g) s) t;

-- The separator is part of the key: ("a:b", "c") and ("a", "b:c") hash the same bytes.
SELECT exp_assign_bucket('a:b', 'c') = exp_assign_bucket('a', 'b:c') AS same_bytes_same_bucket;

SELECT provolatile, proisstrict, proparallel
  FROM pg_proc WHERE oid = 'exp_assign.exp_assign_bucket(text,text)'::regprocedure;

-- The rule hashes UTF-8 bytes whatever the database encoding: a LATIN1
-- database gives the same buckets as the vectors (computed on UTF-8).
CREATE DATABASE exp_assign_latin1 TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C';
\c exp_assign_latin1
SET client_encoding = 'UTF8';
CREATE EXTENSION exp_assign;
SET search_path = exp_assign, public;
SHOW server_encoding;

-- Rows of ../shared/vectors/mmh3_buckets.tsv whose text fits LATIN1.
CREATE TEMP TABLE vectors (user_id text, seed text, bucket int);
INSERT INTO vectors VALUES
    ('5ywlVz0AR_U.BF5Nc28-ñ7FCn6fße', 'seed_326183715', 7085),
    ('lMB4oHrhsFaP_71jUdüQm-sñRUARgL_..ApOqlf', 'seed_595168724', 5746),
    ('GgbéNv-O4vou15QhQbNFWDKP2fss_k', 'seed_520509742', 826),
    ('K3ñxxDzl_', 'seed_188246217', 4670),
    ('user_43', 'seed_675059602é', 6428),
    ('oYeéqTß', 'seed_711617914', 4757),
    ('user_1', 'seed_abc', 4933);
SELECT user_id, seed, bucket, exp_assign_bucket(user_id, seed) AS computed,
       octet_length(user_id) AS latin1_bytes
  FROM vectors ORDER BY bucket;

-- Get-or-create uses the same UTF-8 bucket.
INSERT INTO experiments (id, key, seed, status) VALUES (1, 'é', 'seed_711617914', 'active');
INSERT INTO variants (id, experiment_id, key, allocation_pct) VALUES (1, 1, 'low', 47.58), (2, 1, 'high', 52.42);
SELECT user_id, variant_key, source FROM exp_assign_user('oYeéqTß', ARRAY[1]);  -- bucket 4757 < 4758
SELECT exp_assign_explain('oYeéqTß', 1) ->> 'hash_input' AS hash_input,
       exp_assign_explain('oYeéqTß', 1) ->> 'bucket' AS bucket;

\c contrib_regression
DROP DATABASE exp_assign_latin1;

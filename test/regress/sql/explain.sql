-- exp_assign_explain: the rule's working and the decision, as jsonb.
SET search_path = exp_assign, public;

INSERT INTO experiments (id, key, seed, status) VALUES
    (101, 'explain_me', 'seed_abc', 'active'),
    (102, 'half', 'seed_abc', 'active'),
    (103, 'on_hold', 'seed_abc', 'paused'),
    (104, 'not_yet', 'seed_abc', 'draft');
INSERT INTO variants (id, experiment_id, key, allocation_pct) VALUES
    (1011, 101, 'control', 49.33), (1012, 101, 'treatment', 0.01), (1013, 101, 'rest', 50.66),
    (1021, 102, 'only', 10), (1031, 103, 'x', 100), (1041, 104, 'x', 100);

-- user_1 hashes to bucket 4933 with seed_abc: the bound 4933 of 'control'
-- is not above it, so the 0.01% variant treatment, [4933, 4934), takes it.
SELECT jsonb_pretty(exp_assign_explain('user_1', 101));
SELECT exp_assign_explain('user_1', 102) ->> 'decision' AS decision,
       exp_assign_explain('user_1', 102) ->> 'reason' AS reason;
SELECT exp_assign_explain('user_1', 103) ->> 'decision' AS paused,
       exp_assign_explain('user_1', 104) ->> 'decision' AS draft;

-- After the row is stored, it is the decision whatever the rule says now.
SELECT variant_key, source FROM exp_assign_user('user_1', ARRAY[101]);
UPDATE variants SET allocation_pct = 0 WHERE id = 1012;
SELECT e ->> 'decision' AS decision, e -> 'stored' ->> 'variant_key' AS stored,
       e ->> 'rule_variant_id' AS rule_now
  FROM exp_assign_explain('user_1', 101) e;

-- Unknown experiments are an error here (42704), not an empty result.
SELECT * FROM sql_error($$SELECT exp_assign_explain('user_1', 424242)$$);

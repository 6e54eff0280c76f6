#!/usr/bin/python3
"""Compares Redis with the assignments table, byte for byte.

For every assignment (or override, which wins over it) selected by --where, the key <prefix>:<experiment>:<user>
(--layout cluster: <prefix>:{<user>}:<experiment>) must hold exactly the JSON value of DESIGN.md section 5 with a TTL in
(ttl - slack, ttl]; with --absent, none of the selected keys may exist.
Prints one line "checked=N missing=N wrong_value=N wrong_ttl=N present=N"
plus up to five examples, and exits 1 on any difference. With --cluster,
--redis-port is one node of a Redis Cluster and each key is read from the
node serving its slot.

Uses Debian's python3-psycopg and python3-redis; run with /usr/bin/python3.
"""
import argparse
import json
import sys

import psycopg
import redis
import redis.cluster

# What each key must hold: the override of the pair while its experiment is
# not stopped (version the experiment's, assigned_at the override's
# created_at), else the stored row. "a" is that resolved set.
EXPECTED = """
WITH a AS (
    SELECT coalesce(o.experiment_id, s.experiment_id) AS experiment_id,
           coalesce(o.user_id, s.user_id) AS user_id,
           coalesce(o.variant_id, s.variant_id) AS variant_id,
           CASE WHEN o.user_id IS NULL THEN s.version ELSE o.experiment_version END AS version,
           CASE WHEN o.user_id IS NULL THEN s.assigned_at ELSE o.created_at END AS assigned_at,
           o.user_id IS NOT NULL AS forced
      FROM exp_assign.assignments s
      FULL JOIN (SELECT o.*, e.version AS experiment_version
                   FROM exp_assign.overrides o
                   JOIN exp_assign.experiments e ON e.id = o.experiment_id AND e.status <> 'stopped') o
        ON o.experiment_id = s.experiment_id AND o.user_id = s.user_id)
SELECT a.experiment_id, convert_to(a.user_id, 'UTF8'),
       convert_to(format('{"variant_id":%s,"variant_key":%s,"version":%s,"assigned_at":"%s"}',
              a.variant_id, to_json(v.key)::text, a.version,
              CASE WHEN isfinite(a.assigned_at)
                   THEN to_char(a.assigned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                   ELSE a.assigned_at::text END), 'UTF8')
  FROM a
  JOIN exp_assign.variants v ON v.experiment_id = a.experiment_id AND v.id = a.variant_id
 WHERE {where}
 ORDER BY 1, 2
"""

KEYS_ONLY = """
SELECT q.experiment_id, convert_to(q.user_id, 'UTF8')
  FROM ({query}) AS q(experiment_id, user_id) ORDER BY 1, 2
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--redis-port", type=int, required=True)
    parser.add_argument("--redis-password", default=None)
    parser.add_argument("--prefix", default="assign")
    parser.add_argument("--layout", choices=("plain", "cluster"), default="plain")
    parser.add_argument("--cluster", action="store_true",
                        help="--redis-port is a node of a Redis Cluster: read each key from its slot's node")
    parser.add_argument("--where", default="true", help="SQL condition on a (assignments with overrides applied; a.forced)")
    parser.add_argument("--ttl", type=int, default=604800)
    parser.add_argument("--slack", type=int, default=600, help="seconds a TTL may have run down")
    parser.add_argument("--absent", metavar="QUERY",
                        help="a query of (experiment_id, user_id) whose keys must not exist")
    parser.add_argument("--expect-count", type=int, default=None,
                        help="fail unless exactly this many keys were checked")
    args = parser.parse_args()

    with psycopg.connect(args.dsn) as conn:
        if args.absent:
            rows = conn.execute(KEYS_ONLY.format(query=args.absent)).fetchall()
        else:
            rows = conn.execute(EXPECTED.replace("{where}", args.where)).fetchall()

    r = redis.Redis(host="127.0.0.1", port=args.redis_port, password=args.redis_password)
    prefix = args.prefix.encode()
    if args.layout == "cluster":
        keys = [prefix + b":{" + bytes(row[1]) + b"}:" + str(row[0]).encode() for row in rows]
    else:
        keys = [prefix + b":" + str(row[0]).encode() + b":" + bytes(row[1]) for row in rows]
    values, ttls = [], []
    if args.cluster:
        node = redis.cluster.RedisCluster(host="127.0.0.1", port=args.redis_port, password=args.redis_password)
        values = [node.get(k) for k in keys]
        ttls = [node.ttl(k) for k in keys]
        keys_read = len(keys)
    else:
        keys_read = 0
    for start in range(keys_read, len(keys), 1000):
        chunk = keys[start:start + 1000]
        pipe = r.pipeline(transaction=False)
        for k in chunk:
            pipe.get(k)
            pipe.ttl(k)
        replies = pipe.execute()
        values += replies[0::2]
        ttls += replies[1::2]

    missing, wrong_value, wrong_ttl, present, examples = 0, 0, 0, 0, []
    for row, key, value, ttl in zip(rows, keys, values, ttls):
        if args.absent:
            if value is not None:
                present += 1
                examples.append(f"present: {key!r} = {value!r}")
            continue
        want = bytes(row[2])
        if value is None:
            missing += 1
            examples.append(f"missing: {key!r}")
        elif value != want:
            wrong_value += 1
            examples.append(f"value of {key!r}: {value!r}, want {want!r}")
        elif not (args.ttl - args.slack < ttl <= args.ttl):
            wrong_ttl += 1
            examples.append(f"ttl of {key!r}: {ttl}, want about {args.ttl}")
        else:
            json.loads(value)  # the value must also be valid JSON

    print(f"checked={len(rows)} missing={missing} wrong_value={wrong_value} "
          f"wrong_ttl={wrong_ttl} present={present}")
    for line in examples[:5]:
        print("  " + line)
    bad = missing + wrong_value + wrong_ttl + present
    if args.expect_count is not None and len(rows) != args.expect_count:
        print(f"  expected {args.expect_count} keys to check, found {len(rows)}")
        bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

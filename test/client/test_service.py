#!/usr/bin/python3
"""BulkAssignmentService (clients/python) against real PostgreSQL and Redis.

Started by test/client/run, which provides PGDSN (a database with exp_assign,
the push worker serving it) and REDIS_PORT. Prints TAP, plan first. The truth
every answer is held against is the database itself, read by
exp_assign_peek (which never writes) in the same state."""
import asyncio
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "clients" / "python"))

import asyncpg  # noqa: E402
import redis.asyncio as aioredis  # noqa: E402

from exp_assign_client import BulkAssignmentService, assignment_value  # noqa: E402

PLAN = 18
REDIS_PORT = int(os.environ["REDIS_PORT"])
DSN = dict(kv.split("=", 1) for kv in os.environ["PGDSN"].split())
N = 0
FAILED = 0


def check(name, passed, detail=""):
    global N, FAILED
    N += 1
    # test/run-all selftest: EXP_ASSIGN_BREAK=1 fails the first check on
    # purpose and stops, so the runner must count it and the checks that
    # never ran (the plan is printed at the end, so it is missing too).
    if os.environ.get("EXP_ASSIGN_BREAK"):
        print(f"not ok {N} - {name} (broken on purpose: EXP_ASSIGN_BREAK)")
        sys.stdout.flush()
        os._exit(1)
    if not passed:
        FAILED += 1
    print("%sok %d - %s" % ("" if passed else "not ", N, name))
    if detail and not passed:
        for line in str(detail).splitlines()[:20]:
            print("#   " + line)
    sys.stdout.flush()


class CountingDb:
    """The real pool, counting the statements the client sends through it."""

    def __init__(self, pool):
        self.pool = pool
        self.calls = 0

    async def fetch(self, *args):
        self.calls += 1
        return await self.pool.fetch(*args)


def redis_cli(*args):
    return subprocess.run(["redis-cli", "-p", str(REDIS_PORT), *args], capture_output=True, text=True).stdout.strip()


def command_calls(name):
    """How often Redis ran a command since the last CONFIG RESETSTAT."""
    for line in redis_cli("INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_%s:" % name):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


async def truth(pool, user_ids, experiment_ids):
    """{(user, experiment): value} of what the database holds or would give now."""
    out = {}
    for u in user_ids:
        for row in await pool.fetch(
                "SELECT * FROM exp_assign.exp_assign_peek($1, $2::int[]) WHERE source = 'existing'",
                u, experiment_ids):
            out[(u, row["experiment_id"])] = assignment_value(row)
    return out


def by_experiment(t, user):
    return {e: v for (u, e), v in t.items() if u == user}


def by_user(t, experiment):
    return {u: v for (u, e), v in t.items() if e == experiment}


async def set_conf(pool, name, value):
    await pool.execute("ALTER SYSTEM SET %s = '%s'" % (name, value))
    await pool.execute("SELECT pg_reload_conf()")
    await asyncio.sleep(0.5)


async def drained(pool, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if await pool.fetchval("SELECT backlog = 0 AND connected FROM exp_assign.worker_status"):
            return True
        await asyncio.sleep(0.2)
    return False


async def main():
    print("1..%d" % PLAN)
    pool = await asyncpg.create_pool(host=DSN["host"], port=int(DSN["port"]), user=DSN["user"],
                                     database=DSN["dbname"], min_size=1, max_size=2)
    r = aioredis.Redis(host="127.0.0.1", port=REDIS_PORT, socket_timeout=1, socket_connect_timeout=1)
    # Ten experiments for a page load: 3 is paused, 4 is a draft, 5 enrols 60 %.
    await pool.execute("""
        INSERT INTO exp_assign.experiments (key, seed) SELECT 'e' || g, 'seed-' || g FROM generate_series(1, 10) g;
        INSERT INTO exp_assign.variants (experiment_id, key, allocation_pct)
            SELECT g, v, CASE WHEN g = 5 THEN 30 ELSE 50 END
            FROM generate_series(1, 10) g, unnest(ARRAY['control', 'treatment']) v;
        UPDATE exp_assign.experiments SET status = 'active';
        SELECT count(*) FROM exp_assign.exp_assign_user('stored', ARRAY[3]);
        UPDATE exp_assign.experiments SET status = 'paused' WHERE id = 3;
        UPDATE exp_assign.experiments SET status = 'draft' WHERE id = 4 AND false;""")
    # Draft is not reachable from active; a fresh draft experiment instead.
    await pool.execute("""
        INSERT INTO exp_assign.experiments (id, key, seed, status) OVERRIDING SYSTEM VALUE
            VALUES (11, 'draft', 'seed-11', 'draft');
        INSERT INTO exp_assign.variants (experiment_id, key, allocation_pct) VALUES (11, 'only', 100);""")
    exps = [1, 2, 3, 5, 6, 7, 8, 9, 10, 11]
    users = ["u%d" % i for i in range(40)] + ["ユーザー", "with space", "a:b", "stored"]

    # --- nothing cached: the worker paused, Redis empty -------------------------
    await set_conf(pool, "exp_assign.redis_enabled", "off")
    redis_cli("FLUSHALL")
    redis_cli("CONFIG", "RESETSTAT")
    db = CountingDb(pool)
    svc = BulkAssignmentService(r, db)
    page = await svc.bulk_get_assignments_single_user("u0", exps)
    cohort = await svc.bulk_get_assignments_multiple_users(users, 1)
    matrix = await svc.bulk_matrix_assignments(users[:20], exps)
    t = await truth(pool, users, exps)
    check("uncached page load equals the database (dict by experiment id)",
          page == by_experiment(t, "u0") and len(page) >= 6, (page, by_experiment(t, "u0")))
    check("uncached cohort equals the database (dict by user id)", cohort == by_user(t, 1) and len(cohort) == len(users),
          (len(cohort), len(by_user(t, 1))))
    want = {k: v for k, v in t.items() if k[0] in users[:20]}
    check("uncached matrix equals the database (dict by (user_id, experiment_id))",
          matrix == want and len(matrix) > 100, (len(matrix), len(want)))
    check("one MGET per call, no GET", command_calls("mget") == 3 and command_calls("get") == 0,
          redis_cli("INFO", "commandstats"))
    check("one exp_assign call per call with misses", db.calls == 3, db.calls)
    writes = sum(command_calls(c) for c in ("set", "setex", "psetex", "mset", "del", "expire"))
    check("the client never writes Redis", writes == 0 and redis_cli("DBSIZE") == "0",
          redis_cli("INFO", "commandstats"))
    check("a paused experiment returns stored rows only, creates none",
          3 not in page and (await svc.bulk_get_assignments_single_user("stored", [3])).keys() == {3}
          and await pool.fetchval("SELECT count(*) FROM exp_assign.assignments WHERE experiment_id = 3") == 1)
    check("a draft experiment returns nothing", 11 not in page and all(k[1] != 11 for k in matrix))

    # --- the worker delivers; everything cached --------------------------------
    await set_conf(pool, "exp_assign.redis_enabled", "on")
    ok = await drained(pool)
    stored = await pool.fetchval("SELECT count(*) FROM exp_assign.assignments")
    check("the push worker fills Redis with every stored row", ok and int(redis_cli("DBSIZE")) == stored,
          (ok, redis_cli("DBSIZE"), stored))
    db.calls = 0
    page2 = await svc.bulk_get_assignments_single_user("u0", exps)
    cohort2 = await svc.bulk_get_assignments_multiple_users(users, 1)
    matrix2 = await svc.bulk_matrix_assignments(users[:20], exps)
    t = await truth(pool, users, exps)
    check("cached answers equal the uncached ones and the database",
          page2 == page == by_experiment(t, "u0") and cohort2 == cohort and matrix2 == matrix)
    # Pairs that resolve to nothing (not enrolled, paused, draft) have no key
    # and cost one SQL call each time; those that resolve cost none.
    db.calls = 0
    cached_only = await svc.bulk_get_assignments_single_user("u0", sorted(page))
    await svc.bulk_get_assignments_multiple_users(users, 1)
    check("calls whose pairs all have keys need no SQL", cached_only == page and db.calls == 0, db.calls)
    redis_cli("DEL", "assign:1:u1", "assign:2:u1")
    db.calls = 0
    part = await svc.bulk_get_assignments_single_user("u1", exps)
    check("partly cached: the misses come from SQL in one call, the answer equals the database",
          part == by_experiment(t, "u1") and db.calls == 1, (part, by_experiment(t, "u1")))

    # --- Redis down -------------------------------------------------------------
    redis_cli("SHUTDOWN", "NOSAVE")
    try:
        down_page = await svc.bulk_get_assignments_single_user("u2", exps)
        down_matrix = await svc.bulk_matrix_assignments(users[:5], exps)
        error = None
    except Exception as e:  # noqa: BLE001 - any error fails the check
        down_page, down_matrix, error = None, None, repr(e)
    t = await truth(pool, users, exps)
    check("Redis down: a page load falls back to SQL without an error",
          error is None and down_page == by_experiment(t, "u2"), error or down_page)
    check("Redis down: a matrix falls back to SQL without an error",
          error is None and down_matrix == {k: v for k, v in t.items() if k[0] in users[:5]}, error)
    subprocess.run(["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--dir", os.environ["REDIS_DIR"],
                    "--save", "", "--appendonly", "no", "--daemonize", "yes"], check=True, capture_output=True)
    for _ in range(50):
        if redis_cli("PING") == "PONG":
            break
        time.sleep(0.1)

    # --- the cluster key layout ------------------------------------------------
    await set_conf(pool, "exp_assign.redis_key_layout", "cluster")
    redis_cli("FLUSHALL")
    await pool.fetch("SELECT * FROM exp_assign.exp_assign_warm($1::text[], $2::int[])", users, exps)
    ok = await drained(pool)
    t = await truth(pool, users, exps)  # warm created the missing pairs
    svc_cluster = BulkAssignmentService(r, db, key_layout="cluster")
    db.calls = 0
    cl_cohort = await svc_cluster.bulk_get_assignments_multiple_users(users, 2)
    check("cluster layout: keys are assign:{user}:experiment and a cohort is answered from them alone",
          ok and redis_cli("EXISTS", "assign:{u0}:1") == "1" and cl_cohort == by_user(t, 2) and db.calls == 0,
          (ok, db.calls, redis_cli("EXISTS", "assign:{u0}:1"), len(cl_cohort), len(by_user(t, 2))))
    await set_conf(pool, "exp_assign.redis_key_layout", "plain")

    # --- values the worker and SQL must spell alike ------------------------------
    await pool.execute("""
        INSERT INTO exp_assign.assignments (experiment_id, user_id, variant_id, version, assigned_at)
        VALUES (1, 'forever', (SELECT min(id) FROM exp_assign.variants WHERE experiment_id = 1), 1, 'infinity'),
               (1, 'always', (SELECT min(id) FROM exp_assign.variants WHERE experiment_id = 1), 1, '-infinity')""")
    redis_cli("DEL", "assign:1:forever", "assign:1:always")  # as if not yet delivered
    await set_conf(pool, "exp_assign.redis_enabled", "off")
    from_sql = await svc.bulk_get_assignments_multiple_users(["forever", "always"], 1)
    await set_conf(pool, "exp_assign.redis_enabled", "on")
    await pool.fetch("SELECT * FROM exp_assign.exp_assign_warm(ARRAY['forever', 'always'], ARRAY[1])")
    ok = await drained(pool)
    db.calls = 0
    from_redis = await svc.bulk_get_assignments_multiple_users(["forever", "always"], 1)
    check("assigned_at 'infinity' / '-infinity' read alike from SQL and from Redis",
          ok and from_sql == from_redis and from_sql["forever"]["assigned_at"] == "infinity"
          and from_sql["always"]["assigned_at"] == "-infinity" and db.calls == 0, (from_sql, from_redis))
    non_ascii = await svc.bulk_get_assignments_single_user("ユーザー", exps)
    check("a non-ASCII user id is read from its key", non_ascii == by_experiment(t, "ユーザー") and len(non_ascii) > 0,
          (non_ascii, by_experiment(t, "ユーザー")))
    check("no cache at all (redis_client None) answers from SQL",
          await BulkAssignmentService(None, pool).bulk_get_assignments_single_user("u3", exps)
          == by_experiment(await truth(pool, ["u3"], exps), "u3"))
    await r.close()
    await pool.close()
    if N != PLAN:
        print("# ran %d checks, planned %d" % (N, PLAN))
    return 1 if FAILED or N != PLAN else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

#!/usr/bin/python3
"""Page load of 10 experiments through clients/python against the seed's own
service (../shared/baselines/seed_service.py), same servers, same process:
all cached (every key in Redis) and none cached (new users). A benchmark,
not a test: it prints a table and writes a CSV, and fails only when an
answer is wrong (the two services disagree on a cached user's variant ids).

Started by bench/client/run (PGDSN, REDIS_PORT, SEED_SERVICE, OUT)."""
import asyncio
import csv
import ctypes
import importlib.util
import os
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "clients" / "python"))

import asyncpg  # noqa: E402
import redis.asyncio as aioredis  # noqa: E402

from exp_assign_client import BulkAssignmentService  # noqa: E402

REPS = int(os.environ.get("BENCH_REPS", "5"))
CALLS = int(os.environ.get("BENCH_CALLS", "300"))
EXPERIMENTS = list(range(1, 11))
DSN = dict(kv.split("=", 1) for kv in os.environ["PGDSN"].split())


def load_seed_service():
    spec = importlib.util.spec_from_file_location("seed_service", os.environ["SEED_SERVICE"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BulkAssignmentService


def mmh3_hash():
    """mmh3.hash(s, signed=False) through Debian's libmurmurhash (C, as mmh3 is)."""
    lib = ctypes.CDLL("libmurmurhash.so.2")
    lib.lmmh_x86_32.argtypes = [ctypes.c_char_p, ctypes.c_uint, ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint32)]
    out = ctypes.c_uint32()

    def hash_fn(s):
        b = s.encode("utf-8")
        lib.lmmh_x86_32(b, len(b), 0, ctypes.byref(out))
        return out.value
    return hash_fn


async def timed(call, users):
    """Per-call latencies in microseconds of call(user) over users, one after another."""
    lat = []
    for u in users:
        t0 = time.perf_counter_ns()
        await call(u)
        lat.append((time.perf_counter_ns() - t0) / 1000)
    return lat


async def drained(pool):
    for _ in range(300):
        if await pool.fetchval("SELECT backlog = 0 FROM exp_assign.worker_status"):
            return
        await asyncio.sleep(0.1)
    raise SystemExit("the push worker did not drain")


async def main():
    conn_args = dict(host=DSN["host"], port=int(DSN["port"]), user=DSN["user"], database=DSN["dbname"])
    pool = await asyncpg.create_pool(**conn_args, min_size=1, max_size=1)
    # The seed's SQL names the tables unqualified: exp_assign on its search_path.
    seed_pool = await asyncpg.create_pool(**conn_args, min_size=1, max_size=1,
                                          server_settings={"search_path": "exp_assign, public"})
    r = aioredis.Redis(host="127.0.0.1", port=int(os.environ["REDIS_PORT"]))
    client = BulkAssignmentService(r, pool)
    seed = load_seed_service()(r, seed_pool, mmh3_hash())

    pool_users = CALLS
    await pool.fetch("SELECT count(*) FROM exp_assign.exp_assign_matrix(ARRAY(SELECT 'c' || g FROM generate_series(1, $1) g), $2::int[])",
                     pool_users, EXPERIMENTS)
    for i in range(1, pool_users + 1):  # the seed fills its own cache on a first call
        await seed.bulk_get_assignments_single_user("s%d" % i, EXPERIMENTS)
    await drained(pool)
    cached_client = ["c%d" % i for i in range(1, pool_users + 1)]
    cached_seed = ["s%d" % i for i in range(1, pool_users + 1)]
    # Same answer from both when cached? Only the variant ids can be compared
    # across users; check the client against the database instead.
    a = await client.bulk_get_assignments_single_user("c1", EXPERIMENTS)
    rows = await pool.fetch("SELECT experiment_id, variant_id FROM exp_assign.assignments WHERE user_id = 'c1'")
    if {k: v["variant_id"] for k, v in a.items()} != {x["experiment_id"]: x["variant_id"] for x in rows}:
        raise SystemExit("the client's cached answer differs from the database")

    modes = [
        ("client", "cached", lambda u: client.bulk_get_assignments_single_user(u, EXPERIMENTS), lambda rep: cached_client),
        ("seed", "cached", lambda u: seed.bulk_get_assignments_single_user(u, EXPERIMENTS), lambda rep: cached_seed),
        ("client", "uncached", lambda u: client.bulk_get_assignments_single_user(u, EXPERIMENTS),
         lambda rep: ["cn%d_%d" % (rep, i) for i in range(CALLS)]),
        ("seed", "uncached", lambda u: seed.bulk_get_assignments_single_user(u, EXPERIMENTS),
         lambda rep: ["sn%d_%d" % (rep, i) for i in range(CALLS)]),
    ]
    results = {}
    for rep in range(REPS):
        for who, cache, call, users in modes:
            await timed(call, users(rep)[:20] if cache == "cached" else ["w%s%d_%d" % (who, rep, i) for i in range(20)])
            lat = await timed(call, users(rep))
            results.setdefault((who, cache), []).append(statistics.median(lat))
    out = pathlib.Path(os.environ["OUT"])
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "client.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["service", "cache", "rep", "median_us_per_call"])
        for (who, cache), meds in results.items():
            for i, m in enumerate(meds):
                w.writerow([who, cache, i, "%.1f" % m])
    print("page load, 10 experiments, %d calls x %d repetitions; median of per-repetition medians" % (CALLS, REPS))
    print("%-9s %-9s %12s %12s" % ("service", "cache", "us/call", "calls/s"))
    for (who, cache), meds in results.items():
        m = statistics.median(meds)
        print("%-9s %-9s %12.1f %12.0f" % (who, cache, m, 1e6 / m))
    for cache in ("cached", "uncached"):
        ratios = [s / c for s, c in zip(results[("seed", cache)], results[("client", cache)])]
        print("%s: the seed service takes %.2fx as long as the client (median of per-repetition ratios)"
              % (cache, statistics.median(ratios)))
    await r.close()
    await pool.close()
    await seed_pool.close()


if __name__ == "__main__":
    asyncio.run(main())

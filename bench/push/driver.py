#!/usr/bin/python3
"""bench/push/driver.py: the measuring half of bench/push_run.

bench/push_run starts redis-server and a cluster with exp_assign preloaded,
creates the databases, and calls this script once per phase:

  drain      rows/s of the push worker draining N queued keys, per batch
             size, against a bare pipelined SETEX loop (setex_loop, C and
             hiredis) over the same keys and values, same batch size
  latency    commit-to-visible: one connection commits exp_assign_user for
             one new user at a time (paced, then as fast as it goes); a
             separate process subscribed to Redis keyspace notifications
             timestamps each key's SETEX
  hotpath    exp_assign_cohort of 1,000 new users where keys are queued
             (exp_assign.database) and where they are not, and the bare
             INSERT ... unnest ON CONFLICT DO NOTHING, timed in the server
  subscribe  (internal) the subscriber process of the latency phase
  report     prints the summary table from the CSV

Every measurement is appended to the CSV (columns phase, series, setting,
rep, value, unit). Uses Debian's python3-psycopg and python3-redis: run with
/usr/bin/python3.
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
import time

import psycopg
import redis

KEY_VALUE = """
SELECT convert_to(%(prefix)s || ':' || a.experiment_id || ':' || a.user_id, 'UTF8'),
       convert_to(format('{"variant_id":%%s,"variant_key":%%s,"version":%%s,"assigned_at":"%%s"}',
              a.variant_id, to_json(v.key)::text, a.version,
              to_char(a.assigned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')), 'UTF8')
  FROM exp_assign.assignments a
  JOIN exp_assign.variants v ON v.experiment_id = a.experiment_id AND v.id = a.variant_id
 WHERE a.experiment_id = 1 AND a.user_id LIKE %(like)s
 ORDER BY a.user_id
"""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Csv:
    def __init__(self, path):
        new = not os.path.exists(path) or os.path.getsize(path) == 0
        self.f = open(path, "a", newline="")
        self.w = csv.writer(self.f)
        if new:
            self.w.writerow(["phase", "series", "setting", "rep", "value", "unit"])

    def row(self, *values):
        self.w.writerow(values)
        self.f.flush()


class Server:
    """One long-lived autocommit connection to the worker's database."""

    def __init__(self, dsn):
        self.conn = psycopg.connect(dsn, autocommit=True)

    def one(self, sql, params=None):
        return self.conn.execute(sql, params).fetchone()

    def set_conf(self, name, value):
        # ALTER SYSTEM takes no parameters; the values here are ours.
        self.conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        return self.one("SELECT clock_timestamp(), pg_reload_conf()")[0]

    def status(self):
        return self.one("SELECT state, connected, backlog, pushed_total, last_push_at, last_error"
                        "  FROM exp_assign.worker_status")

    def wait_state(self, want, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.status()[0] == want:
                return
            time.sleep(0.01)
        raise SystemExit(f"worker never reached state {want!r}: {self.status()}")

    def queue_empty(self):
        return self.one("SELECT NOT EXISTS (SELECT 1 FROM exp_assign.push_queue)")[0]

    def wait_drained(self, timeout=120, poll=0.01):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.queue_empty():
                return time.monotonic()
            time.sleep(poll)
        raise SystemExit(f"the queue did not drain in {timeout} s: {self.status()}")


# --- drain ------------------------------------------------------------------

def drain(args, out):
    pg = Server(args.dsn)
    r = redis.Redis(host="127.0.0.1", port=args.redis_port)
    view_measured = False
    ttl_s = pg.one("SELECT setting FROM pg_settings WHERE name = 'exp_assign.redis_ttl'")[0]
    for batch in args.batches:
        n = args.n_small if batch < args.small_below else args.n
        pg.set_conf("exp_assign.redis_batch_size", batch)
        for rep in range(args.reps):
            pg.set_conf("exp_assign.redis_enabled", "off")
            pg.wait_state("disabled")
            prefix = f"d{batch}_{rep}_"
            t = time.monotonic()
            pg.one("SELECT count(*) FROM exp_assign.exp_assign_cohort(1,"
                   " ARRAY(SELECT %s || g FROM generate_series(1, %s) g))", (prefix, n))
            cohort_s = time.monotonic() - t
            backlog = pg.status()[2]
            if backlog != n:
                raise SystemExit(f"backlog {backlog} after queueing {n} keys")
            if rep == 0 and n == args.n and not view_measured:
                view_measured = True
                # What the worker_status view costs with this queue (it reads
                # every queue row's whole key array to count the backlog).
                times = []
                for _ in range(21):
                    t = time.perf_counter()
                    pg.one("SELECT backlog FROM exp_assign.worker_status")
                    times.append(1000 * (time.perf_counter() - t))
                out.row("drain", "worker_status_view_ms", f"backlog={n}", 0,
                        round(statistics.median(times), 3), "ms")
            path = os.path.join(args.work, f"rows_{prefix}.tsv")
            with open(path, "wb") as f:
                cur = pg.conn.cursor(binary=True)
                for key, value in cur.execute(KEY_VALUE, {"prefix": "assign", "like": prefix + "%"}):
                    f.write(bytes(key) + b"\t" + bytes(value) + b"\n")
            # The last repetition ends with the worker so Redis can be compared.
            worker_last = (args.reps - 1 - rep) % 2 == 0
            order = ["bare", "worker"] if worker_last else ["worker", "bare"]
            for side in order:
                r.flushall()
                if side == "bare":
                    res = subprocess.run([args.setex, str(args.redis_port), str(batch), ttl_s, path],
                                         check=True, capture_output=True, text=True)
                    elapsed, rows = res.stdout.split()
                    elapsed, rows = float(elapsed), int(rows)
                    if rows != n or r.dbsize() != n:
                        raise SystemExit(f"bare loop sent {rows} rows, Redis holds {r.dbsize()}, want {n}")
                    bare_rate = n / elapsed
                    out.row("drain", "bare_rows_per_s", f"B={batch}", rep, round(bare_rate), "rows/s")
                else:
                    pushed_before = pg.status()[3]
                    started = pg.set_conf("exp_assign.redis_enabled", "on")
                    t_client = time.monotonic()
                    seen = pg.wait_drained(poll=args.poll)
                    state, connected, backlog, pushed, last_push_at, last_error = pg.status()
                    elapsed = (last_push_at - started).total_seconds()
                    if backlog != 0 or pushed - pushed_before != n or r.dbsize() != n:
                        raise SystemExit(f"worker: backlog {backlog}, pushed {pushed - pushed_before},"
                                         f" Redis holds {r.dbsize()}, want {n}; last_error {last_error}")
                    worker_rate = n / elapsed
                    out.row("drain", "worker_rows_per_s", f"B={batch}", rep, round(worker_rate), "rows/s")
                    out.row("drain", "worker_seconds_polled", f"B={batch}", rep,
                            round(seen - t_client, 4), "s")
            os.unlink(path)
            log(f"   B={batch} rep {rep}: {n} keys (cohort {cohort_s:.2f} s): worker {worker_rate:,.0f} rows/s,"
                f" bare {bare_rate:,.0f} rows/s ({' then '.join(order)})")
    pg.set_conf("exp_assign.redis_batch_size", args.final_batch)
    pg.set_conf("exp_assign.redis_enabled", "on")


# --- latency ----------------------------------------------------------------

STOP_KEY = b"assign:__bench_stop__"


def subscribe(args):
    """Prints 'READY', then at the stop key one line per key: key<TAB>ns."""
    r = redis.Redis(host="127.0.0.1", port=args.redis_port)
    r.config_set("notify-keyspace-events", "K$")
    ps = r.pubsub()
    ps.psubscribe("__keyspace@0__:assign:*")
    confirm = ps.parse_response(block=True)  # [b"psubscribe", pattern, 1]
    if confirm[0] != b"psubscribe":
        raise SystemExit(f"unexpected reply to PSUBSCRIBE: {confirm!r}")
    print("READY", flush=True)
    skip = len(b"__keyspace@0__:")
    seen = {}
    while True:
        # Block on the socket, then stamp at once, before any parsing.
        msg = ps.parse_response(block=True)
        now = time.monotonic_ns()
        if msg is None or msg[0] != b"pmessage":
            continue
        key = msg[2][skip:]
        if key == STOP_KEY:
            break
        seen.setdefault(key, now)  # the first SETEX of a key is when it became visible
    out = sys.stdout.buffer
    for key, ns in seen.items():
        out.write(key + b"\t" + str(ns).encode() + b"\n")
    out.flush()


def percentile(values, p):
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def latency(args, out):
    pg = Server(args.dsn)
    pg.set_conf("exp_assign.redis_enabled", "on")
    pg.wait_drained()
    r = redis.Redis(host="127.0.0.1", port=args.redis_port)
    loads = [("light", args.rate, args.light_seconds), ("heavy", 0, args.heavy_seconds)]
    client = psycopg.connect(args.dsn, autocommit=True)
    client.prepare_threshold = 0
    for name, rate, seconds in loads:
        sub = subprocess.Popen([sys.executable, __file__, "subscribe", "--redis-port", str(args.redis_port)],
                               stdout=subprocess.PIPE)
        if sub.stdout.readline().strip() != b"READY":
            raise SystemExit("the subscriber did not start")
        commits = {}  # key -> (ns before the call, ns after it returned)
        start = time.monotonic_ns()
        end = start + int(seconds * 1e9)
        i = 0
        while True:
            if rate:
                due = start + int(i * 1e9 / rate)
                if due >= end:
                    break
                wait = (due - time.monotonic_ns()) / 1e9
                if wait > 0:
                    time.sleep(wait)
            elif time.monotonic_ns() >= end:
                break
            user = f"lat_{name}_{i}"
            t0 = time.monotonic_ns()
            client.execute("SELECT count(*) FROM exp_assign.exp_assign_user(%s, ARRAY[1])", (user,)).fetchone()
            t1 = time.monotonic_ns()
            commits[f"assign:1:{user}".encode()] = (t0, t1)
            i += 1
        duration = (time.monotonic_ns() - start) / 1e9
        pg.wait_drained()
        time.sleep(0.05)
        r.set(STOP_KEY, b"1")
        visible = {}
        for line in sub.stdout:
            key, ns = line.rstrip(b"\n").split(b"\t")
            visible[key] = int(ns)
        sub.wait()
        r.delete(STOP_KEY)
        lat, call = [], []
        for key, (t0, t1) in commits.items():
            if key in visible:
                lat.append((visible[key] - t1) / 1e6)
                call.append((t1 - t0) / 1e6)
        missing = len(commits) - len(lat)
        setting = f"{name}: {len(commits) / duration:.0f} commits/s"
        for k, ms in enumerate(lat):
            out.row("latency", f"commit_to_visible_ms_{name}", setting, k, round(ms, 4), "ms")
        out.row("latency", f"commits_{name}", setting, 0, len(commits), "commits")
        out.row("latency", f"missing_{name}", setting, 0, missing, "keys")
        out.row("latency", f"call_ms_median_{name}", setting, 0, round(statistics.median(call), 4), "ms")
        log(f"   {name}: {len(commits)} commits in {duration:.1f} s, median {statistics.median(lat):.2f} ms,"
            f" p99 {percentile(lat, 0.99):.2f} ms, missing {missing}")
        if missing:
            raise SystemExit(f"{missing} committed keys never showed up in Redis")


# --- hot path ---------------------------------------------------------------

TIMING_SQL = """
CREATE SCHEMA IF NOT EXISTS push_bench;
CREATE OR REPLACE FUNCTION push_bench.time_cohort(p_prefix text, p_n int) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE users text[]; t0 timestamptz; n bigint;
BEGIN
    users := ARRAY(SELECT p_prefix || g FROM generate_series(1, p_n) g);
    t0 := clock_timestamp();
    SELECT count(*) INTO n FROM exp_assign.exp_assign_cohort(1, users);
    IF n <> p_n THEN RAISE EXCEPTION 'cohort returned % rows', n; END IF;
    RETURN 1000 * extract(epoch FROM clock_timestamp() - t0);
END $$;
CREATE OR REPLACE FUNCTION push_bench.time_floor(p_prefix text, p_n int) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE users text[]; t0 timestamptz; n bigint; vid int;
BEGIN
    users := ARRAY(SELECT p_prefix || g FROM generate_series(1, p_n) g);
    SELECT min(id) INTO vid FROM exp_assign.variants WHERE experiment_id = 1;
    t0 := clock_timestamp();
    INSERT INTO exp_assign.assignments (experiment_id, user_id, variant_id)
    SELECT 1, u, vid FROM unnest(users) u ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> p_n THEN RAISE EXCEPTION 'floor inserted % rows', n; END IF;
    RETURN 1000 * extract(epoch FROM clock_timestamp() - t0);
END $$;
"""


def hotpath(args, out):
    pg = Server(args.dsn)
    conns = {"on": pg.conn, "off": psycopg.connect(args.dsn_off, autocommit=True)}
    for c in conns.values():
        c.execute(TIMING_SQL)
    # The worker is paused: what is timed is the backend's own cost (the
    # queue insert of the statement trigger); delivery happens after COMMIT,
    # in the worker, and its cost is what the drain phase measures. Each
    # call is its own transaction; its COMMIT is not timed (as in bench/run).
    pg.set_conf("exp_assign.redis_enabled", "off")
    pg.wait_state("disabled")
    impls = [("cohort", "on"), ("cohort", "off"), ("floor", "on"), ("floor", "off")]
    for rep in range(args.reps + 1):  # repetition 0 is the warm-up
        for k in range(len(impls)):
            what, db = impls[(rep + k) % len(impls)]  # who goes first rotates
            prefix = f"h{rep}_{what}_"
            ms = conns[db].execute(f"SELECT push_bench.time_{what}(%s, %s)",
                                   (prefix, args.cohort)).fetchone()[0]
            if rep > 0:
                out.row("hotpath", f"{what}_queue_{db}", "worker paused", rep, round(ms, 4), "ms")
    backlog = pg.status()[2]
    expected = 2 * args.cohort * (args.reps + 1)
    if backlog != expected:
        raise SystemExit(f"hot path: backlog {backlog}, want {expected}")
    pg.set_conf("exp_assign.redis_enabled", "on")
    pg.wait_drained()
    off_queue = conns["off"].execute("SELECT count(*) FROM exp_assign.push_queue").fetchone()[0]
    out.row("hotpath", "queue_rows_in_off_db", "", 0, off_queue, "rows")


# --- report -----------------------------------------------------------------

def report(args):
    rows = list(csv.DictReader(open(args.csv)))

    def vals(phase, series, setting=None):
        return [float(r["value"]) for r in rows
                if r["phase"] == phase and r["series"] == series and (setting is None or r["setting"] == setting)]

    def by_rep(phase, series, setting):
        return {r["rep"]: float(r["value"]) for r in rows
                if r["phase"] == phase and r["series"] == series and r["setting"] == setting}

    med = statistics.median
    print("== drain: rows/s, median of the repetitions (ratio: median of per-repetition worker/bare)")
    print(f"   {'batch':>6} {'keys':>7} {'reps':>4} {'worker rows/s':>14} {'bare SETEX rows/s':>18}"
          f" {'worker/bare':>11} {'worker us/key':>13}  target >= 0.8")
    settings = []
    for r in rows:
        if r["phase"] == "drain" and r["series"] == "worker_rows_per_s" and r["setting"] not in settings:
            settings.append(r["setting"])
    for s in settings:
        w = by_rep("drain", "worker_rows_per_s", s)
        b = by_rep("drain", "bare_rows_per_s", s)
        ratios = [w[k] / b[k] for k in w if k in b]
        n = [r for r in rows if r["phase"] == "drain" and r["setting"] == s]
        keys = args.n_small if int(s[2:]) < args.small_below else args.n
        ratio = med(ratios)
        print(f"   {s[2:]:>6} {keys:>7} {len(w):>4} {med(w.values()):>14,.0f} {med(b.values()):>18,.0f}"
              f" {ratio:>11.2f} {1e6 / med(w.values()):>13.1f}  {'yes' if ratio >= 0.8 else 'NO'}")
    view = vals("drain", "worker_status_view_ms")
    if view:
        setting = [r["setting"] for r in rows if r["series"] == "worker_status_view_ms"][0]
        print(f"   (SELECT backlog FROM worker_status with {setting}: {view[0]:.2f} ms per call)")

    print()
    print("== commit-to-visible in Redis (exp_assign_user, 1 new user x 1 experiment per commit;"
          " ms from COMMIT returned to the keyspace notification)")
    print(f"   {'load':<26} {'commits':>7} {'median':>7} {'p99':>7} {'max':>7} {'min':>7}"
          f" {'call':>6}  target median < 5 ms (light)")
    for name in ["light", "heavy"]:
        lat = vals("latency", f"commit_to_visible_ms_{name}")
        if not lat:
            continue
        setting = [r["setting"] for r in rows if r["series"] == f"commits_{name}"][0]
        call = vals("latency", f"call_ms_median_{name}")[0]
        m = med(lat)
        verdict = ("yes" if m < 5 else "NO") if name == "light" else ""
        print(f"   {setting:<26} {len(lat):>7} {m:>7.2f} {percentile(lat, 0.99):>7.2f} {max(lat):>7.2f}"
              f" {min(lat):>7.2f} {call:>6.2f}  {verdict}")

    print()
    print(f"== hot path: exp_assign_cohort of {args.cohort} new users, ms per call in the server,"
          " median of the repetitions; ratios: median of per-repetition ratios")
    print(f"   {'cohort queued':>13} {'cohort not queued':>17} {'floor queued':>12} {'floor not queued':>16}"
          f" {'cohort queued/not':>17} {'cohort queued/floor not queued':>30}  target <= 1.5")
    s = "worker paused"
    con = by_rep("hotpath", "cohort_queue_on", s)
    coff = by_rep("hotpath", "cohort_queue_off", s)
    fon = by_rep("hotpath", "floor_queue_on", s)
    foff = by_rep("hotpath", "floor_queue_off", s)
    if con:
        r_queue = med([con[k] / coff[k] for k in con if k in coff])
        r_floor = med([con[k] / foff[k] for k in con if k in foff])
        fmt = lambda d: f"{med(d.values()):.2f}"
        print(f"   {fmt(con):>13} {fmt(coff):>17} {fmt(fon):>12} {fmt(foff):>16}"
              f" {r_queue:>17.2f} {r_floor:>30.2f}  {'yes' if r_floor <= 1.5 else 'NO'}")
        print(f"   ({len(con)} repetitions; floor queued/not queued {med([fon[k] / foff[k] for k in fon if k in foff]):.2f})")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("phase", choices=["drain", "latency", "hotpath", "subscribe", "report"])
    p.add_argument("--dsn")
    p.add_argument("--dsn-off")
    p.add_argument("--redis-port", type=int)
    p.add_argument("--csv")
    p.add_argument("--work")
    p.add_argument("--setex")
    p.add_argument("--batches", type=int, nargs="+", default=[1, 100, 500, 2000])
    p.add_argument("--n", type=int, default=50000)
    p.add_argument("--n-small", type=int, default=5000)
    p.add_argument("--small-below", type=int, default=100, help="batch sizes below this use --n-small keys")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--poll", type=float, default=0.01)
    p.add_argument("--final-batch", type=int, default=500)
    p.add_argument("--rate", type=float, default=100)
    p.add_argument("--light-seconds", type=float, default=10)
    p.add_argument("--heavy-seconds", type=float, default=5)
    p.add_argument("--cohort", type=int, default=1000)
    args = p.parse_args()
    if args.phase == "subscribe":
        return subscribe(args)
    if args.phase == "report":
        return report(args)
    out = Csv(args.csv)
    {"drain": drain, "latency": latency, "hotpath": hotpath}[args.phase](args, out)


if __name__ == "__main__":
    main()

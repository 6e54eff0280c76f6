#!/usr/bin/python3
"""bench/assign/measure.py: the measuring half of bench/run.

bench/run starts redis-server and a cluster with exp_assign preloaded,
creates two databases with the extension, the seed's CTE and
bench/setup.sql (worker on: exp_assign.database, its keys are queued and
pushed; worker off: the same cluster, nothing queued), and calls this script
once. It runs every scenario in both databases and appends one CSV row per
measured call or pgbench run:

  page load       1 user x 10 experiments, pgbench over TCP, one connection,
                  -M prepared, one run per script: exp_assign_user, the
                  seed's CTE, the bare 10-row INSERT, a 1-row INSERT and
                  SELECT 1 (new users); exp_assign_user, the CTE, a bare
                  indexed lookup, the same ten rows as constants (the
                  cost of the result alone) and SELECT 1 (existing users)
  cohort          1,000 new users x 1 experiment, then the same users again
  matrix          100 users x 10 experiments, new, then again
  scaling         cohorts of 10^4 and 10^5 new users
  large cohort    10^6 new users from ARRAY(SELECT ...), also against COPY;
                  each call in a fresh connection, its memory sampled

Bulk calls are timed in the server (bench.timed in bench/setup.sql). In
every repetition the implementations run back to back and the one going
first rotates; the two databases alternate which goes first, section by
section. Columns: set, scenario, size, impl, rep, ms, calls_per_s, rows
(rep 0 is the warm-up). Memory: a second CSV. Uses Debian's python3-psycopg:
run with /usr/bin/python3.
"""
import argparse
import csv
import os
import re
import subprocess
import sys
import threading
import time

import psycopg
import psycopg.conninfo
import psycopg.sql

OPTIONS = "-c search_path=public,exp_assign -c synchronous_commit=off"
BULK_IMPLS_NEW = ["exp_assign", "seed", "floor"]
BULK_IMPLS_EXISTING = ["exp_assign", "seed", "lookup"]
ALL_N = list(range(1, 11))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def rotated(items, k):
    k %= len(items)
    return items[k:] + items[:k]


class Out:
    """Appends measurement rows to the CSV as they come."""

    COLUMNS = ["set", "scenario", "size", "impl", "rep", "ms", "calls_per_s", "rows"]

    def __init__(self, path):
        self.f = open(path, "w", newline="")
        self.w = csv.writer(self.f)
        self.w.writerow(self.COLUMNS)
        self.problems = []

    def row(self, *values):
        self.w.writerow(values)
        self.f.flush()


class Db:
    """One benchmark database: a long-lived autocommit connection, and
    whether its keys are queued for the worker."""

    def __init__(self, name, dsn, worker):
        self.name = name
        self.dsn = dsn
        self.worker = worker
        self.delivering = worker
        self.conn = psycopg.connect(dsn, autocommit=True, options=OPTIONS)

    def one(self, sql, params=None):
        return self.conn.execute(sql, params).fetchone()

    def timed(self, impl, kind, ns, prefix, size, copy_file=None, conn=None):
        c = conn or self.conn
        return c.execute("SELECT ms, nrows, input_bytes FROM bench.timed(%s, %s, %s::int[], %s, %s::int, %s)",
                         (impl, kind, ns, prefix, size, copy_file)).fetchone()

    def wait_drained(self, timeout=120):
        """With the worker delivering, waits until the queue is empty, so
        that no delivery of an earlier call overlaps the next measurement."""
        if not self.delivering:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.one("SELECT NOT EXISTS (SELECT 1 FROM exp_assign.push_queue)")[0]:
                return
            time.sleep(0.01)
        log(f"   warning: the push queue of {self.name} did not drain in {timeout} s")

    def analyze(self):
        """Fresh statistics before each section (autovacuum is off, so that
        it never runs during a measurement); the queue's dead rows go too."""
        self.conn.execute("ANALYZE exp_assign.assignments")
        self.conn.execute("VACUUM ANALYZE exp_assign.push_queue")

    def set_delivery(self, on):
        """Turns delivery to Redis on or off (the queue fills either way)."""
        if not self.worker:
            return
        self.delivering = on
        self.conn.execute(f"ALTER SYSTEM SET exp_assign.redis_enabled = {'on' if on else 'off'}")
        self.conn.execute("SELECT pg_reload_conf()")
        want_disabled = not on
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            state = self.one("SELECT state FROM exp_assign.worker_status")[0]
            if (state == "disabled") == want_disabled:
                return
            time.sleep(0.02)
        log(f"   warning: the worker did not reach delivery {'on' if on else 'off'}")


def set_order(dbs, section):
    """The two databases alternate which goes first, section by section."""
    return dbs if section % 2 == 0 else dbs[::-1]


# --- bulk scenarios ---------------------------------------------------------

def bulk(db, out, scenario, kind, size, prefix, ns_of, reps, impls_new, impls_existing,
         existing, warm_up=True):
    """Runs the repetitions of one bulk scenario, after a warm-up (rep 0)
    unless told otherwise."""
    for rep in range(0 if warm_up else 1, reps + 1):
        ns = ns_of(rep)
        p = f"{prefix}{rep}-"
        phases = [(f"{scenario}_new", impls_new)]
        if existing:
            phases.append((f"{scenario}_existing", impls_existing))
        for phase, impls in phases:
            for impl in rotated(impls, rep):
                db.wait_drained()
                ms, nrows, _ = db.timed(impl, kind, ns, p, size)
                out.row(db.name, phase, size * len(ns), impl, rep, f"{ms:.4f}", "", nrows)
                if nrows != size * len(ns):
                    out.problems.append(f"{db.name} {phase} {impl} rep {rep}: {nrows} rows,"
                                        f" expected {size * len(ns)}")


# --- large cohort with memory ----------------------------------------------

def status_kb(pid):
    """VmHWM, VmRSS, RssAnon and RssShmem of a process, in kB."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssShmem"):
                values[key] = int(rest.split()[0])
    return values


class Sampler(threading.Thread):
    """Samples a backend's /proc status every 10 ms; keeps the peaks."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.stop = threading.Event()
        self.peak = {}

    def run(self):
        while not self.stop.is_set():
            try:
                s = status_kb(self.pid)
            except OSError:
                return
            for k, v in s.items():
                self.peak[k] = max(v, self.peak.get(k, 0))
            self.stop.wait(0.01)


def large(db, out, mem, size, reps, work):
    """The large cohort: each call in a fresh connection (a fresh backend, so
    its VmHWM is this call's), its memory sampled while it runs."""
    impls = ["exp_assign", "seed", "floor", "copy", "import", "import_reject"]
    for rep in range(1, reps + 1):
        ns = [rep % 10 + 1]
        p = f"L{rep}-"
        for impl in rotated(impls, rep):
            db.wait_drained()
            copy_file = os.path.join(work, f"copy_{db.name}_{rep}.txt") if impl == "copy" else None
            with psycopg.connect(db.dsn, autocommit=True, options=OPTIONS) as c:
                pid = c.execute("SELECT pg_backend_pid()").fetchone()[0]
                before = status_kb(pid)
                sampler = Sampler(pid)
                sampler.start()
                ms, nrows, input_bytes = db.timed(impl, "cohort", ns, p, size, copy_file, conn=c)
                sampler.stop.set()
                sampler.join()
                after = status_kb(pid)
            if copy_file and os.path.exists(copy_file):
                os.remove(copy_file)
            out.row(db.name, "cohort_new", size, impl, rep, f"{ms:.4f}", "", nrows)
            mem.writerow([db.name, impl, rep, before["VmHWM"], after["VmHWM"],
                          before["RssAnon"], sampler.peak.get("RssAnon", after["RssAnon"]),
                          sampler.peak.get("RssShmem", after["RssShmem"]), input_bytes])
            # import_reject: every 100th row is bad and stays out.
            expected = size - size // 100 if impl == "import_reject" else size
            if nrows != expected:
                out.problems.append(f"{db.name} large cohort {impl} rep {rep}: {nrows} rows, expected {expected}")
            log(f"   {db.name} rep {rep} {impl}: {ms / 1000:.1f} s, VmHWM {before['VmHWM'] // 1024}"
                f" -> {after['VmHWM'] // 1024} MB, peak RssAnon {sampler.peak.get('RssAnon', 0) // 1024} MB")


# --- page load (pgbench) ----------------------------------------------------

PGBENCH_TPS = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.M)
PGBENCH_TX = re.compile(r"^number of transactions actually processed: (\d+)", re.M)
PGBENCH_FAILED = re.compile(r"^number of failed transactions: (\d+)", re.M)
SEED_COLUMNS = ("AS s(experiment_id int, user_id text, variant_id int, version int,"
                " assigned_at timestamptz, variant_key_or_source text)")


def page_scripts(db, pool):
    """pgbench scripts of one database: name -> (text, rows per call, new-user
    prefix or None). {rep} in a prefix is filled per repetition."""
    ids = {impl: db.one("SELECT bench.ids(%s)::text", (impl,))[0] for impl in ("exp_assign", "seed", "floor")}
    first = db.one("SELECT experiment_id, vids[1] FROM bench.twins WHERE impl = 'floor' AND n = 1")
    fixed = db.one("SELECT array_agg(vids[1] ORDER BY n)::text FROM bench.twins WHERE impl = 'floor'")[0]
    # The ten rows exp_assign_user returns for a pool user, as constants:
    # what returning the result costs when no work at all makes it.
    rows = db.conn.execute("SELECT experiment_id, variant_id, variant_key, version, assigned_at::text, source"
                           f" FROM exp_assign.exp_assign_user('pe-1', '{ids['exp_assign']}')").fetchall()
    def lit(value):
        return psycopg.sql.Literal(value).as_string(db.conn)
    values = ", ".join(f"('pe-' || :i, {e}, {v}, {lit(k)}, {ver}, {lit(at)}::timestamptz, {lit(src)})"
                       for e, v, k, ver, at, src in rows)
    new = "\\set r random(1, 1000000000000)\n"
    old = f"\\set i random(1, {pool})\n"
    return {
        "select1": ("SELECT 1;\n", 1, None),
        "exp_assign_new": (new + f"SELECT * FROM exp_assign.exp_assign_user('pne{{rep}}-' || :r, '{ids['exp_assign']}');\n",
                           10, "pne{rep}-"),
        "seed_new": (new + f"SELECT * FROM public.seed_cte(array_fill(('pns{{rep}}-' || :r)::text, ARRAY[10]),"
                     f" '{ids['seed']}') {SEED_COLUMNS};\n", 10, "pns{rep}-"),
        # The bare 10-row INSERT of the floor twin, each experiment's first
        # variant: a user id drawn in pgbench cannot have its variants
        # precomputed; which valid variant is stored costs the same.
        "floor_new": (new + "INSERT INTO exp_assign.assignments (experiment_id, user_id, variant_id)"
                      f" SELECT e, 'pnf{{rep}}-' || :r, v FROM unnest('{ids['floor']}'::int[], '{fixed}'::int[]) AS x(e, v)"
                      " ON CONFLICT DO NOTHING;\n", 10, "pnf{rep}-"),
        "insert1_new": (new + "INSERT INTO exp_assign.assignments (experiment_id, user_id, variant_id)"
                        f" VALUES ({first[0]}, 'pni{{rep}}-' || :r, {first[1]}) ON CONFLICT DO NOTHING;\n",
                        1, "pni{rep}-"),
        "exp_assign_existing": (old + f"SELECT * FROM exp_assign.exp_assign_user('pe-' || :i, '{ids['exp_assign']}');\n",
                                10, None),
        "seed_existing": (old + f"SELECT * FROM public.seed_cte(array_fill(('pe-' || :i)::text, ARRAY[10]),"
                          f" '{ids['seed']}') {SEED_COLUMNS};\n", 10, None),
        "result_existing": (old + f"SELECT * FROM (VALUES {values}) AS r(user_id, experiment_id, variant_id,"
                            " variant_key, version, assigned_at, source);\n", len(rows), None),
        "lookup_existing": (old + "SELECT a.experiment_id, a.variant_id, a.version, a.assigned_at"
                            " FROM exp_assign.assignments a"
                            f" WHERE a.experiment_id = ANY ('{ids['floor']}') AND a.user_id = 'pe-' || :i;\n",
                            10, None),
    }


def pgbench(args, db, name, text, seconds, work):
    """One pgbench run of one script over one TCP connection: calls per
    second and calls."""
    path = os.path.join(work, f"pgbench_{db.name}_{name}.sql")
    with open(path, "w") as f:
        f.write(text)
    conn = psycopg.conninfo.conninfo_to_dict(db.dsn)
    env = dict(os.environ, PGOPTIONS="-c search_path=public,exp_assign")
    res = subprocess.run([args.pgbench, "-n", "-c", "1", "-T", str(seconds), "-M", "prepared", "-f", path,
                          "-h", "127.0.0.1", "-p", str(conn["port"]), "-U", conn.get("user", "postgres"),
                          conn["dbname"]], capture_output=True, text=True, env=env)
    tps = PGBENCH_TPS.search(res.stdout)
    tx = PGBENCH_TX.search(res.stdout)
    failed = PGBENCH_FAILED.search(res.stdout)
    if res.returncode != 0 or not tps or not tx or (failed and int(failed.group(1))):
        raise SystemExit(f"pgbench {name} in {db.name} failed:\n{res.stdout}\n{res.stderr}")
    return float(tps.group(1)), int(tx.group(1))


def page_load(args, db, out, reps, seconds, work):
    """Each repetition runs the nine scripts one after the other, each in
    its own pgbench run, the first one rotating; rep 0 (1 s each) warms up."""
    scripts = page_scripts(db, args.pool)
    names = list(scripts)
    for rep in range(reps + 1):
        for name in rotated(names, rep):
            text, per_call, prefix = scripts[name]
            text = text.replace("{rep}", str(rep))
            db.wait_drained()
            tps, n = pgbench(args, db, name, text, 1 if rep == 0 else seconds, work)
            impl, _, phase = name.rpartition("_")
            rows = per_call
            if prefix:
                # Every call created its rows: the ids were new.
                prefix = prefix.replace("{rep}", str(rep))
                stored, users = db.one("SELECT count(*), count(DISTINCT user_id) FROM exp_assign.assignments"
                                       " WHERE user_id LIKE %s", (prefix + "%",))
                if stored != n * per_call or users != n:
                    out.problems.append(f"{db.name} {name} rep {rep}: {n} calls stored {stored} rows"
                                        f" for {users} users, expected {n * per_call} for {n}")
                rows = stored / n if n else 0
            scenarios = ("page_new", "page_existing") if name == "select1" else \
                ("page_new" if phase == "new" else "page_existing",)
            for sc in scenarios:
                out.row(db.name, sc, 10, "select1" if name == "select1" else impl, rep,
                        f"{1000 / tps:.5f}", f"{tps:.1f}", rows)


# --- checks -----------------------------------------------------------------

def print_table(title, header, rows):
    """A plain aligned table on stdout."""
    rows = [[("" if v is None else str(v)) for v in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  " + " | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  " + "-+-".join("-" * w for w in widths))
    for r in rows:
        print("  " + " | ".join(v.ljust(w) for v, w in zip(r, widths)))
    sys.stdout.flush()


def stored_variants(db):
    """exp_assign's and the seed's stored variants for the same users, and
    the split by allocation (printed for one database: the user ids, hence
    the counts, are the same in both)."""
    groups = [("cohort, 1,000 users", "c%"), ("matrix, 100 x 10", "m%"), ("page-load pool", "pe-%")]
    print_table("== stored variants, exp_assign vs seed, same users (the seed's rule differs:"
                " see docs/benchmarks.md)",
                ["users", "both stored", "same variant", "different variant", "stored by one"],
                [[label, *db.one("SELECT * FROM bench.compare(%s)", (like,))] for label, like in groups])
    print_table("== split of the stored variants by allocation (those users)",
                ["allocations", "implementation", "shares"],
                db.conn.execute("SELECT * FROM bench.split('^(c|m|pe-)')").fetchall())


def checks(db, out, redis_port):
    """Every stored exp_assign row against the rule, every seed row against
    its own; with the worker on, that Redis holds every key of the scenarios
    whose keys were delivered."""
    for impl, checked, off in db.conn.execute("SELECT * FROM bench.off_rule('%')").fetchall():
        rule = "the seed's own rule" if impl == "seed" else "the rule of DESIGN.md section 3"
        log(f"   {db.name}: {checked:,} {impl} rows checked against {rule}: {off} differ")
        if off:
            out.problems.append(f"{db.name}: {off} {impl} rows differ from {rule}")
    if db.worker:
        db.set_delivery(True)
        db.wait_drained(timeout=300)
        # Not delivered: the scaling cohorts (s<n>-) and the large cohort's
        # calls (L, and IL and RL for its exp_assign_import calls), whose queued keys
        # were discarded.
        want = db.one("SELECT count(*) FROM exp_assign.assignments"
                      " WHERE user_id !~ '^(s[0-9]+-|L|IL|RL)'")[0]
        got = int(subprocess.run(["redis-cli", "-p", str(redis_port), "dbsize"], capture_output=True,
                                 text=True).stdout.strip() or -1)
        log(f"   {db.name}: Redis holds {got:,} keys; the scenarios delivered stored {want:,} rows")
        if got != want:
            out.problems.append(f"{db.name}: Redis holds {got} keys, expected {want}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn-on", required=True)
    ap.add_argument("--dsn-off", required=True)
    ap.add_argument("--redis-port", type=int, required=True)
    ap.add_argument("--pgbench", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--mem-csv", required=True)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--page-reps", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=1)
    ap.add_argument("--pool", type=int, default=2000)
    ap.add_argument("--scale-sizes", type=int, nargs="*", default=[10000, 100000])
    ap.add_argument("--scale-reps", type=int, default=3)
    ap.add_argument("--large", type=int, default=1000000)
    ap.add_argument("--large-reps", type=int, default=3)
    ap.add_argument("--sets", default="off,on")
    args = ap.parse_args()

    out = Out(args.csv)
    memf = open(args.mem_csv, "w", newline="")
    mem = csv.writer(memf)
    mem.writerow(["set", "impl", "rep", "vmhwm_before_kb", "vmhwm_after_kb", "rss_anon_before_kb",
                  "rss_anon_peak_kb", "rss_shmem_peak_kb", "input_array_bytes"])
    dbs = [Db(s, args.dsn_on if s == "on" else args.dsn_off, s == "on") for s in args.sets.split(",")]

    def section(title, fn):
        start = time.monotonic()
        log(f"== {title}")
        for db in dbs:
            db.analyze()
        for db in set_order(dbs, section.n):
            fn(db)
        section.n += 1
        log(f"   {time.monotonic() - start:.0f} s")
    section.n = 0

    section(f"set-up: page-load pool of {args.pool} users in all 10 experiments of each twin",
            lambda db: db.one("SELECT bench.page_pool(%s::int)", (args.pool,)))
    section(f"page load: nine pgbench scripts, -T {args.seconds} each; {args.page_reps} repetitions"
            " after a warm-up (-T 1)",
            lambda db: page_load(args, db, out, args.page_reps, args.seconds, args.work))
    section(f"cohort: 1,000 users x 1 experiment, new then existing; {args.reps} repetitions after a warm-up",
            lambda db: bulk(db, out, "cohort", "cohort", 1000, "c", lambda r: [r % 10 + 1], args.reps,
                            BULK_IMPLS_NEW, BULK_IMPLS_EXISTING, existing=True))
    section(f"matrix: 100 users x 10 experiments, new then existing; {args.reps} repetitions after a warm-up",
            lambda db: bulk(db, out, "matrix", "matrix", 100, "m", lambda r: ALL_N, args.reps,
                            BULK_IMPLS_NEW, BULK_IMPLS_EXISTING, existing=True))

    stored_variants(dbs[0])

    # From here on the worker's delivery is paused: keys are queued (the
    # queueing cost stays in every call) but not pushed, so that pushing
    # millions of keys does not take minutes nor share the CPU with the
    # next measurement. The queued keys are discarded afterwards.
    for db in dbs:
        db.wait_drained()
        db.set_delivery(False)
    # Only the first (smallest) scaling size has a warm-up of its own: the
    # ones after it run the same code just warmed.
    for i, size in enumerate(args.scale_sizes):
        tag = f"s{size}-"
        section(f"scaling: cohort of {size:,} new users; {args.scale_reps} repetitions"
                + (" after a warm-up" if i == 0 else " (the smaller cohorts warm up)"),
                lambda db, size=size, tag=tag, i=i: bulk(db, out, "cohort", "cohort", size, tag,
                                                         lambda r: [r % 10 + 1], args.scale_reps,
                                                         BULK_IMPLS_NEW, None, existing=False,
                                                         warm_up=(i == 0)))
    section(f"large cohort: {args.large:,} new users; {args.large_reps} repetitions (the scaling cohorts warm up)",
            lambda db: large(db, out, mem, args.large, args.large_reps, args.work))
    for db in dbs:
        if db.worker:
            n = db.one("WITH d AS (DELETE FROM exp_assign.push_queue RETURNING key_count - delivered AS k)"
                       " SELECT coalesce(sum(k), 0) FROM d")[0]
            log(f"   {db.name}: discarded {n} queued keys of the scaling and large-cohort calls")
    section("checks", lambda db: checks(db, out, args.redis_port))
    memf.close()
    for p in out.problems:
        log(f"ERROR: {p}")
    sys.exit(1 if out.problems else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""bench/assign/report.py: the reporting half of bench/run.

Reads the CSV that measure.py wrote (one row per measured call or pgbench
run) and its memory CSV, and prints:

  measurements   per worker setting, scenario and implementation: median,
                 min-max over the repetitions (rep 0, the warm-up, left out)
  ratios         per-repetition ratios between the implementations that ran
                 back to back in that repetition: median and min-max, with
                 each target of issue #4 and whether the median meets it
  scaling        microseconds per row of cohorts of 10^3 .. 10^6 new users
  memory         the backend's memory in the large-cohort calls

and writes the same tables as <prefix>_summary.csv, and the chart's data as
<prefix>_ratios.dat, <prefix>_seed.dat and <prefix>_scaling_{off,on}.dat for
bench/assign/chart.gp. Standard library only.
"""
import argparse
import csv
import math
import statistics
import sys
from collections import defaultdict

SETS = [("off", "worker off"), ("on", "worker on")]
PUBLISHED = {"page": 15.0, "cohort": 35.0, "matrix": 80.0}   # the seed's own table, ms
LARGE = set()   # sizes of the large cohort: the cohorts measured against COPY too
IMPL_LABEL = {
    "exp_assign": "exp_assign", "seed": "seed CTE", "floor": "bare INSERT", "lookup": "bare lookup",
    "copy": "COPY", "import": "exp_assign_import", "import_reject": "exp_assign_import 'reject'",
    "select1": "SELECT 1", "insert1": "1-row INSERT",
    "result": "the result alone",
}
ORDER = ["exp_assign", "seed", "floor", "copy", "import", "import_reject", "lookup", "result", "insert1", "select1"]


def scenario_label(scenario, size):
    kind, _, phase = scenario.rpartition("_")
    if kind == "page":
        return f"page load 1 x 10, {phase}"
    if kind == "matrix":
        return f"matrix 100 x 10, {phase}"
    if size in LARGE:
        return f"large cohort {size:,}, {phase}"
    return f"cohort {size:,} x 1, {phase}"


def fmt(v, digits=3):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.1f}"
    if abs(v) >= 10:
        return f"{v:.2f}"
    return f"{v:.{digits}f}"


def print_table(title, header, rows, right=None):
    right = right or set()
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells):
        return "  " + " | ".join(c.rjust(w) if i in right else c.ljust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths)))
    print(f"\n{title}")
    print(line(header))
    print("  " + "-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


class Data:
    def __init__(self, path):
        # (set, scenario, size) -> impl -> rep -> (ms, calls_per_s)
        self.v = defaultdict(lambda: defaultdict(dict))
        with open(path) as f:
            for r in csv.DictReader(f):
                rep = int(r["rep"])
                if rep == 0:
                    continue
                cps = float(r["calls_per_s"]) if r["calls_per_s"] else None
                self.v[(r["set"], r["scenario"], int(r["size"]))][r["impl"]][rep] = (float(r["ms"]), cps)

    def keys(self):
        order = {"page_new": 0, "page_existing": 1, "cohort_new": 2, "cohort_existing": 3,
                 "matrix_new": 4, "matrix_existing": 5}
        return sorted(self.v, key=lambda k: ([s for s, _ in SETS].index(k[0]) if k[0] in dict(SETS) else 9,
                                             order.get(k[1], 9) + (10 if k[2] >= 10000 else 0), k[2]))


def per_rep(reps_a, reps_b, f):
    """f(a, b) for every repetition both ran."""
    return [f(reps_a[r], reps_b[r]) for r in sorted(reps_a) if r in reps_b]


def stats(values):
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def comparisons(key, impls):
    """The ratios reported for one (set, scenario, size): (label, values,
    target text, met(median) or None, chart panel or None)."""
    _, scenario, size = key
    kind, _, phase = scenario.rpartition("_")
    out = []
    e = impls.get("exp_assign")
    if not e:
        return out
    target_scenario = kind in ("page", "matrix") or size == 1000 or size in LARGE
    bulk = kind in ("cohort", "matrix")

    def time_ratio(other, label, target=None, limit=None, chart=None):
        if other not in impls:
            return
        vals = per_rep(e, impls[other], lambda a, b: a[0] / b[0])
        met = (lambda m: m <= limit) if limit is not None else None
        out.append((label, vals, target or "", met, chart))

    if phase == "new":
        if bulk:
            time_ratio("floor", "exp_assign / bare INSERT (time)",
                       "<= 1.5" if target_scenario else "", 1.5 if target_scenario else None,
                       "ratios" if target_scenario else None)
            time_ratio("copy", "exp_assign / COPY (time)", "", None, "ratios")
            if "import" in impls and "copy" in impls:
                # DESIGN section 1's "COPY-speed import": the same rows from a table.
                vals = per_rep(impls["import"], impls["copy"], lambda a, b: a[0] / b[0])
                out.append(("exp_assign_import / COPY (time)", vals, "", None, None))
            if "import_reject" in impls and "copy" in impls:
                # Issue #12 item 3: the same rows, 1 % of them bad, through on_error 'reject'.
                vals = per_rep(impls["import_reject"], impls["copy"], lambda a, b: a[0] / b[0])
                out.append(("exp_assign_import 'reject', 1 % bad / COPY (time)", vals, "<= 1.5",
                            (lambda m: m <= 1.5), None))
        else:
            time_ratio("floor", "exp_assign / bare 10-row INSERT (time)", "", None, "ratios")
            time_ratio("insert1", "exp_assign / 1-row INSERT (time: the commit)", "", None, None)
    else:
        if bulk:
            time_ratio("lookup", "exp_assign / bare indexed lookup (time)",
                       "<= 1.2" if target_scenario else "", 1.2 if target_scenario else None,
                       "ratios" if target_scenario else None)
        else:
            time_ratio("lookup", "exp_assign / bare indexed lookup (time)", "", None, None)
    if kind == "page":
        vals = per_rep(e, impls["select1"], lambda a, b: a[1] / b[1])
        if phase == "existing":
            out.append(("exp_assign / SELECT 1 (calls per second)", vals, ">= 0.6", lambda m: m >= 0.6,
                        "ratios"))
            if "result" in impls:
                # The same ten rows as constants: how close to SELECT 1 a
                # call can come that does no work but return them.
                vals = per_rep(impls["result"], impls["select1"], lambda a, b: a[1] / b[1])
                out.append(("the result alone / SELECT 1 (calls per second)", vals, "", None, "ratios"))
                time_ratio("result", "exp_assign / the result alone (time)", "", None, None)
        else:
            out.append(("exp_assign / SELECT 1 (calls per second)", vals, "", None, None))
    if "seed" in impls:
        vals = per_rep(impls["seed"], e, lambda a, b: a[0] / b[0])
        out.append(("seed CTE / exp_assign (time: speed-up)", vals, ">= 1.5" if target_scenario else "",
                    (lambda m: m >= 1.5) if target_scenario else None, "seed" if target_scenario else None))
    if kind in PUBLISHED and (kind != "cohort" or size == 1000):
        pub = PUBLISHED[kind]
        vals = [pub / v[0] for _, v in sorted(e.items())]
        out.append((f"seed's published {pub:g} ms / exp_assign (speed-up)", vals, "> 1",
                    lambda m: m > 1, None))
    return out


def chart_label(scenario, size, label):
    kind, _, phase = scenario.rpartition("_")
    name = {"page": "page load", "matrix": "matrix"}.get(kind, "large cohort" if size in LARGE else "cohort")
    if "COPY" in label:
        base = "COPY"
    elif "INSERT" in label:
        base = "INSERT"
    elif "SELECT 1" in label:
        base = "SELECT 1"
    elif "lookup" in label:
        base = "lookup"
    else:
        base = ""
    if label.startswith("the result alone"):
        return f"{name} {phase}: the result alone / {base}"
    return f"{name} {phase}" + (f" / {base}" if base else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", required=True)
    ap.add_argument("--mem-csv", required=True)
    ap.add_argument("--prefix", required=True, help="path prefix of the summary CSV and chart data")
    args = ap.parse_args()

    data = Data(args.csv)
    LARGE.update(size for (_, _, size), impls in data.v.items() if "copy" in impls)
    summary = csv.writer(open(f"{args.prefix}_summary.csv", "w", newline=""))
    summary.writerow(["table", "set", "scenario", "size", "name", "median", "min", "max", "unit",
                      "target", "met", "repetitions"])

    # --- measurements
    rows = []
    for key in data.keys():
        s, scenario, size = key
        impls = data.v[key]
        for impl in sorted(impls, key=lambda i: ORDER.index(i) if i in ORDER else 99):
            reps = impls[impl]
            ms = stats([v[0] for v in reps.values()])
            page = scenario.startswith("page")
            if page:
                cps = stats([v[1] for v in reps.values()])
                rows.append([dict(SETS)[s], scenario_label(scenario, size), IMPL_LABEL.get(impl, impl),
                             fmt(ms[0]), f"{fmt(ms[1])}-{fmt(ms[2])}", f"{cps[0]:,.0f}",
                             f"{cps[1]:,.0f}-{cps[2]:,.0f}", "", str(len(reps))])
                summary.writerow(["calls per second", s, scenario, size, impl, f"{cps[0]:.1f}", f"{cps[1]:.1f}",
                                  f"{cps[2]:.1f}", "calls/s", "", "", len(reps)])
            else:
                rows.append([dict(SETS)[s], scenario_label(scenario, size), IMPL_LABEL.get(impl, impl),
                             fmt(ms[0]), f"{fmt(ms[1])}-{fmt(ms[2])}", "", "",
                             fmt(1000 * ms[0] / size, 2), str(len(reps))])
            summary.writerow(["ms per call", s, scenario, size, impl, f"{ms[0]:.4f}", f"{ms[1]:.4f}",
                              f"{ms[2]:.4f}", "ms", "", "", len(reps)])
    print_table("== measurements: medians over the repetitions (the warm-up left out), ms per call;"
                " page loads also in calls per second (pgbench, one connection)",
                ["worker", "scenario", "implementation", "median ms", "min-max ms", "calls/s",
                 "min-max calls/s", "us/row", "reps"], rows, right={3, 4, 5, 6, 7, 8})

    # --- ratios and targets
    rows = []
    chart = {"ratios": defaultdict(dict), "seed": defaultdict(dict)}
    targets = []
    for key in data.keys():
        s, scenario, size = key
        for label, vals, target, met, panel in comparisons(key, data.v[key]):
            st = stats(vals)
            if not st:
                continue
            verdict = "" if met is None else ("met" if met(st[0]) else "NOT MET")
            rows.append([dict(SETS)[s], scenario_label(scenario, size), label, fmt(st[0], 2),
                         f"{fmt(st[1], 2)}-{fmt(st[2], 2)}", target, verdict])
            summary.writerow(["ratio", s, scenario, size, label, f"{st[0]:.4f}", f"{st[1]:.4f}", f"{st[2]:.4f}",
                              "ratio", target, verdict, len(vals)])
            if verdict:
                targets.append((dict(SETS)[s], scenario_label(scenario, size), label, st[0], target, verdict))
            if panel:
                tnum = float(target.split()[-1]) if target else float("nan")
                if panel == "ratios" and "calls per second" in label:
                    # A calls-per-second ratio: drawn as time, SELECT 1's time / exp_assign's.
                    st = (1 / st[0], 1 / st[2], 1 / st[1])
                    tnum = 1 / tnum
                chart[panel][chart_label(scenario, size, label)][s] = (st, tnum)
    print_table("== ratios: median of the per-repetition ratios (each repetition runs the implementations"
                " back to back), min-max, and the targets of issue #4",
                ["worker", "scenario", "ratio", "median", "min-max", "target", ""], rows, right={3, 4})

    # --- scaling
    rows = []
    series = defaultdict(dict)
    for key in data.keys():
        s, scenario, size = key
        if scenario != "cohort_new":
            continue
        for impl, reps in data.v[key].items():
            ms = statistics.median(v[0] for v in reps.values())
            series[(s, impl)][size] = 1000 * ms / size
    sizes = sorted({size for d in series.values() for size in d})
    for (s, impl), d in sorted(series.items(), key=lambda x: ([k for k, _ in SETS].index(x[0][0]),
                                                              ORDER.index(x[0][1]))):
        growth = d[sizes[-1]] / d[sizes[0]] if sizes[0] in d and sizes[-1] in d else None
        rows.append([dict(SETS)[s], IMPL_LABEL[impl]] + [fmt(d.get(n), 2) for n in sizes] +
                    [fmt(growth, 2) if growth else ""])
        for n in sizes:
            if n in d:
                summary.writerow(["us per row", s, "cohort_new", n, impl, f"{d[n]:.4f}", "", "", "us/row",
                                  "", "", ""])
    print_table("== scaling: microseconds per row, cohort of new users (medians)",
                ["worker", "implementation"] + [f"{n:,} rows" for n in sizes] +
                [f"{sizes[-1]:,} / {sizes[0]:,}" if sizes else ""], rows,
                right=set(range(2, 3 + len(sizes))))

    # --- memory
    mem = defaultdict(list)
    with open(args.mem_csv) as f:
        for r in csv.DictReader(f):
            mem[(r["set"], r["impl"])].append({k: int(v) for k, v in r.items() if k not in ("set", "impl")})
    rows = []
    for (s, impl), runs in sorted(mem.items(), key=lambda x: ([k for k, _ in SETS].index(x[0][0]),
                                                              ORDER.index(x[0][1]))):
        def med(k):
            return statistics.median(r[k] for r in runs) / 1024
        rows.append([dict(SETS)[s], IMPL_LABEL[impl], fmt(med("vmhwm_before_kb"), 1), fmt(med("vmhwm_after_kb"), 1),
                     fmt(med("rss_anon_before_kb"), 1), fmt(med("rss_anon_peak_kb"), 1),
                     fmt(med("rss_shmem_peak_kb"), 1), fmt(med("input_array_bytes") / 1024, 1), str(len(runs))])
        for k in ("vmhwm_before_kb", "vmhwm_after_kb", "rss_anon_before_kb", "rss_anon_peak_kb",
                  "rss_shmem_peak_kb"):
            summary.writerow(["memory MB", s, "cohort_new", max(LARGE, default=""), f"{impl} {k[:-3]}", f"{med(k):.1f}",
                              "", "", "MB", "", "", len(runs)])
    # The documented bound (docs/functions/exp_assign_cohort.md, "Memory"): a
    # call's private memory grows by at most 300 bytes per pair plus three
    # times its input array.
    for (s, impl), runs in mem.items():
        if impl != "exp_assign" or not LARGE:
            continue
        growth = statistics.median(r["rss_anon_peak_kb"] - r["rss_anon_before_kb"] for r in runs) * 1024
        bound = 300 * max(LARGE) + 3 * statistics.median(r["input_array_bytes"] for r in runs)
        targets.append((dict(SETS)[s], scenario_label("cohort_new", max(LARGE)),
                        "private memory growth / documented bound", growth / bound, "<= 1",
                        "met" if growth <= bound else "NOT MET"))
    if rows:
        print_table("== memory of the backend in the large-cohort call, MB (medians; a fresh backend per call;"
                    " RssAnon: private memory, sampled every 10 ms; RssShmem: shared buffers it touched)",
                    ["worker", "implementation", "VmHWM before", "VmHWM after", "RssAnon before",
                     "RssAnon peak", "RssShmem peak", "input array", "calls"], rows, right=set(range(2, 9)))

    # --- targets, in short
    if targets:
        print_table("== targets (median of the per-repetition ratios)",
                    ["worker", "scenario", "ratio", "measured", "target", ""],
                    [[a, b, c, fmt(d, 2), e, f] for a, b, c, d, e, f in targets], right={3})
        n_met = sum(1 for t in targets if t[5] == "met")
        print(f"\n  {n_met} of {len(targets)} targets met")

    # --- chart data
    for panel, entries in chart.items():
        with open(f"{args.prefix}_{panel}.dat", "w") as f:
            f.write("# x label off_median off_min off_max on_median on_min on_max target\n")
            for i, (label, by_set) in enumerate(entries.items()):
                cols = []
                tnum = float("nan")
                for s, _ in SETS:
                    if s in by_set:
                        st, tnum = by_set[s]
                        cols += [f"{v:.4f}" for v in st]
                    else:
                        cols += ["NaN"] * 3
                f.write(f'{i} "{label}" {" ".join(cols)} {"NaN" if math.isnan(tnum) else f"{tnum:.4f}"}\n')
    # One file per worker setting, one block per implementation, its title
    # first (gnuplot: index i, columnheader).
    for set_name, set_label in SETS:
        with open(f"{args.prefix}_scaling_{set_name}.dat", "w") as f:
            blocks = [(impl, d) for (s, impl), d in series.items() if s == set_name]
            blocks.sort(key=lambda b: ORDER.index(b[0]))
            f.write("\n\n".join(f'"{IMPL_LABEL[impl]}, {set_label}" "us/row"\n'
                                 + "".join(f"{n} {d[n]:.4f}\n" for n in sorted(d))
                                 for impl, d in blocks))
    sys.stdout.flush()


if __name__ == "__main__":
    main()

"""Timed rounds of scripts/bench-report.sh: `report build` on each dataset and DuckDB's same
medians on each generated one, interleaved, with medians and distribution-free 95% intervals.

Usage: bench_report_rounds.py REPORT_BIN ROUNDS WORK_DIR COMMITTED_DIR GENERATED_DIR...

Each round builds every dataset once (`report build --timings` into a fresh directory under
WORK_DIR) and, right beside each generated dataset's build, runs the recipe
dataset/recipes/cell_medians.sql on its files in a fresh in-process DuckDB (its default threads,
one per core), the two in alternating order from round to round, so that the machine's drift
falls on both sides alike. "Aggregation" is the build's load + analyse phases: reading and
checking the shards (sha256 against the manifest), folding the generations per run, and the
per-cell medians. One warm-up round (not counted) comes first. The ratio aggregation / DuckDB is
taken per round, then its median over rounds with its interval, which is what the target is
decided on: PASS when the whole interval is ≤ 1.0, MISS otherwise (below 6 rounds there is no
interval and the median decides).

Afterwards, for context only, DuckDB on one thread (3 rounds per generated dataset), and the
correctness check: scripts/bench_report_duckdb.py compares DuckDB's n and medians with the last
round's tables/medians.csv of each generated dataset. Exit status 1 on any mismatch, else 0.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_report_duckdb import check_median_semantics, query, run_query  # noqa: E402
from bench_stats import median_interval  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# Build targets (from the report issue): the committed dataset, and 1M generation rows.
BUILD_TARGET_S = {"committed": 2.0, 1_000_000: 10.0}
RATIO_TARGET = 1.0
CONTEXT_ROUNDS = 3


def generation_rows(dataset):
    manifest = json.loads((Path(dataset) / "v1" / "MANIFEST.json").read_text(encoding="utf-8"))
    return sum(s["rows"] for s in manifest["shards"] if s["table"] == "generations")


def build(report_bin, dataset, out):
    """One `report build`: wall time and the phase timings it prints."""
    start = time.perf_counter()
    done = subprocess.run([report_bin, "build", "--dataset", dataset, "--out", out, "--timings"],
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"bench-report: report build failed on {dataset}:\n{done.stderr}")
    phases = {}
    for line in done.stderr.splitlines():
        parts = line.split()
        if parts[:2] == ["report:", "timing"]:
            phases[parts[2]] = float(parts[3])
    return wall, phases


def duckdb_time(sql, threads=None):
    start = time.perf_counter()
    run_query(sql, threads)
    return time.perf_counter() - start


def fmt(values, digits=3):
    """`median [low, high]` of `values`, or the median alone where no interval exists."""
    median, interval = median_interval(values)
    if interval is None:
        return f"{median:.{digits}f} [n<6]"
    return f"{median:.{digits}f} [{interval[0]:.{digits}f}, {interval[1]:.{digits}f}]"


def ratio_verdict(ratios):
    median, interval = median_interval(ratios)
    if interval is None:
        return ("PASS" if median <= RATIO_TARGET else "MISS") + " (median only: under 6 rounds)"
    if interval[1] <= RATIO_TARGET:
        return "PASS"
    return "MISS" + (" (median ≤ 1, interval not)" if median <= RATIO_TARGET else "")


def run_rounds(report_bin, rounds, work, datasets):
    """The warm-up and the timed rounds: per dataset, build wall times and phase timings; per
    generated dataset, aggregation and DuckDB times, paired by round."""
    walls = {name: [] for name, _, _ in datasets}
    phases = {name: {} for name, _, _ in datasets}
    aggregation = {name: [] for name, _, sql in datasets if sql}
    duck = {name: [] for name in aggregation}
    for r in range(rounds + 1):
        print(f"bench-report: {'warm-up round' if r == 0 else f'round {r}/{rounds}'}", file=sys.stderr, flush=True)
        for name, dataset, sql in datasets:
            out = work / f"out-{name}"
            steps = ["report", "duckdb"] if r % 2 else ["duckdb", "report"]
            for step in steps if sql else ["report"]:
                if step == "duckdb":
                    t = duckdb_time(sql)
                    if r:
                        duck[name].append(t)
                    continue
                shutil.rmtree(out, ignore_errors=True)
                wall, timings = build(report_bin, dataset, str(out))
                if r:
                    walls[name].append(wall)
                    for phase, s in timings.items():
                        phases[name].setdefault(phase, []).append(s)
                    if sql:
                        aggregation[name].append(timings["load"] + timings["analyse"])
                        shutil.copy(out / "tables" / "medians.csv", work / f"{name}.medians.csv")
                shutil.rmtree(out, ignore_errors=True)
    return walls, phases, aggregation, duck


def print_results(rounds, datasets, walls, phases, aggregation, duck):
    print(f"\nMedian time per phase of report build (s), over {rounds} rounds:")
    names = list(next(iter(phases.values())).keys())
    print(f"  {'dataset':<16}" + "".join(f" {p:>9}" for p in names))
    for name, by_phase in phases.items():
        print(f"  {name:<16}" + "".join(f" {statistics.median(by_phase[p]):>9.3f}" for p in names))

    print("\nPer round (s): aggregation, DuckDB, aggregation / DuckDB")
    for name in aggregation:
        for r, (a, d) in enumerate(zip(aggregation[name], duck[name]), 1):
            print(f"  {name:<16} round {r:>2}: {a:8.3f} {d:8.3f} {a / d:7.3f}")

    print("\nFor context, DuckDB on one thread (s):")
    for name, dataset, sql in datasets:
        if sql:
            times = [duckdb_time(sql, 1) for _ in range(CONTEXT_ROUNDS)]
            print(f"  {name:<16} " + " ".join(f"{t:.3f}" for t in times) + f"; median {statistics.median(times):.3f}")

    print(f"\nSummary: medians over {rounds} rounds [distribution-free 95% interval]; "
          f"targets: build ≤ 2 s committed, ≤ 10 s at 1M rows; aggregation / DuckDB ≤ {RATIO_TARGET} (whole interval)")
    for name, dataset, sql in datasets:
        rows = generation_rows(dataset)
        target = BUILD_TARGET_S.get("committed" if not sql else rows)
        if target is None:
            build_verdict = "no target at this size"
        else:
            build_verdict = f"target ≤ {target} s: " + ("PASS" if statistics.median(walls[name]) <= target else "MISS")
        print(f"  {name} ({rows} generation rows)")
        print(f"    build        {fmt(walls[name])} s  ({build_verdict})")
        if sql:
            ratios = [a / d for a, d in zip(aggregation[name], duck[name])]
            print(f"    aggregation  {fmt(aggregation[name])} s")
            print(f"    DuckDB       {fmt(duck[name])} s")
            print(f"    agg/DuckDB   {fmt(ratios)}  (target ≤ {RATIO_TARGET}: {ratio_verdict(ratios)})")


def check(work, datasets):
    """scripts/bench_report_duckdb.py's comparison of each generated dataset's last medians.csv
    with DuckDB's; True when every one agrees."""
    print("\nCorrectness: DuckDB's n and medians against the report's tables/medians.csv")
    agree = True
    for name, dataset, sql in datasets:
        if sql:
            done = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_report_duckdb.py"), dataset,
                                   str(work / f"{name}.medians.csv"), "0"], capture_output=True, text=True)
            lines = done.stdout.splitlines()
            for line in [l for l in lines if "MISMATCH" in l][:10] + [l for l in lines if "compared over" in l]:
                print(f"  {name}: {line}")
            if done.returncode != 0:
                agree = False
                print(f"  {name}: the check exited with {done.returncode}; {done.stderr.strip()[-2000:]}")
    print("bench-report: " + ("DuckDB's per-cell medians agree with the report's tables/medians.csv" if agree
                              else "FAIL: DuckDB's per-cell medians disagree with the report's (see above)"))
    return agree


def main():
    if len(sys.argv) < 5:
        sys.exit("usage: bench_report_rounds.py REPORT_BIN ROUNDS WORK_DIR COMMITTED_DIR GENERATED_DIR...")
    report_bin, rounds, work = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    committed, generated = sys.argv[4], sys.argv[5:]
    check_median_semantics()
    datasets = [("committed", committed, None)] + [(f"rows-{generation_rows(d)}", d, query(d)) for d in generated]
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    results = run_rounds(report_bin, rounds, work, datasets)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print_results(rounds, datasets, *results)
    return 0 if check(work, datasets) else 1


if __name__ == "__main__":
    sys.exit(main())

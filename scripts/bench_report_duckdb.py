"""The report's per-cell medians computed by DuckDB, as the reference for scripts/bench-report.sh.

Usage: bench_report_duckdb.py DATASET_DIR MEDIANS_CSV [ROUNDS]

With ROUNDS 0 nothing is timed: the recipe's result is only compared with MEDIANS_CSV (the test
suite does this on the committed dataset and its dataset/tables/medians.csv, and
scripts/bench_report_rounds.py on each generated dataset, after timing `query` with `run_query`
itself beside each `report build`).

Runs the downstream recipe dataset/recipes/cell_medians.sql (the report's per-cell medians in
DuckDB; its comments give the definitions) on DATASET_DIR's Parquet files, with an in-process
DuckDB. The recipe's paths (`dataset/v1/...`, relative to the repository root) are pointed at
DATASET_DIR.

The query is timed whole, reading the files included, in a fresh in-process database each round
(so no DuckDB cache carries over), after one warm-up round; the median over ROUNDS is printed.
Then every cell × metric is compared with MEDIANS_CSV (n exactly, median within a relative
1e-9); a cell × metric that only one side has is a mismatch too. The interval columns are the
report's alone (the recipe does not compute intervals), but each row's confidence level is
checked to be the same number twice: `ci_level_percent` (for people: 96.5) is `ci_level_exact`
(the fraction: 0.9648437499999976) in per cent to the digits shown, never 100 for a level below
1, and the two are empty together. Exit status 1 on any mismatch.

The recipe's glob reads every shard file on disk; the report reads the shards the manifest lists. On a
dataset written by the store (as the benchmark's is) the two are the same.

DuckDB runs with its default thread count (the machine's cores); the same query on one thread
is timed too, for context only.

The last line is machine-readable:
`duckdb: result median_s=<s> median_1t_s=<s> cells=<n> compared=<n> mismatches=<n>`.
"""

import csv
import statistics
import sys
import time
from pathlib import Path

import duckdb

REL_TOL = 1e-9

RECIPE = Path(__file__).resolve().parent.parent / "dataset" / "recipes" / "cell_medians.sql"


def query(dataset):
    v1 = str(Path(dataset) / "v1").replace("'", "''")
    sql = RECIPE.read_text(encoding="utf-8")
    if sql.count("'dataset/v1/") != 2:
        sys.exit(f"duckdb: {RECIPE} should read 'dataset/v1/runs/...' and 'dataset/v1/generations/...'")
    return sql.replace("'dataset/v1/", f"'{v1}/").rstrip().rstrip(";")


def run_query(sql, threads=None):
    con = duckdb.connect()
    try:
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        return con.execute(sql).fetchall()
    finally:
        con.close()


def check_median_semantics():
    """DuckDB's median must interpolate for even n, as statrs's does (the mean of the middle two)."""
    con = duckdb.connect()
    try:
        even = con.execute("SELECT median(x) FROM (VALUES (1.0::DOUBLE), (2.0), (4.0), (10.0)) t(x)").fetchone()[0]
        odd = con.execute("SELECT median(x) FROM (VALUES (1.0::DOUBLE), (2.0), (40.0)) t(x)").fetchone()[0]
    finally:
        con.close()
    if even != 3.0 or odd != 2.0:
        sys.exit(f"duckdb: median() gives {even} for [1,2,4,10] and {odd} for [1,2,40]; the report gives 3 and 2")


def key_of(device, backend, power_mode, protocol, model, quantization, weights_origin, page_cache, metric):
    return (device, backend, power_mode, protocol, model, quantization, weights_origin, page_cache, metric)


def read_report(path):
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            none = lambda s: s if s != "" else None  # noqa: E731 (empty field = null)
            key = key_of(row["device"], row["backend"], none(row["power_mode"]), none(row.get("protocol", "")),
                         row["model"], none(row["quantization"]), row.get("weights_origin", "trained"),
                         none(row.get("page_cache", "")), row["metric"])
            out[key] = (int(row["n"]), float(row["median"]))
    return out


def level_problems(path):
    """Rows of MEDIANS_CSV whose two confidence-level columns disagree (see the module doc)."""
    problems = []
    with open(path, newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            percent, exact = row["ci_level_percent"], row["ci_level_exact"]
            if (percent == "") != (exact == ""):
                problems.append(f"line {line}: ci_level_percent={percent!r} but ci_level_exact={exact!r}")
            elif percent:
                shown = percent.split(".")[1] if "." in percent else ""
                # The exact level rounded to the digits shown must print as the percentage shown.
                if f"{float(exact) * 100:.{len(shown)}f}" != percent or (float(exact) < 1 and float(percent) >= 100):
                    problems.append(f"line {line}: ci_level_percent={percent} is not ci_level_exact={exact} in per cent")
    return problems


def close(a, b):
    return a == b or abs(a - b) <= REL_TOL * max(abs(a), abs(b))


def fmt_key(key):
    device, backend, mode, protocol, model, quant, weights, cache, metric = key
    return f"{device} · {backend} · {mode or '-'} · {protocol or '-'} · {model} ({quant or '-'}, {weights}, {cache or '-'}) · {metric}"


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: bench_report_duckdb.py DATASET_DIR MEDIANS_CSV [ROUNDS]")
    dataset, medians_csv = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) == 4 else 5
    check_median_semantics()
    sql = query(dataset)

    rows = run_query(sql)  # warm-up (also the result compared below)
    median_s = median_1t_s = 0.0

    def timed(threads):
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            run_query(sql, threads)
            times.append(time.perf_counter() - start)
        return times, statistics.median(times)

    if rounds > 0:
        threads = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]
        times, median_s = timed(None)
        print(f"duckdb: {duckdb.__version__}, {threads} threads (its default); query over {rounds} rounds: "
              + " ".join(f"{t:.3f}" for t in times) + f" s; median {median_s:.3f} s")
        # For context only: the same query on one thread.
        times_1t, median_1t_s = timed(1)
        print("duckdb: 1 thread (for context): " + " ".join(f"{t:.3f}" for t in times_1t)
              + f" s; median {median_1t_s:.3f} s")

    ours = {key_of(*r[:9]): (r[9], r[10]) for r in rows}
    report = read_report(medians_csv)
    mismatches = []
    for key in sorted(ours.keys() | report.keys(), key=lambda k: tuple("" if v is None else v for v in k)):
        if key not in report:
            mismatches.append(f"{fmt_key(key)}: DuckDB n={ours[key][0]} median={ours[key][1]!r}, not in medians.csv")
        elif key not in ours:
            mismatches.append(f"{fmt_key(key)}: medians.csv n={report[key][0]} median={report[key][1]!r}, not in DuckDB's result")
        else:
            (dn, dm), (rn, rm) = ours[key], report[key]
            if dn != rn or not close(dm, rm):
                mismatches.append(f"{fmt_key(key)}: DuckDB n={dn} median={dm!r}, report n={rn} median={rm!r}")
    mismatches += level_problems(medians_csv)
    compared = len(ours.keys() & report.keys())
    cells = len({k[:8] for k in ours})
    for line in mismatches[:50]:
        print(f"duckdb: MISMATCH {line}")
    if len(mismatches) > 50:
        print(f"duckdb: ... and {len(mismatches) - 50} more mismatches")
    print(f"duckdb: {compared} cell × metric medians compared over {cells} cells "
          f"({len(ours)} from DuckDB, {len(report)} in medians.csv): "
          + ("all agree (n exact, median within 1e-9 relative)" if not mismatches else f"{len(mismatches)} MISMATCHES"))
    print(f"duckdb: result median_s={median_s:.6f} median_1t_s={median_1t_s:.6f} cells={cells} compared={compared} mismatches={len(mismatches)}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())

"""The report's per-cell medians computed by DuckDB, as the reference for scripts/bench-report.sh.

Usage: bench_report_duckdb.py DATASET_DIR MEDIANS_CSV [ROUNDS]

Reads DATASET_DIR/v1/{runs,generations}/**/*.parquet with an in-process DuckDB and computes the
numbers `report build` writes to tables/medians.csv, with the report's definitions
(report/src/load.rs, metrics.rs `Metric::of_run`, analysis.rs `cells`):

- only runs with status 'ok' form cells; a cell is device_label × backend × power_mode ×
  protocol × model_name × model_file_type (NULL is a value of its own; protocol only when
  medians.csv has a protocol column, as the report's cell key gained it later);
- per run, over its generations with status 'ok': the mean of ttft_ms, tpot_ms,
  prefill_tokens_per_s, decode_tokens_per_s and relevance (each over the generations that have a
  finite value), and energy_per_output_token_j = sum(energy_j) / sum(output_tokens) over the
  generations that have both (none when the token sum is 0);
- from the run row: load_ms, peak_cpu_memory (peak_rss_bytes), peak_gpu_memory
  (peak_gpu_memory_bytes), mean_power_w;
- per cell and metric: n = number of runs with a finite value, median over them (even n: the
  mean of the two middle values, as statrs and DuckDB's `median` both do; checked below).

The query is timed whole, reading the files included, in a fresh in-process database each round
(so no DuckDB cache carries over), after one warm-up round; the median over ROUNDS is printed.
Then every cell × metric is compared with MEDIANS_CSV (n exactly, median within a relative
1e-9); a cell × metric that only one side has is a mismatch too. Exit status 1 on any mismatch.

The glob reads every shard file on disk; the report reads the shards the manifest lists. On a
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

# Metric keys of medians.csv; each is a column of `per_run` below.
METRICS = [
    "load_ms",
    "ttft_ms",
    "tpot_ms",
    "prefill_tokens_per_s",
    "decode_tokens_per_s",
    "peak_cpu_memory",
    "peak_gpu_memory",
    "mean_power_w",
    "energy_per_output_token_j",
    "relevance",
]


def finite(column):
    return f"CASE WHEN isfinite({column}) THEN {column} END"


def query(dataset, with_protocol):
    v1 = Path(dataset) / "v1"
    runs = str(v1 / "runs" / "**" / "*.parquet").replace("'", "''")
    generations = str(v1 / "generations" / "**" / "*.parquet").replace("'", "''")
    means = ",\n        ".join(
        f"avg({finite(c)}) AS {c}"
        for c in ["ttft_ms", "tpot_ms", "prefill_tokens_per_s", "decode_tokens_per_s", "relevance"]
    )
    has_energy = "energy_j IS NOT NULL AND isfinite(energy_j) AND output_tokens IS NOT NULL"
    metric_columns = ", ".join(METRICS)
    protocol = "CAST(protocol AS VARCHAR)" if with_protocol else "NULL"

    # The hive columns `device` and `model` (partition slugs) are never used: cells are keyed by
    # the rows' own device_label and model_name.
    return f"""
WITH per_run_generations AS (
    SELECT
        run_id,
        {means},
        sum(energy_j) FILTER (WHERE {has_energy}) AS energy_j,
        sum(output_tokens) FILTER (WHERE {has_energy}) AS energy_tokens
    FROM read_parquet('{generations}', hive_partitioning = true)
    WHERE status = 'ok'
    GROUP BY run_id
),
ok_runs AS (
    SELECT run_id, device_label, backend, power_mode, {protocol} AS protocol, model_name, model_file_type,
           load_ms, peak_rss_bytes, peak_gpu_memory_bytes, mean_power_w
    FROM read_parquet('{runs}', hive_partitioning = true)
    WHERE status = 'ok'
),
per_run AS (
    SELECT
        r.run_id, r.device_label, r.backend, r.power_mode, r.protocol, r.model_name, r.model_file_type,
        CAST(r.load_ms AS DOUBLE) AS load_ms,
        g.ttft_ms, g.tpot_ms, g.prefill_tokens_per_s, g.decode_tokens_per_s,
        CAST(r.peak_rss_bytes AS DOUBLE) AS peak_cpu_memory,
        CAST(r.peak_gpu_memory_bytes AS DOUBLE) AS peak_gpu_memory,
        CAST(r.mean_power_w AS DOUBLE) AS mean_power_w,
        CASE WHEN g.energy_tokens > 0 THEN g.energy_j / CAST(g.energy_tokens AS DOUBLE) END
            AS energy_per_output_token_j,
        g.relevance
    FROM ok_runs r LEFT JOIN per_run_generations g USING (run_id)
),
long AS (
    UNPIVOT per_run ON {metric_columns} INTO NAME metric VALUE value
)
SELECT device_label, CAST(backend AS VARCHAR) AS backend, power_mode, protocol, model_name, model_file_type,
       metric, count(*) AS n, median(value) AS median
FROM long
WHERE isfinite(value)
GROUP BY ALL
ORDER BY ALL
"""


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


def key_of(device, backend, power_mode, protocol, model, quantization, metric):
    return (device, backend, power_mode, protocol, model, quantization, metric)


def has_protocol(path):
    with open(path, newline="", encoding="utf-8") as f:
        return "protocol" in next(csv.reader(f), [])


def read_report(path):
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            none = lambda s: s if s != "" else None  # noqa: E731 (empty field = null)
            key = key_of(row["device"], row["backend"], none(row["power_mode"]), none(row.get("protocol", "")),
                         row["model"], none(row["quantization"]), row["metric"])
            out[key] = (int(row["n"]), float(row["median"]))
    return out


def close(a, b):
    return a == b or abs(a - b) <= REL_TOL * max(abs(a), abs(b))


def fmt_key(key):
    device, backend, mode, protocol, model, quant, metric = key
    return f"{device} · {backend} · {mode or '-'} · {protocol or '-'} · {model} ({quant or '-'}) · {metric}"


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: bench_report_duckdb.py DATASET_DIR MEDIANS_CSV [ROUNDS]")
    dataset, medians_csv = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) == 4 else 5
    check_median_semantics()
    sql = query(dataset, has_protocol(medians_csv))

    rows = run_query(sql)  # warm-up (also the result compared below)

    def timed(threads):
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            run_query(sql, threads)
            times.append(time.perf_counter() - start)
        return times, statistics.median(times)

    threads = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]
    times, median_s = timed(None)
    print(f"duckdb: {duckdb.__version__}, {threads} threads (its default); query over {rounds} rounds: "
          + " ".join(f"{t:.3f}" for t in times) + f" s; median {median_s:.3f} s")
    # For context only (the report reads on one thread): the same query on one thread.
    times_1t, median_1t_s = timed(1)
    print("duckdb: 1 thread (for context): " + " ".join(f"{t:.3f}" for t in times_1t)
          + f" s; median {median_1t_s:.3f} s")

    ours = {key_of(*r[:7]): (r[7], r[8]) for r in rows}
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
    compared = len(ours.keys() & report.keys())
    cells = len({k[:6] for k in ours})
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

"""Prints the fusion benchmark's verdicts from `microbench` rows (see scripts/bench-fusion.sh).

For every sweep (device, back-end, element type) at its largest vector length:
  - the STREAM copy and triad bandwidth measured in the sweep (best repetition, as STREAM reports);
  - each variant's achieved bandwidth (bytes credited as STREAM counts them / its time), as a
    fraction of copy: median over repetitions and 95% interval; the target is >= 0.80;
  - fused / unfused, per repetition (the two ran next to each other in the same round): median
    and 95% interval, against the bound that applies to how the device stores (4/7 where stores
    write-allocate, 3/5 where they do not); the target is the median within 5% of the bound.
"""
import json
import sys

import duckdb

from bench_stats import median_interval


def fmt(mi, digits=3):
    median, interval = mi
    if interval is None:
        return f"{median:.{digits}f} [n<6: no interval]"
    return f"{median:.{digits}f} [{interval[0]:.{digits}f}, {interval[1]:.{digits}f}]"


def main(dataset, device_filter=None):
    con = duckdb.connect()
    rows = con.sql(
        f"""
        select device_label, backend, dtype, elements, sweep_id, variant, repetition, elapsed_us,
               bytes_moved, copy_bandwidth_gb_s, triad_bandwidth_gb_s, write_allocate, threads, launch_config_json
        from read_parquet('{dataset}/v1/microbench/**/*.parquet', hive_partitioning = false, union_by_name = true)
        where experiment = 'add_scale_fusion' and status = 'ok' and sweep_id is not null
        """
    ).fetchall()
    sweeps = {}
    for r in rows:
        device, backend, dtype, elements, sweep = r[0], r[1], r[2], r[3], r[4]
        if device_filter and device != device_filter:
            continue
        sweeps.setdefault((device, backend, sweep, dtype), {}).setdefault(elements, []).append(r)
    if not sweeps:
        print(f"no fusion sweep in {dataset}" + (f" for {device_filter}" if device_filter else ""))
        return 1
    failures = 0
    for (device, backend, _sweep, dtype), by_size in sorted(sweeps.items()):
        elements = max(by_size)
        rs = by_size[elements]
        copy, triad, write_allocate, threads = rs[0][9], rs[0][10], rs[0][11], rs[0][12]
        bound = 4 / 7 if write_allocate else 3 / 5
        by_rep = {}
        for r in rs:
            by_rep.setdefault(r[6], {})[r[5]] = r
        ratios = [v["fused"][7] / v["unfused"][7] for v in by_rep.values() if "fused" in v and "unfused" in v]
        where = f"{backend} on {device}" + (f", {threads} threads" if threads else "")
        print(f"{where}: {dtype} x {elements} ({elements * (4 if dtype == 'f32' else 2) / 2**20:.0f} MiB per vector), {len(ratios)} repetitions")
        print(f"  STREAM copy {copy:.1f} GB/s, triad {triad:.1f} GB/s (best repetition)")
        for variant in ("unfused", "fused"):
            fractions = [r[8] / r[7] / 1e3 / copy for r in rs if r[5] == variant]
            mi = median_interval(fractions)
            ok = mi[0] >= 0.80
            failures += not ok
            print(f"  {variant:8} achieved / copy bandwidth {fmt(mi)}  {'ok' if ok else 'BELOW 0.80'}")
        mi = median_interval(ratios)
        off = mi[0] / bound - 1
        ok = abs(off) <= 0.05
        failures += not ok
        probe = json.loads(rs[0][13] or "{}").get("write_allocate_probe")
        how = "measured" if probe else "assumed"
        stores = f"stores write-allocate ({how}): bound 4/7" if write_allocate else f"no write-allocate ({how}): bound 3/5"
        if probe:
            print(f"  write-allocate probe: read-only {probe['read_gb_s']:.1f} GB/s, write-only {probe['write_gb_s']:.1f} GB/s "
                  f"(ratio {probe['write_gb_s'] / probe['read_gb_s']:.2f}; below 0.75 = stores read their line first)")
        other = 3 / 5 if write_allocate else 4 / 7
        print(f"  fused / unfused {fmt(mi)} vs {bound:.3f} ({stores}): {off:+.1%}  {'ok' if ok else 'OUTSIDE 5%'}")
        print(f"  (the other bound, {other:.3f}, is {mi[0] / other - 1:+.1%} away)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))

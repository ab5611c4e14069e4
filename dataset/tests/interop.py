"""Reads dataset/v1/generations the way downstream researchers do: one line per library.

Usage: interop.py DATASET_DIR. Prints one JSON object: for each reader, the rows it read as
[generation_id, device, model, backend, ttft_ms, output_text], sorted by generation_id.
"""
import json
import sys

import duckdb
import polars as pl
import pyarrow.dataset as ds

root = sys.argv[1]
gen = f"{root}/v1/generations"
columns = ["generation_id", "device", "model", "backend", "ttft_ms", "output_text"]

readers = {
    "pyarrow": lambda: ds.dataset(gen, format="parquet", partitioning="hive").to_table().to_pylist(),
    "duckdb": lambda: duckdb.sql(f"SELECT * FROM read_parquet('{gen}/**/*.parquet', hive_partitioning=true)").pl().to_dicts(),
    "polars": lambda: pl.scan_parquet(f"{gen}/**/*.parquet", hive_partitioning=True).collect().to_dicts(),
}

out = {}
for name, read in readers.items():
    rows = read()
    out[name] = sorted(([r[c] for c in columns] for r in rows), key=lambda r: r[0])
    out[name + "_types"] = {c: type(rows[0][c]).__name__ for c in columns} if rows else {}
print(json.dumps(out))

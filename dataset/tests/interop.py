"""Reads dataset/v1 the way downstream researchers do: one line per library.

Usage: interop.py DATASET_DIR. Prints one JSON object:
- for each reader, the `generations` rows it read as
  [generation_id, device, model, backend, ttft_ms, output_text], sorted by generation_id;
- for each reader, `<reader>_kernels`: the `kernels` rows (a table holding shards of schema 1.0
  and 1.1) read with the option schema/v1/README.md documents for mixed versions, as
  [kernel_id, device, schema_version, phase, op_name, token_columns], sorted by kernel_id;
- `<reader>_kernels_default`: what the same reader does without that option (the columns it sees,
  or the error), which is why the option is documented.
"""
import glob
import json
import sys

import duckdb
import polars as pl
import pyarrow as pa
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

# Shards of two schema versions in one table: the documented options (schema/v1/README.md,
# "Versions").
kern = f"{root}/v1/kernels"
kernel_columns = ["kernel_id", "device", "schema_version", "phase", "op_name", "token_columns"]


def pyarrow_unified():
    d = ds.dataset(kern, format="parquet", partitioning="hive")
    schema = pa.unify_schemas([d.schema] + [f.physical_schema for f in d.get_fragments()])
    return ds.dataset(kern, format="parquet", partitioning="hive", schema=schema).to_table().to_pylist()


def polars_diagonal():
    files = glob.glob(f"{kern}/**/*.parquet", recursive=True)
    return pl.concat([pl.scan_parquet(f, hive_partitioning=True) for f in files], how="diagonal").collect().to_dicts()


def polars_insert():
    files = sorted(glob.glob(f"{kern}/**/*.parquet", recursive=True))
    schemas = [pl.read_parquet_schema(f) for f in files]
    current = max(schemas, key=len)  # a shard of the current version has the most columns
    return pl.scan_parquet(f"{kern}/**/*.parquet", hive_partitioning=True, schema=current, missing_columns="insert").collect().to_dicts()


mixed = {
    "pyarrow": pyarrow_unified,
    "duckdb": lambda: duckdb.sql(f"SELECT * FROM read_parquet('{kern}/**/*.parquet', hive_partitioning=true, union_by_name=true)").pl().to_dicts(),
    "polars": polars_diagonal,
    "polars_insert": polars_insert,
}
for name, read in mixed.items():
    rows = read()
    out[name + "_kernels"] = sorted(([r.get(c) for c in kernel_columns] for r in rows), key=lambda r: r[0])

defaults = {
    "pyarrow": lambda: ds.dataset(kern, format="parquet", partitioning="hive").to_table().column_names,
    "duckdb": lambda: duckdb.sql(f"SELECT * FROM read_parquet('{kern}/**/*.parquet', hive_partitioning=true)").columns,
    "polars": lambda: pl.scan_parquet(f"{kern}/**/*.parquet", hive_partitioning=True).collect().columns,
}
for name, read in defaults.items():
    try:
        out[name + "_kernels_default"] = {"columns": list(read())}
    except Exception as e:  # noqa: BLE001 -- the error is the result
        out[name + "_kernels_default"] = {"error": type(e).__name__}
print(json.dumps(out))

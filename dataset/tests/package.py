"""Loads edgebench datasets the way the dataset card tells researchers to (see tests/package.rs).

Usage: package.py MODE, with a JSON request on standard input; prints one JSON object.

- `load`: {"recipes": [{"library", "imports", "line"}], "datasets": [{"dir", "tables": [{"table",
  "id", "column"}], "count_only"?}]}. Runs each recipe's line (with `{dir}` and `{table}` filled
  in) on each table and reports, per dataset dir, table and library: the columns, the row count,
  the Python type of the first non-null `device` value, and (unless count_only) the rows as
  [id, schema_version, column] sorted by id; or the error.
- `slugs`: {"datasets": [{"dir"}]}. Reads the `runs` table of each dataset with the plain hive
  one-liners (no schema given) of DuckDB, Polars and pyarrow and reports the values and Python
  types of the partition columns and the labels.
"""
import json
import math
import sys
import warnings

warnings.filterwarnings("ignore")


def clean(value):
    """A reader's missing value as None (pandas gives NaN or NA)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:
        pass
    return value


def rows_of(result):
    """(columns, list of row dicts) of whatever a one-liner returned."""
    if isinstance(result, list):
        # mlcroissant's records: `<record set>/<field>` keys, text as bytes.
        rows = [{k.split("/", 1)[1]: v.decode() if isinstance(v, bytes) else v for k, v in r.items()} for r in result]
        return (list(rows[0]) if rows else None), rows
    kind = type(result).__module__.split(".")[0]
    if kind == "pandas":
        return list(result.columns), result.to_dict("records")
    if kind == "polars":
        return list(result.columns), result.to_dicts()
    if kind == "duckdb":
        # Through Polars: DuckDB's own Python values of time zones need pytz.
        return list(result.columns), result.pl().to_dicts()
    if kind == "pyarrow":
        return list(result.column_names), result.to_pylist()
    if kind == "datasets":
        # A Dataset, or a streamed IterableDataset (whose column names come from its features).
        return list(result.column_names or result.features), list(result)
    raise TypeError(f"unexpected result type {type(result)}")


def load(request):
    out = {}
    for d in request["datasets"]:
        per_table = out.setdefault(d["dir"], {})
        for t in d["tables"]:
            for recipe in request["recipes"]:
                line = recipe["line"].replace("{dir}", d["dir"]).replace("{table}", t["table"])
                scope = {}
                try:
                    exec(recipe["imports"], scope)
                    columns, rows = rows_of(eval(line, scope))
                except Exception as e:  # noqa: BLE001 -- the error is the result
                    per_table.setdefault(t["table"], {})[recipe["library"]] = {"error": f"{type(e).__name__}: {e}"[:2000]}
                    continue
                devices = [r["device"] for r in rows if clean(r.get("device")) is not None]
                got = {"columns": columns, "count": len(rows), "device_type": type(devices[0]).__name__ if devices else None}
                if not d.get("count_only"):
                    got["rows"] = sorted(
                        ([clean(r[t["id"]]), clean(r["schema_version"]), clean(r[t["column"]])] for r in rows),
                        key=lambda r: r[0],
                    )
                per_table.setdefault(t["table"], {})[recipe["library"]] = got
    return out


def slugs(request):
    import duckdb
    import polars as pl
    import pyarrow.dataset as ds

    out = {}
    for d in request["datasets"]:
        runs = f"{d['dir']}/v1/runs"
        readers = {
            "duckdb": lambda: rows_of(duckdb.sql(f"SELECT * FROM read_parquet('{runs}/**/*.parquet', hive_partitioning=true)"))[1],
            "polars": lambda: pl.read_parquet(f"{runs}/**/*.parquet", hive_partitioning=True).to_dicts(),
            "pyarrow": lambda: ds.dataset(runs, partitioning="hive").to_table().to_pylist(),
        }
        got = {}
        for name, read in readers.items():
            try:
                (row,) = read()
            except BaseException as e:  # noqa: BLE001 -- a Rust panic inside Polars is a BaseException
                got[name] = {"error": f"{type(e).__name__}: {e}"}
                continue
            got[name] = {
                "values": {c: row[c] if isinstance(row[c], str) else repr(row[c]) for c in ["device", "model", "device_label", "model_name"]},
                "types": {c: type(row[c]).__name__ for c in ["device", "model"]},
            }
        out[d["dir"]] = got
    return out


if __name__ == "__main__":
    request = json.load(sys.stdin)
    print(json.dumps({"load": load, "slugs": slugs}[sys.argv[1]](request), default=str))

#!/usr/bin/env python3
"""Raw sufficient statistics from one SQL aggregation, written as an mtreg
statistics directory (kind "raw") for `mtreg solve --stats DIR`.

The query is plain SQL (count, sum, products), the same text for DataFusion,
Spark SQL, DuckDB or a database. This script runs it with DataFusion over
Parquet files; with Spark, run `query(...)` through `spark.sql` and pass the
single result row to `write_raw` (see docs/scale.md).

    python3 docs/sql_stats.py --parquet 'data/*.parquet' \
        --targets y0,y1 --out stats_dir [--shift-first-row]

Features are all the other numeric columns (or --features a,b,c).
"""

import argparse
import json
import os
import sys


def q(name):
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def query(table, features, targets, x_shift=None, y_shift=None):
    """One aggregation: n, Σx, Σy and the upper triangles of XᵀX, YᵀY and all
    of XᵀY, of the shifted values x − x_shift, y − y_shift."""
    cols = features + targets
    shift = (x_shift or [0.0] * len(features)) + (y_shift or [0.0] * len(targets))
    # Column expressions inline (a subquery doubles DataFusion's planning time).
    c = [f"({q(name)} - ({s!r}))" if s else q(name) for name, s in zip(cols, shift)]
    p, t = len(features), len(targets)
    aggs = ["count(*) AS n"]
    aggs += [f"sum({c[i]}) AS s{i}" for i in range(p + t)]
    pairs = [(i, j) for i in range(p) for j in range(i, p)]  # XᵀX, upper
    pairs += [(i, p + k) for i in range(p) for k in range(t)]  # XᵀY
    pairs += [(p + k, p + l) for k in range(t) for l in range(k, t)]  # YᵀY, upper
    aggs += [f"sum({c[i]} * {c[j]}) AS m{i}_{j}" for i, j in pairs]
    return f"SELECT {', '.join(aggs)} FROM {table}"


def write_raw(out, row, features, targets, x_shift=None, y_shift=None):
    """Writes the one-row result `row` (a dict) as DIR/meta.json and the CSVs."""
    p, t = len(features), len(targets)
    val = lambda key: float(row[key])
    xtx = [[val(f"m{min(i, j)}_{max(i, j)}") for j in range(p)] for i in range(p)]
    xty = [[val(f"m{i}_{p + k}") for k in range(t)] for i in range(p)]
    yty = [[val(f"m{p + min(k, l)}_{p + max(k, l)}") for l in range(t)] for k in range(t)]
    meta = {
        "format": "mtreg-stats",
        "format_version": 1,
        "kind": "raw",
        "n_samples": int(row["n"]),
        "n_features": p,
        "n_tasks": t,
        "feature_names": features,
        "task_names": targets,
        "writer": "docs/sql_stats.py",
    }
    if x_shift:
        meta["x_shift"] = x_shift
    if y_shift:
        meta["y_shift"] = y_shift
    os.makedirs(out)  # refuses an existing directory
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)

    def csv(name, header, rows):
        # repr() prints the shortest decimal that reads back to the same double.
        with open(os.path.join(out, name), "w") as f:
            f.write(",".join(header) + "\n")
            for r in rows:
                f.write(",".join(repr(v) for v in r) + "\n")

    csv("x_sum.csv", features, [[val(f"s{i}") for i in range(p)]])
    csv("y_sum.csv", targets, [[val(f"s{p + k}") for k in range(t)]])
    csv("xtx.csv", features, xtx)
    csv("xty.csv", targets, xty)
    csv("yty.csv", targets, yty)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--parquet", required=True, help="Parquet file, directory or glob")
    ap.add_argument("--targets", required=True, help="target columns, comma-separated")
    ap.add_argument("--features", help="feature columns (default: all other columns)")
    ap.add_argument("--out", required=True, help="output directory (must not exist)")
    ap.add_argument(
        "--shift-first-row",
        action="store_true",
        help="sum x - x_first (one row read first): avoids cancellation when means are large",
    )
    a = ap.parse_args()

    from datafusion import SessionContext

    ctx = SessionContext()
    ctx.register_parquet("data", a.parquet)
    names = [f.name for f in ctx.table("data").schema()]
    targets = a.targets.split(",")
    features = a.features.split(",") if a.features else [n for n in names if n not in targets]
    x_shift = y_shift = None
    if a.shift_first_row:
        first = ctx.sql("SELECT * FROM data LIMIT 1").to_pylist()[0]
        x_shift = [float(first[c]) for c in features]
        y_shift = [float(first[c]) for c in targets]
    sql = query("data", features, targets, x_shift, y_shift)
    row = ctx.sql(sql).to_pylist()[0]
    write_raw(a.out, row, features, targets, x_shift, y_shift)
    print(f"wrote {a.out}: n = {row['n']}, p = {len(features)}, T = {len(targets)}", file=sys.stderr)


if __name__ == "__main__":
    main()

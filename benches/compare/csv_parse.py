#!/usr/bin/env python3
"""CSV parse throughput and peak memory: mtreg's reader vs pandas and numpy.

All readers parse the same numeric CSV (a header row, then ROWS x COLS random
floats printed with "%.17g", i.e. every digit needed for a round trip) into an
in-memory float64 matrix:

* mtreg:  `target/release/mtreg inspect FILE` (mtreg::io::csv::read_matrix);
          its parse time is the one it prints (`parsed N x P in S s ...`).
* pandas: `pandas.read_csv(FILE, engine="c")` then `.to_numpy(float64)`.
* numpy:  `numpy.loadtxt(FILE, delimiter=",", skiprows=1)`.

Each reader runs in its own subprocess under `/usr/bin/time -v`, so the peak
resident set size ("Maximum resident set size") is that reader's alone,
interpreter and imports included. The parse time is measured inside the
subprocess around the parse call only; the wall time (process start to exit,
measured here) is reported too. Readers run in turn (mtreg, pandas, numpy),
the whole round `--repeats` times (3 by default); the table shows medians.

The file is written once to bench-data/parse/ (git-ignored) and reused; it is
then in the page cache, so all runs read from memory, not disk.

Usage:
    python3 benches/compare/csv_parse.py            # 1,000,000 x 32 (~650 MB)
    python3 benches/compare/csv_parse.py --quick    # 80,000 x 32 (~50 MB)
    python3 benches/compare/csv_parse.py --rows 2000000 --cols 16

"MB" is 10^6 bytes throughout (file sizes, MB/s, and RSS).
"""

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA_DIR = REPO / "bench-data" / "parse"
MTREG = REPO / "target" / "release" / "mtreg"
READERS = ("mtreg", "pandas", "numpy")
CHUNK_ROWS = 20_000
MB = 1e6

# The Python readers: argv = [path, rows, cols]. Imports happen before the
# clock starts; the shape is checked so that a short read cannot pass.
PANDAS_CODE = """
import sys, time
import numpy as np, pandas as pd
path, n, p = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = time.perf_counter()
X = pd.read_csv(path, engine="c").to_numpy(dtype=np.float64)
secs = time.perf_counter() - t0
assert X.shape == (n, p), X.shape
print(f"PARSE_SECONDS {secs:.6f}")
"""

NUMPY_CODE = """
import sys, time
import numpy as np
path, n, p = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = time.perf_counter()
X = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
secs = time.perf_counter() - t0
assert X.shape == (n, p), X.shape
print(f"PARSE_SECONDS {secs:.6f}")
"""

MTREG_LINE = re.compile(r"parsed (\d+) x (\d+) in ([0-9.]+) s")
RSS_LINE = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ------------------------------------------------------------------- data --

def data_file(rows, cols, seed):
    """Writes the benchmark CSV once (through a temporary name, so a killed
    run never leaves a truncated file to be reused) and returns its path."""
    path = DATA_DIR / f"dense_{rows}x{cols}_seed{seed}.csv"
    if path.exists():
        log(f"reusing {path} ({path.stat().st_size / MB:.1f} MB)")
        return path
    import numpy as np

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.partial")
    log(f"writing {path} ...")
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    row_fmt = ",".join(["%.17g"] * cols) + "\n"
    with open(tmp, "w", encoding="ascii", newline="\n") as f:
        f.write(",".join(f"c{j}" for j in range(cols)) + "\n")
        for start in range(0, rows, CHUNK_ROWS):
            k = min(CHUNK_ROWS, rows - start)
            # Mixed magnitudes: mostly O(1), some tiny and some large values,
            # so that exponent notation appears as in real data.
            block = rng.standard_normal((k, cols)) * 10.0 ** rng.integers(-6, 7, (k, cols))
            f.write((row_fmt * k) % tuple(block.ravel().tolist()))
    os.replace(tmp, path)
    log(f"  {path.stat().st_size / MB:.1f} MB in {time.perf_counter() - t0:.1f} s")
    return path


# ---------------------------------------------------------------- readers --

def time_binary():
    """GNU time, installed with apt-get when missing."""
    if Path("/usr/bin/time").exists():
        return "/usr/bin/time"
    log("/usr/bin/time is missing; installing it (apt-get install -y time)")
    subprocess.run(["apt-get", "install", "-y", "time"], check=True,
                   stdout=subprocess.DEVNULL)
    return "/usr/bin/time"


def mtreg_has_inspect(binary):
    if not binary.exists():
        return False
    r = subprocess.run([str(binary), "inspect", "--help"], capture_output=True, text=True)
    return r.returncode == 0


def ensure_mtreg(binary, build, wait_minutes):
    """Makes sure `mtreg inspect` exists, rebuilding (and retrying while the
    subcommand or the crate is still being written) for up to wait_minutes."""
    deadline = time.monotonic() + 60 * wait_minutes
    while True:
        if build:
            log("cargo build --release --bin mtreg ...")
            r = subprocess.run(["cargo", "build", "--release", "--bin", "mtreg"],
                               cwd=REPO, capture_output=True, text=True)
            if r.returncode != 0:
                log("  build failed:\n" + "\n".join(r.stderr.strip().splitlines()[-15:]))
        if mtreg_has_inspect(binary):
            return
        if not build or time.monotonic() > deadline:
            sys.exit(f"error: {binary} has no working `inspect` subcommand")
        log("  `mtreg inspect` not available yet; retrying in 60 s")
        time.sleep(60)


def reader_command(reader, binary, path, rows, cols, quiet_flag):
    if reader == "mtreg":
        return [str(binary), "inspect", str(path)] + (["--quiet"] if quiet_flag else [])
    code = PANDAS_CODE if reader == "pandas" else NUMPY_CODE
    return [sys.executable, "-c", code, str(path), str(rows), str(cols)]


def run_reader(reader, cmd, timer, rows, cols):
    """One run: returns (parse seconds, wall seconds, peak RSS bytes)."""
    t0 = time.perf_counter()
    r = subprocess.run([timer, "-v"] + cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{reader} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    rss = RSS_LINE.search(r.stderr)
    if rss is None:
        raise RuntimeError(f"no 'Maximum resident set size' in /usr/bin/time output:\n{r.stderr}")
    if reader == "mtreg":
        m = MTREG_LINE.search(r.stdout)
        if m is None:
            raise RuntimeError(f"no 'parsed N x P in S s' line from mtreg:\n{r.stdout}")
        if (int(m.group(1)), int(m.group(2))) != (rows, cols):
            raise RuntimeError(f"mtreg parsed {m.group(1)} x {m.group(2)}, expected {rows} x {cols}")
        secs = float(m.group(3))
    else:
        m = re.search(r"PARSE_SECONDS ([0-9.]+)", r.stdout)
        if m is None:
            raise RuntimeError(f"no PARSE_SECONDS line from {reader}:\n{r.stdout}\n{r.stderr}")
        secs = float(m.group(1))
    return secs, wall, int(rss.group(1)) * 1024


# ------------------------------------------------------------------ table --

def versions():
    out = [f"python {platform.python_version()}"]
    for mod in ("numpy", "pandas"):
        try:
            out.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            out.append(f"{mod} missing")
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs; " + ", ".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cols", type=int, default=32)
    ap.add_argument("--quick", action="store_true",
                    help="a ~50 MB file (80,000 rows unless --rows is given)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--readers", default=",".join(READERS),
                    help="comma-separated subset of " + ",".join(READERS))
    ap.add_argument("--mtreg", type=Path, default=MTREG, help="the mtreg binary")
    ap.add_argument("--no-build", action="store_true",
                    help="do not run cargo build --release; use the binary as is")
    ap.add_argument("--wait-minutes", type=float, default=20.0,
                    help="how long to keep rebuilding while `mtreg inspect` is missing")
    args = ap.parse_args()
    if args.quick and "--rows" not in sys.argv:
        args.rows = 80_000
    readers = [r.strip() for r in args.readers.split(",") if r.strip()]
    for r in readers:
        if r not in READERS:
            ap.error(f"unknown reader {r!r}")
    if args.rows < 1 or args.cols < 1 or args.repeats < 1:
        ap.error("--rows, --cols and --repeats must be positive")

    timer = time_binary()
    quiet_flag = False
    if "mtreg" in readers:
        ensure_mtreg(args.mtreg, not args.no_build, args.wait_minutes)
        help_text = subprocess.run([str(args.mtreg), "inspect", "--help"],
                                   capture_output=True, text=True).stdout
        quiet_flag = "--quiet" in help_text   # skip the column statistics
    path = data_file(args.rows, args.cols, args.seed)
    size = path.stat().st_size
    matrix_bytes = args.rows * args.cols * 8

    runs = {r: [] for r in readers}
    failed = {}
    for rep in range(args.repeats):
        for reader in readers:
            if reader in failed:
                continue
            cmd = reader_command(reader, args.mtreg, path, args.rows, args.cols, quiet_flag)
            try:
                secs, wall, rss = run_reader(reader, cmd, timer, args.rows, args.cols)
            except RuntimeError as e:
                log(f"{reader}: {e}")
                failed[reader] = str(e).splitlines()[0]
                continue
            runs[reader].append((secs, wall, rss))
            log(f"[{rep + 1}/{args.repeats}] {reader:<6} parse {secs:8.3f} s  "
                f"wall {wall:8.3f} s  peak RSS {rss / MB:8.1f} MB")

    med = {r: tuple(statistics.median(x[i] for x in v) for i in range(3))
           for r, v in runs.items() if v}
    base = med.get("mtreg", (None,))[0]

    print(f"\nCSV parse: {path.name}, {size / MB:.1f} MB, {args.rows} x {args.cols} "
          f"(f64 matrix {matrix_bytes / MB:.1f} MB); medians of {args.repeats} runs, warm page cache")
    print(f"{versions()}\n")
    print("| reader | parse s | MB/s | wall s | peak RSS MB | RSS / matrix | time / mtreg |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    labels = {
        "mtreg": "mtreg inspect (read_matrix)",
        "pandas": 'pandas.read_csv(engine="c")',
        "numpy": "numpy.loadtxt",
    }
    for reader in readers:
        if reader not in med:
            print(f"| {labels[reader]} | failed: {failed.get(reader, '?')} | | | | | |")
            continue
        secs, wall, rss = med[reader]
        ratio = f"{secs / base:.2f}x" if base else "n/a"
        print(f"| {labels[reader]} | {secs:.3f} | {size / MB / secs:.1f} | {wall:.3f} | "
              f"{rss / MB:.1f} | {rss / matrix_bytes:.2f} | {ratio} |")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()

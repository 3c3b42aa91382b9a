#!/usr/bin/env python3
"""Peer comparison for mtreg: multi-task Lasso at equal, independently checked accuracy.

Objective (fit_intercept=False; all data are column-centred, so this equals
fitting an intercept):

    P(W) = ||Y - X W||_F^2 / (2 n) + alpha * sum_j ||W_j||_2,   W is p x T

Every solver (scikit-learn, celer, skglm, the mtreg CLI) solves the same
problems, read back from the same CSV files. Their returned W is checked by
one duality-gap function (`rel_gap` below), and each solver's `tol` is
tightened until that gap is <= 1e-6 (relative to P(0)). Only then is the
solver timed. See README.md next to this file.
"""

import argparse
import hashlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
REL_GAP_TARGET = 1e-6
MAX_TOL_STEPS = 6            # tol is divided by sqrt(10) at most this many times
REUSE_CALIBRATION_S = 10.0   # a final calibration run this long counts as a sample
RATIOS = (0.1, 0.01)
ALL_SOLVERS = ("sklearn", "celer", "skglm", "mtreg")
MAX_ITER = 100_000           # sklearn / mtreg iteration cap (only tol should stop them)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- problems --

def centre(A):
    return A - A.mean(axis=0)


def make_regression_problem(n, p, T, noise, seed, n_informative=10):
    from sklearn.datasets import make_regression

    X, Y = make_regression(n_samples=n, n_features=p, n_targets=T,
                           n_informative=n_informative, noise=noise,
                           random_state=seed)
    return centre(X), centre(Y.reshape(n, T))


def ar1_problem(n, p, T, n_active, seed, rho=0.5, snr=3.0):
    """Rows of X are AR(1) sequences, so corr(X_i, X_j) = rho^|i-j|."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, p))
    X = np.empty((n, p))
    X[:, 0] = Z[:, 0]
    innov = np.sqrt(1.0 - rho**2)
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + innov * Z[:, j]
    W = np.zeros((p, T))
    active = rng.choice(p, size=n_active, replace=False)
    W[active] = rng.standard_normal((n_active, T))
    signal = X @ W
    noise = rng.standard_normal((n, T))
    noise *= np.linalg.norm(signal) / (snr * np.linalg.norm(noise))
    return centre(X), centre(signal + noise)


PROBLEMS = {
    "small": ("make_regression(n_samples=100, n_features=10, n_targets=3, "
              "noise=0.1, random_state=0)",
              lambda: make_regression_problem(100, 10, 3, 0.1, 0)),
    "meg_like": ("AR(1) rho=0.5, n=300 p=5000 T=50, 20 active rows N(0,1), "
                 "SNR=3, default_rng(0)",
                 lambda: ar1_problem(300, 5000, 50, 20, 0)),
    "tall": ("make_regression(n_samples=50000, n_features=200, n_targets=10, "
             "n_informative=20, noise=10, random_state=1)",
             lambda: make_regression_problem(50000, 200, 10, 10.0, 1, 20)),
    "wide_many_tasks": ("AR(1) rho=0.5, n=500 p=2000 T=200, 50 active rows "
                        "N(0,1), SNR=3, default_rng(2)",
                        lambda: ar1_problem(500, 2000, 200, 50, 2)),
}


def load_csv(path):
    return np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def materialise(name, data_dir, regen):
    """Write X.csv / Y.csv once (regenerate if the recipe changed), read back."""
    desc, gen = PROBLEMS[name]
    d = data_dir / name
    d.mkdir(parents=True, exist_ok=True)
    xp, yp, meta = d / "X.csv", d / "Y.csv", d / "recipe.txt"
    fresh = (not regen and xp.exists() and yp.exists() and meta.exists()
             and meta.read_text() == desc + "\n")
    generated = None
    if not fresh:
        log(f"[{name}] generating {desc}")
        generated = gen()
        for path, A in zip((xp, yp), generated):
            tmp = path.with_suffix(".tmp")
            np.savetxt(tmp, A, fmt="%.17g", delimiter=",")
            os.replace(tmp, path)
        meta.write_text(desc + "\n")
    X, Y = load_csv(xp), load_csv(yp)
    if generated is not None:
        assert np.array_equal(X, generated[0]) and np.array_equal(
            Y, generated[1]), "CSV round trip is not exact"
    info = dict(name=name, recipe=desc, n=X.shape[0], p=X.shape[1],
                T=Y.shape[1], x_csv=str(xp), y_csv=str(yp),
                x_sha256=sha256(xp), y_sha256=sha256(yp))
    return np.asfortranarray(X), np.asfortranarray(Y), info


# --------------------------------------------------------- duality gap --

def alpha_max(X, Y):
    return float(np.linalg.norm(X.T @ Y, axis=1).max() / X.shape[0])


def rel_gap(X, Y, W, alpha):
    """Duality gap of W (p x T) at the rescaled residual, divided by P(0)."""
    n = X.shape[0]
    R = Y - X @ W
    r2 = float(np.vdot(R, R))
    xi = float(np.linalg.norm(X.T @ R, axis=1).max())
    c = min(1.0, n * alpha / xi) if xi > 0 else 1.0
    l21 = float(np.linalg.norm(W, axis=1).sum())
    gap = (r2 / 2 + n * alpha * l21 - c * float(np.vdot(R, Y))
           + c * c * r2 / 2) / n
    return gap / (float(np.vdot(Y, Y)) / (2 * n))


# ---------------------------------------------------------------- solvers --
# Each fit returns (W p x T, seconds of the fit, extra dict).

def fit_sklearn(X, Y, alpha, tol, ctx):
    from sklearn.linear_model import MultiTaskLasso

    m = MultiTaskLasso(alpha=alpha, fit_intercept=False, tol=tol,
                       max_iter=MAX_ITER)
    t0 = time.perf_counter()
    m.fit(X, Y)
    dt = time.perf_counter() - t0
    return m.coef_.T, dt, dict(n_iter=int(m.n_iter_))


def fit_celer(X, Y, alpha, tol, ctx):
    # celer.MultiTaskLasso.fit is broken with scikit-learn >= 1.6; mtl_path is
    # what it calls. Returns (alphas, coefs of shape (T, p, n_alphas), gaps).
    from celer.homotopy import mtl_path

    t0 = time.perf_counter()
    _, coefs, gaps = mtl_path(X, Y, alphas=[alpha], tol=tol, max_iter=1000,
                              max_epochs=50_000, p0=10, prune=True)
    dt = time.perf_counter() - t0
    return coefs[:, :, 0].T, dt, dict(own_gap=float(gaps[0]))


def fit_skglm(X, Y, alpha, tol, ctx):
    from skglm import MultiTaskLasso

    m = MultiTaskLasso(alpha=alpha, fit_intercept=False, tol=tol,
                       max_iter=1000, max_epochs=50_000)
    t0 = time.perf_counter()
    m.fit(X, Y)
    dt = time.perf_counter() - t0
    return m.coef_.T, dt, dict(n_iter=int(m.n_iter_),
                               kkt=float(m.stopping_crit))


def fit_mtreg(X, Y, alpha, tol, ctx):
    with tempfile.TemporaryDirectory(prefix="mtreg-bench-") as tmp:
        coef_csv, model_json = Path(tmp) / "coef.csv", Path(tmp) / "model.json"
        cmd = [ctx["mtreg"], "solve", "--x", ctx["x_csv"], "--y", ctx["y_csv"],
               "--alpha", repr(float(alpha)), "--no-intercept",
               "--tol", repr(float(tol)),
               "--max-iter", str(MAX_ITER), "--out", str(coef_csv),
               "--model", str(model_json), "--no-header", "--force", "--quiet"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=ctx["env"], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines() or [""]
            msg = next((ln for ln in lines if "error" in ln.lower()), lines[0])
            raise RuntimeError(f"mtreg exit {proc.returncode}: {msg.strip()}")
        model = json.loads(model_json.read_text())
        W = np.array(model["coef"], dtype=np.float64).reshape(X.shape[1], -1)
        W_csv = np.loadtxt(coef_csv, delimiter=",", skiprows=1, ndmin=2,
                           usecols=range(1, W.shape[1] + 1))
    extra = dict(wall_s=wall, n_iter=model.get("n_iter"),
                 converged=model.get("converged"),
                 certificate=model.get("certificate"),
                 coef_csv_matches_json=bool(np.allclose(W_csv, W, rtol=1e-12,
                                                        atol=0)))
    return W, float(model["seconds"]), extra


SOLVERS = {"sklearn": fit_sklearn, "celer": fit_celer, "skglm": fit_skglm,
           "mtreg": fit_mtreg}


def start_tol(solver, alpha):
    """Loosest tol that nominally gives rel_gap <= 1e-6.

    sklearn, celer and mtreg stop when gap <= tol * ||Y||^2 / n, i.e.
    rel_gap <= 2 tol. skglm stops when the largest KKT violation (gradient
    units, like alpha) is <= tol; a violation eps moves the rescaled dual
    point by ~eps/alpha, hence a tol proportional to alpha. Measured on
    meg_like at ratio 0.01: tol = 1e-3 alpha gives rel_gap ~2e-6, 1e-5 alpha
    ~4e-8; starting at 1e-4 alpha keeps the calibrated tol close to the
    loosest one that passes.
    """
    if solver == "skglm":
        return 1e-4 * alpha
    return REL_GAP_TARGET / 2


def warm_up(solver):
    """Import and JIT-compile on a toy problem so no measured run pays for it."""
    if solver == "mtreg":
        return
    rng = np.random.default_rng(0)
    X = np.asfortranarray(rng.standard_normal((20, 30)))
    Y = np.asfortranarray(rng.standard_normal((20, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SOLVERS[solver](X, Y, 0.1 * alpha_max(X, Y), 1e-6, None)


# ----------------------------------------------------------------- runner --

def run_one(solver, X, Y, alpha, ctx, repeats):
    """Calibrate tol, then time `repeats` runs. Never raises."""
    fit = SOLVERS[solver]
    res = dict(solver=solver, status="ok", tol_steps=0, calibration=[])

    def call(tol):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            W, secs, extra = fit(X, Y, alpha, tol, ctx)
        g = rel_gap(X, Y, W, alpha)
        extra["warnings"] = sorted({w.category.__name__ for w in caught})
        return W, secs, g, extra

    try:
        tol = start_tol(solver, alpha)
        for step in range(MAX_TOL_STEPS + 1):
            W, secs, g, extra = call(tol)
            res["calibration"].append(dict(tol=tol, seconds=secs, rel_gap=g))
            log(f"    {solver:7s} tol={tol:.3g}  {secs:9.4f}s  rel_gap={g:.2e}")
            if g <= REL_GAP_TARGET:
                break
            if step < MAX_TOL_STEPS:
                tol /= math.sqrt(10)
        res.update(tol=tol, tol_steps=step, tol_over_alpha=tol / alpha)
        if g > REL_GAP_TARGET:
            res.update(status="gap not reached", seconds=secs, rel_gap=g,
                       nnz_rows=int(np.count_nonzero(np.linalg.norm(W, axis=1))),
                       extra=extra)
            return res
        samples = [(W, secs, g, extra)] if secs >= REUSE_CALIBRATION_S else []
        while len(samples) < repeats:
            samples.append(call(tol))
            log(f"    {solver:7s} timed     {samples[-1][1]:9.4f}s  "
                f"rel_gap={samples[-1][2]:.2e}")
        W, _, _, extra = samples[-1]
        gaps = [s[2] for s in samples]
        res.update(times=[s[1] for s in samples],
                   seconds=statistics.median(s[1] for s in samples),
                   rel_gap=max(gaps),
                   nnz_rows=int(np.count_nonzero(np.linalg.norm(W, axis=1))),
                   extra=extra)
        if solver == "mtreg":
            res["walls"] = [s[3]["wall_s"] for s in samples]
            res["wall_seconds"] = statistics.median(res["walls"])
        if max(gaps) > REL_GAP_TARGET:
            res["status"] = "gap not reached (timed run)"
    except Exception as e:  # report, do not crash the suite
        res.update(status=f"error: {type(e).__name__}: {str(e)[:120]}")
        res["traceback"] = traceback.format_exc()
        log(f"    {solver:7s} {res['status']}")
    return res


# ------------------------------------------------------------ environment --

def machine():
    model, cores = platform.processor() or "?", None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, val = line.partition(":")
                if key.strip() == "model name":
                    model = val.strip()
                elif key.strip() == "cpu cores" and cores is None:
                    cores = int(val)
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return dict(cpu=model, logical_cpus=os.cpu_count(), usable_cpus=usable,
                physical_cores_per_socket=cores, platform=platform.platform())


def versions(mtreg_path):
    v = dict(python=platform.python_version())
    for mod in ("numpy", "sklearn", "celer", "skglm", "numba", "threadpoolctl"):
        try:
            v[mod] = __import__(mod).__version__
        except Exception:
            v[mod] = None
    try:
        from threadpoolctl import threadpool_info

        v["blas"] = sorted({f"{i.get('internal_api')} {i.get('version')}"
                            for i in threadpool_info()
                            if i.get("user_api") == "blas"})
    except Exception:
        pass
    try:
        out = subprocess.run([mtreg_path, "--version"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
        mtime = time.strftime("%Y-%m-%d %H:%M:%S",
                              time.localtime(os.path.getmtime(mtreg_path)))
        v["mtreg"] = f"{out or '?'} (binary built {mtime})"
    except Exception:
        v["mtreg"] = "not available"
    return v


def set_python_threads(k):
    from threadpoolctl import threadpool_limits

    limiter = threadpool_limits(limits=k)
    try:
        import numba

        numba.set_num_threads(min(k, numba.config.NUMBA_NUM_THREADS))
    except ImportError:
        pass
    return limiter


# ------------------------------------------------------------------ table --

def fmt_time(s):
    return "-" if s is None else (f"{s:.4f}" if s < 1 else f"{s:.3f}")


def markdown(rows):
    head = ["problem", "n x p x T", "alpha/alpha_max", "solver", "tol",
            "time (s)", "mtreg wall incl. IO (s)", "rel gap", "nnz rows",
            "time / mtreg", "note"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        ok = r["status"] == "ok"
        ref = r.get("mtreg_seconds")
        ratio = (f"{r['seconds'] / ref:.2f}" if ok and ref else "-")
        notes = [] if ok else [r["status"]]
        if r.get("tol_steps"):
            notes.append(f"{r['tol_steps']} tol step(s)")
        ex = r.get("extra") or {}
        if ex.get("warnings"):
            notes.append(",".join(ex["warnings"]))
        if r["solver"] == "mtreg" and ex.get("converged") is False:
            notes.append("mtreg reports not converged")
        if r["solver"] == "mtreg" and ex.get("coef_csv_matches_json") is False:
            notes.append("COEF.csv != MODEL.json coef")
        cells = [r["problem"], r["shape"], f"{r['ratio']:g}", r["solver"],
                 f"{r['tol']:.3g}" if "tol" in r else "-",
                 fmt_time(r.get("seconds")) if ok or "seconds" in r else "-",
                 fmt_time(r.get("wall_seconds")) if r["solver"] == "mtreg" else "",
                 f"{r['rel_gap']:.1e}" if "rel_gap" in r else "-",
                 str(r.get("nnz_rows", "-")), ratio, "; ".join(notes)]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


# ------------------------------------------------------------------- main --

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--problems", help="comma list of " + ",".join(PROBLEMS))
    ap.add_argument("--ratios", help="comma list of alpha/alpha_max "
                    "(default 0.1,0.01)")
    ap.add_argument("--solvers", default=",".join(ALL_SOLVERS))
    ap.add_argument("--quick", action="store_true",
                    help="only small and meg_like at ratio 0.1")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data-dir", type=Path, default=REPO / "bench-data")
    ap.add_argument("--mtreg", default=str(REPO / "target/release/mtreg"))
    ap.add_argument("--regen", action="store_true",
                    help="rewrite the CSV files even if present")
    ap.add_argument("--json", type=Path, help="write raw results here")
    args = ap.parse_args(argv)

    problems = ["small", "meg_like"] if args.quick else list(PROBLEMS)
    if args.problems:
        problems = args.problems.split(",")
    ratios = [0.1] if args.quick else list(RATIOS)
    if args.ratios:
        ratios = [float(r) for r in args.ratios.split(",")]
    solvers = args.solvers.split(",")
    for name, valid in (("problem", PROBLEMS), ("solver", ALL_SOLVERS)):
        bad = [x for x in (problems if name == "problem" else solvers)
               if x not in valid]
        if bad:
            ap.error(f"unknown {name}(s) {bad}; choose from {list(valid)}")
    # mtreg last: its time is the reference for the ratio column
    solvers = sorted(solvers, key=lambda s: s == "mtreg")

    k = str(args.threads)
    env = dict(os.environ, OMP_NUM_THREADS=k, OPENBLAS_NUM_THREADS=k,
               MKL_NUM_THREADS=k, RAYON_NUM_THREADS=k)
    mach, vers = machine(), versions(args.mtreg)
    limiter = set_python_threads(args.threads)
    for s in solvers:
        try:
            warm_up(s)
        except Exception as e:
            log(f"warm-up of {s} failed: {e}")

    rows, infos = [], {}
    for name in problems:
        X, Y, info = materialise(name, args.data_dir, args.regen)
        amax = alpha_max(X, Y)
        info["alpha_max"] = amax
        infos[name] = info
        ctx = dict(mtreg=args.mtreg, x_csv=info["x_csv"], y_csv=info["y_csv"],
                   env=env)
        for ratio in ratios:
            alpha = ratio * amax
            log(f"[{name}] {info['n']}x{info['p']}x{info['T']} "
                f"alpha = {ratio:g} * alpha_max = {alpha:.6g}")
            group = []
            for s in solvers:
                r = run_one(s, X, Y, alpha, ctx, args.repeats)
                r.update(problem=name, ratio=ratio, alpha=alpha,
                         shape=f"{info['n']} x {info['p']} x {info['T']}")
                group.append(r)
            ref = next((r for r in group
                        if r["solver"] == "mtreg" and r["status"] == "ok"), None)
            for r in group:
                r["mtreg_seconds"] = ref["seconds"] if ref else None
            rows.extend(group)
    limiter.restore_original_limits()
    if "mtreg" in solvers and versions(args.mtreg).get("mtreg") != vers["mtreg"]:
        log("WARNING: the mtreg binary changed during the run; rerun to get "
            "consistent mtreg rows")

    print(f"Machine: {mach['cpu']}, {mach['logical_cpus']} logical CPUs "
          f"({mach['usable_cpus']} usable), threads per solver: {args.threads}")
    print("Versions: " + ", ".join(f"{k}={v}" for k, v in vers.items()))
    print(f"Target: independent rel gap <= {REL_GAP_TARGET:g}; time = median "
          f"of {args.repeats} fits at the calibrated tol\n")
    print(markdown(rows))

    if args.json:
        args.json.write_text(json.dumps(
            dict(machine=mach, versions=vers, threads=args.threads,
                 rel_gap_target=REL_GAP_TARGET, repeats=args.repeats,
                 problems=infos, results=rows), indent=1, default=str))
        log(f"raw results written to {args.json}")


if __name__ == "__main__":
    main()

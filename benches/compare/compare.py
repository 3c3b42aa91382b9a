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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import families  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
REL_GAP_TARGET = 1e-6
MAX_TOL_STEPS = 6            # tol is divided by sqrt(10) at most this many times
REUSE_CALIBRATION_S = 10.0   # a final calibration run this long counts as a sample
RATIOS = (0.1, 0.01)
ALL_SOLVERS = ("sklearn", "celer", "skglm", "mtreg")
MAX_ITER = 100_000           # sklearn / mtreg iteration cap (only tol should stop them)
PATH_PROBLEM = "meg_like"    # the path benchmark's data
PATH_N_ALPHAS = 20           # the alpha grid of docs/objective.md: geometric alpha_max -> eps * alpha_max
PATH_EPS = 1e-2
MB = 1e6                     # RSS and matrix sizes are reported in 10^6 bytes
RSS_SLACK = (1.2, 50 * MB)   # target: peak RSS <= 1.2 * (X + Y as f64) + 50 MB


CLOCK = {"name": "wall"}   # set by --clock


def fit_clock():
    """The clock fits are timed with: wall (perf_counter) or, with --clock cpu,
    this process's CPU time (process_time: the peers run on one thread, so it
    is their thread's time, little disturbed by other processes' load)."""
    return time.process_time() if CLOCK["name"] == "cpu" else time.perf_counter()


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


def nnz_rows(W):
    return int(np.count_nonzero(np.linalg.norm(W, axis=1)))


def path_grid(amax):
    """docs/objective.md / scikit-learn `_alpha_grid`: geometric, alpha_max first."""
    return np.geomspace(amax, amax * PATH_EPS, PATH_N_ALPHAS)


# ---------------------------------------------------------------- solvers --
# A single fit returns (W p x T, seconds of the fit, extra dict); a path fit
# returns ([(alpha, W), ...] in the order solved, seconds, extra dict).

def fit_sklearn(X, Y, alpha, tol, ctx):
    from sklearn.linear_model import MultiTaskLasso

    m = MultiTaskLasso(alpha=alpha, fit_intercept=False, tol=tol,
                       max_iter=MAX_ITER)
    t0 = fit_clock()
    m.fit(X, Y)
    dt = fit_clock() - t0
    return m.coef_.T, dt, dict(n_iter=int(m.n_iter_))


def path_sklearn(X, Y, alphas, tol, ctx):
    # One estimator refitted down the grid: warm_start=True starts each fit
    # from the previous coef_.
    from sklearn.linear_model import MultiTaskLasso

    m = MultiTaskLasso(alpha=alphas[0], fit_intercept=False, tol=tol,
                       max_iter=MAX_ITER, warm_start=True)
    out, iters = [], []
    t0 = fit_clock()
    for a in alphas:
        m.set_params(alpha=a)
        m.fit(X, Y)
        out.append((a, m.coef_.T.copy()))
        iters.append(int(m.n_iter_))
    dt = fit_clock() - t0
    return out, dt, dict(n_iter=iters)


def fit_celer(X, Y, alpha, tol, ctx):
    # celer.MultiTaskLasso.fit is broken with scikit-learn >= 1.6; mtl_path is
    # what it calls. Returns (alphas, coefs of shape (T, p, n_alphas), gaps).
    from celer.homotopy import mtl_path

    t0 = fit_clock()
    _, coefs, gaps = mtl_path(X, Y, alphas=[alpha], tol=tol, max_iter=1000,
                              max_epochs=50_000, p0=10, prune=True)
    dt = fit_clock() - t0
    return coefs[:, :, 0].T, dt, dict(own_gap=float(gaps[0]))


def path_celer(X, Y, alphas, tol, ctx):
    from celer.homotopy import mtl_path  # warm-starts along the grid itself

    t0 = fit_clock()
    _, coefs, gaps = mtl_path(X, Y, alphas=alphas, tol=tol, max_iter=1000,
                              max_epochs=50_000, p0=10, prune=True)
    dt = fit_clock() - t0
    return ([(a, coefs[:, :, k].T) for k, a in enumerate(alphas)], dt,
            dict(own_gap=[float(g) for g in gaps]))


def fit_skglm(X, Y, alpha, tol, ctx):
    from skglm import MultiTaskLasso

    m = MultiTaskLasso(alpha=alpha, fit_intercept=False, tol=tol,
                       max_iter=1000, max_epochs=50_000)
    t0 = fit_clock()
    m.fit(X, Y)
    dt = fit_clock() - t0
    return m.coef_.T, dt, dict(n_iter=int(m.n_iter_),
                               kkt=float(m.stopping_crit))


def path_skglm(X, Y, alphas, tol, ctx):
    # MultiTaskLasso.path runs MultiTaskBCD.path: each alpha starts from the
    # previous solution. coefs is (T, p, n_alphas) (its docstring says
    # (p, T, n_alphas)).
    from skglm import MultiTaskLasso

    m = MultiTaskLasso(alpha=alphas[0], fit_intercept=False, tol=tol,
                       max_iter=1000, max_epochs=50_000)
    t0 = fit_clock()
    _, coefs, crits = m.path(X, Y, alphas)
    dt = fit_clock() - t0
    return ([(a, coefs[:, :, k].T) for k, a in enumerate(alphas)], dt,
            dict(kkt=[float(c) for c in crits]))


TIME_BIN = "/usr/bin/time"   # GNU time: peak RSS of the mtreg process


def run_mtreg(cmd, env):
    """Run the CLI; return (wall seconds, peak RSS bytes or None). Raises on
    failure.

    Peak RSS is GNU time's %M (the "Maximum resident set size" of
    `/usr/bin/time -v`). It is read through GNU time rather than wait4() here
    because a child forked from this Python process keeps the parent's
    pre-exec RSS in its ru_maxrss. Without /usr/bin/time, RSS is not measured.
    """
    use_time = os.access(TIME_BIN, os.X_OK)
    with tempfile.TemporaryDirectory(prefix="mtreg-rss-") as tmp:
        rss_file = Path(tmp) / "rss"
        wrap = [TIME_BIN, "-f", "%M", "-o", str(rss_file)] if use_time else []
        t0 = time.perf_counter()
        proc = subprocess.run(wrap + cmd, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            lines = proc.stderr.strip().splitlines() or [""]
            msg = next((ln for ln in lines if "error" in ln.lower()), lines[0])
            raise RuntimeError(f"mtreg exit {proc.returncode}: {msg.strip()}")
        rss = int(rss_file.read_text().split()[-1]) * 1024 if use_time else None
    return wall, rss


def mtreg_common(ctx, tol):
    return ["--x", ctx["x_csv"], "--y", ctx["y_csv"], "--no-intercept",
            "--tol", repr(float(tol)), "--max-iter", str(MAX_ITER),
            "--no-header", "--force", "--quiet"]


def fit_mtreg(X, Y, alpha, tol, ctx):
    with tempfile.TemporaryDirectory(prefix="mtreg-bench-") as tmp:
        coef_csv, model_json = Path(tmp) / "coef.csv", Path(tmp) / "model.json"
        cmd = [ctx["mtreg"], "solve", *mtreg_common(ctx, tol),
               "--alpha", repr(float(alpha)), "--out", str(coef_csv),
               "--model", str(model_json)]
        wall, rss = run_mtreg(cmd, ctx["env"])
        model = json.loads(model_json.read_text())
        W = np.array(model["coef"], dtype=np.float64).reshape(X.shape[1], -1)
        W_csv = np.loadtxt(coef_csv, delimiter=",", skiprows=1, ndmin=2,
                           usecols=range(1, W.shape[1] + 1))
    extra = dict(wall_s=wall, rss_bytes=rss, n_iter=model.get("n_iter"),
                 converged=model.get("converged"), gram=model.get("gram"),
                 certificate=model.get("certificate"),
                 coef_csv_matches_json=bool(np.allclose(W_csv, W, rtol=1e-12,
                                                        atol=0)))
    return W, float(model["seconds"]), extra


def path_mtreg(X, Y, alphas, tol, ctx):
    # `mtreg path` has no --alphas: it builds the same grid (docs/objective.md) from its
    # own alpha_max (--n-alphas/--eps). Each point is verified at the alpha
    # mtreg actually used (alphas.csv); main() checks that the grids agree.
    p, T = X.shape[1], Y.shape[1]
    with tempfile.TemporaryDirectory(prefix="mtreg-path-") as tmp:
        cmd = [ctx["mtreg"], "path", *mtreg_common(ctx, tol),
               "--n-alphas", str(PATH_N_ALPHAS), "--eps", repr(PATH_EPS),
               "--out-dir", tmp]
        wall, rss = run_mtreg(cmd, ctx["env"])
        model = json.loads((Path(tmp) / "model.json").read_text())
        feat = {f: j for j, f in enumerate(model["feature_names"])}
        task = {t: k for k, t in enumerate(model["task_names"])}
        with open(Path(tmp) / "alphas.csv") as f:
            keys = [ln.split(",", 1)[0] for ln in f.read().splitlines()[1:]]
        Ws = {k: np.zeros((p, T)) for k in keys}
        with open(Path(tmp) / "coefs.csv") as f:
            next(f)
            for ln in f:
                a, fe, ta, v = ln.rstrip("\n").split(",")
                Ws[a][feat[fe], task[ta]] = float(v)
    pts = model["points"]
    extra = dict(wall_s=wall, rss_bytes=rss, alphas=[float(k) for k in keys],
                 n_iter=[q["n_iter"] for q in pts],
                 converged=all(q["converged"] for q in pts),
                 certificate=[q["certificate"]["value"] for q in pts])
    return [(float(k), Ws[k]) for k in keys], float(model["seconds"]), extra


WARM_FIT_REPEATS = 3


def run_warm_fit(ctx, args):
    """benches/warm_fit.rs: one untimed fit, then WARM_FIT_REPEATS timed fits,
    in a process that has read the CSVs (the peers' warm-process treatment:
    they are timed fit after fit in one Python process); the median of the
    timed fits is this sample. One timed fit per process was noisy at the
    5-15 ms scale (up to 1.4x between runs of one draw). Returns
    (seconds, coefficients as a flat array, report dict, wall)."""
    with tempfile.TemporaryDirectory(prefix="mtreg-warm-") as tmp:
        w_out, js = Path(tmp) / "w.f64", Path(tmp) / "out.json"
        cmd = [ctx["warm_fit"], "--x", ctx["x_csv"], "--y", ctx["y_csv"],
               "--max-iter", str(MAX_ITER), "--repeats", str(WARM_FIT_REPEATS),
               "--threads", str(ctx.get("mtreg_threads", 1)),
               "--w-out", str(w_out), "--json", str(js), *args]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=ctx["env"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"warm_fit exit {proc.returncode}: "
                               f"{proc.stderr.strip()[-200:]}")
        out = json.loads(js.read_text())
        w = np.fromfile(w_out, dtype="<f8")
    times = out["cpu_times"] if CLOCK["name"] == "cpu" else out["times"]
    report = dict(out["report"], wall_fit_s=float(np.median(out["times"])),
                  cpu_fit_s=(float(np.median(out["cpu_times"]))
                             if None not in out["cpu_times"] else None))
    return float(np.median(times)), w, report, wall


def fit_mtreg_warm(X, Y, alpha, tol, ctx):
    secs, w, report, wall = run_warm_fit(
        ctx, ["--alpha", repr(float(alpha)), "--tol", repr(float(tol))])
    W = w.reshape(X.shape[1], Y.shape[1])
    extra = dict(wall_s=wall, rss_bytes=None, **report)
    return W, secs, extra


def path_mtreg_warm(X, Y, alphas, tol, ctx):
    secs, w, report, wall = run_warm_fit(
        ctx, ["--alphas", ",".join(repr(float(a)) for a in alphas),
              "--tol", repr(float(tol))])
    p, T = X.shape[1], Y.shape[1]
    Ws = w.reshape(len(alphas), p, T)
    used = report.pop("alphas")
    extra = dict(wall_s=wall, rss_bytes=None, alphas=used, **report)
    return [(float(a), Ws[k]) for k, a in enumerate(used)], secs, extra


SOLVERS = {"sklearn": fit_sklearn, "celer": fit_celer, "skglm": fit_skglm,
           "mtreg": fit_mtreg}
PATH_SOLVERS = {"sklearn": path_sklearn, "celer": path_celer,
                "skglm": path_skglm, "mtreg": path_mtreg}


def start_tol(solver, alpha):
    """Loosest tol that nominally gives rel_gap <= 1e-6.

    sklearn, celer and mtreg stop when gap <= tol * ||Y||^2 / n, i.e.
    rel_gap <= 2 tol. skglm stops when the largest KKT violation (gradient
    units, like alpha) is <= tol; a violation eps moves the rescaled dual
    point by ~eps/alpha, hence a tol proportional to alpha. Measured on
    meg_like at ratio 0.01: tol = 1e-3 alpha gives rel_gap ~2e-6, 1e-5 alpha
    ~4e-8; starting at 1e-4 alpha keeps the calibrated tol close to the
    loosest one that passes. For a path, alpha is the smallest on the grid
    (one tol for the whole path).
    """
    if solver == "skglm":
        return 1e-4 * alpha
    return REL_GAP_TARGET / 2


def warm_up(solver, path=False):
    """Import and JIT-compile on a toy problem so no measured run pays for it."""
    if solver == "mtreg":
        return
    rng = np.random.default_rng(0)
    X = np.asfortranarray(rng.standard_normal((20, 30)))
    Y = np.asfortranarray(rng.standard_normal((20, 2)))
    a = alpha_max(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SOLVERS[solver](X, Y, 0.1 * a, 1e-6, None)
        if path:
            PATH_SOLVERS[solver](X, Y, [a, 0.3 * a, 0.1 * a], 1e-6, None)


# ----------------------------------------------------------------- runner --

SLOW_PEER = 3.0   # a peer this many times slower than the fastest so far is timed once
# A noisy second of this VM moves 2 of 3 consecutive samples by up to 1.5x
# (a 7 ms fit read 11.3, 11.9, 7.9 ms): samples spread by more than this
# (max / min) get up to EXTRA_SAMPLES more, for every solver alike, and the
# median is taken over all of them.
NOISY_SPREAD = 1.25
EXTRA_SAMPLES = 2


def run_one(solver, fit, check, tol0, repeats, fastest=None):
    """Calibrate tol, then time `repeats` runs. Never raises.

    `fastest`: the fastest peer's median time on this problem so far; a peer
    whose calibrated run takes more than SLOW_PEER times that cannot be the
    fastest, and that run is its only sample (noted), which bounds the run
    time of the harness on problems where one peer takes minutes.

    fit(tol) -> (result, seconds, extra); check(result) -> (rel_gap, nnz
    rows, per-point gaps or None). For a path, rel_gap is the largest over
    the grid and nnz rows is the count at the smallest alpha.
    """
    res = dict(solver=solver, status="ok", tol_steps=0, calibration=[])

    def call(tol):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out, secs, extra = fit(tol)
        g, nnz, gaps = check(out)
        extra["warnings"] = sorted({w.category.__name__ for w in caught})
        if gaps is not None:
            extra["rel_gaps"] = gaps
        return nnz, secs, g, extra

    try:
        tol = tol0
        for step in range(MAX_TOL_STEPS + 1):
            nnz, secs, g, extra = call(tol)
            res["calibration"].append(dict(tol=tol, seconds=secs, rel_gap=g))
            log(f"    {solver:7s} tol={tol:.3g}  {secs:9.4f}s  rel_gap={g:.2e}")
            if g <= REL_GAP_TARGET:
                break
            if step < MAX_TOL_STEPS:
                tol /= math.sqrt(10)
        res.update(tol=tol, tol_steps=step)
        if g > REL_GAP_TARGET:
            res.update(status="gap not reached", seconds=secs, rel_gap=g,
                       nnz_rows=nnz, extra=extra)
            return res
        samples = [(nnz, secs, g, extra)] if secs >= REUSE_CALIBRATION_S else []
        if fastest is not None and solver != "mtreg" and secs > SLOW_PEER * fastest:
            samples = [(nnz, secs, g, extra)]
            res["single_sample"] = True
        while len(samples) < repeats and not res.get("single_sample"):
            samples.append(call(tol))
            log(f"    {solver:7s} timed     {samples[-1][1]:9.4f}s  "
                f"rel_gap={samples[-1][2]:.2e}")
        spread = lambda: max(s[1] for s in samples) / max(min(s[1] for s in samples), 1e-12)
        extra_left = EXTRA_SAMPLES if len(samples) >= 2 else 0
        while extra_left > 0 and spread() > NOISY_SPREAD:
            samples.append(call(tol))
            extra_left -= 1
            log(f"    {solver:7s} timed     {samples[-1][1]:9.4f}s  "
                f"rel_gap={samples[-1][2]:.2e}  (samples spread)")
        nnz, _, _, extra = samples[-1]
        gaps = [s[2] for s in samples]
        res.update(times=[s[1] for s in samples],
                   seconds=statistics.median(s[1] for s in samples),
                   rel_gap=max(gaps), nnz_rows=nnz, extra=extra)
        if solver == "mtreg":
            res["walls"] = [s[3]["wall_s"] for s in samples]
            res["wall_seconds"] = statistics.median(res["walls"])
            rss = [s[3]["rss_bytes"] for s in samples]
            if None not in rss:
                res["rss_bytes"] = max(rss)
        if max(gaps) > REL_GAP_TARGET:
            res["status"] = "gap not reached (timed run)"
    except Exception as e:  # report, do not crash the suite
        res.update(status=f"error: {type(e).__name__}: {str(e)[:120]}")
        res["traceback"] = traceback.format_exc()
        log(f"    {solver:7s} {res['status']}")
    return res


def run_single(solver, X, Y, alpha, ctx, repeats, fastest=None):
    def check(W):
        return rel_gap(X, Y, W, alpha), nnz_rows(W), None

    r = run_one(solver, lambda tol: SOLVERS[solver](X, Y, alpha, tol, ctx),
                check, start_tol(solver, alpha), repeats, fastest)
    if "tol" in r:
        r["tol_over_alpha"] = r["tol"] / alpha
    return r


def run_path(solver, X, Y, alphas, ctx, repeats):
    def check(points):
        if len(points) != len(alphas):
            raise RuntimeError(f"{len(points)} path points, expected "
                               f"{len(alphas)}")
        gaps = [rel_gap(X, Y, W, a) for a, W in points]
        return max(gaps), nnz_rows(points[-1][1]), gaps

    return run_one(solver,
                   lambda tol: PATH_SOLVERS[solver](X, Y, alphas, tol, ctx),
                   check, start_tol(solver, alphas[-1]), repeats)


# --------------------------------------------------------------- roofline --

def _best_time(fn, reps):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts)


def blas_rates(X, T, mode, reps=7):
    """Single-thread BLAS cost of the operations of one BCD epoch.

    residual mode: the epoch streams the columns x_j of X (n x p) against the
    residuals R (n x T); gram mode: the columns q_j of Q = X^T X / n (p x p)
    against G (p x T). Measured with numpy/OpenBLAS limited to one thread:
    - gemv: M^T v on the whole streamed matrix M (X or Q), 2 rows cols flops;
    - dot:  per column c of M, dgemv(S^T c) = the T dots of one row's
      gradient (2 rows(S) T flops), S the cache-resident state (R or G);
    - axpy: per column c, dger(S -= c d^T) = one row's rank-1 state update.
    dot and axpy are Python loops over the columns; the per-call overhead of
    the same calls on 1 x 1 operands is subtracted. Seconds are per call,
    best of `reps` (a ceiling: other load on the machine only slows it).
    """
    from scipy.linalg import blas
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    n, p = X.shape
    M = np.asfortranarray(X.T @ X / n) if mode == "gram" else X
    m = M.shape[0]
    S = np.asfortranarray(rng.standard_normal((m, T)))
    v = rng.standard_normal(m)
    d = rng.standard_normal(T) * 1e-9  # keeps S ~unchanged, no denormals
    cols = [M[:, j] for j in range(M.shape[1])]
    S1, v1, d1 = np.ones((1, 1), order="F"), np.ones(1), np.ones(1)
    ncall = len(cols)

    def dots(S, cs):
        for c in cs:
            blas.dgemv(1.0, S, c, trans=1)

    def axpys(S, cs, d):
        for c in cs:
            blas.dger(-1.0, c, d, a=S, overwrite_a=1)

    with threadpool_limits(limits=1):
        M.T @ v
        gemv_calls = max(1, int(2e8 // (2 * M.size)))  # ~0.1 s per sample
        t_gemv = _best_time(
            lambda: [M.T @ v for _ in range(gemv_calls)], reps) / gemv_calls
        t_gemv0 = _best_time(
            lambda: [S1.T @ v1 for _ in range(gemv_calls)], reps) / gemv_calls
        t_gemv = max(t_gemv - t_gemv0, 1e-12)
        dots(S, cols)
        t_dot = _best_time(lambda: dots(S, cols), reps) / ncall
        t_dot0 = _best_time(lambda: dots(S1, [v1] * ncall), reps) / ncall
        axpys(S, cols, d)
        t_axpy = _best_time(lambda: axpys(S, cols, d), reps) / ncall
        t_axpy0 = _best_time(lambda: axpys(S1, [v1] * ncall, d1), reps) / ncall
    # A per-call time that is mostly Python call overhead cannot be measured
    # by subtraction (the difference is noise, possibly negative): report it
    # as unmeasured (None) rather than as an absurd rate.
    def net(t, t0):
        return t - t0 if t - t0 > 0.2 * t else None
    t_dot, t_axpy = net(t_dot, t_dot0), net(t_axpy, t_axpy0)
    return dict(mode=mode, state_rows=m, gemv_s=t_gemv,
                gemv_gflops=2 * M.size / t_gemv / 1e9,
                dot_s=t_dot, dot_gflops=2 * m * T / t_dot / 1e9 if t_dot else None,
                axpy_s=t_axpy,
                axpy_gflops=2 * m * T / t_axpy / 1e9 if t_axpy else None,
                call_overhead_s=dict(gemv=t_gemv0, dot=t_dot0, axpy=t_axpy0))


def run_roofline_bench(problems, ratios, data_dir):
    """`cargo bench --bench roofline` (benches/roofline.rs): mtreg's epochs."""
    with tempfile.TemporaryDirectory(prefix="mtreg-roofline-") as tmp:
        out = Path(tmp) / "roofline.json"
        cmd = ["cargo", "bench", "--bench", "roofline", "--",
               "--data-dir", str(data_dir), "--problems", ",".join(problems),
               "--ratios", ",".join(f"{r:g}" for r in ratios),
               "--json", str(out)]
        log("  " + " ".join(cmd))
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
        for ln in (proc.stdout + proc.stderr).strip().splitlines()[-12:]:
            log("    " + ln)
        if proc.returncode != 0:
            raise RuntimeError(f"cargo bench exit {proc.returncode}")
        return json.loads(out.read_text())["epochs"]


def roofline(problems, ratios, data_dir, fits):
    """Rows of the roofline table: mtreg's plain epoch vs the BLAS rates."""
    epochs = run_roofline_bench(problems, ratios, data_dir)
    rates, rows = {}, []
    for e in epochs:
        key = (e["problem"], e["mode"])
        if key not in rates:
            X, _, info = materialise(e["problem"], data_dir, False)
            log(f"  BLAS rates {key[0]} ({key[1]} mode)")
            rates[key] = blas_rates(X, info["T"], e["mode"])
        b = rates[key]
        n, p, T, u = e["n"], e["p"], e["T"], e["rows_moved"]
        if b["axpy_s"] is None or (e["mode"] != "gram" and b["dot_s"] is None):
            t_loop = 0.0  # unmeasured: shown as "-"
        elif e["mode"] == "gram":
            t_loop = u * b["axpy_s"]
        else:
            t_loop = p * b["dot_s"] + u * b["axpy_s"]
        t_gemv = e["flops_per_epoch"] / (b["gemv_gflops"] * 1e9)
        fit = fits.get((e["problem"], e["ratio"]))
        rows.append(dict(e, blas=b, roofline_gemv_s=t_gemv,
                         roofline_loop_s=t_loop,
                         ratio_gemv=e["seconds_per_epoch"] / t_gemv
                         if t_gemv > 0 else None,
                         ratio_loop=e["seconds_per_epoch"] / t_loop
                         if t_loop > 0 else None,
                         fit_seconds=fit["seconds"] if fit else None,
                         fit_n_iter=(fit.get("extra") or {}).get("n_iter")
                         if fit else None))
    return rows


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
    return "-" if s is None else (f"{s:.3g}" if s < 1 else f"{s:.3f}")


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
        if r.get("grid_note"):
            notes.append(r["grid_note"])
        if r.get("single_sample"):
            notes.append(f"one sample (> {SLOW_PEER:g}x the fastest peer)")
        cells = [r["problem"], r["shape"], r["ratio_label"], r["solver"],
                 f"{r['tol']:.3g}" if "tol" in r else "-",
                 fmt_time(r.get("seconds")) if ok or "seconds" in r else "-",
                 fmt_time(r.get("wall_seconds")) if r["solver"] == "mtreg" else "",
                 f"{r['rel_gap']:.1e}" if "rel_gap" in r else "-",
                 str(r.get("nnz_rows", "-")), ratio, "; ".join(notes)]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def fmt_rate(r):
    return f"{r:.2f}" if r is not None else "unmeasured (call overhead)"


def roofline_markdown(rows):
    head = ["problem", "alpha/alpha_max", "mode", "start state", "rows moved",
            "flops/epoch",
            "mtreg s/epoch", "mtreg GFLOP/s", "GEMV roofline s/epoch",
            "ratio", "dot/axpy roofline s/epoch", "ratio",
            "mtreg fit / epoch"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        fe = (f"{r['fit_seconds'] / r['seconds_per_epoch']:.1f} "
              f"({r['fit_n_iter']} WS epochs)" if r["fit_seconds"] else "-")
        cells = [r["problem"], f"{r['ratio']:g}", r["mode"],
                 r.get("state", "solution"), f"{r['rows_moved']} / {r['p']}", f"{r['flops_per_epoch']:.3g}",
                 f"{r['seconds_per_epoch']:.3g}", f"{r['gflops']:.2f}",
                 f"{r['roofline_gemv_s']:.3g}",
                 f"{r['ratio_gemv']:.2f}" if r["ratio_gemv"] else "-",
                 f"{r['roofline_loop_s']:.3g}",
                 f"{r['ratio_loop']:.2f}" if r["ratio_loop"] else "-", fe]
        out.append("| " + " | ".join(cells) + " |")
    rates = {}
    for r in rows:
        rates.setdefault((r["problem"], r["mode"]), r["blas"])
    lines = [f"- {p} ({m}: {'Q = XᵀX/n' if m == 'gram' else 'X'} "
             f"{b['state_rows']} rows streamed, state "
             f"{b['state_rows']} x {next(r['T'] for r in rows if r['problem'] == p)}):"
             f" GEMV {b['gemv_gflops']:.2f}, dot {fmt_rate(b['dot_gflops'])}, "
             f"axpy {fmt_rate(b['axpy_gflops'])} GFLOP/s"
             for (p, m), b in rates.items()]
    return "\n".join(out) + "\n\nSingle-thread BLAS rates:\n" + "\n".join(lines)


def fastest_peer(group):
    """(peer name, ratio fastest peer / mtreg, mtreg row) of one problem."""
    m = next((r for r in group if r["solver"] == "mtreg"), None)
    peers = [r for r in group if r["solver"] != "mtreg" and r["status"] == "ok"]
    if m is None or m["status"] != "ok" or not peers:
        return None, None, m
    best = min(peers, key=lambda r: r["seconds"])
    return best["solver"], best["seconds"] / m["seconds"], m


def draws_markdown(groups):
    """One row per (draw, alpha), worst ratio first; then min / median per
    family and alpha class (0.1 vs 0.01-0.02), worst first."""
    items = []
    for g in groups:
        peer, ratio, m = fastest_peer(g)
        items.append((ratio, peer, m, g[0]))
    head = ["draw", "family", "n x p x T", "rho", "active", "snr",
            "alpha/alpha_max", "mtreg (s)", "nnz rows", "fastest peer",
            "fastest peer / mtreg"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for ratio, peer, m, r in sorted(items, key=lambda it: (
            it[0] is not None, it[0] or 0.0)):
        d = r["draw"]
        cells = [r["data"], d["family"], r["shape"], f"{d['rho']:.2f}",
                 str(d["n_active"]), f"{d['snr']:.2g}", r["ratio_label"],
                 fmt_time(m.get("seconds")) if m else "-",
                 str(m.get("nnz_rows", "-")) if m else "-", peer or "-",
                 f"{ratio:.2f}×" if ratio else
                 (m["status"] if m else "no mtreg")]
        out.append("| " + " | ".join(cells) + " |")
    fam = {}
    for ratio, _, _, r in items:
        cls = "0.1" if abs(r["ratio"] - 0.1) < 1e-12 else "0.01-0.02"
        fam.setdefault((r["draw"]["family"], cls), []).append(ratio)
    head = ["family", "alpha/alpha_max", "draws", "min", "median"]
    summ = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    def key(kv):
        vals = [v for v in kv[1] if v is not None]
        return (len(vals) == len(kv[1]), min(vals) if vals else 0.0)
    for (f, cls), vals in sorted(fam.items(), key=key):
        ok = [v for v in vals if v is not None]
        cells = [f, cls, str(len(vals)),
                 f"{min(ok):.2f}×" if ok else "-",
                 f"{statistics.median(ok):.2f}×" if ok else "-"]
        if len(ok) < len(vals):
            cells[3] += f" ({len(vals) - len(ok)} failed)"
        summ.append("| " + " | ".join(cells) + " |")
    allv = [v for v, *_ in items if v is not None]
    tail = (f"\nAll draws: min {min(allv):.2f}×, median "
            f"{statistics.median(allv):.2f}× over {len(allv)} problem-alphas"
            if allv else "")
    return "\n".join(out) + "\n\nPer family:\n\n" + "\n".join(summ) + tail


def warm_fit_exe():
    """Builds benches/warm_fit.rs (release) and returns its executable."""
    cmd = ["cargo", "bench", "--bench", "warm_fit", "--no-run",
           "--message-format=json"]
    log("  " + " ".join(cmd))
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    for ln in proc.stdout.splitlines():
        try:
            msg = json.loads(ln)
        except ValueError:
            continue
        if (msg.get("reason") == "compiler-artifact" and msg.get("executable")
                and msg["target"]["name"] == "warm_fit"):
            return msg["executable"]
    raise RuntimeError("could not build the warm_fit bench:\n"
                       + proc.stderr[-2000:])


def rss_markdown(rows, infos):
    head = ["problem", "alpha/alpha_max", "X + Y as f64 (MB)",
            "peak RSS (MB)", "RSS / (X + Y)", "target (MB)", "within target"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if r["solver"] != "mtreg" or "rss_bytes" not in r:
            continue
        info = infos[r["data"]]
        size = 8 * info["n"] * (info["p"] + info["T"])
        target = RSS_SLACK[0] * size + RSS_SLACK[1]
        cells = [r["problem"], r["ratio_label"], f"{size / MB:.1f}",
                 f"{r['rss_bytes'] / MB:.1f}", f"{r['rss_bytes'] / size:.2f}",
                 f"{target / MB:.1f}",
                 "yes" if r["rss_bytes"] <= target else "**no**"]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) if len(out) > 2 else ""


# ------------------------------------------------------------------- main --

def default_mtreg():
    target = os.environ.get("CARGO_TARGET_DIR")
    return str(Path(target) / "release/mtreg" if target
               else REPO / "target/release/mtreg")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--problems", help="comma list of " + ",".join(PROBLEMS)
                    + ",path (path: the 20-alpha path on meg_like)")
    ap.add_argument("--ratios", help="comma list of alpha/alpha_max "
                    "(default 0.1,0.01)")
    ap.add_argument("--solvers", default=",".join(ALL_SOLVERS))
    ap.add_argument("--quick", action="store_true",
                    help="only small and meg_like at ratio 0.1")
    ap.add_argument("--roofline", action="store_true",
                    help="also measure mtreg's plain epoch (cargo bench "
                    "--bench roofline) against the BLAS rates (on in the "
                    "full suite)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data-dir", type=Path, default=REPO / "bench-data")
    ap.add_argument("--mtreg", default=default_mtreg(),
                    help="mtreg binary (default: $CARGO_TARGET_DIR/release/"
                    "mtreg, else target/release/mtreg)")
    ap.add_argument("--regen", action="store_true",
                    help="rewrite the CSV files even if present")
    ap.add_argument("--json", type=Path, help="write raw results here")
    ap.add_argument("--draws", type=int, default=0,
                    help="also time N problems drawn at random from the "
                    "families of families.py (round robin), at 0.1 and at a "
                    "random ratio in [0.01, 0.02]")
    ap.add_argument("--seed", type=int,
                    help="seed of the draws (default: a fresh one, printed)")
    ap.add_argument("--families", help="comma list of families to draw from "
                    "(default all)")
    ap.add_argument("--keep-draws", action="store_true",
                    help="keep the CSVs of the draws (default: deleted after "
                    "each draw; the seed regenerates them)")
    ap.add_argument("--mtreg-timing", choices=("warm", "cli"), default="warm",
                    help="warm: benches/warm_fit.rs times library fits in a "
                    "warm process, as the peers are timed (default); cli: the "
                    "`seconds` of a fresh `mtreg solve` process (and its peak "
                    "RSS)")
    ap.add_argument("--warm-fit", help="the warm_fit bench executable "
                    "(default: built with cargo bench --no-run)")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="time fits by wall clock (default) or by CPU time of "
                    "the fitting thread/process (single thread only; robust "
                    "to other load on a shared machine; mtreg: warm timing "
                    "only)")
    args = ap.parse_args(argv)
    CLOCK["name"] = args.clock
    if args.clock == "cpu" and (args.threads != 1 or args.mtreg_timing != "warm"):
        ap.error("--clock cpu needs --threads 1 and --mtreg-timing warm")

    full = not args.quick and not args.problems and not args.draws
    problems = ["small", "meg_like"] if args.quick else list(PROBLEMS) + ["path"]
    if args.draws and not args.problems:
        problems = []
    if args.problems:
        problems = args.problems.split(",")
    ratios = [0.1] if args.quick else list(RATIOS)
    if args.ratios:
        ratios = [float(r) for r in args.ratios.split(",")]
    solvers = args.solvers.split(",")
    for name, valid in (("problem", list(PROBLEMS) + ["path"]),
                        ("solver", ALL_SOLVERS)):
        bad = [x for x in (problems if name == "problem" else solvers)
               if x not in valid]
        if bad:
            ap.error(f"unknown {name}(s) {bad}; choose from {list(valid)}")
    do_path = "path" in problems
    problems = [p for p in problems if p != "path"]
    do_roofline = args.roofline or full
    # mtreg last: its time is the reference for the ratio column
    solvers = sorted(solvers, key=lambda s: s == "mtreg")

    k = str(args.threads)
    # mtreg solve/path have no thread option and fit sequentially; the env
    # variables only matter if that changes. Its CSV reader uses every core
    # it may run on (wall column only).
    env = dict(os.environ, OMP_NUM_THREADS=k, OPENBLAS_NUM_THREADS=k,
               MKL_NUM_THREADS=k, RAYON_NUM_THREADS=k)
    warm_exe = None
    if "mtreg" in solvers and args.mtreg_timing == "warm":
        warm_exe = args.warm_fit or warm_fit_exe()
        SOLVERS["mtreg"] = fit_mtreg_warm
        PATH_SOLVERS["mtreg"] = path_mtreg_warm
    mach, vers = machine(), versions(args.mtreg)
    if warm_exe:
        vers["mtreg"] = f"warm_fit bench {warm_exe}"
    limiter = set_python_threads(args.threads)
    for s in solvers:
        try:
            warm_up(s, path=do_path)
        except Exception as e:
            log(f"warm-up of {s} failed: {e}")

    rows, infos = [], {}

    def data(name):
        X, Y, info = materialise(name, args.data_dir, args.regen)
        info["alpha_max"] = alpha_max(X, Y)
        infos[name] = info
        ctx = dict(mtreg=args.mtreg, x_csv=info["x_csv"], y_csv=info["y_csv"],
                   env=env, warm_fit=warm_exe)
        return X, Y, info, ctx

    def finish(group):
        ref = next((r for r in group
                    if r["solver"] == "mtreg" and r["status"] == "ok"), None)
        for r in group:
            r["mtreg_seconds"] = ref["seconds"] if ref else None
        rows.extend(group)

    for name in problems:
        X, Y, info, ctx = data(name)
        amax = info["alpha_max"]
        for ratio in ratios:
            alpha = ratio * amax
            log(f"[{name}] {info['n']}x{info['p']}x{info['T']} "
                f"alpha = {ratio:g} * alpha_max = {alpha:.6g}")
            group = []
            for s in solvers:
                ok = [g["seconds"] for g in group if g["status"] == "ok"]
                r = run_single(s, X, Y, alpha, ctx, args.repeats,
                               min(ok) if ok else None)
                r.update(problem=name, data=name, ratio=ratio,
                         ratio_label=f"{ratio:g}", alpha=alpha,
                         shape=f"{info['n']} x {info['p']} x {info['T']}")
                group.append(r)
            finish(group)

    draw_rows, draw_seed = [], None
    if args.draws:
        draw_seed = (args.seed if args.seed is not None
                     else int(np.random.SeedSequence().entropy % 2**32))
        log(f"[draws] {args.draws} draws, seed {draw_seed} (replay: --draws "
            f"{args.draws} --seed {draw_seed}"
            + (f" --families {args.families}" if args.families else "") + ")")
        fams = args.families.split(",") if args.families else None
        for i, params in enumerate(families.draws(args.draws, draw_seed, fams)):
            name = f"draw{i}"
            d = args.data_dir / "draws" / str(draw_seed) / f"{i}-{params['family']}"
            d.mkdir(parents=True, exist_ok=True)
            log(f"[{name}] {families.label(params)}")
            X, Y = families.draw_problem(params)
            xp, yp = d / "X.csv", d / "Y.csv"
            families.write_csv(xp, X)
            families.write_csv(yp, Y)
            amax = alpha_max(X, Y)
            info = dict(name=name, recipe=families.label(params), params=params,
                        n=X.shape[0], p=X.shape[1], T=Y.shape[1],
                        x_csv=str(xp), y_csv=str(yp), alpha_max=amax)
            infos[name] = info
            ctx = dict(mtreg=args.mtreg, x_csv=str(xp), y_csv=str(yp),
                       env=env, warm_fit=warm_exe)
            for ratio in (0.1, params["small_ratio"]):
                alpha = ratio * amax
                log(f"[{name}] alpha = {ratio:.4g} * alpha_max = {alpha:.6g}")
                group = []
                for s_ in solvers:
                    ok = [g["seconds"] for g in group if g["status"] == "ok"]
                    r = run_single(s_, X, Y, alpha, ctx, args.repeats,
                                   min(ok) if ok else None)
                    r.update(problem=f"{name} {params['family']}", data=name,
                             ratio=ratio, ratio_label=f"{ratio:.3g}",
                             alpha=alpha, draw=params,
                             shape=f"{info['n']} x {info['p']} x {info['T']}")
                    group.append(r)
                finish(group)
                draw_rows.append(group)
            if not args.keep_draws:
                for f in (xp, yp):
                    f.unlink()

    path_info = None
    if do_path:
        X, Y, info, ctx = data(PATH_PROBLEM)
        alphas = path_grid(info["alpha_max"])
        label = f"{PATH_PROBLEM} path({PATH_N_ALPHAS})"
        path_info = dict(problem=PATH_PROBLEM, n_alphas=PATH_N_ALPHAS,
                         eps=PATH_EPS, alphas=alphas.tolist())
        log(f"[{label}] alphas geometric {alphas[0]:.6g} -> {alphas[-1]:.6g}, "
            "warm starts")
        group = []
        for s in solvers:
            r = run_path(s, X, Y, alphas, ctx, args.repeats)
            r.update(problem=label, data=PATH_PROBLEM, ratio=None,
                     ratio_label=f"1 → {PATH_EPS:g} ({PATH_N_ALPHAS} alphas)",
                     alphas=alphas.tolist(),
                     shape=f"{info['n']} x {info['p']} x {info['T']}")
            if s == "mtreg" and r["status"] == "ok":
                # mtreg builds the grid from its own alpha_max; verified at
                # its own alphas, this says how far they are from ours
                used = np.array(r["extra"].pop("alphas", []) or alphas)
                dev = float(np.max(np.abs(used / alphas - 1)))
                r["grid_rel_dev"] = dev
                if dev > 1e-12:
                    r["grid_note"] = f"grid differs by {dev:.1e} (relative)"
            group.append(r)
        finish(group)
    limiter.restore_original_limits()

    roof = None
    if do_roofline:
        log("[roofline] plain epochs, 1 thread")
        fits = {(r["problem"], r["ratio"]): r for r in rows
                if r["solver"] == "mtreg" and r["status"] == "ok"
                and r["ratio"] is not None}
        try:
            roof = roofline(problems or [PATH_PROBLEM], ratios, args.data_dir,
                            fits)
        except Exception as e:  # report, do not lose the peer results
            log(f"roofline failed: {type(e).__name__}: {e}")
            roof = dict(error=f"{type(e).__name__}: {e}")

    if ("mtreg" in solvers and not warm_exe
            and versions(args.mtreg).get("mtreg") != vers["mtreg"]):
        log("WARNING: the mtreg binary changed during the run; rerun to get "
            "consistent mtreg rows")

    print(f"Machine: {mach['cpu']}, {mach['logical_cpus']} logical CPUs "
          f"({mach['usable_cpus']} usable), threads per solver: {args.threads}")
    print("Versions: " + ", ".join(f"{k}={v}" for k, v in vers.items()))
    if args.threads != 1:
        print(f"Note: peers run with {args.threads} BLAS/OpenMP/numba threads; "
              "`mtreg solve`/`mtreg path` have no thread option and fit on one "
              "thread (RAYON_NUM_THREADS is set for when they gain one).")
    print(f"Target: independent rel gap <= {REL_GAP_TARGET:g}; time = median "
          f"of {args.repeats} fits at the calibrated tol ({args.clock} clock"
          + (", mtreg timed warm in-process (benches/warm_fit.rs)"
             if warm_exe else "") + ")"
          + (f"; path: alphas geometric from alpha_max to {PATH_EPS:g} "
             f"alpha_max, {PATH_N_ALPHAS} values, warm starts, rel gap "
             "checked at every alpha, time = whole path" if do_path else "")
          + "\n")
    print(markdown(rows))
    if draw_rows:
        print(f"\nRandomised draws (seed {draw_seed}; replay with --draws "
              f"{args.draws} --seed {draw_seed}"
              + (f" --families {args.families}" if args.families else "")
              + "), ratio = fastest peer time / mtreg time, worst first:\n")
        print(draws_markdown(draw_rows))
    rss = rss_markdown(rows, infos)
    if rss:
        print(f"\nPeak RSS of the mtreg process (max over the timed runs; "
              f"target <= {RSS_SLACK[0]:g} x (X + Y) + "
              f"{RSS_SLACK[1] / MB:g} MB):\n")
        print(rss)
    if isinstance(roof, list):
        print("\nRoofline: one plain BCD epoch (all p rows, no working set, "
              "each timed from its start state, W and the datafit state reset before it: 'solution' = W* "
              "of the fit, 'perturbed' = W* + 1% noise so that every row moves), "
              "1 thread, best of many epochs. "
              "flops/epoch: residual mode 2npT + 2nT·u, gram mode 2pT·u "
              "(u = rows moved). GEMV roofline = flops / single-thread GEMV "
              "rate; dot/axpy roofline = the BLAS calls the epoch makes "
              "(residual: p dots + u axpys; gram: u axpys), per-call overhead "
              "removed. ratio = mtreg / roofline (target <= 1.5). 'mtreg fit "
              "/ epoch' = the CLI fit time in plain-epoch units (its n_iter "
              "counts working-set epochs; gram-mode fits include building "
              "XᵀX):\n")
        print(roofline_markdown(roof))
    elif roof:
        print(f"\nRoofline: failed ({roof['error']})")

    if args.json:
        args.json.write_text(json.dumps(
            dict(machine=mach, versions=vers, threads=args.threads,
                 draw_seed=draw_seed, mtreg_timing=args.mtreg_timing,
                 clock=args.clock,
                 rel_gap_target=REL_GAP_TARGET, repeats=args.repeats,
                 problems=infos, path=path_info, results=rows,
                 roofline=roof), indent=1, default=str))
        log(f"raw results written to {args.json}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""5-fold cross-validation over an alpha grid: mtreg vs scikit-learn and celer.

Same data (bench-data/meg_like written by compare.py: n=300, p=5000, T=50, AR(1)
correlated columns, centred), same grid (n_alphas geometric from alpha_max to
eps*alpha_max), same contiguous 5 folds, same tol semantics (duality gap <=
tol * ||Y||^2 / n per fit). Reports wall time of the whole CV (fits only, data
already in memory for the Python peers; mtreg as a CLI run includes CSV
parsing, reported separately), the chosen alpha, and ratios measured in this run.

    python benches/compare/cv_compare.py [--n-alphas 100] [--eps 1e-3] [--tol 1e-4]
        [--clock cpu --warm-fit EXE]

`--clock cpu` times every solver by its CPU time, single thread (robust to
other load on a shared machine): mtreg in process through benches/warm_fit.rs
(`--cv-alphas`, intercepts fitted as MultiTaskLassoCV does; one untimed run
first), the Python solvers by `time.process_time()`.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=os.path.join(os.path.dirname(__file__), "..", "..", "bench-data", "meg_like"))
    ap.add_argument("--mtreg", default=os.path.join(os.path.dirname(__file__), "..", "..", "target", "release", "mtreg"))
    ap.add_argument("--n-alphas", type=int, default=100)
    ap.add_argument("--eps", type=float, default=1e-3)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--solvers", default="mtreg,sklearn,celer")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    ap.add_argument("--warm-fit", help="benches/warm_fit.rs executable (--clock cpu)")
    args = ap.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = "1"
    xp, yp = os.path.join(args.data_dir, "X.csv"), os.path.join(args.data_dir, "Y.csv")
    X = np.loadtxt(xp, delimiter=","); Y = np.loadtxt(yp, delimiter=",")
    n = X.shape[0]
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    amax = np.max(np.linalg.norm(Xc.T @ Yc, axis=1)) / n
    alphas = np.geomspace(amax, args.eps * amax, args.n_alphas)
    solvers = args.solvers.split(",")
    rows = []
    if "mtreg" in solvers and args.clock == "cpu":
        with tempfile.TemporaryDirectory() as out:
            js = os.path.join(out, "cv.json")
            subprocess.run([args.warm_fit, "--x", xp, "--y", yp, "--cv-alphas", str(args.n_alphas),
                            "--folds", str(args.folds), "--tol", repr(args.tol), "--intercept",
                            "--max-iter", "10000", "--threads", "1", "--json", js],
                           check=True, stdout=subprocess.DEVNULL,
                           env=dict(os.environ, RAYON_NUM_THREADS="1"))
            m = json.load(open(js))
            rows.append(("mtreg (1 thread, in process)", m["cpu_times"][0], m["times"][0],
                         m["report"]["alpha_min"]))
    elif "mtreg" in solvers:
        for threads in (1, 2):
            with tempfile.TemporaryDirectory() as out:
                t0 = clock()
                subprocess.run([args.mtreg, "cv", "--x", xp, "--y", yp, "--no-header", "--n-alphas", str(args.n_alphas),
                                "--eps", str(args.eps), "--tol", repr(args.tol), "--folds", str(args.folds),
                                "--threads", str(threads), "-q", "--out-dir", out], check=True,
                               env=dict(os.environ, RAYON_NUM_THREADS=str(threads)))
                wall = clock() - t0
                m = json.load(open(os.path.join(out, "model.json")))
                rows.append((f"mtreg ({threads} thread{'s' if threads > 1 else ''})", m["seconds"], wall, m["alpha_min"]))
    from threadpoolctl import threadpool_limits
    if "sklearn" in solvers:
        from sklearn.linear_model import MultiTaskLassoCV
        from sklearn.model_selection import KFold
        with threadpool_limits(1):
            t0 = clock()
            est = MultiTaskLassoCV(alphas=alphas, cv=KFold(args.folds), tol=args.tol, max_iter=10000, n_jobs=1).fit(X, Y)
            rows.append(("scikit-learn MultiTaskLassoCV", clock() - t0, None, est.alpha_))
    if "celer" in solvers:
        from celer.homotopy import mtl_path
        from sklearn.model_selection import KFold
        with threadpool_limits(1):
            t0 = clock()
            mse = np.zeros((len(alphas), args.folds))
            for k, (tr, te) in enumerate(KFold(args.folds).split(X)):
                xm, ym = X[tr].mean(0), Y[tr].mean(0)
                Xtr = np.asfortranarray(X[tr] - xm)
                res = mtl_path(Xtr, Y[tr] - ym, alphas=alphas, tol=args.tol)
                coefs = res[1]  # (p, T, n_alphas) or (T, p, n_alphas)
                for a in range(len(alphas)):
                    W = coefs[..., a]
                    if W.shape[0] != X.shape[1]:
                        W = W.T
                    pred = (X[te] - xm) @ W + ym
                    mse[a, k] = np.mean((Y[te] - pred) ** 2)
            best = alphas[np.argmin(mse.mean(1))]
            rows.append(("celer mtl_path, 5 folds", clock() - t0, None, best))
    base = next(r[1] for r in rows if r[0].startswith("mtreg (1"))
    print(f"5-fold CV, {args.n_alphas} alphas (eps {args.eps}), tol {args.tol}, data {X.shape} x {Y.shape[1]} tasks, {args.clock} clock")
    wall_head = "mtreg wall (s)" if args.clock == "cpu" else "mtreg wall incl. CSV (s)"
    print(f"| solver | CV time (s) | {wall_head} | alpha_min | time / mtreg 1 thread |")
    print("|---|---|---|---|---|")
    for name, t, wall, a in rows:
        print(f"| {name} | {t:.3f} | {'' if wall is None else f'{wall:.3f}'} | {a:.6e} | {t / base:.2f} |")


if __name__ == "__main__":
    sys.exit(main())

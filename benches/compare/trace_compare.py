"""Trace-norm regression: mtreg's APG solver against a plain numpy FISTA (with
and without adaptive restart) and MALSAR's Least_Trace (GNU Octave), at the
same independently verified duality gap.

Problem (no intercept), W p x T:

    P(W) = ||Y - X W||_F^2 / (2n) + alpha ||W||_*

Data: X n x p with AR(1) rows (corr 0.5^|i-j| between features), W* = A B^T of
rank 5 (A p x 5, B T x 5 standard normal), Y = X W* + noise at SNR 3,
numpy.random.default_rng(0). alpha = ratio * alpha_max, alpha_max =
sigma_max(X^T Y / n).

Accuracy: one function, rel_gap, computes the duality gap of any returned W
(dual point = the rescaled residual s R / n, s maximising the dual along the
ray under the spectral-norm constraint sigma_max(s X^T R / n) <= alpha) and
divides it by P(0) = ||Y||^2 / (2n). Every solver must reach rel_gap <= 1e-6:
each starts at a tol that should nominally reach it, and tol is divided by
10 until the target is met (up to 4 times); the runs are then timed
(median of --repeats, the solvers interleaved within each repeat so that
machine load affects them alike).

Solvers:
- mtreg: `cargo bench --bench models -- --data DIR --alpha A --tol T`
  (apg::solve on the Quadratic datafit, TraceNorm penalty, from zero; T is
  an absolute gap; time = the fit alone, as printed by the bench).
- numpy FISTA: Beck & Teboulle with constant step 1/L, L = sigma_max(X)^2/n
  from scipy.sparse.linalg.svds (counted in the time), gradient at the
  extrapolated point (two GEMMs), SVT by numpy's thin SVD, the rel_gap check
  every 10 iterations (counted). "+restart" adds O'Donoghue & Candes'
  gradient restart.
- MALSAR Least_Trace (Octave, --malsar DIR: the MALSAR/ folder of a MALSAR
  checkout): its loss is sum_t 1/2 ||y_t - X w_t||^2, so rho1 = n alpha. Its
  own stopping rule (relative change of the objective, tFlag 1) stops short
  of the target even at tol 1e-10 (measured: rel_gap 1e-5 on a small case),
  so it runs a fixed number of iterations (tFlag 3), doubled from 25 until
  the target is met (up to 20 000); time = tic/toc around the call, inside
  Octave.

Everything runs on one thread (threadpoolctl for numpy; OPENBLAS/OMP
threads = 1 for Octave; mtreg's solver is sequential).

Run (after `cargo build --release --bench models`):

    python benches/compare/trace_compare.py [--ratios 0.1,0.01] [--n 300]
        [--p 5000] [--T 50] [--repeats 3] [--malsar /path/to/MALSAR]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.sparse.linalg
from threadpoolctl import threadpool_limits

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def make_data(n, p, T, rank=5, seed=0):
    rng = np.random.default_rng(seed)
    rho = 0.5
    X = np.empty((n, p))
    X[:, 0] = rng.standard_normal(n)
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho ** 2) * rng.standard_normal(n)
    W = rng.standard_normal((p, rank)) @ rng.standard_normal((rank, T))
    signal = X @ W
    noise = rng.standard_normal((n, T))
    noise *= np.linalg.norm(signal) / (3.0 * np.linalg.norm(noise))
    return X, signal + noise


def write_bin(path, M):
    M = np.asarray(M, dtype="<f8")
    with open(path, "wb") as fh:
        fh.write(np.array(M.shape, dtype="<u8").tobytes())
        fh.write(M.ravel(order="F").tobytes())


def read_bin(path):
    raw = open(path, "rb").read()
    r, c = np.frombuffer(raw[:16], dtype="<u8")
    return np.frombuffer(raw[16:], dtype="<f8").reshape((int(r), int(c)),
                                                         order="F")


def rel_gap(X, Y, W, alpha):
    """Duality gap / P(0), dual point s R/n with s optimal on the ray."""
    n = X.shape[0]
    R = Y - X @ W
    f = 0.5 * float(np.sum(R * R)) / n
    G = -X.T @ R / n
    primal = f + alpha * float(np.sum(np.linalg.svd(W, compute_uv=False)))
    smax = float(np.linalg.svd(G, compute_uv=False)[0])
    b = 2 * f - float(np.sum(G * W))            # <R, Y>/n
    s_cap = alpha / smax if smax > 0 else np.inf
    s = min(max(b / (2 * f), 0.0), s_cap) if f > 0 else min(1.0, s_cap)
    dual = s * b - s * s * f
    p0 = 0.5 * float(np.sum(Y * Y)) / n
    return (primal - dual) / p0


def svt(V, tau):
    U, s, Vt = np.linalg.svd(V, full_matrices=False)
    s = np.maximum(s - tau, 0.0)
    k = int(np.count_nonzero(s))
    return (U[:, :k] * s[:k]) @ Vt[:k]


def numpy_fista(X, Y, alpha, target, restart, check_every=10,
                max_iter=100_000):
    n, p = X.shape
    T = Y.shape[1]
    L = scipy.sparse.linalg.svds(X, k=1, return_singular_vectors=False)[0] ** 2 / n
    W = np.zeros((p, T))
    Z = W.copy()
    t = 1.0
    for it in range(1, max_iter + 1):
        G = X.T @ (X @ Z - Y) / n
        Wn = svt(Z - G / L, alpha / L)
        tn = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        if restart and np.sum((Z - Wn) * (Wn - W)) > 0:
            tn = 1.0
            Z = Wn
        else:
            Z = Wn + (t - 1) / tn * (Wn - W)
        W, t = Wn, tn
        if it % check_every == 0 and rel_gap(X, Y, W, alpha) <= target:
            return W, it
    return W, max_iter


def bench_binary():
    tdir = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    out = subprocess.run(
        ["cargo", "bench", "--bench", "models", "--no-run", "--message-format=json"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        try:
            m = json.loads(line)
        except json.JSONDecodeError:
            continue
        if m.get("reason") == "compiler-artifact" and m.get("executable") \
                and m["target"]["name"] == "models":
            return m["executable"]
    raise RuntimeError(f"no models bench under {tdir}")


def run_mtreg(exe, ddir, alpha, tol):
    env = dict(os.environ, RAYON_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run([exe, "--data", ddir, "--alpha", repr(alpha),
                          "--tol", repr(tol)], capture_output=True, text=True,
                         check=True, env=env).stdout
    info = json.loads(out.strip().splitlines()[-1])
    return read_bin(os.path.join(ddir, "W_mtreg.bin")), info


MALSAR_DRIVER = r"""
addpath(genpath('{malsar}'));
fid = fopen('{ddir}/X.bin'); d = fread(fid, 2, 'uint64'); X = reshape(fread(fid, d(1)*d(2), 'double'), d(1), d(2)); fclose(fid);
fid = fopen('{ddir}/Y.bin'); d = fread(fid, 2, 'uint64'); Y = reshape(fread(fid, d(1)*d(2), 'double'), d(1), d(2)); fclose(fid);
T = size(Y, 2); Xc = cell(T, 1); Yc = cell(T, 1);
for t = 1:T, Xc{{t}} = X; Yc{{t}} = Y(:, t); end
opts.init = 2; opts.tFlag = 3; opts.maxIter = {max_iter};
tic; [W, fv] = Least_Trace(Xc, Yc, {rho1}, opts); secs = toc;
fid = fopen('{ddir}/W_malsar.bin', 'w'); fwrite(fid, size(W), 'uint64'); fwrite(fid, W, 'double'); fclose(fid);
printf('%.17g %d\n', secs, numel(fv));
"""


def run_malsar(malsar, ddir, rho1, max_iter):
    script = MALSAR_DRIVER.format(malsar=malsar, ddir=ddir,
                                  max_iter=max_iter, rho1=repr(rho1))
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run(["octave-cli", "--no-gui", "--quiet", "--eval", script],
                         capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    secs, iters = out.stdout.strip().splitlines()[-1].split()
    return read_bin(os.path.join(ddir, "W_malsar.bin")), float(secs), int(iters)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--p", type=int, default=5000)
    ap.add_argument("--T", type=int, default=50)
    ap.add_argument("--ratios", default="0.1,0.01")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--target", type=float, default=1e-6)
    ap.add_argument("--malsar", default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    X, Y = make_data(args.n, args.p, args.T)
    n = args.n
    p0 = 0.5 * float(np.sum(Y * Y)) / n
    ddir = tempfile.mkdtemp(prefix="trace_compare_")
    write_bin(os.path.join(ddir, "X.bin"), X)
    write_bin(os.path.join(ddir, "Y.bin"), Y)
    exe = bench_binary()
    amax = float(np.linalg.svd(X.T @ Y / n, compute_uv=False)[0])
    target = args.target
    rows = []
    with threadpool_limits(limits=1):
        for ratio in [float(r) for r in args.ratios.split(",")]:
            alpha = ratio * amax
            solvers = {}

            # calibration: find a tol that reaches the target
            def cal_mtreg():
                tol = 0.5 * target * p0
                for _ in range(5):
                    W, info = run_mtreg(exe, ddir, alpha, tol)
                    g = rel_gap(X, Y, W, alpha)
                    if g <= target:
                        return tol, g, info
                    tol /= 10
                return None, g, info

            tol_m, g_m, info = cal_mtreg()
            solvers["mtreg"] = {"tol": tol_m, "rel_gap": g_m,
                                "iterations": info["n_iter"], "times": []}
            solvers["numpy FISTA"] = {"times": []}
            solvers["numpy FISTA+restart"] = {"times": []}
            if args.malsar:
                tol_ml, lo = 25, None
                while True:
                    Wm, secs, its = run_malsar(args.malsar, ddir, n * alpha, tol_ml)
                    g = rel_gap(X, Y, Wm, alpha)
                    print(f"MALSAR {tol_ml} iterations: rel_gap {g:.1e}, {secs:.2f} s",
                          file=sys.stderr)
                    if g <= target or tol_ml >= 20000:
                        break
                    lo, tol_ml = tol_ml, min(2 * tol_ml, 20000)
                # bisect the iteration count between the last miss and the hit
                hi_res = (tol_ml, Wm, secs, its, g)
                while g <= target and lo is not None and hi_res[0] - lo > max(2, lo // 10):
                    mid = (lo + hi_res[0]) // 2
                    Wm, secs, its = run_malsar(args.malsar, ddir, n * alpha, mid)
                    g = rel_gap(X, Y, Wm, alpha)
                    print(f"MALSAR {mid} iterations: rel_gap {g:.1e}, {secs:.2f} s",
                          file=sys.stderr)
                    if g <= target:
                        hi_res = (mid, Wm, secs, its, g)
                    else:
                        lo = mid
                        g = hi_res[4]
                tol_ml, Wm, secs, its, g = hi_res
                solvers["MALSAR Least_Trace"] = {"tol": tol_ml, "rel_gap": g,
                                                 "iterations": its,
                                                 "times": [secs],
                                                 "reached": g <= target}
            for _ in range(args.repeats):
                W, info = run_mtreg(exe, ddir, alpha, tol_m)
                solvers["mtreg"]["times"].append(info["seconds"])
                solvers["mtreg"]["rel_gap"] = max(solvers["mtreg"]["rel_gap"],
                                                  rel_gap(X, Y, W, alpha))
                for name, restart in [("numpy FISTA", False),
                                      ("numpy FISTA+restart", True)]:
                    t0 = time.perf_counter()
                    Wn, its = numpy_fista(X, Y, alpha, target, restart)
                    solvers[name]["times"].append(time.perf_counter() - t0)
                    solvers[name]["iterations"] = its
                    solvers[name]["rel_gap"] = rel_gap(X, Y, Wn, alpha)
                if args.malsar and solvers["MALSAR Least_Trace"]["reached"] \
                        and len(solvers["MALSAR Least_Trace"]["times"]) < args.repeats:
                    _, secs, _ = run_malsar(args.malsar, ddir, n * alpha,
                                            solvers["MALSAR Least_Trace"]["tol"])
                    solvers["MALSAR Least_Trace"]["times"].append(secs)
            t_m = float(np.median(solvers["mtreg"]["times"]))
            for name, s in solvers.items():
                med = float(np.median(s["times"]))
                rank = None
                rows.append({"ratio": ratio, "solver": name, "time": med,
                             "ratio_to_mtreg": med / t_m,
                             "rel_gap": s.get("rel_gap"),
                             "iterations": s.get("iterations"),
                             "tol": s.get("tol"), "times": s["times"]})
                print(f"alpha {ratio:g} alpha_max  {name:22s} {med:8.3f} s  "
                      f"x{med / t_m:6.2f}  rel_gap {s.get('rel_gap', float('nan')):.1e}  "
                      f"iterations {s.get('iterations')}", file=sys.stderr)
    shutil.rmtree(ddir)
    print(f"\n{args.n} x {args.p} x {args.T}, rank-5 W, target rel_gap <= {target:g}, "
          f"one thread, median of {args.repeats}\n")
    print("| alpha/alpha_max | solver | time (s) | time / mtreg | rel gap | iterations |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['ratio']:g} | {r['solver']} | {r['time']:.3f} | "
              f"{r['ratio_to_mtreg']:.2f} | {r['rel_gap']:.1e} | {r['iterations']} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()

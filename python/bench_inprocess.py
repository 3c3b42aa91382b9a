#!/usr/bin/env python3
"""In-process speed: mtreg's Python estimators against scikit-learn, celer and
skglm, called from the same Python process, at equal verified accuracy.

Reuses the peer harness `benches/compare/compare.py` (same problems, same CSV
data, same independent duality-gap check `rel_gap`, same tol calibration to
rel_gap <= 1e-6, single thread, median of --repeats): its solvers plus
"mtreg-py", the `mtreg.MultiTaskLasso` estimator (and `mtreg.lasso_path` for
the 20-alpha path), timed around the Python call like the peers. The CLI
("mtreg", time = MODEL.json `seconds`) runs in the same pass, so the
binding-vs-CLI ratio comes from the same run.

A second table splits the binding's own cost: the estimator's wall time, the
`_core.fit` call alone, and the engine's clock inside it (`seconds` of the
fit), plus the cost of the copies it makes or avoids (C- vs F-ordered X, a
float32 X converted to float64).

    pip install ./python   # into the environment that has sklearn, celer, skglm
    cargo build --release  # the CLI, for the "mtreg" column
    python python/bench_inprocess.py --json inprocess.json
"""

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("compare", REPO / "benches/compare/compare.py")
cmp = importlib.util.module_from_spec(spec)
sys.modules["compare"] = cmp
spec.loader.exec_module(cmp)

import mtreg  # noqa: E402
from mtreg import _core  # noqa: E402
from mtreg._base import _core_params  # noqa: E402


def fit_mtreg_py(X, Y, alpha, tol, ctx):
    m = mtreg.MultiTaskLasso(alpha=alpha, fit_intercept=False, tol=tol, max_iter=cmp.MAX_ITER)
    t0 = time.perf_counter()
    m.fit(X, Y)
    dt = time.perf_counter() - t0
    return m.coef_.T, dt, dict(n_iter=int(m.n_iter_), certificate=m.certificate_._asdict())


def path_mtreg_py(X, Y, alphas, tol, ctx):
    t0 = time.perf_counter()
    a, coefs, _, n_iter = mtreg.lasso_path(
        X, Y, alphas=alphas, tol=tol, max_iter=cmp.MAX_ITER, return_n_iter=True
    )
    dt = time.perf_counter() - t0
    return [(float(x), coefs[:, :, k].T) for k, x in enumerate(a)], dt, dict(n_iter=n_iter)


cmp.SOLVERS["mtreg-py"] = fit_mtreg_py
cmp.PATH_SOLVERS["mtreg-py"] = path_mtreg_py


def median_time(fn, repeats):
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), out


def overhead(X, Y, alpha, tol, repeats):
    """Per call, paired: the estimator's wall time, the `_core.fit` call inside
    it, and the engine's own clock (`seconds`); medians over `repeats` calls.
    Then the layouts and dtypes that the binding reads in place or converts."""
    est = mtreg.MultiTaskLasso(alpha=alpha, fit_intercept=False, tol=tol, max_iter=cmp.MAX_ITER)
    real = _core.fit
    seen = []

    def spy(*a):
        t0 = time.perf_counter()
        d = real(*a)
        seen.append((time.perf_counter() - t0, d["seconds"]))
        return d

    def paired(Xin):
        est.fit(Xin, Y)  # warm
        rows = []
        _core.fit = spy
        try:
            for _ in range(repeats):
                seen.clear()
                t0 = time.perf_counter()
                est.fit(Xin, Y)
                wall = time.perf_counter() - t0
                core, engine = seen[-1]
                rows.append((wall, core, engine))
        finally:
            _core.fit = real
        med = lambda k: statistics.median(r[k] for r in rows)  # noqa: E731
        return dict(
            wall=med(0), core=med(1), engine=med(2),
            python_layer=statistics.median(r[0] - r[1] for r in rows),
            ffi=statistics.median(r[1] - r[2] for r in rows),
        )

    Xf = np.asfortranarray(X)
    Xc = np.ascontiguousarray(X)
    X32 = np.asfortranarray(X, dtype=np.float32)
    f = paired(Xf)
    c = paired(Xc)
    f32 = paired(X32)
    t_conv, _ = median_time(lambda: X32.astype(np.float64), repeats)
    t_fcopy, _ = median_time(lambda: np.asfortranarray(Xc), repeats)
    return dict(f=f, c=c, f32=f32, float32_conversion_s=t_conv, c_to_f_copy_s=t_fcopy,
                x_mb=X.nbytes / 1e6)


def cv_compare(data_dir, repeats):
    """MultiTaskLassoCV on meg_like (5 contiguous folds, 100 alphas, eps 1e-3,
    tol 1e-4): scikit-learn's against mtreg's estimator, 1 and 2 threads."""
    from sklearn.linear_model import MultiTaskLassoCV as SkCV

    X, Y, _ = cmp.materialise(cmp.PATH_PROBLEM, data_dir, False)
    out = {}
    for label, make in (
        ("mtreg, n_jobs=1", lambda: mtreg.MultiTaskLassoCV(cv=5, n_jobs=1)),
        ("mtreg, n_jobs=2", lambda: mtreg.MultiTaskLassoCV(cv=5, n_jobs=2)),
        ("scikit-learn, n_jobs=1", lambda: SkCV(cv=5, n_jobs=1)),
    ):
        t, m = median_time(lambda: make().fit(X, Y), repeats)
        out[label] = dict(seconds=t, alpha=m.alpha_)
        cmp.log(f"[cv] {label}: {t:.2f} s, alpha_ = {m.alpha_:.7g}")
    return out


def ms(s):
    return f"{1e3 * s:.3f}" if s < 0.01 else f"{1e3 * s:.1f}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--problems", default=",".join(list(cmp.PROBLEMS) + ["path"]))
    ap.add_argument("--ratios", default="0.1,0.01")
    ap.add_argument("--solvers", default="sklearn,celer,skglm,mtreg,mtreg-py")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--overhead-repeats", type=int, default=7)
    ap.add_argument("--data-dir", type=Path, default=REPO / "bench-data")
    ap.add_argument("--mtreg", default=cmp.default_mtreg())
    ap.add_argument("--json", type=Path)
    ap.add_argument("--cv", action="store_true",
                    help="also MultiTaskLassoCV on meg_like against scikit-learn's")
    ap.add_argument("--overhead-only", action="store_true",
                    help="only the binding-overhead table (at tol 5e-7)")
    args = ap.parse_args(argv)

    problems = args.problems.split(",")
    do_path = "path" in problems
    problems = [p for p in problems if p != "path"]
    ratios = [float(r) for r in args.ratios.split(",")]
    # the in-process mtreg is the reference of the ratio column: run it last
    solvers = sorted(args.solvers.split(","), key=lambda s: (s == "mtreg-py", s == "mtreg"))
    env = dict(os.environ)
    cmp.set_python_threads(1)
    for s in solvers:
        if s != "mtreg":
            cmp.warm_up(s, path=do_path)

    rows, over = [], []
    if args.overhead_only:
        for name in problems:
            X, Y, _ = cmp.materialise(name, args.data_dir, False)
            amax = cmp.alpha_max(X, Y)
            o = overhead(X, Y, ratios[0] * amax, cmp.REL_GAP_TARGET / 2, args.overhead_repeats)
            o.update(problem=name, ratio=ratios[0])
            over.append(o)
    names = problems + ([cmp.PATH_PROBLEM] if do_path and cmp.PATH_PROBLEM not in problems else [])
    if args.overhead_only:
        names = []
    for name in names:
        X, Y, info = cmp.materialise(name, args.data_dir, False)
        amax = cmp.alpha_max(X, Y)
        ctx = dict(mtreg=args.mtreg, x_csv=info["x_csv"], y_csv=info["y_csv"], env=env)
        cases = []
        if name in problems:
            cases += [("fit", r) for r in ratios]
        if do_path and name == cmp.PATH_PROBLEM:
            cases.append(("path", None))
        for kind, ratio in cases:
            group = {}
            for s in solvers:
                if kind == "fit":
                    cmp.log(f"[{name}] ratio {ratio} {s}")
                    group[s] = cmp.run_single(s, X, Y, ratio * amax, ctx, args.repeats)
                else:
                    cmp.log(f"[{name}] path {s}")
                    group[s] = cmp.run_path(s, X, Y, cmp.path_grid(amax), ctx, args.repeats)
            label = f"{name} path({cmp.PATH_N_ALPHAS})" if kind == "path" else name
            rows.append(dict(problem=label, ratio=ratio, results=group))
            if kind == "fit" and ratio == ratios[0] and group.get("mtreg-py", {}).get("tol"):
                o = overhead(X, Y, ratio * amax, group["mtreg-py"]["tol"], args.overhead_repeats)
                o.update(problem=name, ratio=ratio)
                over.append(o)

    print("\n| problem | α/α_max | " + " | ".join(
        f"{s}" for s in solvers if s != "mtreg-py") + " | mtreg-py (s) |")
    print("|---|---|" + "---|" * len(solvers))
    for row in rows:
        ref = row["results"].get("mtreg-py", {})
        t_ref = ref.get("seconds") if ref.get("status") == "ok" else None
        cells = []
        for s in solvers:
            if s == "mtreg-py":
                continue
            r = row["results"][s]
            if r.get("status") != "ok" or not t_ref:
                cells.append(r.get("status", "-"))
            else:
                cells.append(f"{r['seconds'] / t_ref:.2f}×")
        ratio = "path" if row["ratio"] is None else f"{row['ratio']:g}"
        print(f"| {row['problem']} | {ratio} | " + " | ".join(cells)
              + f" | {cmp.fmt_time(t_ref)} |")

    print("\n| problem (α = 0.1 α_max) | X (MB) | estimator.fit (ms) | engine (ms) | "
          "Python layer (ms) | _core call (ms) | C-ordered X: fit / engine (ms) | "
          "C→F copy (ms) | float32 X: fit (ms) | float32→float64 copy (ms) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for o in over:
        f, c, h = o["f"], o["c"], o["f32"]
        print(f"| {o['problem']} | {o['x_mb']:.1f} | {ms(f['wall'])} | {ms(f['engine'])} | "
              f"{ms(f['python_layer'])} | {ms(f['ffi'])} | {ms(c['wall'])} / {ms(c['engine'])} | "
              f"{ms(o['c_to_f_copy_s'])} | {ms(h['wall'])} | {ms(o['float32_conversion_s'])} |")
    cv = None
    if args.cv:
        cv = cv_compare(args.data_dir, 1)
        ref = cv["mtreg, n_jobs=1"]["seconds"]
        print("\n| MultiTaskLassoCV, meg_like, 5 folds x 100 alphas | time (s) | time / mtreg n_jobs=1 | alpha_ |")
        print("|---|---|---|---|")
        for label, r in cv.items():
            print(f"| {label} | {r['seconds']:.2f} | {r['seconds'] / ref:.2f} | {r['alpha']:.7g} |")
    if args.json:
        args.json.write_text(json.dumps(dict(rows=rows, overhead=over, cv=cv), indent=1, default=str))


if __name__ == "__main__":
    main()

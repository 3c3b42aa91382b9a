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
    """Wall of the estimator, of the bare core call, and the engine's clock."""
    est = mtreg.MultiTaskLasso(alpha=alpha, fit_intercept=False, tol=tol, max_iter=cmp.MAX_ITER)
    params = _core_params("enet", alpha=alpha, fit_intercept=False, tol=tol, max_iter=cmp.MAX_ITER)
    Xf, Xc, X32 = np.asfortranarray(X), np.ascontiguousarray(X), np.asfortranarray(X, np.float32)
    est.fit(Xf, Y)  # warm
    t_est, _ = median_time(lambda: est.fit(Xf, Y), repeats)
    t_core, d = median_time(lambda: _core.fit(params, Xf, Y), repeats)
    engine = statistics.median(_core.fit(params, Xf, Y)["seconds"] for _ in range(repeats))
    t_c, _ = median_time(lambda: est.fit(Xc, Y), repeats)
    engine_c = statistics.median(_core.fit(params, Xc, Y)["seconds"] for _ in range(repeats))
    t_32, _ = median_time(lambda: est.fit(X32, Y), repeats)
    t_conv, _ = median_time(lambda: X32.astype(np.float64), repeats)
    return dict(
        estimator_s=t_est, core_call_s=t_core, engine_s=engine,
        estimator_c_order_s=t_c, engine_c_order_s=engine_c,
        estimator_float32_s=t_32, float32_conversion_s=t_conv,
        x_mb=X.nbytes / 1e6,
    )


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
    names = problems + ([cmp.PATH_PROBLEM] if do_path and cmp.PATH_PROBLEM not in problems else [])
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

    print("\n| problem (α = 0.1 α_max) | X (MB) | estimator.fit (ms) | _core.fit (ms) | "
          "engine (ms) | binding overhead (ms) | C-ordered X: fit / engine (ms) | "
          "float32 X: fit (ms) | float32→float64 copy (ms) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for o in over:
        print(f"| {o['problem']} | {o['x_mb']:.1f} | {ms(o['estimator_s'])} | {ms(o['core_call_s'])} | "
              f"{ms(o['engine_s'])} | {ms(o['estimator_s'] - o['engine_s'])} | "
              f"{ms(o['estimator_c_order_s'])} / {ms(o['engine_c_order_s'])} | "
              f"{ms(o['estimator_float32_s'])} | {ms(o['float32_conversion_s'])} |")
    if args.json:
        args.json.write_text(json.dumps(dict(rows=rows, overhead=over), indent=1, default=str))


if __name__ == "__main__":
    main()

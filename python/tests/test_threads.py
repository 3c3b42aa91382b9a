"""The GIL is released during fits: other Python threads run meanwhile, and
two fits in two threads overlap."""

import functools
import threading
import time

import numpy as np
from conftest import random_problem
from joblib import Parallel, delayed

import mtreg


@functools.lru_cache(maxsize=1)
def slow_problem():
    """A fit of at least 0.2 s on this machine: the problem grows (more
    features) until one fit in the main thread takes that long, so the tests
    below keep their meaning as the engine gets faster (a fixed 400 x 1500
    problem fell to 49 ms)."""
    for p in (1500, 3000, 6000, 12000, 24000):
        X, Y = random_problem(0, 400, p, 20, informative=40)
        alpha = 0.005 * mtreg.alpha_max(X, Y)
        out = {}
        timed_fit(X, Y, alpha, out, "probe")
        start, end, _ = out["probe"]
        if end - start >= 0.2:
            break
    return X, Y


def timed_fit(X, Y, alpha, out, key):
    t0 = time.perf_counter()
    m = mtreg.MultiTaskLasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, Y)
    out[key] = (t0, time.perf_counter(), m)


def test_other_threads_run_during_a_fit():
    X, Y = slow_problem()
    alpha = 0.005 * mtreg.alpha_max(X, Y)
    out = {}
    t = threading.Thread(target=timed_fit, args=(X, Y, alpha, out, "fit"))
    ticks = 0
    t.start()
    time.sleep(0.02)  # let the worker enter the fit
    while t.is_alive():
        ticks += 1
        time.sleep(0.001)
    t.join()
    start, end, _ = out["fit"]
    # Holding the GIL for the whole fit would leave this loop 1-2 ticks;
    # released, it ticks about once per millisecond of the fit.
    assert end - start > 0.05, "the problem is too small to tell"
    assert ticks > 0.2 * (end - start) * 1000, (ticks, end - start)


def test_two_fits_overlap():
    X, Y = slow_problem()
    alpha = 0.005 * mtreg.alpha_max(X, Y)
    Xs, Ys = X[:, :200], Y
    out = {}
    long = threading.Thread(target=timed_fit, args=(X, Y, alpha, out, "long"))
    long.start()
    time.sleep(0.02)  # the long fit is running (in Rust)
    short = threading.Thread(target=timed_fit, args=(Xs, Ys, alpha, out, "short"))
    short.start()
    short.join()
    long.join()
    (ls, le, _), (ss, se, _) = out["long"], out["short"]
    # With the GIL held, the short fit could not even start before the long
    # one returned. Released, it starts and ends while the long fit runs.
    assert ls < ss and se < le, (ls, le, ss, se)


def test_joblib_threads_match_sequential():
    X, Y = random_problem(1, 80, 60, 4)
    alphas = np.geomspace(1.0, 0.05, 6) * mtreg.alpha_max(X, Y)

    def fit(a):
        return mtreg.MultiTaskLasso(alpha=a, tol=1e-10).fit(X, Y).coef_

    seq = [fit(a) for a in alphas]
    par = Parallel(n_jobs=2, prefer="threads")(delayed(fit)(a) for a in alphas)
    for s, p in zip(seq, par):
        np.testing.assert_array_equal(s, p)

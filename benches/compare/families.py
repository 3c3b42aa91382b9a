"""Parameterised problem families for the randomised peer comparison.

`compare.py --draws N [--seed S]` draws N problems from the families below
(round robin over the families, so N >= 12 covers each of the 6 at least
twice), each with its own shape, column correlation, number of active rows
and signal-to-noise ratio, and times every solver on it at 0.1 alpha_max and
at one alpha drawn in [0.01, 0.02] alpha_max. A fresh seed is drawn when none
is given and printed, so any run can be replayed with `--seed S`.

Data of a draw (`draw_problem`): rows of X are AR(1) sequences along the
features, `corr(X_i, X_j) = rho^|i-j|` with rho drawn in [0, 0.9]; `n_active`
rows of W at random positions, entries N(0, 1); Gaussian noise scaled so that
`||XW|| / ||noise|| = snr` (drawn log-uniform in [0.5, 10]); X and Y
column-centred (the objective without intercept then equals the one with).
"""

import math

import numpy as np

# name: (description, n range, p range (or ratio to n), T range, active range)
# Ranges are inclusive; integers are drawn log-uniformly. The sizes keep every
# X.csv under ~120 MB so that a full run of draws stays within tens of minutes.
FAMILIES = {
    "meg_like": dict(desc="MEG-like wide: n 200-400, p 3000-8000, T 20-60",
                     n=(200, 400), p=(3000, 8000), T=(20, 60), active=(10, 40)),
    "very_wide": dict(desc="very wide, few tasks: n 100-300, p 10000-20000, T 2-5",
                      n=(100, 300), p=(10000, 20000), T=(2, 5), active=(5, 30)),
    "tall_few": dict(desc="tall, few tasks: n 20000-50000, p 100-300, T 2-10",
                     n=(20000, 50000), p=(100, 300), T=(2, 10), active=(10, 40),
                     max_np=6_000_000),
    "tall_many": dict(desc="tall, many tasks: n 5000-20000, p 100-300, T 50-150",
                      n=(5000, 20000), p=(100, 300), T=(50, 150), active=(10, 50)),
    "square": dict(desc="square-ish: n 1000-3000, p 0.7-1.4 n, T 5-30",
                   n=(1000, 3000), p_ratio=(0.7, 1.4), T=(5, 30),
                   active=(10, 60)),
    "tiny": dict(desc="tiny: n 30-200, p 5-50, T 2-6",
                 n=(30, 200), p=(5, 50), T=(2, 6), active=(2, 10)),
}

RHO = (0.0, 0.9)
SNR = (0.5, 10.0)
SMALL_RATIO = (0.01, 0.02)


def _log_int(rng, lo, hi):
    return int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))


def draw_params(family, rng):
    """The parameters of one draw of `family` (a dict, JSON-able)."""
    f = FAMILIES[family]
    n = _log_int(rng, *f["n"])
    if "p_ratio" in f:
        p = int(round(n * rng.uniform(*f["p_ratio"])))
    else:
        p = _log_int(rng, *f["p"])
    if "max_np" in f and n * p > f["max_np"]:
        n = f["max_np"] // p
    T = _log_int(rng, *f["T"])
    active = min(_log_int(rng, *f["active"]), p)
    rho = float(rng.uniform(*RHO))
    snr = float(math.exp(rng.uniform(math.log(SNR[0]), math.log(SNR[1]))))
    small = float(rng.uniform(*SMALL_RATIO))
    return dict(family=family, n=n, p=p, T=T, n_active=active, rho=rho,
                snr=snr, small_ratio=small,
                data_seed=int(rng.integers(2**32)))


def draw_problem(params):
    """X (n x p) and Y (n x T), centred, from `draw_params`' output."""
    n, p, T = params["n"], params["p"], params["T"]
    rng = np.random.default_rng(params["data_seed"])
    rho = params["rho"]
    X = np.empty((n, p), order="F")
    X[:, 0] = rng.standard_normal(n)
    innov = math.sqrt(1.0 - rho * rho)
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + innov * rng.standard_normal(n)
    W = np.zeros((p, T))
    active = rng.choice(p, size=params["n_active"], replace=False)
    W[active] = rng.standard_normal((params["n_active"], T))
    signal = X @ W
    noise = rng.standard_normal((n, T))
    noise *= np.linalg.norm(signal) / (params["snr"] * np.linalg.norm(noise))
    Y = signal + noise
    X -= X.mean(axis=0)
    Y -= Y.mean(axis=0)
    return np.asfortranarray(X), np.asfortranarray(Y)


def draws(n_draws, seed, families=None):
    """`n_draws` parameter sets, round robin over `families` (default all)."""
    names = list(families or FAMILIES)
    rng = np.random.default_rng(seed)
    return [draw_params(names[i % len(names)], rng) for i in range(n_draws)]


def label(params):
    return (f"{params['family']} n{params['n']} p{params['p']} T{params['T']} "
            f"rho{params['rho']:.2f} act{params['n_active']} "
            f"snr{params['snr']:.2g}")


def write_csv(path, A):
    """Shortest round-trip decimal (Python repr): exact and quick to parse."""
    with open(path, "w") as f:
        rows = A.tolist()
        for k in range(0, len(rows), 4096):
            f.write("\n".join(",".join(map(repr, r)) for r in rows[k:k + 4096]))
            f.write("\n")

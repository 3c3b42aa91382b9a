//! Shared-representation models (issue 15) at engine level: the APG solver
//! over whole-matrix penalties, reduced-rank regression, TGL and mean-
//! regularised MTL through the BCD engine, task weights from the noise, and
//! the structured generators.
//!
//! References: `fixtures/models/*.json` from `fixtures/make_models_fixtures.py`
//! (cvxpy + Clarabel, refined by an independent numpy proximal gradient).
//! Objectives and gaps are recomputed here by naive loops that share no code
//! with the solver.

use faer::Mat;
use faer::linalg::solvers::DenseSolveCore;
use mtreg::datafit::{Datafit, PerTask, Quadratic};
use mtreg::models::{NoiseWeightOptions, ReducedRank, noise_weights_per_task};
use mtreg::penalty::{
    ClusteredMtl, Coupled, Dirty, GroupNorm, L21, ProxPenalty, RobustMtfl, Sparsity, TaskGraph,
    TraceNorm,
};
use mtreg::solver::apg::{self, ApgOptions};
use mtreg::solver::{Solution, SolverOptions};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

// ---------------------------------------------------------------------------
// fixture data and naive evaluation
// ---------------------------------------------------------------------------

/// One problem: per-task designs (copies of X for a shared design), targets
/// and weights.
struct Problem {
    xs: Vec<Mat<f64>>,
    ys: Vec<Vec<f64>>,
    c: Vec<f64>,
    shared: bool,
}

fn mat(v: &Value) -> Mat<f64> {
    let rows = v.as_array().unwrap();
    let ncols = rows.first().map_or(0, |r| r.as_array().unwrap().len());
    Mat::from_fn(rows.len(), ncols, |i, j| rows[i][j].as_f64().unwrap())
}

fn vecf(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn fixture(case: &str) -> Value {
    let path = format!("{}/fixtures/models/{case}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

impl Problem {
    fn from_fixture(e: &Value) -> Self {
        let c = vecf(&e["task_weights"]);
        if e["design"] == "shared" {
            let x = mat(&e["x"]);
            let y = mat(&e["y"]);
            let t = y.ncols();
            Self {
                xs: vec![x; t],
                ys: (0..t)
                    .map(|k| (0..y.nrows()).map(|i| y[(i, k)]).collect())
                    .collect(),
                c,
                shared: true,
            }
        } else {
            Self {
                xs: e["xs"].as_array().unwrap().iter().map(mat).collect(),
                ys: e["ys"].as_array().unwrap().iter().map(vecf).collect(),
                c,
                shared: false,
            }
        }
    }

    fn t(&self) -> usize {
        self.xs.len()
    }

    fn p(&self) -> usize {
        self.xs[0].ncols()
    }

    fn per_task(&self) -> PerTask {
        PerTask::new(self.xs.clone(), self.ys.clone(), &self.c)
    }

    /// `f(W) = Σ_t c_t/(2n_t) ‖y_t − X_t w_t‖²` and its gradient (p × T), by
    /// loops.
    fn loss(&self, w: &Mat<f64>) -> (f64, Mat<f64>) {
        let (p, t) = (self.p(), self.t());
        let mut g = Mat::<f64>::zeros(p, t);
        let mut f = 0.0;
        for k in 0..t {
            let (x, y) = (&self.xs[k], &self.ys[k]);
            let a = self.c[k] / y.len() as f64;
            for i in 0..y.len() {
                let mut r = y[i];
                for j in 0..p {
                    r -= x[(i, j)] * w[(j, k)];
                }
                f += 0.5 * a * r * r;
                for j in 0..p {
                    g[(j, k)] -= a * x[(i, j)] * r;
                }
            }
        }
        (f, g)
    }
}

fn max_abs_diff(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    assert_eq!((a.nrows(), a.ncols()), (b.nrows(), b.ncols()));
    let mut m = 0.0f64;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            m = m.max((a[(i, j)] - b[(i, j)]).abs());
        }
    }
    m
}

fn singular_values(w: &Mat<f64>) -> Vec<f64> {
    w.singular_values().unwrap()
}

/// Runs the APG solver from zero on the fixture's datafit.
fn apg_fit<P: ProxPenalty>(prob: &Problem, pen: &P, tol: f64) -> Solution {
    let k = pen.n_components();
    let opts = ApgOptions {
        tol,
        max_iter: 200_000,
        ..ApgOptions::default()
    };
    let z0 = Mat::<f64>::zeros(prob.t(), k * prob.p());
    // `Quadratic` for a shared design with unit weights, `PerTask` otherwise
    if prob.shared && prob.c.iter().all(|&v| v == 1.0) {
        let x = prob.xs[0].clone();
        let y = Mat::from_fn(x.nrows(), prob.t(), |i, k| prob.ys[k][i]);
        apg::solve(&opts, &mut Quadratic::new(x, y), pen, z0).unwrap()
    } else {
        apg::solve(&opts, &mut prob.per_task(), pen, z0).unwrap()
    }
}

/// W (p × T) from a stacked solution (`T × (k·p)`).
fn coef_of(sol: &Solution, k: usize) -> Mat<f64> {
    let p = sol.wt.ncols() / k;
    Mat::from_fn(p, sol.wt.nrows(), |j, t| {
        (0..k).map(|c| sol.wt[(t, c * p + j)]).sum()
    })
}

/// Component c (p × T) of a stacked solution.
fn component(sol: &Solution, c: usize) -> Mat<f64> {
    let p = sol.wt.ncols() / 2;
    Mat::from_fn(p, sol.wt.nrows(), |j, t| sol.wt[(t, c * p + j)])
}

/// Compares a solution with a fixture: objective (recomputed naively) within
/// 1e-9 relative, coefficients within 1e-6, certificate satisfied.
fn check_against(case: &str, sol: &Solution, w: &Mat<f64>, naive_objective: f64, e: &Value) {
    let obj = e["objective"].as_f64().unwrap();
    let rel = (naive_objective - obj).abs() / obj.abs();
    let diff = max_abs_diff(w, &mat(&e["coef"]));
    println!(
        "{case}: objective rel. diff {rel:.2e}, max |ΔW| {diff:.2e}, {} after {} iterations",
        sol.certificate, sol.n_iter
    );
    assert!(sol.converged, "{case}: {:?}", sol.certificate);
    assert!(rel <= 1e-9, "{case}: objective {naive_objective} vs {obj}");
    assert!(diff <= 1e-6, "{case}: coef differs by {diff}");
    assert!(
        (sol.objective - naive_objective).abs() <= 1e-12 * obj.abs(),
        "{case}: reported objective {} vs naive {naive_objective}",
        sol.objective
    );
}

/// The Fenchel gap of `w` for penalty value `g` recomputed without the
/// solver's code: D(s) = s(2f − ⟨G, W⟩) − s² f − conj(s), maximised by a
/// golden-section search over s ∈ [0, s_hi].
fn naive_gap(
    f: f64,
    grad: &Mat<f64>,
    w: &Mat<f64>,
    g: f64,
    conj: impl Fn(f64) -> f64,
    s_hi: f64,
) -> f64 {
    let mut gw = 0.0;
    for j in 0..w.ncols() {
        for i in 0..w.nrows() {
            gw += grad[(i, j)] * w[(i, j)];
        }
    }
    let b = 2.0 * f - gw;
    let d = |s: f64| s * b - s * s * f - conj(s);
    let (mut lo, mut hi) = (0.0, s_hi);
    let phi = 0.5 * (5f64.sqrt() - 1.0);
    for _ in 0..200 {
        let (m1, m2) = (hi - phi * (hi - lo), lo + phi * (hi - lo));
        if d(m1) < d(m2) {
            lo = m1;
        } else {
            hi = m2;
        }
    }
    f + g - d(0.5 * (lo + hi)).max(d(0.0)).max(d(s_hi))
}

// ---------------------------------------------------------------------------
// fixtures
// ---------------------------------------------------------------------------

#[test]
fn trace_norm_matches_the_conic_reference() {
    for case in ["trace_shared_l1", "trace_shared_en", "trace_per_task"] {
        let e = fixture(case);
        let prob = Problem::from_fixture(&e);
        let (alpha, rho) = (
            e["alpha"].as_f64().unwrap(),
            e["l1_ratio"].as_f64().unwrap(),
        );
        let pen = TraceNorm::new(alpha, rho);
        let sol = apg_fit(&prob, &pen, 1e-12);
        let w = coef_of(&sol, 1);
        let (f, grad) = prob.loss(&w);
        let s = singular_values(&w);
        let g = alpha * rho * s.iter().sum::<f64>()
            + 0.5 * alpha * (1.0 - rho) * s.iter().map(|v| v * v).sum::<f64>();
        check_against(case, &sol, &w, f + g, &e);
        // alpha_max: the script's value, from the spectral norm of ∇f(0)
        let (_, g0) = prob.loss(&Mat::zeros(prob.p(), prob.t()));
        let amax = singular_values(&g0)[0] / rho;
        assert!((amax - e["alpha_max"].as_f64().unwrap()).abs() <= 1e-12 * amax);
        // singular values of the solution
        for (a, b) in s.iter().zip(vecf(&e["singular_values"])) {
            assert!((a - b).abs() <= 1e-6, "{case}: σ {a} vs {b}");
        }
        // the gap recomputed independently: g*(−sG) = Σ (sσ_i(G) − l1)₊²/(2 l2)
        // (or the indicator of s σ_max ≤ l1)
        let sg = singular_values(&grad);
        let (l1, l2) = (alpha * rho, alpha * (1.0 - rho));
        let conj = |s: f64| -> f64 {
            if l2 > 0.0 {
                sg.iter()
                    .map(|&v| (s * v - l1).max(0.0).powi(2) / (2.0 * l2))
                    .sum()
            } else {
                0.0
            }
        };
        let s_hi = if l2 > 0.0 { 10.0 } else { l1 / sg[0] };
        let gap = naive_gap(f, &grad, &w, g, conj, s_hi);
        let reported = sol.certificate.value();
        assert!(
            (gap - reported).abs() <= 1e-11 * (f + g),
            "{case}: gap {reported} vs naive {gap}"
        );
    }
}

#[test]
fn dirty_and_robust_match_the_conic_reference() {
    for case in ["dirty_linf", "dirty_l2", "robust"] {
        let e = fixture(case);
        let prob = Problem::from_fixture(&e);
        let (a, b) = (
            e["alpha"].as_f64().unwrap(),
            e["alpha_specific"].as_f64().unwrap(),
        );
        let linf = e["group_norm"] == "linf";
        let sol = if e["model"] == "dirty" {
            let q = if linf { GroupNorm::LInf } else { GroupNorm::L2 };
            apg_fit(&prob, &Dirty::new(a, b, q).unwrap(), 1e-12)
        } else {
            apg_fit(&prob, &RobustMtfl::new(a, b).unwrap(), 1e-12)
        };
        let w = coef_of(&sol, 2);
        let (pm, qm) = (component(&sol, 0), component(&sol, 1));
        let (f, grad) = prob.loss(&w);
        // penalty by loops
        let (p, t) = (prob.p(), prob.t());
        let row = |m: &Mat<f64>, j: usize| -> Vec<f64> { (0..t).map(|k| m[(j, k)]).collect() };
        let shared: f64 = (0..p)
            .map(|j| {
                let r = row(&pm, j);
                if linf {
                    r.iter().fold(0.0f64, |m, v| m.max(v.abs()))
                } else {
                    r.iter().map(|v| v * v).sum::<f64>().sqrt()
                }
            })
            .sum();
        let specific: f64 = if e["model"] == "dirty" {
            (0..p).flat_map(|j| row(&qm, j)).map(f64::abs).sum()
        } else {
            (0..t)
                .map(|k| (0..p).map(|j| qm[(j, k)].powi(2)).sum::<f64>().sqrt())
                .sum()
        };
        let g = a * shared + b * specific;
        check_against(case, &sol, &w, f + g, &e);
        assert!(max_abs_diff(&pm, &mat(&e["P"])) <= 1e-6, "{case}: P");
        assert!(max_abs_diff(&qm, &mat(&e["Q"])) <= 1e-6, "{case}: Q");
        if e["model"] == "robust" {
            let outliers: Vec<usize> = e["outlier_tasks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(RobustMtfl::outlier_tasks(sol.wt.as_ref()), outliers);
            assert!(!outliers.is_empty());
        }
        // gap of the infimal convolution, recomputed: s_max from both balls
        let dual_rows = (0..p)
            .map(|j| {
                let r = row(&grad, j);
                if linf {
                    r.iter().map(|v| v.abs()).sum::<f64>()
                } else {
                    r.iter().map(|v| v * v).sum::<f64>().sqrt()
                }
            })
            .fold(0.0, f64::max);
        let dual_spec = if e["model"] == "dirty" {
            (0..p)
                .flat_map(|j| row(&grad, j))
                .fold(0.0f64, |m, v| m.max(v.abs()))
        } else {
            (0..t)
                .map(|k| (0..p).map(|j| grad[(j, k)].powi(2)).sum::<f64>().sqrt())
                .fold(0.0, f64::max)
        };
        let s_hi = (a / dual_rows).min(b / dual_spec);
        let gap = naive_gap(f, &grad, &w, g, |_| 0.0, s_hi);
        assert!(
            (gap - sol.certificate.value()).abs() <= 1e-11 * (f + g),
            "{case}: gap {} vs naive {gap}",
            sol.certificate.value()
        );
    }
}

#[test]
fn clustered_mtl_matches_the_sdp_reference() {
    for case in ["cmtl", "cmtl_per_task"] {
        let e = fixture(case);
        let prob = Problem::from_fixture(&e);
        let (c, eta, k) = (
            e["strength"].as_f64().unwrap(),
            e["eta"].as_f64().unwrap(),
            e["k"].as_u64().unwrap() as usize,
        );
        let pen = ClusteredMtl::new(c, eta, k).unwrap();
        let sol = apg_fit(&prob, &pen, 1e-12);
        let w = coef_of(&sol, 1);
        let (f, grad) = prob.loss(&w);
        // the penalty with the reference's M (an upper bound on the profiled
        // value, equal at the optimum): c tr(W (ηI + M)⁻¹ Wᵀ)
        let m = mat(&e["M"]);
        let t = prob.t();
        let a = Mat::from_fn(t, t, |i, j| m[(i, j)] + if i == j { eta } else { 0.0 });
        let ainv = a.partial_piv_lu().inverse();
        let wtw = w.transpose() * &w;
        let g_ref_m: f64 = c * (0..t).map(|i| (&ainv * &wtw)[(i, i)]).sum::<f64>();
        let g = pen.value(sol.wt.as_ref()).unwrap();
        assert!(
            g <= g_ref_m + 1e-12 && g >= g_ref_m - 1e-8 * g_ref_m,
            "{g} vs {g_ref_m}"
        );
        check_against(case, &sol, &w, f + g_ref_m, &e);
        let (m_ours, _) = pen.optimal_m(sol.wt.as_ref()).unwrap();
        assert!(max_abs_diff(&m_ours, &m) <= 1e-6, "{case}: M");
        // stationarity: ∇f + ∇g = 0 (g is smooth)
        let gg = pen.gradient(sol.wt.as_ref()).unwrap();
        let resid = (0..prob.p())
            .flat_map(|j| (0..t).map(move |k| (j, k)))
            .map(|(j, k)| (grad[(j, k)] + gg[(k, j)]).abs())
            .fold(0.0, f64::max);
        assert!(resid < 1e-6, "{case}: gradient {resid}");
        // the gap, recomputed: g*(V) = (η‖V‖² + Σ_{i≤k} σ_i²)/(4c)
        let sg = singular_values(&grad);
        let conj = |s: f64| {
            sg.iter()
                .enumerate()
                .map(|(i, v)| (s * v).powi(2) * (eta + if i < k { 1.0 } else { 0.0 }) / (4.0 * c))
                .sum::<f64>()
        };
        let gap = naive_gap(f, &grad, &w, g, conj, 10.0);
        assert!((gap - sol.certificate.value()).abs() <= 1e-11 * (f + g));
    }
}

#[test]
fn reduced_rank_regression_matches_the_reference() {
    for case in ["rrr_ridge", "rrr_weights"] {
        let e = fixture(case);
        let prob = Problem::from_fixture(&e);
        let (rank, l2) = (
            e["rank"].as_u64().unwrap() as usize,
            e["l2"].as_f64().unwrap(),
        );
        let x = prob.xs[0].clone();
        let y = Mat::from_fn(x.nrows(), prob.t(), |i, k| prob.ys[k][i]);
        let rrr = ReducedRank::fit(x.as_ref(), y.as_ref(), l2, Some(&prob.c)).unwrap();
        let w = rrr.coef(rank);
        let (f, _) = prob.loss(&w);
        let obj = f + 0.5 * l2 * w.squared_norm_l2();
        let expected = e["objective"].as_f64().unwrap();
        let diff = max_abs_diff(&w, &mat(&e["coef"]));
        println!(
            "{case}: objective rel. diff {:.2e}, max |ΔW| {diff:.2e}",
            (obj - expected).abs() / expected
        );
        assert!((obj - expected).abs() <= 1e-9 * expected);
        assert!(diff <= 1e-6);
        let st = mtreg::models::rrr::stationarity(
            x.as_ref(),
            y.as_ref(),
            w.as_ref(),
            l2,
            Some(&prob.c),
            rank,
        )
        .unwrap();
        assert!(st < 1e-10, "{st}");
        assert_eq!(
            singular_values(&w).iter().filter(|&&s| s > 1e-10).count(),
            rank
        );
    }
}

/// MALSAR's Least_TGL: `Σ ½‖y_t − X_t w_t‖² + ρ1‖W‖²_F + ρ2‖WR‖²_F + ρ3‖W‖₂₁`
/// is the task-graph model with `c_t = n_t`, `l1 = ρ3`, ridge `2ρ1`, chain
/// graph strength `2ρ2` (docs/models.md).
#[test]
fn temporal_group_lasso_is_the_chain_model() {
    let e = fixture("tgl");
    let mut prob = Problem::from_fixture(&e);
    let m = &e["malsar"];
    let (r1, r2, r3) = (
        m["rho1"].as_f64().unwrap(),
        m["rho2"].as_f64().unwrap(),
        m["rho3"].as_f64().unwrap(),
    );
    let t = prob.t();
    prob.c = prob.ys.iter().map(|y| y.len() as f64).collect();
    let lap = TaskGraph::chain(t).laplacian();
    let coupling = Mat::from_fn(t, t, |i, j| {
        2.0 * r2 * lap[(i, j)] + if i == j { 2.0 * r1 } else { 0.0 }
    });
    let pen = Coupled::new(r3, Sparsity::Group, coupling).unwrap();
    let mut d = prob.per_task();
    let opts = SolverOptions {
        tol: 1e-13,
        kkt_tol: 1e-11,
        max_iter: 100_000,
        ..SolverOptions::default()
    };
    let sol = mtreg::solver::solve(&opts, &mut d, &pen, Mat::zeros(t, prob.p()));
    let w = sol.wt.transpose().to_owned();
    // MALSAR's objective, by loops
    let (loss, _) = prob.loss(&w); // c_t = n_t: Σ ½‖r_t‖²
    let mut fro = 0.0;
    let mut chain = 0.0;
    let mut l21 = 0.0;
    for j in 0..prob.p() {
        let r: Vec<f64> = (0..t).map(|k| w[(j, k)]).collect();
        fro += r.iter().map(|v| v * v).sum::<f64>();
        l21 += r.iter().map(|v| v * v).sum::<f64>().sqrt();
        chain += r.windows(2).map(|p| (p[0] - p[1]).powi(2)).sum::<f64>();
    }
    let obj = loss + r1 * fro + r2 * chain + r3 * l21;
    check_against("tgl", &sol, &w, obj, &e);
}

/// Evgeniou & Pontil: `f(W) + λ1/T Σ‖v_t‖² + λ2‖w0‖² (+ μ‖W‖₂₁)` over
/// `W = w0 1ᵀ + V` is the complete-graph model with ridge `2a` and graph
/// strength `2b`, `a = λ1λ2/((λ1+λ2)T)`, `b = λ1²/((λ1+λ2)T)`.
#[test]
fn mean_regularised_mtl_is_the_complete_graph() {
    let e = fixture("meanreg");
    let prob = Problem::from_fixture(&e);
    let (l1, l2, mu) = (
        e["lam1"].as_f64().unwrap(),
        e["lam2"].as_f64().unwrap(),
        e["mu"].as_f64().unwrap(),
    );
    let t = prob.t();
    let tf = t as f64;
    let (a, b) = (l1 * l2 / ((l1 + l2) * tf), l1 * l1 / ((l1 + l2) * tf));
    let lap = TaskGraph::complete(t).laplacian();
    let coupling = Mat::from_fn(t, t, |i, j| {
        2.0 * b * lap[(i, j)] + if i == j { 2.0 * a } else { 0.0 }
    });
    let pen = Coupled::new(mu, Sparsity::Group, coupling).unwrap();
    let mut d = prob.per_task();
    let opts = SolverOptions {
        tol: 1e-13,
        kkt_tol: 1e-11,
        max_iter: 100_000,
        ..SolverOptions::default()
    };
    let sol = mtreg::solver::solve(&opts, &mut d, &pen, Mat::zeros(t, prob.p()));
    let w = sol.wt.transpose().to_owned();
    // the E&P objective at (w0, V) with the best w0 = λ1 w̄/(λ1 + λ2)
    let (loss, _) = prob.loss(&w);
    let mut obj = loss;
    for j in 0..prob.p() {
        let r: Vec<f64> = (0..t).map(|k| w[(j, k)]).collect();
        let mean = r.iter().sum::<f64>() / tf;
        let w0 = l1 * mean / (l1 + l2);
        obj += l1 / tf * r.iter().map(|v| (v - w0).powi(2)).sum::<f64>() + l2 * w0 * w0;
        obj += mu * r.iter().map(|v| v * v).sum::<f64>().sqrt();
        let w0_ref = e["w0"][j].as_f64().unwrap();
        assert!((w0 - w0_ref).abs() <= 1e-6, "w0[{j}] {w0} vs {w0_ref}");
    }
    check_against("meanreg", &sol, &w, obj, &e);
    // the complete graph's term is Σ_t ‖w_t − w̄‖²
    let mut centred = 0.0;
    let mut edges = 0.0;
    for j in 0..prob.p() {
        let r: Vec<f64> = (0..t).map(|k| w[(j, k)]).collect();
        let mean = r.iter().sum::<f64>() / tf;
        centred += r.iter().map(|v| (v - mean).powi(2)).sum::<f64>();
        for &(s, u, a) in TaskGraph::complete(t).edges() {
            edges += a * (r[s] - r[u]).powi(2);
        }
    }
    assert!((centred - edges).abs() <= 1e-12 * centred);
}

// ---------------------------------------------------------------------------
// properties
// ---------------------------------------------------------------------------

fn random_problem(seed: u64, n: usize, p: usize, t: usize) -> (Mat<f64>, Mat<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = Mat::from_fn(n, p, |_, _| rng.random::<f64>() - 0.5);
    let w = Mat::from_fn(p, t, |j, k| {
        if j < 3 {
            1.0 + (j + k) as f64 * 0.3
        } else {
            0.0
        }
    });
    let mut y = &x * &w;
    for k in 0..t {
        for i in 0..n {
            y[(i, k)] += 0.2 * (rng.random::<f64>() - 0.5);
        }
    }
    y[(0, t - 1)] += 3.0; // something task-specific
    (x, y)
}

fn grad0(x: &Mat<f64>, y: &Mat<f64>) -> Mat<f64> {
    let mut d = Quadratic::new(x.clone(), y.clone());
    let mut g = Mat::<f64>::zeros(y.ncols(), x.ncols());
    d.init_state(Mat::<f64>::zeros(y.ncols(), x.ncols()).as_ref());
    d.full_gradient(g.as_mut());
    g
}

fn solve_q<P: ProxPenalty>(x: &Mat<f64>, y: &Mat<f64>, pen: &P, tol: f64) -> Solution {
    let mut d = Quadratic::new(x.clone(), y.clone());
    let k = pen.n_components();
    let opts = ApgOptions {
        tol,
        max_iter: 100_000,
        ..ApgOptions::default()
    };
    apg::solve(&opts, &mut d, pen, Mat::zeros(y.ncols(), k * x.ncols())).unwrap()
}

/// α at (or above) alpha_max gives exactly W = 0 with no iteration; slightly
/// below, W ≠ 0. (critical_scale: the factor that makes 0 optimal.)
#[test]
fn alpha_max_gives_zero() {
    let (x, y) = random_problem(1, 40, 10, 4);
    let g0 = grad0(&x, &y);
    for rho in [1.0, 0.5] {
        let amax = TraceNorm::alpha_max(g0.as_ref(), rho).unwrap();
        let at = solve_q(&x, &y, &TraceNorm::new(amax * (1.0 + 1e-12), rho), 1e-12);
        assert!(at.wt.norm_max() == 0.0 && at.n_iter == 0 && at.converged);
        let below = solve_q(&x, &y, &TraceNorm::new(amax * 0.99, rho), 1e-12);
        assert!(below.wt.norm_max() > 0.0);
        assert!(
            (TraceNorm::new(2.0, rho)
                .critical_scale(g0.as_ref())
                .unwrap()
                * 2.0
                - amax)
                .abs()
                <= 1e-12 * amax
        );
    }
    // two-part models: scale both weights by the critical factor
    for q in [GroupNorm::L2, GroupNorm::LInf] {
        let base = Dirty::new(0.3, 0.2, q).unwrap();
        let kappa = base.critical_scale(g0.as_ref()).unwrap();
        let at = Dirty::new(0.3 * kappa * (1.0 + 1e-12), 0.2 * kappa * (1.0 + 1e-12), q).unwrap();
        assert_eq!(solve_q(&x, &y, &at, 1e-12).wt.norm_max(), 0.0);
        let below = Dirty::new(0.3 * kappa * 0.99, 0.2 * kappa * 0.99, q).unwrap();
        assert!(solve_q(&x, &y, &below, 1e-12).wt.norm_max() > 0.0);
    }
    let base = RobustMtfl::new(0.3, 0.2).unwrap();
    let kappa = base.critical_scale(g0.as_ref()).unwrap();
    let at = RobustMtfl::new(0.3 * kappa * (1.0 + 1e-12), 0.2 * kappa * (1.0 + 1e-12)).unwrap();
    assert_eq!(solve_q(&x, &y, &at, 1e-12).wt.norm_max(), 0.0);
}

/// β → ∞: the specific part vanishes and dirty (q = 2) and robust equal the
/// multi-task group Lasso fitted by the BCD engine.
#[test]
fn large_beta_gives_the_group_lasso() {
    let (x, y) = random_problem(2, 50, 12, 5);
    let g0 = grad0(&x, &y);
    let alpha = 0.2 * RobustMtfl::new(1.0, 1.0).unwrap().dual_norms(g0.as_ref()).0;
    let mut d = Quadratic::new(x.clone(), y.clone());
    let l21 = mtreg::solver::solve(
        &SolverOptions {
            tol: 1e-15,
            ..SolverOptions::default()
        },
        &mut d,
        &L21::new(alpha, 1.0),
        Mat::zeros(5, 12),
    );
    let w_l21 = l21.wt.transpose().to_owned();
    // β above every gradient entry / column norm at the group-Lasso solution
    let beta = 10.0 * g0.norm_max() * (5.0 * 12.0f64).sqrt();
    for sol in [
        solve_q(
            &x,
            &y,
            &Dirty::new(alpha, beta, GroupNorm::L2).unwrap(),
            1e-13,
        ),
        solve_q(&x, &y, &RobustMtfl::new(alpha, beta).unwrap(), 1e-13),
    ] {
        assert_eq!(component(&sol, 1).norm_max(), 0.0, "Q must be exactly 0");
        let diff = max_abs_diff(&coef_of(&sol, 2), &w_l21);
        assert!(diff < 1e-6, "{diff}");
        assert!((sol.objective - l21.objective).abs() <= 1e-10 * l21.objective);
    }
    // and a moderate β does use the specific part (the test is not vacuous)
    let sol = solve_q(
        &x,
        &y,
        &RobustMtfl::new(alpha, 0.05 * beta / 10.0).unwrap(),
        1e-12,
    );
    assert!(component(&sol, 1).norm_max() > 0.0);
}

/// On an orthonormal design (`XᵀX/n = I`) without ridge, rank-k RRR is the
/// rank-k truncated SVD of `B = XᵀY/n`, and the trace-norm solution at α
/// between σ_{k+1} and σ_k of B is that SVD soft-thresholded: `W_trace =
/// W_rrr − α U_k V_kᵀ`, the same top-k structure.
#[test]
fn rrr_and_trace_norm_share_the_top_k_structure_on_an_orthogonal_design() {
    let (n, p, t) = (30, 6, 5);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let g = Mat::from_fn(n, p, |_, _| rng.random::<f64>() - 0.5);
    let q = g.qr().compute_thin_Q();
    let x = q * faer::Scale((n as f64).sqrt());
    let y = Mat::from_fn(n, t, |_, _| rng.random::<f64>() - 0.5);
    let b = x.transpose() * &y * faer::Scale(1.0 / n as f64);
    let svd = b.thin_svd().unwrap();
    let s = svd.S().column_vector();
    let rrr = ReducedRank::fit(x.as_ref(), y.as_ref(), 0.0, None).unwrap();
    for k in 1..t {
        let alpha = 0.5 * (s[k - 1] + s[k]);
        let sol = solve_q(&x, &y, &TraceNorm::new(alpha, 1.0), 1e-14);
        let w_trace = coef_of(&sol, 1);
        let w_rrr = rrr.coef(k);
        let uk = svd.U().subcols(0, k);
        let vk = svd.V().subcols(0, k);
        let expected = &w_rrr - uk * vk.transpose() * faer::Scale(alpha);
        let diff = max_abs_diff(&w_trace, &expected);
        assert!(diff < 1e-7, "k = {k}: {diff}");
        let sv = singular_values(&w_trace);
        assert_eq!(sv.iter().filter(|&&v| v > 1e-8).count(), k);
    }
}

/// Permuting the tasks permutes the solution (trace, robust, clustered).
#[test]
fn task_permutation_permutes_the_solution() {
    let (x, y) = random_problem(3, 40, 8, 5);
    let perm = [3, 0, 4, 1, 2]; // new task i is old task perm[i]
    let yp = Mat::from_fn(y.nrows(), 5, |i, k| y[(i, perm[k])]);
    let g0 = grad0(&x, &y);
    let amax = TraceNorm::alpha_max(g0.as_ref(), 1.0).unwrap();
    let check = |a: Mat<f64>, b: Mat<f64>, what: &str| {
        let bp = Mat::from_fn(b.nrows(), 5, |j, k| a[(j, perm[k])]);
        let d = max_abs_diff(&bp, &b);
        assert!(d < 1e-7, "{what}: {d}");
    };
    let pen = TraceNorm::new(0.2 * amax, 0.8);
    check(
        coef_of(&solve_q(&x, &y, &pen, 1e-13), 1),
        coef_of(&solve_q(&x, &yp, &pen, 1e-13), 1),
        "trace",
    );
    let pen = RobustMtfl::new(0.1 * amax, 0.2 * amax).unwrap();
    check(
        coef_of(&solve_q(&x, &y, &pen, 1e-13), 2),
        coef_of(&solve_q(&x, &yp, &pen, 1e-13), 2),
        "robust",
    );
    let pen = Dirty::new(0.1 * amax, 0.05 * amax, GroupNorm::LInf).unwrap();
    check(
        coef_of(&solve_q(&x, &y, &pen, 1e-13), 2),
        coef_of(&solve_q(&x, &yp, &pen, 1e-13), 2),
        "dirty",
    );
    let pen = ClusteredMtl::new(0.5, 0.3, 2).unwrap();
    check(
        coef_of(&solve_q(&x, &y, &pen, 1e-13), 1),
        coef_of(&solve_q(&x, &yp, &pen, 1e-13), 1),
        "cmtl",
    );
}

/// The gap bounds the distance to the optimum in objective: a loose solve's
/// objective minus a tight solve's never exceeds the loose gap; and the
/// warm-started path reaches each point in fewer iterations than cold.
#[test]
fn gap_bounds_suboptimality_and_warm_starts_help() {
    let (x, y) = random_problem(4, 60, 20, 6);
    let g0 = grad0(&x, &y);
    let amax = TraceNorm::alpha_max(g0.as_ref(), 1.0).unwrap();
    let mut d = Quadratic::new(x.clone(), y.clone());
    let mut z = Mat::<f64>::zeros(6, 20);
    let mut lip = None;
    let (mut warm_iters, mut cold_iters) = (0, 0);
    for r in [0.5, 0.3, 0.2, 0.1, 0.05] {
        let pen = TraceNorm::new(r * amax, 1.0);
        let opts = ApgOptions {
            tol: 1e-8,
            lipschitz: lip,
            ..ApgOptions::default()
        };
        let (sol, info) = apg::solve_with_info(&opts, &mut d, &pen, z.clone()).unwrap();
        let cold = apg::solve(
            &ApgOptions {
                tol: 1e-8,
                ..ApgOptions::default()
            },
            &mut d,
            &pen,
            Mat::zeros(6, 20),
        )
        .unwrap();
        let tight = apg::solve(
            &ApgOptions {
                tol: 1e-15,
                max_iter: 100_000,
                ..ApgOptions::default()
            },
            &mut d,
            &pen,
            sol.wt.clone(),
        )
        .unwrap();
        assert!(sol.objective - tight.objective <= sol.certificate.value() + 1e-14);
        assert!(sol.certificate.value() <= 1e-8 && sol.converged);
        warm_iters += sol.n_iter;
        cold_iters += cold.n_iter;
        lip = Some(info.lipschitz);
        z = sol.wt;
    }
    assert!(warm_iters < cold_iters, "{warm_iters} vs {cold_iters}");
}

// ---------------------------------------------------------------------------
// generators and recovery
// ---------------------------------------------------------------------------

/// Low-rank generator → the trace norm recovers the rank and the subspace.
#[test]
fn trace_norm_recovers_a_low_rank_structure() {
    use mtreg::generate::{StructuredTasks, TaskStructure};
    let d = StructuredTasks::new(vec![200; 8], 20)
        .n_informative(20)
        .structure(TaskStructure::LowRank { rank: 2 })
        .noise(0.5)
        .shared_design(true)
        .seed(3)
        .generate()
        .unwrap();
    let x = d.xs[0].clone();
    let y = Mat::from_fn(200, 8, |i, k| d.ys[k][i]);
    let g0 = grad0(&x, &y);
    let amax = TraceNorm::alpha_max(g0.as_ref(), 1.0).unwrap();
    let sol = solve_q(&x, &y, &TraceNorm::new(0.05 * amax, 1.0), 1e-10);
    let w = coef_of(&sol, 1);
    let s = singular_values(&w);
    assert_eq!(s.iter().filter(|&&v| v > 1e-10 * s[0]).count(), 2, "{s:?}");
    // principal angles: the true column space (features) vs the estimate's
    let sv_true = d.coef.thin_svd().unwrap();
    let sv_est = w.thin_svd().unwrap();
    let ut = sv_true.U().subcols(0, 2);
    let ue = sv_est.U().subcols(0, 2);
    let cosines = (ut.transpose() * ue).singular_values().unwrap();
    assert!(cosines.iter().all(|&c| c > 0.99), "{cosines:?}");
}

/// Outlier-task generator → robust MTFL finds exactly the outlier tasks.
#[test]
fn robust_mtfl_recovers_the_outlier_tasks() {
    use mtreg::generate::{StructuredTasks, TaskStructure};
    let d = StructuredTasks::new(vec![100; 10], 12)
        .n_informative(3)
        .structure(TaskStructure::OutlierTasks {
            n_outliers: 2,
            scale: 1.0,
        })
        .noise(0.5)
        .seed(5)
        .generate()
        .unwrap();
    let prob = Problem {
        xs: d.xs.clone(),
        ys: d.ys.clone(),
        c: vec![1.0; 10],
        shared: false,
    };
    // α above the outliers' pull on single rows, β between the shrinkage
    // bias of regular tasks and the outliers' column norms (≈ 5√12)
    let pen = RobustMtfl::new(3.0, 3.0).unwrap();
    let sol = apg_fit(&prob, &pen, 1e-10);
    assert_eq!(RobustMtfl::outlier_tasks(sol.wt.as_ref()), d.outliers);
    // the shared part keeps the true support rows
    let pm = component(&sol, 0);
    let support: Vec<usize> = (0..12)
        .filter(|&j| (0..10).any(|k| pm[(j, k)] != 0.0))
        .collect();
    let truth: Vec<usize> = (0..12)
        .filter(|&j| {
            (0..10)
                .filter(|k| !d.outliers.contains(k))
                .any(|k| d.coef[(j, k)] != 0.0)
        })
        .collect();
    assert_eq!(support, truth);
}

/// Tasks of unequal noise → the learned weights recover `1/σ_t²` (relative
/// to each other) within 15 %, and the alternation's objective never
/// increases.
#[test]
fn noise_weights_recover_unequal_noise() {
    use mtreg::generate::StructuredTasks;
    let sd = vec![0.5, 1.0, 2.0, 4.0];
    let d = StructuredTasks::new(vec![400; 4], 10)
        .n_informative(3)
        .task_noise(sd.clone())
        .seed(8)
        .generate()
        .unwrap();
    let pen = L21::new(0.01, 1.0);
    let (res, w) = noise_weights_per_task(
        &d.xs,
        &d.ys,
        &pen,
        &SolverOptions::default(),
        1e-10,
        &NoiseWeightOptions::default(),
    )
    .unwrap();
    assert!(res.converged, "{res:?}");
    assert!(res.floored.is_empty());
    for (s2, s) in res.sigma2.iter().zip(&sd) {
        assert!((s2 / (s * s) - 1.0).abs() < 0.15, "σ² {s2} vs {}", s * s);
    }
    for (wt, s2) in res.weights.iter().zip(&res.sigma2) {
        assert!((wt * s2 - 1.0).abs() < 1e-4);
    }
    for pair in res.objectives.windows(2) {
        assert!(
            pair[1] <= pair[0] + 1e-9 * pair[0].abs(),
            "{:?}",
            res.objectives
        );
    }
    assert_eq!((w.nrows(), w.ncols()), (10, 4));
}

#[test]
fn cli_generates_low_rank_and_outlier_problems() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lr");
    assert_cmd::Command::cargo_bin("mtreg")
        .unwrap()
        .args([
            "generate",
            "--structure",
            "low-rank",
            "--rank",
            "2",
            "--n-targets",
            "5",
        ])
        .args([
            "--n-features",
            "8",
            "--n-informative",
            "8",
            "--n-samples",
            "20",
            "--shared-design",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let coef = std::fs::read_to_string(out.join("coef.csv")).unwrap();
    let rows: Vec<Vec<f64>> = coef
        .lines()
        .skip(1)
        .map(|l| l.split(',').skip(1).map(|v| v.parse().unwrap()).collect())
        .collect();
    let w = Mat::from_fn(8, 5, |j, k| rows[j][k]);
    let s = singular_values(&w);
    assert!(s[1] > 1e-6 * s[0] && s[2] < 1e-10 * s[0], "{s:?}");
    let out = dir.path().join("ol");
    assert_cmd::Command::cargo_bin("mtreg")
        .unwrap()
        .args([
            "generate",
            "--structure",
            "outlier-tasks",
            "--n-outliers",
            "1",
            "--n-targets",
            "4",
        ])
        .args([
            "--task-noise",
            "1,2,3,4",
            "--n-features",
            "5",
            "--n-informative",
            "2",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let tasks = std::fs::read_to_string(out.join("tasks.csv")).unwrap();
    assert!(tasks.starts_with("task,noise,outlier\nt0,1,"), "{tasks}");
    assert_eq!(tasks.matches(",true").count(), 1);
    assert_cmd::Command::cargo_bin("mtreg")
        .unwrap()
        .args(["generate", "--structure", "low-rank", "--rank", "0"])
        .arg("--out")
        .arg(dir.path().join("bad"))
        .assert()
        .code(2);
}

// ---------------------------------------------------------------------------
// property: certificates of the APG solver on random problems
// ---------------------------------------------------------------------------

/// Fits one of the whole-matrix penalties, scaled by `ratio` × its critical
/// scale at ∇f(0) (ratio ≥ 1: W = 0 is optimal); returns the solution and tol.
fn fit_scaled(
    which: usize,
    g0: &Mat<f64>,
    ratio: f64,
    x: &Mat<f64>,
    y: &Mat<f64>,
) -> (Solution, f64) {
    let tol = 1e-11 * y.squared_norm_l2() / x.nrows() as f64;
    match which {
        0 | 1 => {
            let rho = if which == 0 { 1.0 } else { 0.5 };
            let amax = TraceNorm::alpha_max(g0.as_ref(), rho).unwrap();
            let pen = TraceNorm::new(ratio * amax, rho);
            (solve_q(x, y, &pen, tol), tol)
        }
        2 | 3 => {
            let q = if which == 2 {
                GroupNorm::LInf
            } else {
                GroupNorm::L2
            };
            let base = Dirty::new(1.0, 0.7, q).unwrap();
            let k = base.critical_scale(g0.as_ref()).unwrap() * ratio;
            (solve_q(x, y, &Dirty::new(k, 0.7 * k, q).unwrap(), tol), tol)
        }
        4 => {
            let base = RobustMtfl::new(1.0, 1.3).unwrap();
            let k = base.critical_scale(g0.as_ref()).unwrap() * ratio;
            (
                solve_q(x, y, &RobustMtfl::new(k, 1.3 * k).unwrap(), tol),
                tol,
            )
        }
        _ => {
            let pen = ClusteredMtl::new(ratio, 0.3, 1 + y.ncols() / 2).unwrap();
            (solve_q(x, y, &pen, tol), tol)
        }
    }
}

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Every whole-matrix penalty on random problems: the solver converges,
    /// its gap is ≤ tol, no random perturbation of the (stacked) solution
    /// lowers the objective by more than the gap, and W = 0 exactly when the
    /// penalty is at or above its critical scale (norm penalties).
    #[test]
    fn apg_gap_bounds_the_suboptimality(
        seed in 0u64..10_000,
        n in 8usize..40,
        p in 2usize..12,
        t in 1usize..6,
        ratio in 0.02f64..1.5,
        which in 0usize..6,
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = Mat::from_fn(n, p, |_, _| rng.random::<f64>() - 0.5);
        let y = Mat::from_fn(n, t, |_, _| rng.random::<f64>() - 0.5);
        let g0 = grad0(&x, &y);
        let (sol, tol) = fit_scaled(which, &g0, ratio, &x, &y);
        prop_assert!(sol.converged, "{:?}", sol.certificate);
        prop_assert!(sol.certificate.value() <= tol);
        let k = sol.wt.ncols() / p;
        let prob = Problem {
            xs: vec![x.clone(); t],
            ys: (0..t).map(|c| (0..n).map(|i| y[(i, c)]).collect()).collect(),
            c: vec![1.0; t],
            shared: true,
        };
        // objective of a stacked iterate: naive loss + the penalty's value
        let objective = |zt: &Mat<f64>| -> f64 {
            let w = Mat::from_fn(p, t, |j, c| (0..k).map(|m| zt[(c, m * p + j)]).sum());
            let g = match which {
                0 | 1 => {
                    let rho = if which == 0 { 1.0 } else { 0.5 };
                    let amax = TraceNorm::alpha_max(g0.as_ref(), rho).unwrap();
                    TraceNorm::new(ratio * amax, rho).value(zt.as_ref()).unwrap()
                }
                2 | 3 => {
                    let q = if which == 2 { GroupNorm::LInf } else { GroupNorm::L2 };
                    let kk = Dirty::new(1.0, 0.7, q).unwrap().critical_scale(g0.as_ref()).unwrap() * ratio;
                    Dirty::new(kk, 0.7 * kk, q).unwrap().value(zt.as_ref()).unwrap()
                }
                4 => {
                    let kk = RobustMtfl::new(1.0, 1.3).unwrap().critical_scale(g0.as_ref()).unwrap() * ratio;
                    RobustMtfl::new(kk, 1.3 * kk).unwrap().value(zt.as_ref()).unwrap()
                }
                _ => ClusteredMtl::new(ratio, 0.3, 1 + t / 2).unwrap().value(zt.as_ref()).unwrap(),
            };
            prob.loss(&w).0 + g
        };
        let p0 = objective(&sol.wt);
        prop_assert!((p0 - sol.objective).abs() <= 1e-12 * (1.0 + p0.abs()));
        let gap = sol.certificate.value();
        for scale in [1e-6, 1e-3, 1e-1] {
            let d = Mat::from_fn(t, k * p, |_, _| scale * (rng.random::<f64>() - 0.5));
            let pert = &sol.wt + &d;
            prop_assert!(objective(&pert) >= p0 - gap - 1e-12 * (1.0 + p0.abs()));
        }
        if which < 5 {
            let zero = sol.wt.norm_max() == 0.0;
            if ratio >= 1.0 {
                prop_assert!(zero, "ratio {ratio}: W ≠ 0");
            }
            if ratio < 0.98 {
                prop_assert!(!zero, "ratio {ratio}: W = 0");
            }
        }
    }
}

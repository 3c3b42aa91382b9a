//! The pipeline is open: penalties defined here, through the public API only
//! (as `docs/extending.md` walks through), are fitted, swept along paths and
//! cross-validated like the built-in ones, each with its certificate.
//!
//! - `WeightedL21`: `α ρ Σ_j c_j ‖w_j‖₂ + α (1 − ρ)/2 ‖W‖²_F` (the adaptive
//!   group Lasso), block-separable, solved by block coordinate descent.
//! - `SplitL21`: a two-component penalty (`W = Z₁ + Z₂`, each component
//!   L21-penalised: the multi-task Lasso again) solved by its own
//!   whole-matrix proximal-gradient solver on the stacked iterate, through the
//!   `Solve` slot (`solve`, `lift`, `combine`), as a trace-norm or a
//!   shared + specific penalty would be.

use crate::common::{problem, rel_diff};
use faer::{Mat, MatRef};
use mtreg::certificate::Certificate;
use mtreg::cv::CvOptions;
use mtreg::datafit::Datafit;
use mtreg::path::AlphaGrid;
use mtreg::penalty::Penalty;
use mtreg::penalty::{Dirty, GroupNorm, ProxPenalty, TraceNorm};
use mtreg::problem::{Apg, Bcd, Data, PenaltyFamily, Solve};
use mtreg::solver::{Solution, SolverOptions, WarmStart};
use mtreg::{GraphMultiTask, MultiTaskLasso};

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

// ---------------------------------------------------------------------------
// A block-separable penalty: the math (`Penalty`) and its family.

/// `l1 Σ_j c_j ‖w_j‖₂ + l2/2 ‖W‖²_F`.
#[derive(Debug, Clone)]
struct WeightedL21 {
    l1: f64,
    l2: f64,
    weights: Vec<f64>,
}

impl Penalty for WeightedL21 {
    fn value(&self, wt: MatRef<'_, f64>) -> f64 {
        (0..wt.ncols())
            .map(|j| {
                let w: Vec<f64> = wt.col(j).iter().copied().collect();
                self.l1 * self.weights[j] * norm(&w) + 0.5 * self.l2 * norm(&w).powi(2)
            })
            .sum()
    }

    fn block_minimize(&self, j: usize, h: f64, b: &[f64], out: &mut [f64], _: &mut [f64]) {
        // group soft-threshold at l1 c_j
        let (nb, tau) = (norm(b), self.l1 * self.weights[j]);
        let scale = if nb <= tau {
            0.0
        } else {
            (1.0 - tau / nb) / (h + self.l2)
        };
        for (o, bi) in out.iter_mut().zip(b) {
            *o = scale * bi;
        }
    }

    fn subdiff_distance(&self, j: usize, w: &[f64], grad: &[f64]) -> f64 {
        let (nw, tau) = (norm(w), self.l1 * self.weights[j]);
        if nw == 0.0 {
            (norm(grad) - tau).max(0.0)
        } else {
            let c = tau / nw + self.l2;
            let d: Vec<f64> = grad.iter().zip(w).map(|(g, wi)| g + c * wi).collect();
            norm(&d)
        }
    }
}

/// The family: the penalty at each alpha, and alpha_max from −∇f(0).
#[derive(Debug, Clone)]
struct WeightedGroupLasso {
    weights: Vec<f64>,
}

impl PenaltyFamily for WeightedGroupLasso {
    type Penalty = Bcd<WeightedL21>;

    fn name(&self) -> &str {
        "weighted_l21"
    }

    fn penalty(&self, alpha: f64, l1_ratio: f64) -> mtreg::Result<Bcd<WeightedL21>> {
        Ok(Bcd(WeightedL21 {
            l1: alpha * l1_ratio,
            l2: alpha * (1.0 - l1_ratio),
            weights: self.weights.clone(),
        }))
    }

    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> mtreg::Result<f64> {
        // W = 0 is optimal iff ‖g_j‖ ≤ α ρ c_j for every row
        Ok((0..grad0.ncols())
            .map(|j| {
                let g: Vec<f64> = grad0.col(j).iter().copied().collect();
                norm(&g) / self.weights[j]
            })
            .fold(0.0, f64::max)
            / l1_ratio)
    }
}

// ---------------------------------------------------------------------------
// A penalty solved by its own whole-matrix solver (the second solver slot),
// over two components: W = Z₁ + Z₂ with g(Z₁, Z₂) = l1 Σ_j (‖z₁_j‖ + ‖z₂_j‖),
// whose infimal convolution is l1 Σ_j ‖w_j‖: the multi-task Lasso again, as a
// shared + specific model would reduce to one for equal weights.

/// The two-component L21 penalty, minimised by proximal gradient on the
/// stacked iterate `[Z₁ Z₂]` (T × 2p; ISTA with step 1 / (2 Σ_j h_j)).
#[derive(Debug, Clone)]
struct SplitL21 {
    l1: f64,
}

impl SplitL21 {
    fn w(&self, zt: MatRef<'_, f64>) -> Mat<f64> {
        let p = zt.ncols() / 2;
        Mat::from_fn(zt.nrows(), p, |k, j| zt[(k, j)] + zt[(k, p + j)])
    }

    /// `max_{c,j} dist(−∇_j f(W), ∂(l1‖·‖)(z_cj))`.
    fn kkt(&self, zt: MatRef<'_, f64>, grad: MatRef<'_, f64>) -> f64 {
        let p = grad.ncols();
        (0..2 * p)
            .map(|c| {
                let z: Vec<f64> = zt.col(c).iter().copied().collect();
                let g: Vec<f64> = grad.col(c % p).iter().copied().collect();
                let nz = norm(&z);
                if nz == 0.0 {
                    (norm(&g) - self.l1).max(0.0)
                } else {
                    let d: Vec<f64> = g
                        .iter()
                        .zip(&z)
                        .map(|(g, z)| g + self.l1 * z / nz)
                        .collect();
                    norm(&d)
                }
            })
            .fold(0.0, f64::max)
    }
}

impl Solve for SplitL21 {
    fn solve<D: Datafit>(
        &self,
        opts: &SolverOptions,
        d: &mut D,
        mut zt: Mat<f64>,
        _warm: Option<WarmStart>,
    ) -> mtreg::Result<Solution> {
        let t = zt.nrows();
        let p = zt.ncols() / 2;
        let step = 0.5 / (0..p).map(|j| d.block_curvature(j)).sum::<f64>();
        let mut grad = Mat::zeros(t, p);
        let mut n_iter = 0;
        let mut kkt;
        loop {
            let w = self.w(zt.as_ref());
            d.init_state(w.as_ref());
            d.full_gradient(grad.as_mut());
            kkt = self.kkt(zt.as_ref(), grad.as_ref());
            if kkt <= opts.kkt_tol || n_iter >= opts.max_iter {
                break;
            }
            // Z_c ← prox_{step g}(Z_c − step ∇f(W)), column by column
            for c in 0..2 * p {
                let v: Vec<f64> = (0..t)
                    .map(|k| zt[(k, c)] - step * grad[(k, c % p)])
                    .collect();
                let nv = norm(&v);
                let s = if nv <= step * self.l1 {
                    0.0
                } else {
                    1.0 - step * self.l1 / nv
                };
                for k in 0..t {
                    zt[(k, c)] = s * v[k];
                }
            }
            n_iter += 1;
        }
        let w = self.w(zt.as_ref());
        let penalty: f64 = (0..2 * p)
            .map(|c| self.l1 * norm(&zt.col(c).iter().copied().collect::<Vec<_>>()))
            .sum();
        d.init_state(w.as_ref());
        Ok(Solution {
            objective: d.value(w.as_ref()) + penalty,
            certificate: Certificate::Kkt {
                value: kkt,
                tol: opts.kkt_tol,
            },
            n_iter,
            converged: kkt <= opts.kkt_tol,
            trace: Vec::new(),
            kkt,
            gap: None,
            wt: zt,
            warm: WarmStart::exact(grad),
            screened: Vec::new(),
        })
    }

    /// `[W 0]`: the start puts everything in the first component.
    fn lift(&self, wt: Mat<f64>) -> Mat<f64> {
        let (t, p) = (wt.nrows(), wt.ncols());
        Mat::from_fn(t, 2 * p, |k, c| if c < p { wt[(k, c)] } else { 0.0 })
    }

    fn combine(&self, zt: MatRef<'_, f64>) -> Option<Mat<f64>> {
        Some(self.w(zt))
    }
}

#[derive(Debug, Clone, Copy)]
struct SplitGroupLasso;

impl PenaltyFamily for SplitGroupLasso {
    type Penalty = SplitL21;

    fn name(&self) -> &str {
        "split_l21"
    }

    fn penalty(&self, alpha: f64, l1_ratio: f64) -> mtreg::Result<SplitL21> {
        Ok(SplitL21 {
            l1: alpha * l1_ratio,
        })
    }

    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> mtreg::Result<f64> {
        Ok((0..grad0.ncols())
            .map(|j| grad0.col(j).norm_l2())
            .fold(0.0, f64::max)
            / l1_ratio)
    }
}

// ---------------------------------------------------------------------------

/// `max_j dist(−∇_j f, ∂g_j)` of the weighted penalty recomputed from the
/// data and the original-scale coefficients (centred shared design), sharing
/// no code with the solver.
fn weighted_kkt(
    x: &Mat<f64>,
    y: &Mat<f64>,
    coef: MatRef<'_, f64>,
    alpha: f64,
    weights: &[f64],
) -> f64 {
    let (xc, yc) = crate::common::centred(x, y, true);
    let (n, p, t) = (x.nrows(), x.ncols(), y.ncols());
    let mut worst = 0.0f64;
    for j in 0..p {
        // ∇_j f = −x_jᵀ R / n
        let g: Vec<f64> = (0..t)
            .map(|k| {
                -(0..n)
                    .map(|i| {
                        let fitted: f64 = (0..p).map(|l| xc[(i, l)] * coef[(l, k)]).sum();
                        xc[(i, j)] * (yc[(i, k)] - fitted)
                    })
                    .sum::<f64>()
                    / n as f64
            })
            .collect();
        let w: Vec<f64> = (0..t).map(|k| coef[(j, k)]).collect();
        let pen = WeightedL21 {
            l1: alpha,
            l2: 0.0,
            weights: weights.to_vec(),
        };
        worst = worst.max(pen.subdiff_distance(j, &w, &g));
    }
    worst
}

#[test]
fn a_penalty_defined_outside_the_crate_is_fitted_swept_and_cross_validated() {
    let (x, y) = problem(21, 60, 10, 3, 4, 0.3);
    let (p, t) = (10, 3);
    // unit weights: the multi-task Lasso, certified by the KKT residual
    let unit = WeightedGroupLasso {
        weights: vec![1.0; p],
    };
    let amax = GraphMultiTask::new(1.0)
        .penalty(unit.clone())
        .alpha_max_of(&x, &y)
        .unwrap();
    assert_eq!(amax, mtreg::alpha_max(&x, &y, 1.0, true).unwrap());
    let alpha = 0.2 * amax;
    let toy = GraphMultiTask::new(alpha)
        .penalty(unit)
        .tol(1e-12)
        .fit(&x, &y)
        .unwrap();
    let lasso = MultiTaskLasso::new(alpha).tol(1e-14).fit(&x, &y).unwrap();
    assert!(toy.converged() && toy.certificate().kind() == "kkt");
    assert!(rel_diff(toy.coef(), lasso.coef()) < 1e-8);
    assert_eq!(toy.description().penalty, "weighted_l21");
    assert_eq!(toy.description().kind, "graph_multi_task");

    // a heavy weight keeps a feature out; the KKT conditions, recomputed
    // independently, hold
    let mut weights = vec![1.0; p];
    weights[0] = 50.0;
    let family = WeightedGroupLasso {
        weights: weights.clone(),
    };
    let model = GraphMultiTask::new(alpha)
        .penalty(family.clone())
        .tol(1e-12);
    let fit = model.fit(&x, &y).unwrap();
    assert!((0..t).all(|k| fit.coef()[(0, k)] == 0.0));
    assert!(fit.n_nonzero_rows() > 0);
    let kkt = weighted_kkt(&x, &y, fit.coef(), alpha, &weights);
    assert!(kkt <= 1e-9 * amax, "KKT residual {kkt}");

    // the path: W = 0 exactly at its alpha_max, every point certified
    let grid = AlphaGrid::Auto {
        n_alphas: 8,
        eps: 1e-2,
    };
    let path = model.path(&x, &y, &grid).unwrap();
    assert_eq!(path.fits[0].n_nonzero_rows(), 0);
    assert!(path.fits[1].n_nonzero_rows() > 0);
    assert!(path.fits.iter().all(|f| f.certificate().is_satisfied()));
    for (a, f) in path.alphas.iter().zip(&path.fits) {
        assert!(weighted_kkt(&x, &y, f.coef(), *a, &weights) <= 1e-9 * amax);
    }

    // cross-validation, with per-task designs as well
    let opts = CvOptions::default().folds(3).grid(grid.clone());
    let cv = model.cross_validate(&x, &y, &opts).unwrap();
    assert_eq!(cv.mse_path.nrows(), 8);
    assert_eq!(cv.fit.description().penalty, "weighted_l21");
    let cols: Vec<Vec<f64>> = (0..t).map(|k| y.col(k).iter().copied().collect()).collect();
    let ys: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let xs = vec![x.as_ref(); t];
    let cv_tasks = model
        .cross_validate_data(Data::tasks(&xs, &ys), &opts)
        .unwrap();
    assert!(cv_tasks.fit.certificate().is_satisfied());

    // no coupled or pooled form: refused, not silently replaced
    assert!(matches!(
        model.clone().pooled(true).fit(&x, &y),
        Err(mtreg::Error::Incompatible(_))
    ));
    assert!(matches!(
        model
            .clone()
            .graph(mtreg::penalty::TaskGraph::chain(t))
            .graph_strength(1.0)
            .fit(&x, &y),
        Err(mtreg::Error::Incompatible(_))
    ));
}

#[test]
fn a_penalty_with_its_own_solver_goes_through_the_same_pipeline() {
    let (x, y) = problem(23, 50, 6, 2, 3, 0.2);
    let model = GraphMultiTask::new(1.0).penalty(SplitGroupLasso).tol(1e-9);
    let amax = model.alpha_max_of(&x, &y).unwrap();
    let grid = AlphaGrid::Explicit(vec![amax, 0.3 * amax, 0.1 * amax]);
    let path = model.clone().max_iter(100_000).path(&x, &y, &grid).unwrap();
    assert_eq!(path.fits[0].n_nonzero_rows(), 0);
    for (alpha, fit) in path.alphas.iter().zip(&path.fits) {
        assert!(fit.converged(), "alpha {alpha}: {}", fit.certificate());
        let bcd = MultiTaskLasso::new(*alpha).tol(1e-14).fit(&x, &y).unwrap();
        assert!(rel_diff(fit.coef(), bcd.coef()) < 1e-6, "alpha {alpha}");
        assert!((fit.objective() - bcd.objective()).abs() <= 1e-9 * bcd.objective());
        assert_eq!(fit.description().penalty, "split_l21");
    }
    let opts = CvOptions::default().folds(3).grid(grid);
    let cv = model
        .max_iter(100_000)
        .cross_validate(&x, &y, &opts)
        .unwrap();
    let reference = MultiTaskLasso::new(1.0)
        .tol(1e-12)
        .cross_validate(&x, &y, &opts)
        .unwrap();
    assert_eq!(cv.alpha_min, reference.alpha_min);
    assert!(rel_diff(cv.fit.coef(), reference.fit.coef()) < 1e-6);
}

// ---------------------------------------------------------------------------
// The engine's whole-matrix penalties through the same slot: a family is all
// they need to be fitted, swept and cross-validated.

/// The trace norm `α ρ ‖W‖_* + α (1 − ρ)/2 ‖W‖²_F`.
#[derive(Debug, Clone, Copy)]
struct LowRank;

impl PenaltyFamily for LowRank {
    type Penalty = Apg<TraceNorm>;
    fn name(&self) -> &str {
        "trace"
    }
    fn penalty(&self, alpha: f64, l1_ratio: f64) -> mtreg::Result<Apg<TraceNorm>> {
        Ok(Apg(TraceNorm::new(alpha, l1_ratio)))
    }
    fn alpha_max(&self, grad0: MatRef<'_, f64>, l1_ratio: f64) -> mtreg::Result<f64> {
        TraceNorm::alpha_max(grad0, l1_ratio)
    }
}

/// The dirty model `s α Σ_j ‖P_j‖₂ + α Σ_{j,t} |Q_jt|` on `W = P + Q`.
#[derive(Debug, Clone, Copy)]
struct DirtyL2 {
    shared: f64,
}

impl PenaltyFamily for DirtyL2 {
    type Penalty = Apg<Dirty>;
    fn name(&self) -> &str {
        "dirty"
    }
    fn penalty(&self, alpha: f64, _: f64) -> mtreg::Result<Apg<Dirty>> {
        Ok(Apg(Dirty::new(self.shared * alpha, alpha, GroupNorm::L2)?))
    }
    fn alpha_max(&self, grad0: MatRef<'_, f64>, _: f64) -> mtreg::Result<f64> {
        // the penalty is linear in alpha: alpha_max = alpha · critical scale
        Dirty::new(self.shared, 1.0, GroupNorm::L2)?.critical_scale(grad0)
    }
}

/// The singular values of the p × T coefficients.
fn singular_values(w: MatRef<'_, f64>) -> Vec<f64> {
    w.singular_values().unwrap()
}

#[test]
fn the_engines_whole_matrix_penalties_plug_in_with_a_family() {
    let (x, y) = problem(29, 60, 8, 4, 3, 0.2);
    let grid = AlphaGrid::Auto {
        n_alphas: 6,
        eps: 0.05,
    };
    let trace = GraphMultiTask::new(1.0).penalty(LowRank).tol(1e-8);
    let path = trace.path(&x, &y, &grid).unwrap();
    assert_eq!(path.fits[0].n_nonzero_rows(), 0);
    let mut ranks = Vec::new();
    for (alpha, fit) in path.alphas.iter().zip(&path.fits) {
        // certified by the duality gap, equal to a cold fit at the same alpha
        assert!(fit.certificate().is_satisfied() && fit.certificate().kind() == "dual_gap");
        let cold = trace.clone().alpha(*alpha).fit(&x, &y).unwrap();
        assert!((fit.objective() - cold.objective()).abs() <= 1e-6 * cold.objective().abs());
        let s = singular_values(fit.coef());
        ranks.push(s.iter().filter(|&&v| v > 1e-8 * s[0].max(1e-300)).count());
    }
    // the rank grows as alpha decreases, starting from 0
    assert_eq!(ranks[0], 0);
    assert!(ranks.windows(2).all(|r| r[0] <= r[1]) && *ranks.last().unwrap() > 0);
    let opts = CvOptions::default().folds(3).grid(grid.clone());
    let cv = trace.cross_validate(&x, &y, &opts).unwrap();
    assert_eq!(cv.fit.description().penalty, "trace");
    assert!(cv.fit.certificate().is_satisfied());

    // two components: the fit's coefficients are W = P + Q. With a shared
    // weight far above the specific one, P = 0 and W = Q is the entrywise
    // Lasso.
    let specific_only = GraphMultiTask::new(1.0)
        .penalty(DirtyL2 { shared: 1e6 })
        .tol(1e-10);
    let amax = specific_only.alpha_max_of(&x, &y).unwrap();
    let fit = specific_only.clone().alpha(0.1 * amax).fit(&x, &y).unwrap();
    let lasso = GraphMultiTask::new(0.1 * amax)
        .penalty(mtreg::penalty::Sparsity::Entrywise)
        .tol(1e-12)
        .fit(&x, &y)
        .unwrap();
    assert!(lasso.n_nonzero_rows() > 0);
    assert!(rel_diff(fit.coef(), lasso.coef()) < 1e-5);
    let dirty = GraphMultiTask::new(1.0)
        .penalty(DirtyL2 { shared: 2.0 })
        .tol(1e-8);
    let amax = dirty.alpha_max_of(&x, &y).unwrap();
    let at = dirty.clone().alpha(amax).fit(&x, &y).unwrap();
    assert_eq!(at.n_nonzero_rows(), 0);
    let fit = dirty.clone().alpha(0.2 * amax).fit(&x, &y).unwrap();
    assert!(fit.converged() && fit.n_nonzero_rows() > 0);
    let path = dirty.path(&x, &y, &grid).unwrap();
    assert!(path.fits.iter().all(|f| f.certificate().is_satisfied()));
}

//! The bookkeeping of an outer check, fused into one pass over the blocks.
//!
//! For an elastic penalty (`l1 Ω + l2/2 ‖·‖²`, [`ElasticForm`]) every check
//! needs, per block j with gradient `g_j` and iterate `w_j`:
//!
//! - `Ω*(g_j)`: the drift reference ([`super::gradient`]), the dual norm of a
//!   zero block in the gap, gap-safe screening, the working-set score;
//! - for a non-zero block, `Ω*(−g_j − l2 w_j)`, `Ω(w_j)` and `‖w_j‖²` (the
//!   gap, [`super::gap`]);
//! - the violation `dist(−g_j, ∂g_j(w_j))` (KKT residual and working-set
//!   score).
//!
//! [`fused_pass`] computes them all in one sweep over the T × p gradient and
//! iterate (instead of one pass each for the reference, the gap, screening
//! and the scores); screening then reads the stored dual norms. On x86-64 the
//! pass runs compiled for AVX2+FMA when the CPU has them (VEX-encoded code
//! also pays no state-transition penalty after faer's kernels); its result is
//! the same as the baseline build's up to rounding (unit test).

use super::screening::Screened;
use crate::penalty::{ElasticForm, Penalty, Sparsity};
use faer::MatRef;

/// The sums of one fused pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sums {
    /// `max_j Ω*(A_j)` with `A_j = −g_j − l2 w_j` (the gap's dual scaling).
    pub(crate) dual_max: f64,
    /// `Ω(W)`.
    pub(crate) omega: f64,
    /// `‖W‖²_F`.
    pub(crate) w_sq: f64,
    /// The KKT residual `max_j dist(−g_j, ∂g_j(w_j))`.
    pub(crate) kkt: f64,
    /// Blocks forced into the working set (support and unpenalised blocks).
    pub(crate) n_support: usize,
}

/// One pass over the blocks of `grad` and `wt` (T × p, contiguous columns):
/// fills `gnorms[j] = Ω*(g_j)` and the working-set `scores` (`+∞` for the
/// support and unpenalised blocks, 0 for screened ones, else the violation)
/// and returns the sums of the gap and the KKT residual.
pub(crate) fn fused_pass<P: Penalty>(
    form: &ElasticForm,
    penalty: &P,
    grad: MatRef<'_, f64>,
    wt: MatRef<'_, f64>,
    screened: &Screened,
    scores: &mut [f64],
    gnorms: &mut [f64],
) -> Sums {
    #[cfg(target_arch = "x86_64")]
    if crate::linalg::has_avx2_fma() {
        // SAFETY: the CPU supports avx2 and fma (checked above).
        return unsafe { fused_pass_avx2(form, penalty, grad, wt, screened, scores, gnorms) };
    }
    fused_pass_body(form, penalty, grad, wt, screened, scores, gnorms)
}

/// [`fused_pass_body`] compiled for AVX2+FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn fused_pass_avx2<P: Penalty>(
    form: &ElasticForm,
    penalty: &P,
    grad: MatRef<'_, f64>,
    wt: MatRef<'_, f64>,
    screened: &Screened,
    scores: &mut [f64],
    gnorms: &mut [f64],
) -> Sums {
    fused_pass_body(form, penalty, grad, wt, screened, scores, gnorms)
}

/// The pass itself (see [`fused_pass`]).
#[inline(always)]
pub(crate) fn fused_pass_body<P: Penalty>(
    form: &ElasticForm,
    penalty: &P,
    grad: MatRef<'_, f64>,
    wt: MatRef<'_, f64>,
    screened: &Screened,
    scores: &mut [f64],
    gnorms: &mut [f64],
) -> Sums {
    let t = wt.nrows();
    let mut sums = Sums {
        dual_max: 0.0,
        omega: 0.0,
        w_sq: 0.0,
        kkt: 0.0,
        n_support: 0,
    };
    let mut buf = [0.0f64; 64];
    let mut long = Vec::new();
    for (j, (score, gnorm)) in scores.iter_mut().zip(gnorms.iter_mut()).enumerate() {
        let g = crate::linalg::col_slice(grad, j);
        let w = crate::linalg::col_slice(wt, j);
        let gn = form.sparsity.block_dual_norm(g);
        *gnorm = gn;
        let zero = w.iter().all(|&v| v == 0.0);
        let (dual, violation) = if zero {
            // ∂g_j(0) = l1 ∂Ω(0): for Ω = L21 the distance is (‖g‖ − l1)₊
            let v = match form.sparsity {
                Sparsity::Group => (gn - form.l1).max(0.0),
                Sparsity::Entrywise => penalty.subdiff_distance(j, w, g),
            };
            (gn, v)
        } else {
            sums.omega += form.sparsity.block_norm(w);
            sums.w_sq += crate::linalg::sq_norm(w);
            // A_j = −g_j − l2 w_j
            let a = if form.l2 == 0.0 {
                gn
            } else {
                let a: &mut [f64] = if t <= buf.len() {
                    &mut buf[..t]
                } else {
                    long.resize(t, 0.0);
                    &mut long
                };
                for ((a, &gv), &wv) in a.iter_mut().zip(g).zip(w) {
                    *a = -gv - form.l2 * wv;
                }
                form.sparsity.block_dual_norm(a)
            };
            (a, penalty.subdiff_distance(j, w, g))
        };
        sums.dual_max = sums.dual_max.max(dual);
        sums.kkt = sums.kkt.max(violation);
        *score = if !penalty.is_penalized(j) || penalty.in_support(w) {
            sums.n_support += 1;
            f64::INFINITY
        } else if screened.contains(j) {
            0.0
        } else {
            violation
        };
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datafit::ResidualStats;
    use crate::penalty::{L1, L21};
    use faer::Mat;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The fused pass gives the separate passes' gap, KKT residual, dual
    /// norms and scores, in the baseline and the AVX2 build.
    fn matches_separate_passes<P: Penalty>(pen: &P, t: usize, seed: u64) {
        let form = pen.elastic_form().unwrap();
        let p = 60;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let wt = Mat::from_fn(t, p, |_, j| {
            if j % 3 == 0 {
                rng.random::<f64>() - 0.5
            } else {
                0.0
            }
        });
        let grad = Mat::from_fn(t, p, |_, _| 0.2 * (rng.random::<f64>() - 0.5));
        let stats = ResidualStats {
            r_sq: 1.3,
            r_dot_y: 1.1,
            y_sq: 2.0,
        };
        let mut screened = Screened::new(p);
        screened.screen(
            &crate::solver::screening::Sphere {
                l1: 1.0,
                l2: 0.0,
                scale: 1.0,
                gap: 0.0,
                y_sq: 0.0,
            },
            [1usize, 4].into_iter(),
            |_| Some((1.0, 0.0)),
        );
        let (gap, scale) =
            crate::solver::gap::duality_gap_scaled(&stats, &form, grad.as_ref(), wt.as_ref());
        let kkt = crate::solver::gap::kkt_residual(pen, grad.as_ref(), wt.as_ref());
        let mut results = Vec::new();
        let mut run = |avx: bool| {
            let (mut scores, mut gnorms) = (vec![0.0; p], vec![0.0; p]);
            let args = (&form, pen, grad.as_ref(), wt.as_ref(), &screened);
            let sums = if avx {
                #[cfg(target_arch = "x86_64")]
                if crate::linalg::has_avx2_fma() {
                    // SAFETY: checked above
                    unsafe {
                        fused_pass_avx2(
                            args.0,
                            args.1,
                            args.2,
                            args.3,
                            args.4,
                            &mut scores,
                            &mut gnorms,
                        )
                    }
                } else {
                    return;
                }
                #[cfg(not(target_arch = "x86_64"))]
                return;
            } else {
                fused_pass_body(
                    args.0,
                    args.1,
                    args.2,
                    args.3,
                    args.4,
                    &mut scores,
                    &mut gnorms,
                )
            };
            results.push((sums, scores, gnorms));
        };
        run(false);
        run(true);
        assert!(!results.is_empty());
        for (sums, scores, gnorms) in &results {
            let (g, s) = crate::solver::gap::gap_from_sums(
                &stats,
                &form,
                sums.dual_max,
                sums.omega,
                sums.w_sq,
            );
            assert!(
                (g - gap).abs() <= 1e-12 * gap.abs().max(1.0),
                "{g} vs {gap}"
            );
            assert!((s - scale).abs() <= 1e-12, "{s} vs {scale}");
            assert!(
                (sums.kkt - kkt).abs() <= 1e-12 * kkt.max(1.0),
                "{} vs {kkt}",
                sums.kkt
            );
            for j in 0..p {
                let w = wt.col_as_slice(j);
                let gj = grad.col_as_slice(j);
                let gn = form.sparsity.block_dual_norm(gj);
                assert!((gnorms[j] - gn).abs() <= 1e-14 * gn.max(1.0));
                let want = if pen.in_support(w) {
                    f64::INFINITY
                } else if screened.contains(j) {
                    0.0
                } else {
                    pen.subdiff_distance(j, w, gj)
                };
                assert!(
                    scores[j] == want || (scores[j] - want).abs() <= 1e-14,
                    "score {j}"
                );
            }
            assert_eq!(sums.n_support, 20);
        }
        assert!(
            kkt > 0.0 && scale < 1.0,
            "the case must violate and rescale"
        );
    }

    #[test]
    fn fused_pass_equals_separate_passes_on_both_isas() {
        for seed in 0..3 {
            for t in [1, 5, 70] {
                matches_separate_passes(&L21::new(0.05, 1.0), t, seed);
                matches_separate_passes(&L21::new(0.08, 0.6), t, seed);
                matches_separate_passes(&L1::new(0.03, 0.7), t, seed);
            }
        }
    }
}

//! Working-set subproblems: a penalty seen through a subset of its blocks.
//!
//! A working-set Gram subproblem ([`crate::datafit::Datafit::working_set_gram`])
//! numbers its blocks `0..w`; block `c` is row `rows[c]` of the full problem.
//! [`Subset`] maps those local block indices back, so that a penalty whose
//! blocks differ (unpenalised rows, per-row weights) acts on the right rows.

use crate::penalty::{ElasticForm, Penalty};
use faer::MatRef;

/// `penalty` restricted to the blocks `rows` (local block `c` = `rows[c]`).
///
/// [`Penalty::value`] is the penalty of the given rows only: it differs from
/// the full penalty by the rows outside the subset, a constant while only the
/// subset moves (all the solver compares).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Subset<'a, P> {
    pub(crate) inner: &'a P,
    pub(crate) rows: &'a [usize],
}

impl<P: Penalty> Penalty for Subset<'_, P> {
    fn value(&self, wt: MatRef<'_, f64>) -> f64 {
        self.inner.value(wt)
    }

    #[inline]
    fn block_minimize(&self, j: usize, h: f64, b: &[f64], out: &mut [f64], scratch: &mut [f64]) {
        self.inner.block_minimize(self.rows[j], h, b, out, scratch)
    }

    #[inline]
    fn subdiff_distance(&self, j: usize, w: &[f64], grad: &[f64]) -> f64 {
        self.inner.subdiff_distance(self.rows[j], w, grad)
    }

    #[inline]
    fn is_penalized(&self, j: usize) -> bool {
        self.inner.is_penalized(self.rows[j])
    }

    #[inline]
    fn in_support(&self, w: &[f64]) -> bool {
        self.inner.in_support(w)
    }

    fn elastic_form(&self) -> Option<ElasticForm> {
        self.inner.elastic_form()
    }

    fn conjugate_block(&self, j: usize, v: &[f64], scratch: &mut [f64]) -> Option<f64> {
        self.inner.conjugate_block(self.rows[j], v, scratch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bcd::Workspace;
    use crate::datafit::testing::problem;
    use crate::datafit::{Datafit, Gram, KnownGradient, Quadratic, gather_columns, row_epoch};
    use crate::penalty::{Coupled, L1, L21, Sparsity, TaskGraph};
    use faer::Mat;

    fn close(u: f64, v: f64) -> bool {
        (u - v).abs() <= 1e-10 * u.abs().max(v.abs()).max(1e-2)
    }

    /// How much of the gradient the subproblem is told (`working_set_gram`'s
    /// `known`).
    #[derive(Clone, Copy)]
    enum Told {
        Nothing,
        All,
        /// Every other working-set row; the others are NaN in the matrix
        /// passed, so reading them would show.
        Half,
    }

    /// Epochs on the working-set Gram subproblem, then the commit, give the
    /// iterate and the datafit state of the row-by-row kernel over the same
    /// rows in the same order, for successive working sets (the cache grows,
    /// a later set drops rows of an earlier one, one gains nothing, one takes
    /// dropped rows back), whatever part of the gradient it is told.
    fn subproblem_matches_rows<D: Datafit + Clone, P: Penalty>(
        make: impl Fn(&Mat<f64>, &Mat<f64>) -> D,
        pen: &P,
        seed: u64,
        told: Told,
    ) {
        let (n, p, t) = (90, 40, 5);
        let (x, y, wt0) = problem(n, p, t, seed);
        let mut a = make(&x, &y);
        a.init_state(wt0.as_ref());
        let mut b = a.clone();
        let (mut wt_a, mut wt_b) = (wt0.clone(), wt0);
        let mut work = Workspace::new(t);
        let sets: [Vec<usize>; 5] = [
            (0..40).filter(|j| j % 3 == 0).collect(),
            (0..40).filter(|j| j % 3 == 0 || j % 5 == 1).collect(),
            (0..40).filter(|j| j % 2 == 1 || *j == 3).collect(),
            (0..40).filter(|j| j % 2 == 1 && *j < 30).collect(),
            (0..40).filter(|j| j % 3 == 0 || *j == 7).collect(),
        ];
        let mut moved = 0;
        for ws in &sets {
            let mut grad = Mat::zeros(t, p);
            b.full_gradient(grad.as_mut());
            let exact: Vec<bool> = (0..ws.len())
                .map(|u| match told {
                    Told::Nothing => false,
                    Told::All => true,
                    Told::Half => u % 2 == 0,
                })
                .collect();
            for (u, &j) in ws.iter().enumerate() {
                if !exact[u] {
                    grad.col_as_slice_mut(j).fill(f64::NAN);
                }
            }
            let known = KnownGradient {
                grad: grad.as_ref(),
                exact: &exact,
            };
            let known = (!matches!(told, Told::Nothing)).then_some(known);
            let mut sub = b
                .working_set_gram(ws, wt_b.as_ref(), known)
                .expect("supported");
            let mut wt_s = gather_columns(wt_b.as_ref(), ws);
            // its state is at W_S: a resync changes nothing
            sub.init_state(wt_s.as_ref());
            let local: Vec<usize> = (0..ws.len()).collect();
            let sp = Subset {
                inner: pen,
                rows: ws,
            };
            for _ in 0..3 {
                let va = row_epoch(&mut a, pen, &mut wt_a, ws, &mut work);
                let vb = sub.epoch(&sp, &mut wt_s, &local, &mut work);
                assert!(close(va, vb), "violation {va} vs {vb}");
            }
            // the subproblem's loss is the full loss
            let (fa, fs) = (a.value(wt_a.as_ref()), sub.value(wt_s.as_ref()));
            assert!(close(fa, fs), "subproblem loss {fs} vs {fa}");
            let before = wt_b.clone();
            b.commit_working_set(ws, &mut wt_b, wt_s.as_ref());
            moved += (0..p)
                .filter(|&j| wt_b.col_as_slice(j) != before.col_as_slice(j))
                .count();
            for j in 0..p {
                for k in 0..t {
                    let (u, v) = (wt_a[(k, j)], wt_b[(k, j)]);
                    assert!(close(u, v), "w[{k},{j}] {u} vs {v}");
                }
            }
            // the states agree: same gradient everywhere, same loss
            let (mut ga, mut gb) = (Mat::zeros(t, p), Mat::zeros(t, p));
            a.full_gradient(ga.as_mut());
            b.full_gradient(gb.as_mut());
            for j in 0..p {
                for k in 0..t {
                    assert!(close(ga[(k, j)], gb[(k, j)]), "grad[{k},{j}]");
                }
            }
            let (fa, fb) = (a.value(wt_a.as_ref()), b.value(wt_b.as_ref()));
            assert!(close(fa, fb), "loss {fa} vs {fb}");
        }
        assert!(moved >= 6, "the test must move rows ({moved})");
    }

    #[test]
    fn working_set_gram_equals_row_epochs() {
        let lap = TaskGraph::chain(5).laplacian();
        let chain = Mat::from_fn(5, 5, |i, j| 0.01 * lap[(i, j)]);
        let coupled = Coupled::new(0.01, Sparsity::Group, chain).unwrap();
        for seed in 0..3 {
            // odd seeds: a budget that stops the cache's capacity from
            // doubling (it is rebuilt at the working set's size)
            let quad = |x: &Mat<f64>, y: &Mat<f64>| {
                let mut d = Quadratic::new(x.clone(), y.clone());
                if seed % 2 == 1 {
                    d.set_ws_gram_budget(25 * 25);
                }
                d
            };
            let gram = |x: &Mat<f64>, y: &Mat<f64>| Gram::new(x.as_ref(), y.as_ref());
            for told in [Told::Nothing, Told::All, Told::Half] {
                subproblem_matches_rows(quad, &L21::new(0.01, 0.9), seed, told);
                subproblem_matches_rows(quad, &L1::new(0.01, 1.0), seed, told);
                subproblem_matches_rows(quad, &coupled, seed, told);
                subproblem_matches_rows(gram, &L21::new(0.01, 0.9), seed, told);
                subproblem_matches_rows(gram, &L1::new(0.01, 1.0), seed, told);
                subproblem_matches_rows(gram, &coupled, seed, told);
            }
        }
    }
}

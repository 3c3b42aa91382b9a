//! Anderson extrapolation of the inner BCD iterates (Bertrand & Massias,
//! *Anderson acceleration of coordinate descent*, arXiv:2011.10065).
//!
//! Every `K` epochs over a working set, the last `K + 1` iterates
//! `w⁽⁰⁾ … w⁽ᴷ⁾` (restricted to the working set) give differences
//! `U = [w⁽¹⁾ − w⁽⁰⁾, …, w⁽ᴷ⁾ − w⁽ᴷ⁻¹⁾]`; the extrapolated point is
//! `Σ_i c_i w⁽ⁱ⁾` with `c = (UᵀU)⁻¹ 1 / 1ᵀ(UᵀU)⁻¹ 1` (the affine combination whose
//! differences are smallest). It is kept only if it lowers the objective, so
//! the iteration stays monotone and convergence is untouched.

/// History of working-set iterates and the extrapolation.
///
/// The iterate buffers are reused from one extrapolation to the next (an
/// inner loop pushes one iterate per epoch: no allocation per epoch).
#[derive(Debug, Clone)]
pub struct Anderson {
    k: usize,
    history: Vec<Vec<f64>>,
    /// Buffers of a finished history, for the next one.
    spare: Vec<Vec<f64>>,
    /// The differences `U` (k buffers).
    diffs: Vec<Vec<f64>>,
    /// The extrapolated point.
    out: Vec<f64>,
}

impl Anderson {
    /// Extrapolate from `k` differences (`k + 1` iterates).
    pub fn new(k: usize) -> Self {
        Self {
            k,
            history: Vec::with_capacity(k + 1),
            spare: Vec::with_capacity(k + 1),
            diffs: Vec::new(),
            out: Vec::new(),
        }
    }

    /// Forgets the history (the working set changed).
    pub fn reset(&mut self) {
        self.spare.append(&mut self.history);
    }

    /// Carries the history over from the working set `old` to `new` (both
    /// sorted) instead of forgetting it: a row of `new` that was in `old`
    /// keeps its recorded values, one that was not takes `current(j)` in
    /// every stored iterate (a row outside the working set does not move
    /// during its epochs, so that is the value it had at each of them), and
    /// the rows that left are dropped. `t` values per row.
    pub fn remap<'w>(
        &mut self,
        old: &[usize],
        new: &[usize],
        t: usize,
        current: impl Fn(usize) -> &'w [f64],
    ) {
        debug_assert!(old.is_sorted() && new.is_sorted());
        if self.history.is_empty() {
            return;
        }
        let mut buf = self.spare.pop().unwrap_or_default();
        for h in &mut self.history {
            buf.clear();
            let mut at = 0;
            for &j in new {
                while at < old.len() && old[at] < j {
                    at += 1;
                }
                if at < old.len() && old[at] == j {
                    buf.extend_from_slice(&h[at * t..(at + 1) * t]);
                } else {
                    buf.extend_from_slice(current(j));
                }
            }
            std::mem::swap(h, &mut buf);
        }
        self.spare.push(buf);
    }

    /// Records an iterate; returns the extrapolated point once `k + 1` iterates
    /// are stored (then the history restarts), or `None`.
    pub fn push(&mut self, w: Vec<f64>) -> Option<Vec<f64>> {
        self.push_with(|buf| *buf = w).map(<[f64]>::to_vec)
    }

    /// [`push`](Anderson::push) of the iterate `fill` writes into a reused
    /// buffer (cleared before the call).
    pub fn push_with(&mut self, fill: impl FnOnce(&mut Vec<f64>)) -> Option<&[f64]> {
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        fill(&mut buf);
        self.history.push(buf);
        if self.history.len() <= self.k {
            return None;
        }
        let ok = self.extrapolate();
        self.spare.append(&mut self.history);
        ok.then_some(self.out.as_slice())
    }

    /// The extrapolation of the full history into `self.out`; false if the
    /// differences are degenerate.
    fn extrapolate(&mut self) -> bool {
        let (k, h) = (self.k, &self.history);
        let len = h[0].len();
        // U = [w⁽¹⁾ − w⁽⁰⁾, …]
        self.diffs.resize_with(k, Vec::new);
        for (i, d) in self.diffs.iter_mut().enumerate() {
            d.clear();
            d.extend(h[i + 1].iter().zip(&h[i]).map(|(a, b)| a - b));
        }
        // Gram matrix of the differences, UᵀU (k × k).
        let mut g = vec![0.0; k * k];
        for a in 0..k {
            for b in 0..=a {
                let v = crate::linalg::dot(&self.diffs[a], &self.diffs[b]);
                g[a * k + b] = v;
                g[b * k + a] = v;
            }
        }
        // Solve (G + δI) z = 1 by Cholesky; δ regularises a rank-deficient G.
        let trace: f64 = (0..k).map(|i| g[i * k + i]).sum();
        if !(trace.is_finite() && trace > 0.0) {
            return false;
        }
        let delta = 1e-10 * trace;
        for i in 0..k {
            g[i * k + i] += delta;
        }
        let Some(z) = cholesky_solve(&mut g, k, &vec![1.0; k]) else {
            return false;
        };
        let s: f64 = z.iter().sum();
        if !(s.is_finite() && s != 0.0) {
            return false;
        }
        // w_acc = Σ_i c_i w⁽ⁱ⁺¹⁾, c = z / Σz
        self.out.clear();
        self.out.resize(len, 0.0);
        for (i, zi) in z.iter().enumerate() {
            crate::linalg::axpy(zi / s, &h[i + 1], &mut self.out);
        }
        true
    }
}

/// Solves `A x = b` for a symmetric positive-definite `k × k` row-major `A`
/// (overwritten by its Cholesky factor); `None` if not positive definite.
fn cholesky_solve(a: &mut [f64], k: usize, b: &[f64]) -> Option<Vec<f64>> {
    for j in 0..k {
        let mut d = a[j * k + j];
        for m in 0..j {
            d -= a[j * k + m] * a[j * k + m];
        }
        if d.is_nan() || d <= 0.0 {
            return None;
        }
        let d = d.sqrt();
        a[j * k + j] = d;
        for i in (j + 1)..k {
            let mut v = a[i * k + j];
            for m in 0..j {
                v -= a[i * k + m] * a[j * k + m];
            }
            a[i * k + j] = v / d;
        }
    }
    let mut y = b.to_vec();
    for i in 0..k {
        for m in 0..i {
            y[i] -= a[i * k + m] * y[m];
        }
        y[i] /= a[i * k + i];
    }
    for i in (0..k).rev() {
        for m in (i + 1)..k {
            y[i] -= a[m * k + i] * y[m];
        }
        y[i] /= a[i * k + i];
    }
    Some(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On a linear fixed-point iteration w ← M w + b (contraction), Anderson's
    /// extrapolation lands much closer to the fixed point than the last iterate.
    #[test]
    fn extrapolation_accelerates_a_linear_iteration() {
        let m = [[0.9, 0.05], [0.02, 0.8]];
        let b = [1.0, 2.0];
        // fixed point of w = M w + b
        let det = (1.0 - m[0][0]) * (1.0 - m[1][1]) - m[0][1] * m[1][0];
        let fp = [
            ((1.0 - m[1][1]) * b[0] + m[0][1] * b[1]) / det,
            (m[1][0] * b[0] + (1.0 - m[0][0]) * b[1]) / det,
        ];
        let mut acc = Anderson::new(3);
        let mut w = vec![0.0, 0.0];
        let mut extrapolated = None;
        for _ in 0..4 {
            w = vec![
                m[0][0] * w[0] + m[0][1] * w[1] + b[0],
                m[1][0] * w[0] + m[1][1] * w[1] + b[1],
            ];
            extrapolated = acc.push(w.clone());
        }
        let e = extrapolated.expect("4 iterates give an extrapolation");
        let err = |v: &[f64]| ((v[0] - fp[0]).powi(2) + (v[1] - fp[1]).powi(2)).sqrt();
        assert!(err(&e) < 1e-2 * err(&w), "{} vs {}", err(&e), err(&w));
        assert!(acc.push(w).is_none(), "history restarts");
    }

    /// A history carried to a changed working set holds, row by row, the
    /// recorded values of the rows it kept and the current values of the
    /// rows it gained, and extrapolates exactly as a history recorded in the
    /// new layout from the start. (Checked to fail with a gained row left at
    /// zero or the slots of kept rows shifted.)
    #[test]
    fn remapped_history_is_the_history_in_the_new_layout() {
        let t = 2;
        let (old, new) = ([1usize, 3, 5], [0usize, 3, 5, 7]);
        let current = |j: usize| -> Vec<f64> { vec![10.0 * j as f64, 10.0 * j as f64 + 1.0] };
        let cur: Vec<Vec<f64>> = (0..8).map(current).collect();
        // iterate e over the old rows: row slot s, task q
        let old_iter = |e: usize| -> Vec<f64> {
            (0..old.len() * t)
                .map(|i| ((e + 1) as f64).powf(0.5 + i as f64 / 7.0) - i as f64)
                .collect()
        };
        let in_new = |v: &[f64]| -> Vec<f64> {
            new.iter()
                .flat_map(|&j| match old.iter().position(|&o| o == j) {
                    Some(s) => v[s * t..(s + 1) * t].to_vec(),
                    None => cur[j].clone(),
                })
                .collect()
        };
        let new_iter = |e: usize| -> Vec<f64> {
            (0..new.len() * t)
                .map(|i| 1.0 / (1.0 + e as f64 + i as f64) + 0.3 * i as f64)
                .collect()
        };
        let mut carried = Anderson::new(5);
        let mut fresh = Anderson::new(5);
        for e in 0..3 {
            assert!(carried.push(old_iter(e)).is_none());
            assert!(fresh.push(in_new(&old_iter(e))).is_none());
        }
        carried.remap(&old, &new, t, |j| cur[j].as_slice());
        for (e, h) in carried.history.iter().enumerate() {
            assert_eq!(*h, in_new(&old_iter(e)), "iterate {e}");
        }
        for e in 0..2 {
            assert!(carried.push(new_iter(e)).is_none());
            assert!(fresh.push(new_iter(e)).is_none());
        }
        let a = carried.push(new_iter(2)).expect("six iterates extrapolate");
        let b = fresh.push(new_iter(2)).expect("six iterates extrapolate");
        assert_eq!(a, b);
        // an empty history stays empty
        let mut empty = Anderson::new(5);
        empty.remap(&old, &new, t, |j| cur[j].as_slice());
        assert!(empty.history.is_empty());
    }
}

//! Working-set selection (celer / skglm style).
//!
//! The outer loop scores every block by its optimality violation
//! `dist(−∇_j f, ∂g_j(w_j))`; blocks in the support (and unpenalised ones) score
//! `+∞` so they are always kept. The working set is the `size` best-scored
//! blocks, `size` from the cost model ([`super::strategy::working_set_size`]):
//! a sparse solution is then found by cheap epochs over a few blocks, while one
//! full gradient per outer iteration (one GEMM) keeps the certificate honest.

/// Fills `ws` with the indices of the `size` largest `scores`, in increasing index
/// order (for memory locality). Blocks with a zero score that are not forced in
/// are left out when fewer than `size` blocks violate optimality.
pub fn select(scores: &[f64], size: usize, ws: &mut Vec<usize>) {
    ws.clear();
    ws.extend((0..scores.len()).filter(|&j| scores[j] > 0.0));
    if ws.len() > size {
        // Partial sort: the `size` largest scores first (ties broken by index).
        ws.select_nth_unstable_by(size, |&a, &b| {
            scores[b].total_cmp(&scores[a]).then(a.cmp(&b))
        });
        ws.truncate(size);
    }
    ws.sort_unstable();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_forced_and_worst_blocks_sorted() {
        let scores = [0.0, 5.0, f64::INFINITY, 1.0, 0.0, 3.0];
        let mut ws = Vec::new();
        select(&scores, 3, &mut ws);
        assert_eq!(ws, vec![1, 2, 5]);
        select(&scores, 10, &mut ws);
        assert_eq!(ws, vec![1, 2, 3, 5]);
    }
}

//! Task graphs: which tasks should agree, and how strongly.
//!
//! A weighted undirected graph on the T tasks with Laplacian
//! `L = Σ_{(s,t,a)} a (e_s − e_t)(e_s − e_t)ᵀ`, so that
//! `tr(W L Wᵀ) = Σ_edges a_st ‖w_s − w_t‖²` (w_t = column t of W).

use crate::error::{Error, Result};
use faer::Mat;

/// A validated task graph.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskGraph {
    n_tasks: usize,
    edges: Vec<(usize, usize, f64)>,
}

impl TaskGraph {
    /// The chain `0 – 1 – … – (T−1)` with unit weights ("neighbouring tasks agree").
    pub fn chain(n_tasks: usize) -> Self {
        Self {
            n_tasks,
            edges: (1..n_tasks).map(|t| (t - 1, t, 1.0)).collect(),
        }
    }

    /// The complete graph with every edge weighted `1/T`: its Laplacian is the
    /// centring matrix `I − 11ᵀ/T`, so that
    /// `tr(W L Wᵀ) = Σ_t ‖w_t − w̄‖²` (w̄ the mean of the task vectors). With it
    /// the graph term `λ/2 tr(W L Wᵀ)` is mean-regularised multi-task learning
    /// (Evgeniou & Pontil 2004; see docs/models.md for the mapping).
    ///
    /// ```
    /// let l = mtreg::penalty::TaskGraph::complete(4).laplacian();
    /// assert!((l[(0, 0)] - 0.75).abs() < 1e-15 && (l[(0, 1)] + 0.25).abs() < 1e-15);
    /// ```
    pub fn complete(n_tasks: usize) -> Self {
        let w = 1.0 / n_tasks.max(1) as f64;
        Self {
            n_tasks,
            edges: (0..n_tasks)
                .flat_map(|s| (s + 1..n_tasks).map(move |t| (s, t, w)))
                .collect(),
        }
    }

    /// A graph with no edges.
    pub fn empty(n_tasks: usize) -> Self {
        Self {
            n_tasks,
            edges: Vec::new(),
        }
    }

    /// Builds a graph from `(source, target, weight)` edges (0-based tasks).
    ///
    /// ```
    /// let g = mtreg::penalty::TaskGraph::from_edges(3, &[(0, 1, 2.0), (2, 1, 0.5)])?;
    /// let l = g.laplacian();
    /// assert_eq!(l[(1, 1)], 2.5);
    /// assert_eq!(l[(0, 1)], -2.0);
    /// Ok::<(), mtreg::Error>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidParameter` for a task index ≥ T, a self-loop, a negative or
    /// non-finite weight, or the same pair given twice (in either direction):
    /// duplicates are refused rather than summed, as they are usually a mistake.
    pub fn from_edges(n_tasks: usize, edges: &[(usize, usize, f64)]) -> Result<Self> {
        let mut seen = std::collections::HashSet::new();
        for &(s, t, w) in edges {
            if s >= n_tasks || t >= n_tasks {
                return Err(Error::InvalidParameter {
                    name: "graph edge task index",
                    value: s.max(t) as f64,
                    expected: "a task index below the number of tasks",
                });
            }
            if s == t {
                return Err(Error::InvalidParameter {
                    name: "graph edge (self-loop on task)",
                    value: s as f64,
                    expected: "two different tasks",
                });
            }
            if !(w.is_finite() && w >= 0.0) {
                return Err(Error::InvalidParameter {
                    name: "graph edge weight",
                    value: w,
                    expected: "finite and >= 0",
                });
            }
            if !seen.insert((s.min(t), s.max(t))) {
                return Err(Error::InvalidParameter {
                    name: "duplicate graph edge (first task)",
                    value: s.min(t) as f64,
                    expected: "each pair of tasks at most once",
                });
            }
        }
        Ok(Self {
            n_tasks,
            edges: edges.to_vec(),
        })
    }

    /// Whether this is [`complete`](Self::complete)`(T)`: every pair of tasks
    /// once, each with weight `1/T`.
    pub fn is_complete(&self) -> bool {
        crate::fitted::is_complete_graph(&self.edges, self.n_tasks)
    }

    /// Number of tasks T.
    pub fn n_tasks(&self) -> usize {
        self.n_tasks
    }

    /// The edges `(s, t, weight)`.
    pub fn edges(&self) -> &[(usize, usize, f64)] {
        &self.edges
    }

    /// The graph with tasks renumbered: task `t` becomes `perm[t]`.
    ///
    /// # Panics
    /// If `perm` is not a permutation of `0..T`.
    #[track_caller]
    pub fn permuted(&self, perm: &[usize]) -> Self {
        assert_eq!(perm.len(), self.n_tasks);
        Self {
            n_tasks: self.n_tasks,
            edges: self
                .edges
                .iter()
                .map(|&(s, t, w)| (perm[s], perm[t], w))
                .collect(),
        }
    }

    /// The T × T Laplacian.
    pub fn laplacian(&self) -> Mat<f64> {
        let mut l = Mat::<f64>::zeros(self.n_tasks, self.n_tasks);
        for &(s, t, w) in &self.edges {
            l[(s, s)] += w;
            l[(t, t)] += w;
            l[(s, t)] -= w;
            l[(t, s)] -= w;
        }
        l
    }

    /// Connected components over edges of positive weight, as a component label
    /// per task (labels 0, 1, … in order of first task).
    pub fn components(&self) -> Vec<usize> {
        let mut label: Vec<usize> = (0..self.n_tasks).collect();
        fn find(label: &mut [usize], mut i: usize) -> usize {
            while label[i] != i {
                label[i] = label[label[i]];
                i = label[i];
            }
            i
        }
        for &(s, t, w) in &self.edges {
            if w > 0.0 {
                let (a, b) = (find(&mut label, s), find(&mut label, t));
                label[a.max(b)] = a.min(b);
            }
        }
        let mut ids = std::collections::HashMap::new();
        (0..self.n_tasks)
            .map(|t| {
                let root = find(&mut label, t);
                let next = ids.len();
                *ids.entry(root).or_insert(next)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laplacian_quadratic_form_is_the_edge_sum() {
        let g = TaskGraph::from_edges(4, &[(0, 1, 2.0), (1, 2, 0.5), (3, 2, 1.0)]).unwrap();
        let l = g.laplacian();
        let w = [[1.0, -2.0, 0.5, 3.0], [0.0, 1.0, 1.0, -1.0]]; // two rows of W (T = 4)
        for row in w {
            let quad: f64 = (0..4)
                .map(|s| (0..4).map(|t| row[s] * l[(s, t)] * row[t]).sum::<f64>())
                .sum();
            let edges: f64 = g
                .edges()
                .iter()
                .map(|&(s, t, a)| a * (row[s] - row[t]).powi(2))
                .sum();
            assert!((quad - edges).abs() < 1e-12);
        }
        // rows sum to zero, symmetric
        for s in 0..4 {
            assert!((0..4).map(|t| l[(s, t)]).sum::<f64>().abs() < 1e-15);
            for t in 0..4 {
                assert_eq!(l[(s, t)], l[(t, s)]);
            }
        }
        assert_eq!(TaskGraph::chain(3).edges(), &[(0, 1, 1.0), (1, 2, 1.0)]);
    }

    #[test]
    fn validation_refuses_bad_edges() {
        assert!(TaskGraph::from_edges(3, &[(0, 3, 1.0)]).is_err());
        assert!(TaskGraph::from_edges(3, &[(1, 1, 1.0)]).is_err());
        assert!(TaskGraph::from_edges(3, &[(0, 1, -1.0)]).is_err());
        assert!(TaskGraph::from_edges(3, &[(0, 1, f64::NAN)]).is_err());
        assert!(TaskGraph::from_edges(3, &[(0, 1, 1.0), (1, 0, 2.0)]).is_err());
        assert!(TaskGraph::from_edges(3, &[(0, 1, 0.0)]).is_ok());
    }

    #[test]
    fn components_ignore_zero_weight_edges() {
        let g = TaskGraph::from_edges(5, &[(0, 1, 1.0), (3, 4, 2.0), (1, 2, 0.0)]).unwrap();
        assert_eq!(g.components(), vec![0, 0, 1, 2, 2]);
        let p = g.permuted(&[4, 3, 2, 1, 0]);
        assert_eq!(p.edges()[0], (4, 3, 1.0));
    }
}

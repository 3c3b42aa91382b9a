//! What some fits report beyond W: its named parts (`W = P + Q` of the
//! shared + specific models, `W = w̄ 1ᵀ + V` of the mean-regularised model)
//! and the task clusters a clustered model learns.
//!
//! - [`Components`]: `W = Σ_c Z_c`, each part p × T on the original scale
//!   (the coefficient part of the preparation's inverse applied to each
//!   solver component; intercepts belong to W).
//! - [`TaskClusters`]: the T × T matrix M of clustered MTL (the convex
//!   relaxation of `F Fᵀ` for a normalised task-to-cluster assignment F) and
//!   the clusters it implies: spectral clustering of M — the rows of its top-k
//!   eigenvectors, normalised, grouped by k-means (Ng, Jordan & Weiss, NIPS
//!   2001) from a farthest-point start, so the labels are deterministic. For
//!   an exact `M = F Fᵀ` the rows of one cluster coincide and the clusters
//!   are recovered exactly.

use faer::{Mat, MatRef, Side};

/// The named parts of W: `W = Σ_c coef(c)`, each part p × T on the original
/// scale (intercepts belong to W).
#[derive(Debug, Clone, PartialEq)]
pub struct Components {
    names: Vec<String>,
    coefs: Vec<Mat<f64>>,
}

impl Components {
    /// Parts `coefs` (each p × T) named `names`.
    ///
    /// # Panics
    /// If the lengths differ or the parts differ in shape (programmer error).
    #[track_caller]
    pub fn new(names: Vec<String>, coefs: Vec<Mat<f64>>) -> Self {
        assert_eq!(names.len(), coefs.len(), "one name per component");
        assert!(
            coefs
                .windows(2)
                .all(|w| (w[0].nrows(), w[0].ncols()) == (w[1].nrows(), w[1].ncols())),
            "components of one shape"
        );
        Self { names, coefs }
    }

    /// The names, in order (`shared`, `specific` for the dirty and robust
    /// models; `mean`, `deviation` for the mean-regularised model).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of parts.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are no parts.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Part `c` (p × T).
    pub fn coef(&self, c: usize) -> MatRef<'_, f64> {
        self.coefs[c].as_ref()
    }

    /// The part named `name`.
    pub fn get(&self, name: &str) -> Option<MatRef<'_, f64>> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|c| self.coefs[c].as_ref())
    }

    /// `(name, part)` pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, MatRef<'_, f64>)> {
        self.names
            .iter()
            .map(String::as_str)
            .zip(self.coefs.iter().map(Mat::as_ref))
    }

    /// Tasks whose column of part `c` is not all zero, in increasing order:
    /// the outlier tasks of the robust model (its `specific` part), the tasks
    /// with task-specific entries of the dirty model.
    pub fn nonzero_tasks(&self, c: usize) -> Vec<usize> {
        let m = &self.coefs[c];
        (0..m.ncols())
            .filter(|&t| (0..m.nrows()).any(|j| m[(j, t)] != 0.0))
            .collect()
    }
}

/// The task structure learned by clustered MTL: M and its clusters.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskClusters {
    matrix: Mat<f64>,
    labels: Vec<usize>,
    k: usize,
}

impl TaskClusters {
    /// M (T × T, symmetric, `0 ⪯ M ⪯ I`) and the number of clusters k: the
    /// labels are computed by spectral clustering of M (the rows of its top-k
    /// eigenvectors, normalised, grouped by k-means from a farthest-point
    /// start, so they are deterministic).
    ///
    /// ```
    /// use mtreg::fitted::TaskClusters;
    /// // M = F Fᵀ for clusters {0, 2} and {1}
    /// let m = faer::mat![[0.5, 0.0, 0.5], [0.0, 1.0, 0.0], [0.5, 0.0, 0.5]];
    /// let c = TaskClusters::from_matrix(m, 2);
    /// assert_eq!(c.labels(), &[0, 1, 0]);
    /// ```
    pub fn from_matrix(matrix: Mat<f64>, k: usize) -> Self {
        let labels = spectral_labels(matrix.as_ref(), k);
        Self { matrix, labels, k }
    }

    /// M and labels as they were recorded (a model file).
    pub fn with_labels(matrix: Mat<f64>, labels: Vec<usize>, k: usize) -> Self {
        Self { matrix, labels, k }
    }

    /// M (T × T).
    pub fn matrix(&self) -> MatRef<'_, f64> {
        self.matrix.as_ref()
    }

    /// The cluster of each task, `0..k`, numbered in order of first
    /// appearance (task 0 is in cluster 0).
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// k.
    pub fn k(&self) -> usize {
        self.k
    }
}

/// Spectral clustering of the T × T matrix `m` into at most `k` clusters.
fn spectral_labels(m: MatRef<'_, f64>, k: usize) -> Vec<usize> {
    let t = m.nrows();
    if t == 0 {
        return Vec::new();
    }
    let k = k.clamp(1, t);
    let sym = Mat::from_fn(t, t, |i, j| 0.5 * (m[(i, j)] + m[(j, i)]));
    let Ok(eig) = sym.self_adjoint_eigen(Side::Lower) else {
        return vec![0; t];
    };
    // eigenvalues ascending: the top k are the last k columns
    let u = eig.U();
    let rows: Vec<Vec<f64>> = (0..t)
        .map(|i| {
            let r: Vec<f64> = (t - k..t).map(|c| u[(i, c)]).collect();
            let n = r.iter().map(|v| v * v).sum::<f64>().sqrt();
            if n > 0.0 {
                r.iter().map(|v| v / n).collect()
            } else {
                r
            }
        })
        .collect();
    kmeans(&rows, k)
}

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Lloyd's k-means from a farthest-point start (row 0, then repeatedly the
/// row farthest from the chosen centres); labels renumbered by first
/// appearance.
fn kmeans(rows: &[Vec<f64>], k: usize) -> Vec<usize> {
    let n = rows.len();
    let mut centres: Vec<Vec<f64>> = vec![rows[0].clone()];
    while centres.len() < k {
        let (far, d) = (0..n)
            .map(|i| {
                let d = centres
                    .iter()
                    .map(|c| sq_dist(&rows[i], c))
                    .fold(f64::INFINITY, f64::min);
                (i, d)
            })
            .fold(
                (0, -1.0),
                |best, cur| if cur.1 > best.1 { cur } else { best },
            );
        if d <= 1e-24 {
            break; // fewer distinct rows than k
        }
        centres.push(rows[far].clone());
    }
    let mut labels = vec![0usize; n];
    for _ in 0..100 {
        let mut changed = false;
        for (i, row) in rows.iter().enumerate() {
            let best = (0..centres.len())
                .min_by(|&a, &b| sq_dist(row, &centres[a]).total_cmp(&sq_dist(row, &centres[b])))
                .unwrap_or(0);
            if best != labels[i] {
                labels[i] = best;
                changed = true;
            }
        }
        for (c, centre) in centres.iter_mut().enumerate() {
            let members: Vec<&Vec<f64>> = rows
                .iter()
                .zip(&labels)
                .filter(|(_, l)| **l == c)
                .map(|(r, _)| r)
                .collect();
            if members.is_empty() {
                continue;
            }
            for (d, v) in centre.iter_mut().enumerate() {
                *v = members.iter().map(|r| r[d]).sum::<f64>() / members.len() as f64;
            }
        }
        if !changed {
            break;
        }
    }
    // renumber by first appearance
    let mut map = vec![usize::MAX; centres.len()];
    let mut next = 0;
    for l in labels.iter_mut() {
        if map[*l] == usize::MAX {
            map[*l] = next;
            next += 1;
        }
        *l = map[*l];
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An exact `F Fᵀ` (clusters {0, 3, 4}, {1}, {2, 5}) and a noisy version
    /// are clustered correctly; labels are numbered by first appearance.
    #[test]
    fn clusters_of_an_assignment_matrix() {
        let assign = [0usize, 1, 2, 0, 0, 2];
        let size = |c: usize| assign.iter().filter(|&&a| a == c).count() as f64;
        let m = Mat::from_fn(6, 6, |i, j| {
            if assign[i] == assign[j] {
                1.0 / size(assign[i])
            } else {
                0.0
            }
        });
        assert_eq!(TaskClusters::from_matrix(m.clone(), 3).labels(), &assign);
        let noisy = Mat::from_fn(6, 6, |i, j| {
            m[(i, j)] + 0.02 * (((i * 7 + j * 7) % 5) as f64 - 2.0) / 2.0
        });
        assert_eq!(TaskClusters::from_matrix(noisy, 3).labels(), &assign);
        // k = 1: one cluster
        assert_eq!(TaskClusters::from_matrix(m, 1).labels(), &[0; 6]);
    }

    #[test]
    fn nonzero_tasks_of_a_component() {
        let p = faer::mat![[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]];
        let c = Components::new(vec!["a".into(), "b".into()], vec![p.clone(), p]);
        assert_eq!(c.nonzero_tasks(1), vec![0, 2]);
        assert_eq!(c.get("b").unwrap()[(1, 2)], 2.0);
        assert!(c.get("c").is_none());
    }
}

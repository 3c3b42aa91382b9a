//! The blocked epoch's cut of a sparse working set into blocks of
//! consecutive rows, kept with the blocks' Gram matrices across working-set
//! changes.
//!
//! A block's Gram matrix `X_bᵀX_b / n` (up to B × B, B = [`EPOCH_BLOCK`])
//! costs `2nB²` flops, as much as 1.6 epochs over its rows at T = 5. Cut
//! afresh at every new working set (every B rows), a single row gained or
//! lost shifts every block after it, and a dense solution, whose working set
//! changes by a few rows at every check, recomputed every matrix at every
//! inner solve: a fifth of its epoch time on a square draw. [`Partition::update`]
//! edits the previous cut instead: a block keeps the rows of the new set that
//! fall in its range; one that only lost rows keeps its matrix (the rows and
//! columns of the rows it lost are dropped), one that gained rows is
//! recomputed on first use, and one over B rows is split.

use super::EPOCH_BLOCK;
use faer::Mat;

const B: usize = EPOCH_BLOCK;

// a block's kept rows are the bits of a u32
const _: () = assert!(B <= 32);

/// A cut of a working set into blocks of at most B consecutive rows, and
/// the blocks' Gram matrices.
#[derive(Debug, Clone)]
pub(super) struct Partition {
    /// The working set cut (increasing, except after a random-order cut).
    rows: Vec<usize>,
    /// Block i is `rows[starts[i]..starts[i + 1]]` (one more entry than
    /// blocks).
    starts: Vec<usize>,
    /// Whether block i's matrix is computed.
    ready: Vec<bool>,
    /// Block i's matrix in columns `iB..iB + len` (B × B·blocks).
    h: Mat<f64>,
    /// Scratch of [`Partition::update`]: the next cut's starts, readiness
    /// and matrices.
    next_starts: Vec<usize>,
    next_ready: Vec<bool>,
    next_h: Mat<f64>,
    /// Scratch of [`Partition::update`]: the kept matrices, as (next block,
    /// old block, the old positions kept as bits).
    moves: Vec<(usize, usize, u32)>,
}

impl Default for Partition {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            starts: Vec::new(),
            ready: Vec::new(),
            h: Mat::new(),
            next_starts: Vec::new(),
            next_ready: Vec::new(),
            next_h: Mat::new(),
            moves: Vec::new(),
        }
    }
}

impl Partition {
    /// The number of blocks.
    pub(super) fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// The positions in the working set of block i's rows.
    pub(super) fn block(&self, i: usize) -> std::ops::Range<usize> {
        self.starts[i]..self.starts[i + 1]
    }

    /// Whether block i's matrix is computed.
    pub(super) fn is_ready(&self, i: usize) -> bool {
        self.ready[i]
    }

    /// Block i's matrix (k × k for its k rows), to be filled; marks it
    /// computed.
    pub(super) fn fill(&mut self, i: usize) -> faer::MatMut<'_, f64> {
        let k = self.starts[i + 1] - self.starts[i];
        self.ready[i] = true;
        self.h.as_mut().submatrix_mut(0, i * B, k, k)
    }

    /// Column c of block i's matrix (its k entries).
    pub(super) fn column(&self, i: usize, c: usize) -> &[f64] {
        let k = self.starts[i + 1] - self.starts[i];
        &self.h.col_as_slice(i * B + c)[..k]
    }

    /// Cuts `ws` for the next epoch, keeping what it can of the last cut.
    ///
    /// An increasing `ws` that follows an increasing cut is cut by the old
    /// blocks' ranges (block i takes the rows after block i − 1's last row
    /// up to its own last, the last block every row beyond); any other is
    /// cut every B rows with no matrix kept. Too many blocks (more than 1.5×
    /// the fewest, after many rows were lost) are cut afresh too.
    pub(super) fn update(&mut self, ws: &[usize]) {
        if self.rows == ws {
            return;
        }
        let increasing = |r: &[usize]| r.windows(2).all(|w| w[0] < w[1]);
        let edited = self.len() > 0 && increasing(ws) && increasing(&self.rows) && {
            self.edit(ws);
            self.next_starts.len() - 1 <= ws.len().div_ceil(B) * 3 / 2 + 1
        };
        if !edited {
            self.next_starts.clear();
            self.next_starts.extend((0..ws.len()).step_by(B));
            self.next_starts.push(ws.len());
            self.next_ready.clear();
            self.next_ready.resize(self.next_starts.len() - 1, false);
        }
        std::mem::swap(&mut self.starts, &mut self.next_starts);
        std::mem::swap(&mut self.ready, &mut self.next_ready);
        std::mem::swap(&mut self.h, &mut self.next_h);
        self.rows.clear();
        self.rows.extend_from_slice(ws);
        let cols = B * self.len();
        if self.h.ncols() < cols || self.h.nrows() != B {
            // an edited cut's matrices were written to a large enough `next_h`
            debug_assert!(!edited);
            self.h = Mat::zeros(B, cols);
        }
    }

    /// The next cut of `ws` by the old blocks' ranges into `next_*`.
    fn edit(&mut self, ws: &[usize]) {
        let blocks = self.len();
        self.next_starts.clear();
        self.next_ready.clear();
        self.moves.clear();
        let mut at = 0; // position in ws
        for i in 0..blocks {
            let old = &self.rows[self.starts[i]..self.starts[i + 1]];
            let last = if i + 1 == blocks {
                usize::MAX
            } else {
                old[old.len() - 1]
            };
            let begin = at;
            while at < ws.len() && ws[at] <= last {
                at += 1;
            }
            let new = &ws[begin..at];
            if new.is_empty() {
                continue;
            }
            // the positions in `old` of the new rows (a bit each), if it
            // only lost rows
            let mut kept = Some(0u32);
            if new.len() <= old.len() {
                let mut o = 0;
                for &j in new {
                    while o < old.len() && old[o] < j {
                        o += 1;
                    }
                    if o == old.len() || old[o] != j {
                        kept = None;
                        break;
                    }
                    kept = kept.map(|m| m | 1 << o);
                }
            } else {
                kept = None;
            }
            if let Some(mask) = kept {
                if self.ready[i] {
                    self.moves.push((self.next_starts.len(), i, mask));
                }
                self.next_starts.push(begin);
                self.next_ready.push(self.ready[i]);
            } else {
                for s in (begin..at).step_by(B) {
                    self.next_starts.push(s);
                    self.next_ready.push(false);
                }
            }
        }
        self.next_starts.push(ws.len());
        let cols = B * (self.next_starts.len() - 1);
        if self.next_h.nrows() != B || self.next_h.ncols() < cols {
            self.next_h = Mat::zeros(B, cols);
        }
        let mut kept = [0usize; B];
        for &(slot, i, mask) in &self.moves {
            let m = (0..B).filter(|&o| mask & (1 << o) != 0).fold(0, |m, o| {
                kept[m] = o;
                m + 1
            });
            for (a, &oa) in kept[..m].iter().enumerate() {
                for (b, &ob) in kept[..m].iter().enumerate() {
                    self.next_h[(b, slot * B + a)] = self.h[(ob, i * B + oa)];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The Gram entry of rows a and b of a made-up design.
    fn gram(a: usize, b: usize) -> f64 {
        ((a * 31 + b * 31) % 97) as f64 + (a.min(b) * a.max(b)) as f64 * 1e-3
    }

    /// Cuts each working set in turn, filling the matrices of the first
    /// blocks only (the others stay unused), and checks that the cut covers
    /// the set in order with blocks of 1..=B rows and that every kept matrix
    /// is its rows' Gram matrix. Returns how many matrices were kept.
    fn follow(sets: &[Vec<usize>]) -> usize {
        let mut part = Partition::default();
        let mut kept = 0;
        for ws in sets {
            part.update(ws);
            let covered: Vec<usize> = (0..part.len()).flat_map(|i| part.block(i)).collect();
            assert_eq!(covered, (0..ws.len()).collect::<Vec<_>>());
            for i in 0..part.len() {
                let range = part.block(i);
                assert!((1..=B).contains(&range.len()), "block {i}: {range:?}");
                let rows = &ws[range];
                if part.is_ready(i) {
                    kept += 1;
                    for (c, &b) in rows.iter().enumerate() {
                        let col = part.column(i, c);
                        for (l, &a) in rows.iter().enumerate() {
                            assert_eq!(col[l], gram(a, b), "block {i} ({a}, {b})");
                        }
                    }
                } else if i % 3 != 2 {
                    let mut h = part.fill(i);
                    for (c, &b) in rows.iter().enumerate() {
                        for (l, &a) in rows.iter().enumerate() {
                            h[(l, c)] = gram(a, b);
                        }
                    }
                }
            }
        }
        kept
    }

    #[test]
    fn a_set_that_loses_rows_keeps_its_blocks() {
        let first: Vec<usize> = (0..200).map(|j| 3 * j + j % 2).collect();
        let fewer: Vec<usize> = first.iter().copied().filter(|j| j % 7 != 0).collect();
        let one_more: Vec<usize> = {
            let mut s = fewer.clone();
            s.push(1);
            s.sort_unstable();
            s.dedup();
            s
        };
        let blocks = first.len().div_ceil(B);
        // every matrix filled at the first set (2 of 3) is kept at the second
        let filled = (0..blocks).filter(|i| i % 3 != 2).count();
        assert_eq!(follow(&[first.clone(), fewer.clone()]), filled);
        // a row gained in the first block costs that block only
        let kept = follow(&[first.clone(), fewer.clone(), one_more]);
        assert_eq!(kept, filled + filled - 1);
    }

    proptest! {
        #[test]
        fn cuts_cover_the_set_and_kept_matrices_are_exact(
            sets in prop::collection::vec(
                prop::collection::btree_set(0usize..300, 0..120), 1..6),
            shuffle in any::<bool>(),
        ) {
            let mut sets: Vec<Vec<usize>> =
                sets.into_iter().map(|s| s.into_iter().collect()).collect();
            if shuffle {
                // a random-order epoch's set is not increasing
                sets[0].reverse();
            }
            follow(&sets);
        }
    }
}

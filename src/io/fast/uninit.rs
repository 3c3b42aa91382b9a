//! A matrix filled in place by several threads, each owning a block of rows:
//! the only `unsafe` code of the crate's `io` module.
//!
//! Why: a file of `n × p` numbers is parsed straight into its column-major
//! matrix by one thread per part of the file. faer offers no safe way to hand
//! out disjoint row blocks of a matrix whose elements are not yet
//! initialised, and initialising first (`Mat::zeros`) costs a serial pass
//! over the whole matrix that the parse threads would otherwise share.
//!
//! # Safety argument
//!
//! * [`Filling::new`] reserves, in an empty `Mat`, room for `rows × cols`
//!   elements (`Mat::try_reserve`) and never resizes it. The elements are
//!   addressed as faer addresses them: element `(i, j)` at
//!   `as_ptr_mut() + i + j * col_stride()`. **faer layout detail relied on**
//!   (faer 0.24.4, pinned with `=` in Cargo.toml): the column stride of an
//!   owned `Mat` is its row capacity, so after `try_reserve(rows, cols)` on an
//!   empty matrix every column `j < cols` owns `col_stride() >= rows`
//!   elements from `j * col_stride()`. `Filling::new` checks
//!   `col_stride() >= rows` and the unit test `layout_assumption_holds`
//!   checks the addressing against faer's own indexing.
//! * [`Filling::blocks`] splits the rows into disjoint ranges; a [`Block`]
//!   writes only into its own rows (every write is bounds-checked against
//!   its range and `cols`), so no two blocks ever touch the same element,
//!   and the blocks mutably borrow the `Filling`, so nothing else reads the
//!   matrix meanwhile.
//! * A block counts a row only when all `cols` cells of it were written, in
//!   order ([`Block::end_row`]); [`Filling::finish`] moves the counted rows
//!   of each block together (`ptr::copy`, which allows overlap) and only then
//!   calls `Mat::set_dims` (whose documented contract is exactly that the
//!   newly visible elements are initialised).

#![allow(unsafe_code)]

use std::marker::PhantomData;

use faer::Mat;

/// A `rows × cols` matrix being filled by [`Block`]s.
pub(crate) struct Filling {
    mat: Mat<f64>,
    rows: usize,
    cols: usize,
    stride: usize,
    /// First row and rows counted, of each block handed out.
    blocks: Vec<(usize, usize)>,
}

impl Filling {
    /// Room for `rows × cols` values, none initialised yet.
    pub(crate) fn new(rows: usize, cols: usize) -> Result<Self, faer::TryReserveError> {
        let mut mat = Mat::<f64>::new();
        mat.try_reserve(rows, cols)?;
        let stride = usize::try_from(mat.col_stride()).unwrap_or(0);
        // The layout detail this module relies on (see the module docs).
        assert!(
            rows <= stride || cols == 0,
            "faer layout changed: column stride {stride} < {rows} reserved rows"
        );
        Ok(Self {
            mat,
            rows,
            cols,
            stride,
            blocks: Vec::new(),
        })
    }

    /// Splits the rows into consecutive blocks of `caps[k]` rows.
    ///
    /// # Panics
    /// If the capacities add up to more than the rows reserved (a bug in the
    /// caller), or if blocks were handed out before.
    pub(crate) fn blocks(&mut self, caps: &[usize]) -> Vec<Block<'_>> {
        assert!(self.blocks.is_empty(), "blocks are handed out once");
        let total = caps.iter().try_fold(0usize, |a, &c| a.checked_add(c));
        assert!(total.is_some_and(|t| t <= self.rows), "blocks exceed rows");
        let mut start = 0;
        self.blocks = caps
            .iter()
            .map(|&cap| {
                let b = (start, 0);
                start += cap;
                b
            })
            .collect();
        let base = self.mat.as_ptr_mut();
        let (stride, cols) = (self.stride, self.cols);
        self.blocks
            .iter_mut()
            .zip(caps)
            // `base + first` is in bounds of the allocation (or one past its
            // end for an empty block): `first <= rows <= stride`.
            .map(|((first, count), &cap)| {
                Block::new(base.wrapping_add(*first), stride, cap, cols, count)
            })
            .collect()
    }

    /// The matrix of the rows counted by the blocks, in block order.
    pub(crate) fn finish(mut self) -> Mat<f64> {
        let base = self.mat.as_ptr_mut();
        let mut n = 0;
        for &(first, count) in &self.blocks {
            if first != n && count > 0 {
                for j in 0..self.cols {
                    // SAFETY: rows `first..first + count` of column `j` were
                    // written by their block (`count` complete rows) and lie
                    // inside the column (`first + count <= rows <= stride`);
                    // `n <= first`, so the destination is in the column too;
                    // `copy` allows the ranges to overlap.
                    unsafe {
                        let col = base.add(j * self.stride);
                        std::ptr::copy(col.add(first), col.add(n), count);
                    }
                }
            }
            n += count;
        }
        // SAFETY: `n <= rows <= row capacity` and `cols <= col capacity`
        // (both reserved in `new`), and rows `0..n` of every column were
        // initialised above: exactly `set_dims`'s contract.
        unsafe { self.mat.set_dims(n, self.cols) };
        self.mat
    }
}

/// The rows of a [`Filling`] one thread writes into, one row at a time.
pub(crate) struct Block<'a> {
    /// Element `(first row of the block, 0)`.
    base: *mut f64,
    stride: usize,
    /// Rows available to the block.
    cap: usize,
    cols: usize,
    /// Cells the current row may still take: `cols` while the block has
    /// room, 0 once it is full.
    limit: usize,
    /// The next column of the current row.
    cell: usize,
    /// Element `(count, cell)`, where the next cell goes (valid to write
    /// while `cell < limit`).
    next: *mut f64,
    /// Complete rows so far (also kept in the `Filling`).
    count: &'a mut usize,
    _rows: PhantomData<&'a mut f64>,
}

// SAFETY: a block is the only writer of its rows (see the module docs); the
// raw pointers are what make it !Send by default.
unsafe impl Send for Block<'_> {}

impl<'a> Block<'a> {
    fn new(base: *mut f64, stride: usize, cap: usize, cols: usize, count: &'a mut usize) -> Self {
        Block {
            base,
            stride,
            cap,
            cols,
            limit: if cap > 0 { cols } else { 0 },
            cell: 0,
            next: base,
            count,
            _rows: PhantomData,
        }
    }

    /// Writes the next cell of the current row; false (and nothing written)
    /// when the row already has `cols` cells or the block is full.
    #[inline(always)]
    pub(crate) fn push(&mut self, v: f64) -> bool {
        if self.cell >= self.limit {
            return false;
        }
        // SAFETY: `cell < limit` means `limit == cols` (so `cell < cols`)
        // and `count < cap`: `next` is element `(count, cell)` of this
        // block's rows (see `Filling::blocks`).
        unsafe { self.next.write(v) };
        self.next = self.next.wrapping_add(self.stride);
        self.cell += 1;
        true
    }

    /// Ends the current row: counted if all its cells were written (true),
    /// else dropped (false). Either way the next push starts a new row.
    #[inline(always)]
    pub(crate) fn end_row(&mut self) -> bool {
        let complete = self.cell == self.cols && self.limit == self.cols && *self.count < self.cap;
        if complete {
            *self.count += 1;
            if *self.count == self.cap {
                self.limit = 0;
            }
        }
        self.restart();
        complete
    }

    /// Drops the cells of the current row written so far.
    #[inline(always)]
    pub(crate) fn discard_row(&mut self) {
        self.restart();
    }

    fn restart(&mut self) {
        self.cell = 0;
        self.next = self.base.wrapping_add(*self.count);
    }

    /// Complete rows so far.
    #[cfg(test)]
    pub(crate) fn rows(&self) -> usize {
        *self.count
    }

    /// Whether another row fits.
    pub(crate) fn has_room(&self) -> bool {
        *self.count < self.cap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_assumption_holds() {
        // Elements written through the documented addressing read back
        // through faer's indexing, for shapes around the alignment padding.
        for (rows, cols) in [(1, 1), (1, 5), (7, 3), (8, 2), (9, 4), (100, 3)] {
            let mut f = Filling::new(rows, cols).unwrap();
            {
                let mut blocks = f.blocks(&[rows]);
                let b = &mut blocks[0];
                for i in 0..rows {
                    for j in 0..cols {
                        assert!(b.push((i * 1000 + j) as f64));
                    }
                    assert!(b.end_row());
                }
                assert!(!b.push(0.0), "full");
            }
            let m = f.finish();
            assert_eq!((m.nrows(), m.ncols()), (rows, cols));
            for i in 0..rows {
                for j in 0..cols {
                    assert_eq!(m[(i, j)], (i * 1000 + j) as f64);
                }
            }
        }
    }

    #[test]
    fn blocks_are_compacted_and_partial_rows_dropped() {
        let mut f = Filling::new(10, 2).unwrap();
        {
            let mut blocks = f.blocks(&[4, 3, 3]);
            let (a, rest) = blocks.split_at_mut(1);
            let (b, c) = rest.split_at_mut(1);
            // Block 0: two rows, then a partial one.
            for v in [1.0, 2.0, 3.0, 4.0, 5.0] {
                a[0].push(v);
                if v % 2.0 == 0.0 {
                    assert!(a[0].end_row());
                }
            }
            assert!(!a[0].end_row(), "one cell only");
            assert_eq!(a[0].rows(), 2);
            // Block 1: nothing. Block 2: one row; a third cell is refused.
            assert!(b[0].has_room());
            assert!(c[0].push(7.0) && c[0].push(8.0) && !c[0].push(9.0));
            assert!(c[0].end_row());
        }
        let m = f.finish();
        assert_eq!((m.nrows(), m.ncols()), (3, 2));
        assert_eq!(
            [
                m[(0, 0)],
                m[(0, 1)],
                m[(1, 0)],
                m[(1, 1)],
                m[(2, 0)],
                m[(2, 1)]
            ],
            [1.0, 2.0, 3.0, 4.0, 7.0, 8.0]
        );
    }

    #[test]
    fn empty_shapes() {
        let mut f = Filling::new(0, 3).unwrap();
        drop(f.blocks(&[0, 0]));
        assert_eq!(f.finish().nrows(), 0);
        let f = Filling::new(5, 0).unwrap();
        let m = f.finish();
        assert_eq!((m.nrows(), m.ncols()), (0, 0));
    }

    #[test]
    #[should_panic(expected = "blocks exceed rows")]
    fn blocks_cannot_exceed_rows() {
        let mut f = Filling::new(3, 1).unwrap();
        let _ = f.blocks(&[2, 2]);
    }
}

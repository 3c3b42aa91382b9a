//! Residual mode: the shared-design quadratic loss with `R = Y − X W` kept in place.

use super::blocks::Partition;
use super::{Datafit, Gram, GramFacts, KnownGradient, ResidualStats, Store};
use crate::linalg::matmul;
use crate::linalg::{axpy, inner_mat, sq_norm, sq_norm_mat};
use faer::{Accum, Mat, MatMut, MatRef, Par};

/// `f(W) = 1/(2n) ‖Y − X W‖²_F`, with residuals maintained in place.
///
/// A block step costs `O(n T)`: `x_jᵀ R` and the rank-1 update `R −= x_j δᵀ`.
/// Epochs run blocked (see [`Datafit::epoch`] here): the gradients of
/// up to 16 working-set rows come from one small GEMM, the
/// rows are then minimised one after the other exactly as in plain coordinate
/// descent (each gradient corrected by the in-block Gram entries of the rows
/// already moved), and R takes their changes in one more GEMM. R is then read
/// twice per block of rows instead of twice per row, which is what limits the
/// row-at-a-time kernel once R outgrows the L1 cache. Memory: X, Y, R, the
/// blocks' 16 × 16 Gram matrices and a working-set Gram
/// cache within its budget; X is never copied (a block's columns are
/// gathered into a 16-column buffer).
#[derive(Debug, Clone)]
pub struct Quadratic<'a> {
    x: Store<'a>,
    y: Store<'a>,
    r: Mat<f64>,
    /// `‖x_j‖² / n`.
    curvature: Vec<f64>,
    inv_n: f64,
    /// `‖Y‖²/n`.
    y_sq: f64,
    /// Tasks of the split products ([`Datafit::set_threads`]).
    threads: usize,
    /// Buffers of the blocked epoch.
    blocked: Blocked,
    /// The block Gram matrices of the last working set.
    block_grams: BlockGrams,
    /// Residuals at the last [`Datafit::mark_reference`] (empty before).
    r_ref: Mat<f64>,
    /// Residuals at the last [`Datafit::save_state`].
    r_saved: super::SavedState,
    /// The working-set Gram cache (see [`Datafit::working_set_gram`]).
    ws_gram: WsGram,
}

/// The Gram matrix of the columns of the last working set, for working-set
/// Gram subproblems.
///
/// A new working set keeps the entries among the columns it shares with the
/// cache and evicts the others, so one that gains k columns costs
/// `X_wsᵀ X_new` (`2n·w·k`), not a new Gram matrix, and one that gains none
/// costs no pass over X when the check's gradient gives `X_wsᵀR`. X is never
/// copied: every product streams the needed columns in chunks of rows
/// gathered into a small buffer ([`Quadratic::stream_columns`]). The cache
/// holds at most [`WS_GRAM_BUDGET`] values (w², beyond which the solver keeps
/// residual epochs).
#[derive(Debug, Clone)]
struct WsGram {
    /// Feature of each slot.
    cols: Vec<usize>,
    /// Slot of each feature (`usize::MAX`: not cached); empty until first use.
    slot: Vec<usize>,
    /// The Gram matrix of the cached columns, `X_cᵀX_c / n` (capacity²).
    q: Mat<f64>,
    /// Largest cache, in values of q.
    budget: usize,
    /// Scratch: a chunk of rows of the streamed columns.
    buf: Mat<f64>,
    /// Scratch: the in-place products' right-hand sides (n × m) and sums
    /// (4 × p) ([`Quadratic::products_in_place`]).
    rhs: Mat<f64>,
    dots: Mat<f64>,
    /// Scratch: membership of the working set (p flags).
    mark: Vec<bool>,
}

const NO_SLOT: usize = usize::MAX;

impl Default for WsGram {
    fn default() -> Self {
        Self {
            cols: Vec::new(),
            slot: Vec::new(),
            q: Mat::new(),
            budget: WS_GRAM_BUDGET,
            buf: Mat::new(),
            rhs: Mat::new(),
            dots: Mat::new(),
            mark: Vec::new(),
        }
    }
}

/// The longest columns whose gradients are swept column by column
/// ([`Quadratic::dots_for_gradients`]): R (n × 2) then fits in 16 KB.
const DOTS_MAX_ROWS: usize = 1024;

/// Bytes of the row-chunk buffer of streamed products (L2-resident).
const STREAM_CHUNK_BYTES: usize = 256 * 1024;

/// What a working-set Gram update computes for the streamed columns `cols`,
/// the k new ones last: `q_new = X_colsᵀ X_new / n` (|cols| × k) and
/// `a_stream = X_colsᵀ R / n` (|cols| × T, or no column when every product
/// with R is known).
struct NewProducts {
    q_new: Mat<f64>,
    a_stream: Mat<f64>,
}

impl NewProducts {
    /// The right-hand sides: the new columns and R's.
    fn rhs(&self) -> usize {
        self.q_new.ncols() + self.a_stream.ncols()
    }
}

/// Most right-hand sides (new columns, then the residuals' T columns) a
/// working-set Gram update computes by [`Quadratic::products_in_place`]:
/// four passes over `X_ws` at the streaming rate against one chunked pass
/// (a gather, then small products). On a tall 20979 × 286 × 3 fit adding 16
/// and then 1 column to a working set of 209: 5.7 and 1.8 ms against 6.9 and
/// 4.2 ms.
const IN_PLACE_MAX_RHS: usize = 16;

/// Largest working-set Gram matrix of a [`Quadratic`], in values (w², 64 MiB);
/// beyond it the solver keeps residual epochs.
pub const WS_GRAM_BUDGET: usize = 1 << 23;

impl Blocked {
    /// Buffers for n samples and T tasks.
    fn new(n: usize, t: usize) -> Self {
        Self {
            xb: Mat::new(),
            n,
            g: Mat::zeros(t, EPOCH_BLOCK),
            d: Mat::zeros(t, EPOCH_BLOCK),
            split: Mat::new(),
            gt: Mat::new(),
        }
    }

    /// The gathered-columns buffer, allocated on first use.
    fn gather_buf(&mut self) -> &mut Mat<f64> {
        if self.xb.nrows() != self.n {
            self.xb = Mat::zeros(self.n, EPOCH_BLOCK);
        }
        &mut self.xb
    }
}

/// Copies the columns `rows` of X into the first columns of `buf` (n rows).
fn gather(buf: &mut Mat<f64>, x: MatRef<'_, f64>, rows: &[usize]) {
    for (c, &j) in rows.iter().enumerate() {
        buf.col_as_slice_mut(c)
            .copy_from_slice(crate::linalg::col_slice(x, j));
    }
}

/// The Gram matrices `X_bᵀ X_b / n` of the blocked epoch's blocks
/// (see [`Quadratic::epoch`]), computed on first use.
///
/// A dense working set is cut at multiples of [`EPOCH_BLOCK`] of the feature
/// index, so its blocks are (parts of) fixed groups of features whose Gram
/// matrices hold for every working set of the fit (kept for the groups the
/// fit touches); a sparse one is cut into blocks of consecutive rows that
/// follow it as it changes, with their matrices ([`Partition`]). The columns
/// of X are not copied: a block of consecutive rows is a view of X, another
/// one is gathered into [`Blocked::xb`] (a working-set copy of X, measured
/// on twelve dense draws, saved nothing per epoch and cost an allocation,
/// page faults and a pass at each new working set: up to 17 % of a fit).
#[derive(Debug, Clone)]
struct BlockGrams {
    /// The sparse working set's blocks and their matrices.
    partition: Partition,
    /// The groups' matrices, B² values each (column-major), in the order
    /// they were first used: memory follows the groups a fit touches, not p.
    groups: Vec<f64>,
    /// Where group i's matrix starts in `groups` (`NO_SLOT`: not computed).
    group_at: Vec<usize>,
}

/// Where a block's Gram matrix is kept ([`BlockGrams`]).
#[derive(Debug, Clone, Copy)]
enum GramSlot {
    /// The block is this block of the sparse working set's [`Partition`].
    Block(usize),
    /// The block's features lie in the group that starts at this feature.
    Group(usize),
}

/// A working set whose runs within one group of [`EPOCH_BLOCK`] features
/// hold at least this many rows on average (its blocks three quarters full)
/// is cut by groups. With half-full groups (runs of 8) a draw with 1827 of
/// 3176 rows active read +4.5 %: twice the blocks per epoch cost more than
/// the Gram matrices saved.
const GROUP_RUN: usize = EPOCH_BLOCK * 3 / 4;

/// Values of one group's Gram matrix.
const GROUP_VALUES: usize = EPOCH_BLOCK * EPOCH_BLOCK;

/// Rows per block of the blocked epoch.
pub const EPOCH_BLOCK: usize = 16;

/// Scratch space of the blocked epoch.
#[derive(Debug, Clone)]
struct Blocked {
    /// Gathered columns of X for the block (n × B), allocated on first use
    /// ([`Blocked::gather_buf`]): fits whose epochs run on views of X or on a
    /// working-set Gram never touch it (zeroing n × B values costs page
    /// faults on tall designs).
    xb: Mat<f64>,
    /// Samples n (the rows of `xb`).
    n: usize,
    /// `Rᵀ X_b / n`, kept current while the block's rows move (T × B).
    g: Mat<f64>,
    /// The changes of the block's rows (T × B).
    d: Mat<f64>,
    /// The second half's share of a product split over samples on two
    /// threads ([`crate::linalg::matmul_tn_rows`]).
    split: Mat<f64>,
    /// `X_bᵀ R / n` (B × T) when the block's gradients are computed in that
    /// orientation ([`crate::linalg::block_gradient`]).
    gt: Mat<f64>,
}

impl Quadratic<'static> {
    /// Builds the datafit from an n × p design and n × T targets (already centred
    /// if an intercept is fitted). The state starts at `W = 0`.
    ///
    /// # Panics
    /// If the row counts differ or n = 0 (programmer error: estimators validate).
    #[track_caller]
    pub fn new(x: Mat<f64>, y: Mat<f64>) -> Self {
        let x = Store::Owned(x);
        let curvature = (0..x.ncols()).map(|j| sq_norm(x.col(j))).collect();
        Self::build(x, Store::Owned(y), curvature)
    }

    /// [`new`](Self::new) given the squared column norms `‖x_j‖²` (as
    /// [`crate::linalg::column_scan`] computes them with `XᵀY`).
    ///
    /// # Panics
    /// As [`new`](Self::new), or if there is not one norm per column.
    #[track_caller]
    pub fn with_norms(x: Mat<f64>, y: Mat<f64>, sq_norms: Vec<f64>) -> Self {
        assert_eq!(sq_norms.len(), x.ncols(), "one norm per column of X");
        Self::build(Store::Owned(x), Store::Owned(y), sq_norms)
    }
}

impl<'a> Quadratic<'a> {
    /// The datafit on borrowed X (n × p) and Y (n × T), given the squared
    /// column norms `‖x_j‖²` (as [`crate::linalg::column_scan`] computes them
    /// with `XᵀY`): no copy of X or Y when their columns are contiguous.
    ///
    /// # Panics
    /// If the shapes disagree or n = 0 (programmer error: estimators validate).
    #[track_caller]
    pub fn borrowed(x: MatRef<'a, f64>, y: MatRef<'a, f64>, sq_norms: Vec<f64>) -> Self {
        assert_eq!(sq_norms.len(), x.ncols(), "one norm per column of X");
        Self::build(Store::borrow(x), Store::borrow(y), sq_norms)
    }

    #[track_caller]
    fn build(x: Store<'a>, y: Store<'a>, sq_norms: Vec<f64>) -> Self {
        assert_eq!(x.nrows(), y.nrows(), "X and Y must have the same rows");
        assert!(x.nrows() > 0, "need at least one sample");
        let inv_n = 1.0 / x.nrows() as f64;
        let curvature = sq_norms.into_iter().map(|s| s * inv_n).collect();
        let r = y.as_ref().to_owned();
        let y_sq = sq_norm_mat(y.as_ref()) * inv_n;
        let blocked = Blocked::new(x.nrows(), y.ncols());
        Self {
            x,
            y,
            r,
            curvature,
            inv_n,
            y_sq,
            threads: 1,
            blocked,
            block_grams: BlockGrams {
                partition: Partition::default(),
                groups: Vec::new(),
                group_at: Vec::new(),
            },
            r_ref: Mat::new(),
            r_saved: super::SavedState::default(),
            ws_gram: WsGram::default(),
        }
    }

    /// The design X (n × p).
    pub fn x(&self) -> MatRef<'_, f64> {
        self.x.as_ref()
    }

    /// The targets Y (n × T).
    pub fn y(&self) -> MatRef<'_, f64> {
        self.y.as_ref()
    }

    /// Caps the working-set Gram cache at `values` (tests: forces restarts).
    #[cfg(test)]
    pub(crate) fn set_ws_gram_budget(&mut self, values: usize) {
        self.ws_gram.budget = values;
    }

    /// The current residuals `R = Y − X W` (n × T).
    pub fn residuals(&self) -> MatRef<'_, f64> {
        self.r.as_ref()
    }
}

impl Quadratic<'_> {
    /// Whether gradient blocks are computed column by column (two dot
    /// products in one sweep over `x_j`, [`crate::linalg::dots_cols`]) rather
    /// than by a product `RᵀX`: with two tasks faer's product with a 2-row
    /// output reads X twice (it costs twice the one-task product, and as much
    /// as a 3- to 8-row one), while the sweep reads it once as long as R
    /// stays in L1 (`n ≤` [`DOTS_MAX_ROWS`]). Cold-cache micro-benchmark on
    /// this crate's machine, product time / sweep time at T = 2: 1.80 (n =
    /// 111), 1.86 (134), 1.76 (200), 1.39 (298), 1.46 (600), 1.48 (1000),
    /// 0.93 (2000), 0.82 (5000). One thread only (the product splits over
    /// threads).
    fn dots_for_gradients(&self) -> bool {
        self.y.ncols() == 2 && self.x.nrows() <= DOTS_MAX_ROWS && self.threads <= 1
    }

    /// Whether gradient blocks are computed by
    /// [`crate::linalg::gradient_columns`] (several columns of X streamed
    /// against R at once) before the sweep or the products: 2–4 tasks, one
    /// thread, any n (the kernel declines without AVX-512F). On short columns
    /// it reads a very wide X faster than the two-task sweep (170 × 16860 × 2
    /// at 0.1: a fit −13 %, its checks being most of it).
    fn streams_gradient_columns(&self) -> bool {
        (2..=4).contains(&self.y.ncols()) && self.threads <= 1
    }

    /// Whether the working-set commit is computed by
    /// [`crate::linalg::subtract_columns_product`]: as
    /// [`Quadratic::streams_gradient_columns`], for columns beyond
    /// [`DOTS_MAX_ROWS`] (a short commit costs little either way).
    fn streams_commit(&self) -> bool {
        self.streams_gradient_columns() && self.x.nrows() > DOTS_MAX_ROWS
    }

    /// The gradient blocks `cols`, each by [`Datafit::gradient_block`]
    /// straight into its column of `out` (T × p, column-major).
    fn sweep_gradients(&self, cols: impl Iterator<Item = usize>, mut out: MatMut<'_, f64>) {
        for j in cols {
            let col = out
                .as_mut()
                .col_mut(j)
                .try_as_col_major_mut()
                .expect("gradient columns are contiguous")
                .as_slice_mut();
            self.gradient_block(j, col);
        }
    }

    /// Streams the columns `cols` of X in chunks of rows: `f(i0, chunk)` gets
    /// each chunk (rows `i0..i0 + k` of those columns, gathered k × |cols|,
    /// L2-resident), so that X is read once and never copied whole.
    fn stream_columns(&mut self, cols: &[usize], mut f: impl FnMut(usize, MatRef<'_, f64>)) {
        let n = self.x.nrows();
        let m = cols.len().max(1);
        let rows = (STREAM_CHUNK_BYTES / (8 * m)).clamp(64, n.max(64));
        let buf = &mut self.ws_gram.buf;
        if buf.nrows() < rows.min(n) || buf.ncols() < cols.len() {
            *buf = Mat::zeros(rows.min(n), cols.len());
        }
        let mut i0 = 0;
        while i0 < n {
            let k = rows.min(n - i0);
            for (c, &j) in cols.iter().enumerate() {
                buf.col_as_slice_mut(c)[..k].copy_from_slice(&self.x.col(j)[i0..i0 + k]);
            }
            f(i0, buf.as_ref().submatrix(0, 0, k, cols.len()));
            i0 += k;
        }
    }

    /// Makes the working-set Gram cache hold exactly the columns `ws` and
    /// returns `X_wsᵀR/n` (|ws| × T, `ws` order).
    ///
    /// Cached columns outside `ws` are evicted (their Gram entries would
    /// otherwise have to be extended by every later product); the entries
    /// among the kept ones stay. One stream over the working set's columns
    /// gives the new entries (`X_wsᵀ X_new`) and the products with the
    /// residuals the caller does not `known` (the check's exact gradient
    /// columns, `X_jᵀR/n = −∇_j f`): by gathered row chunks, or with X read
    /// in place when they are at most [`IN_PLACE_MAX_RHS`] right-hand sides.
    /// With no new column and every product known, X is not read at all.
    fn cache_columns(&mut self, ws: &[usize], known: Option<KnownGradient<'_>>) -> Mat<f64> {
        let (p, t, w) = (self.x.ncols(), self.y.ncols(), ws.len());
        let g = &mut self.ws_gram;
        if g.slot.len() != p {
            g.slot = vec![NO_SLOT; p];
        }
        // keep the cached columns of ws (in slot order), evict the others
        let mut in_ws = std::mem::take(&mut g.mark);
        in_ws.clear();
        in_ws.resize(p, false);
        for &j in ws {
            in_ws[j] = true;
        }
        let kept: Vec<usize> = g.cols.iter().copied().filter(|&j| in_ws[j]).collect();
        g.mark = in_ws;
        let fresh: Vec<usize> = ws
            .iter()
            .copied()
            .filter(|&j| g.slot[j] == NO_SLOT)
            .collect();
        let (c0, k) = (kept.len(), fresh.len());
        if c0 < g.cols.len() || g.q.ncols() < w {
            let cap = if g.q.ncols() >= w {
                g.q.ncols()
            } else {
                let cap = w.max(2 * g.q.ncols()).min(p);
                if cap * cap > g.budget { w } else { cap }
            };
            let mut q = Mat::<f64>::zeros(cap, cap);
            for (u, &ju) in kept.iter().enumerate() {
                let su = g.slot[ju];
                for (v, &jv) in kept.iter().enumerate() {
                    q[(v, u)] = g.q[(g.slot[jv], su)];
                }
            }
            for &j in &g.cols {
                g.slot[j] = NO_SLOT;
            }
            for (s, &j) in kept.iter().enumerate() {
                g.slot[j] = s;
            }
            g.q = q;
            g.cols.clone_from(&kept);
        }
        for (c, &j) in fresh.iter().enumerate() {
            g.slot[j] = c0 + c;
            g.cols.push(j);
        }
        // the products with R the caller does not know, by slot
        let mut a = Mat::<f64>::zeros(w, t);
        let mut unknown = vec![true; w];
        if let Some(kg) = known {
            for (u, &j) in ws.iter().enumerate() {
                if kg.exact[u] {
                    let s = g.slot[j];
                    unknown[s] = false;
                    for q in 0..t {
                        a[(s, q)] = -kg.grad[(q, j)];
                    }
                }
            }
        }
        // stream every slot when columns are new (their Gram entries pair
        // them with all of ws), else only the slots whose product is unknown
        let stream: Vec<usize> = (0..w).filter(|&s| k > 0 || unknown[s]).collect();
        if !stream.is_empty() {
            self.stream_into(&stream, &unknown, k, &mut a);
        }
        // slot order -> ws order
        let g = &self.ws_gram;
        Mat::from_fn(w, t, |u, q| a[(g.slot[ws[u]], q)])
    }

    /// The stream of [`Quadratic::cache_columns`] over the slots `stream`:
    /// the Gram entries of the k new columns (when `k > 0`, the slots are all
    /// of the cache and the new ones are the last k) and `X_sᵀR/n` into the
    /// rows of `a` whose slots are `unknown`.
    fn stream_into(&mut self, stream: &[usize], unknown: &[bool], k: usize, a: &mut Mat<f64>) {
        let (w, t) = (self.ws_gram.cols.len(), self.y.ncols());
        let c0 = w - k;
        let cols: Vec<usize> = stream.iter().map(|&s| self.ws_gram.cols[s]).collect();
        let need_a = stream.iter().any(|&s| unknown[s]);
        let mut out = NewProducts {
            q_new: Mat::zeros(if k > 0 { w } else { 0 }, k),
            a_stream: Mat::zeros(cols.len(), if need_a { t } else { 0 }),
        };
        if out.rhs() > IN_PLACE_MAX_RHS || !self.products_in_place(&cols, &mut out) {
            self.products_by_chunks(&cols, &mut out);
        }
        let NewProducts {
            mut q_new,
            a_stream,
        } = out;
        // the new square's upper triangle from its lower
        for c in 0..k {
            for r in 0..c {
                q_new[(c0 + r, c)] = q_new[(c0 + c, r)];
            }
        }
        let g = &mut self.ws_gram;
        for c in 0..k {
            for s in 0..w {
                let v = q_new[(s, c)];
                g.q[(s, c0 + c)] = v;
                g.q[(c0 + c, s)] = v;
            }
        }
        for (u, &s) in stream.iter().enumerate().filter(|&(_, &s)| unknown[s]) {
            for q in 0..t {
                a[(s, q)] = a_stream[(u, q)];
            }
        }
    }

    /// The [`NewProducts`] of `cols` by one stream of gathered row chunks
    /// ([`Quadratic::stream_columns`]) and products per chunk (the new
    /// columns' square: its lower triangle only).
    fn products_by_chunks(&mut self, cols: &[usize], out: &mut NewProducts) {
        let (k, need_a) = (out.q_new.ncols(), out.a_stream.ncols() > 0);
        let NewProducts { q_new, a_stream } = out;
        let c0 = cols.len() - k;
        let inv_n = self.inv_n;
        let r = std::mem::replace(&mut self.r, Mat::new());
        self.stream_columns(cols, |i0, chunk| {
            if k > 0 {
                // Q[:, new] += X_wsᵀ X_new / n (the new slots are the last
                // k): the kept columns' rows by a product, the new columns'
                // symmetric square by its lower triangle (half the flops;
                // mirrored below)
                let x_new = chunk.subcols(c0, k);
                if c0 > 0 {
                    crate::linalg::gemm(
                        q_new.as_mut().subrows_mut(0, c0),
                        Accum::Add,
                        chunk.subcols(0, c0).transpose(),
                        x_new,
                        inv_n,
                    );
                }
                crate::linalg::gram_lower_add(q_new.as_mut().subrows_mut(c0, k), x_new, inv_n);
            }
            if need_a {
                // A += X_streamᵀ R / n
                crate::linalg::gemm(
                    a_stream.as_mut(),
                    Accum::Add,
                    chunk.transpose(),
                    r.as_ref().subrows(i0, chunk.nrows()),
                    inv_n,
                );
            }
        });
        self.r = r;
    }

    /// The [`NewProducts`] of `cols` (the new square whole) with X read in
    /// place: the right-hand sides `[X_new, R]` (at most
    /// [`IN_PLACE_MAX_RHS`]) are copied once, then
    /// [`crate::linalg::gradient_columns`] streams `X_cols` through them four
    /// at a time. Returns `false`, the products zero, when that kernel does
    /// not apply (no AVX-512F, strided columns).
    fn products_in_place(&mut self, cols: &[usize], out: &mut NewProducts) -> bool {
        let (n, p) = (self.x.nrows(), self.x.ncols());
        let (k, t, m) = (out.q_new.ncols(), out.a_stream.ncols(), out.rhs());
        let need_a = t > 0;
        let NewProducts { q_new, a_stream } = out;
        let c0 = cols.len() - k;
        let x = self.x.as_ref();
        if m == 0 || x.row_stride() != 1 || self.r.row_stride() != 1 {
            return false;
        }
        // at least two right-hand sides (the kernel's narrowest): a single
        // one goes with the scratch's second column, whose sums are dropped
        let g = &mut self.ws_gram;
        if g.rhs.nrows() != n || g.rhs.ncols() < m.max(2) {
            g.rhs = Mat::zeros(n, m.max(2));
        }
        for (c, &j) in cols[c0..].iter().enumerate() {
            g.rhs
                .col_as_slice_mut(c)
                .copy_from_slice(crate::linalg::col_slice(x, j));
        }
        if need_a {
            for q in 0..t {
                g.rhs
                    .col_as_slice_mut(k + q)
                    .copy_from_slice(self.r.col_as_slice(q));
            }
        }
        if g.dots.nrows() < 4 || g.dots.ncols() != p {
            g.dots = Mat::zeros(4, p);
        }
        let mut c = 0;
        while c < m {
            // the last round takes the column before it when one is left
            let start = if m - c == 1 { c.saturating_sub(1) } else { c };
            let width = (m - start).clamp(2, 4);
            let rhs = g.rhs.as_ref().subcols(start, width);
            let dots = g.dots.as_mut().subrows_mut(0, width);
            if !crate::linalg::gradient_columns(x, cols, rhs, self.inv_n, dots) {
                // every round meets the same conditions: this is the first
                q_new.fill(0.0);
                a_stream.fill(0.0);
                return false;
            }
            // (a padded single right-hand side: its second column is skipped)
            for d in (c - start)..width.min(m - start) {
                let col = start + d;
                for (s, &j) in cols.iter().enumerate() {
                    let v = g.dots[(d, j)];
                    if col < k {
                        q_new[(s, col)] = v;
                    } else {
                        a_stream[(s, col - k)] = v;
                    }
                }
            }
            c = start + width;
        }
        true
    }

    /// Coordinate descent over the rows `rows` (at most [`EPOCH_BLOCK`]) with
    /// level-3 gradient and residual updates; the iterates are those of the
    /// row-at-a-time kernel up to rounding. The block's Gram matrix is kept
    /// at `slot`.
    fn block_of_rows<P: crate::penalty::Penalty>(
        &mut self,
        penalty: &P,
        wt: &mut Mat<f64>,
        rows: &[usize],
        slot: GramSlot,
        work: &mut crate::bcd::Workspace,
    ) -> f64 {
        let k = rows.len();
        let b = &mut self.blocked;
        let consecutive = rows.windows(2).all(|w| w[1] == w[0] + 1);
        let grams = &self.block_grams;
        let have_gram = match slot {
            GramSlot::Block(i) => grams.partition.is_ready(i),
            GramSlot::Group(g0) => grams.group_at[g0 / EPOCH_BLOCK] != NO_SLOT,
        };
        // Gᵀ = Rᵀ X_b / n (T × k): column c is the negative gradient of row c.
        // Rows that are not consecutive, whose Gram matrix is known: read in
        // place by the columns' kernels (no gather), where they apply.
        let in_place = !consecutive
            && have_gram
            && self.threads <= 1
            && crate::linalg::block_gradient_columns(
                b.g.as_mut().subcols_mut(0, k),
                self.r.as_ref(),
                self.x.as_ref(),
                rows,
                self.inv_n,
            );
        // Otherwise X_b: a view of X when the rows are consecutive, else
        // gathered (the buffer exists either way, so that `xb` below is a
        // valid view; in place it is not read).
        if !consecutive {
            b.gather_buf();
            if !in_place {
                gather(&mut b.xb, self.x.as_ref(), rows);
            }
        }
        let x = &self.x;
        // (in place, `xb` is not read: the block's Gram matrix is known, and
        // its update takes the columns' kernel)
        let xb = if consecutive {
            x.as_ref().subcols(rows[0], k)
        } else {
            b.xb.as_ref().subcols(0, k)
        };
        if !in_place {
            crate::linalg::block_gradient(
                b.g.as_mut().subcols_mut(0, k),
                &mut b.gt,
                &mut b.split,
                self.r.as_ref(),
                xb,
                self.inv_n,
                self.threads,
            );
        }
        let mut worst = 0.0f64;
        let mut moved = 0usize;
        // The block's Gram matrix, kept: the same blocks recur every epoch,
        // and recomputing it (2nB² flops per block) would cost as much as the
        // epoch's two products when T < B.
        let grams = &mut self.block_grams;
        let mut have_h = have_gram;
        for (c, &j) in rows.iter().enumerate() {
            let h = self.curvature[j];
            let w = wt.col_as_slice_mut(j);
            b.d.col_as_slice_mut(c).fill(0.0);
            if crate::bcd::skip_flat_block(h, w) {
                continue;
            }
            for (o, &gv) in work.grad.iter_mut().zip(b.g.col_as_slice(c)) {
                *o = -gv;
            }
            let (violation, changed) = crate::bcd::block_step(penalty, j, h, w, work);
            worst = worst.max(violation);
            if !changed {
                continue;
            }
            if c + 1 < k {
                // Later rows of the block see the move: g_l −= (x_lᵀ x_j / n) δ,
                // with the block's Gram matrix computed on the first move.
                if !have_h {
                    // this block's columns, or the whole group's
                    let (dst, cols) = match slot {
                        GramSlot::Block(i) => (grams.partition.fill(i), xb),
                        GramSlot::Group(g0) => {
                            let m = EPOCH_BLOCK.min(x.ncols() - g0);
                            let start = grams.groups.len();
                            grams.group_at[g0 / EPOCH_BLOCK] = start;
                            grams.groups.resize(start + GROUP_VALUES, 0.0);
                            let square = faer::MatMut::from_column_major_slice_mut(
                                &mut grams.groups[start..],
                                EPOCH_BLOCK,
                                EPOCH_BLOCK,
                            );
                            (square.submatrix_mut(0, 0, m, m), x.as_ref().subcols(g0, m))
                        }
                    };
                    crate::linalg::matmul_tn_rows(
                        dst,
                        &mut b.split,
                        cols,
                        cols,
                        self.inv_n,
                        self.threads,
                    );
                    have_h = true;
                }
                // row j's column of the Gram matrix, indexed by position
                // in the block (`Block`) or by feature within the group
                let hcol = match slot {
                    GramSlot::Block(i) => grams.partition.column(i, c),
                    GramSlot::Group(g0) => {
                        let at = grams.group_at[g0 / EPOCH_BLOCK] + (j - g0) * EPOCH_BLOCK;
                        &grams.groups[at..at + EPOCH_BLOCK]
                    }
                };
                for (l, &jl) in rows.iter().enumerate().skip(c + 1) {
                    let hlj = match slot {
                        GramSlot::Block(_) => hcol[l],
                        GramSlot::Group(g0) => hcol[jl - g0],
                    };
                    if hlj != 0.0 {
                        axpy(-hlj, &work.delta, b.g.col_as_slice_mut(l));
                    }
                }
            }
            b.d.col_as_slice_mut(c).copy_from_slice(&work.delta);
            moved += 1;
        }
        // R −= X_b Δ (Δ stored as T × k, zero for the rows that did not move)
        if moved > 0 {
            let d = b.d.as_ref().subcols(0, k);
            if !in_place {
                crate::linalg::matmul_rows(self.r.as_mut(), xb, d.transpose(), -1.0, self.threads);
            } else if !crate::linalg::subtract_columns_product(x.as_ref(), rows, d, self.r.as_mut())
            {
                // unreachable: the columns' kernel takes every case the
                // gradient's took; gathered and a product, should it not
                gather(&mut b.xb, x.as_ref(), rows);
                let xb = b.xb.as_ref().subcols(0, k);
                crate::linalg::matmul_rows(self.r.as_mut(), xb, d.transpose(), -1.0, self.threads);
            }
        }
        worst
    }
}

impl Datafit for Quadratic<'_> {
    fn n_features(&self) -> usize {
        self.x.ncols()
    }

    fn n_tasks(&self) -> usize {
        self.y.ncols()
    }

    fn init_state(&mut self, wt: MatRef<'_, f64>) {
        debug_assert_eq!(wt.ncols(), self.x.ncols());
        let t = wt.nrows();
        self.r.copy_from(self.y.as_ref());
        let support: Vec<usize> = (0..wt.ncols())
            .filter(|&j| (0..t).any(|k| wt[(k, j)] != 0.0))
            .collect();
        if support.len() * t <= 256 {
            // R = Y − Σ_{j ∈ S} x_j w_jᵀ, a few rank-1 updates.
            for &j in &support {
                let xj = self.x.col(j);
                for k in 0..t {
                    let w = wt[(k, j)];
                    if w != 0.0 {
                        axpy(-w, xj, self.r.col_as_slice_mut(k));
                    }
                }
            }
        } else if 2 * support.len() >= wt.ncols() {
            // Dense support: R = Y − X W directly (zero rows cost less than a
            // gather of X_S).
            matmul(
                self.r.as_mut(),
                Accum::Add,
                self.x.as_ref(),
                wt.transpose(),
                -1.0,
                Par::Seq,
            );
        } else {
            // R = Y − X_S W_S as GEMMs on the support streamed by chunks of
            // rows (a dense support makes the rank-1 loop memory-bound and
            // ~10× slower; a gathered copy of X_S was a fresh allocation
            // of n·|S| values at every resync, which stalled a very wide
            // fit's 134 × 205 resync for 4.9 ms in a measured run)
            let ws = Mat::from_fn(support.len(), t, |k, c| wt[(c, support[k])]);
            let mut r = std::mem::replace(&mut self.r, Mat::new());
            self.stream_columns(&support, |i0, chunk| {
                crate::linalg::gemm(
                    r.as_mut().subrows_mut(i0, chunk.nrows()),
                    Accum::Add,
                    chunk,
                    ws.as_ref(),
                    -1.0,
                );
            });
            self.r = r;
        }
    }

    fn value(&self, _wt: MatRef<'_, f64>) -> f64 {
        0.5 * self.inv_n * sq_norm_mat(self.r.as_ref())
    }

    #[inline]
    fn block_curvature(&self, j: usize) -> f64 {
        self.curvature[j]
    }

    #[inline]
    fn gradient_block(&self, j: usize, out: &mut [f64]) {
        // ∇_j f = −x_jᵀ R / n  (T dots in one sweep over x_j)
        crate::linalg::dots_cols(self.x.col(j), self.r.as_ref(), out);
        for o in out.iter_mut() {
            *o *= -self.inv_n;
        }
    }

    #[inline]
    fn update_block(&mut self, j: usize, delta: &[f64]) {
        // R −= x_j δᵀ  (one sweep over x_j)
        let mut minus = [0.0f64; crate::linalg::FUSED_COLS];
        if delta.len() <= minus.len() {
            let minus = &mut minus[..delta.len()];
            for (m, &d) in minus.iter_mut().zip(delta) {
                *m = -d;
            }
            crate::linalg::axpy_cols(minus, self.x.col(j), self.r.as_mut());
            return;
        }
        let xj = self.x.col(j);
        for (t, &d) in delta.iter().enumerate() {
            if d != 0.0 {
                axpy(-d, xj, self.r.col_as_slice_mut(t));
            }
        }
    }

    fn update_blocks(&mut self, rows: &[usize], delta: MatRef<'_, f64>) {
        if self.x.nrows() < 32 || delta.nrows() < 4 {
            // as in `epoch`: the row kernel's axpys beat a thin GEMM
            return super::update_blocks_by_row(self, rows, delta);
        }
        // R −= X_S Δᵀ over the rows that moved, EPOCH_BLOCK at a time (their
        // columns of X and of Δ gathered; one GEMM each)
        let mut moved = rows
            .iter()
            .enumerate()
            .filter(|(c, _)| delta.col(*c).iter().any(|&v| v != 0.0))
            .peekable();
        while moved.peek().is_some() {
            let b = &mut self.blocked;
            let mut k = 0;
            b.gather_buf();
            for (c, &j) in moved.by_ref().take(EPOCH_BLOCK) {
                b.xb.col_as_slice_mut(k).copy_from_slice(self.x.col(j));
                for (o, &v) in b.d.col_as_slice_mut(k).iter_mut().zip(delta.col(c).iter()) {
                    *o = v;
                }
                k += 1;
            }
            crate::linalg::matmul_rows(
                self.r.as_mut(),
                b.xb.as_ref().subcols(0, k),
                b.d.as_ref().subcols(0, k).transpose(),
                -1.0,
                self.threads,
            );
        }
    }

    fn epoch<P: crate::penalty::Penalty>(
        &mut self,
        penalty: &P,
        wt: &mut Mat<f64>,
        ws: &[usize],
        work: &mut crate::bcd::Workspace,
    ) -> f64 {
        // Short columns or few tasks: R is small, the row kernel is as good.
        if self.x.nrows() < 32 || self.y.ncols() < 4 || ws.len() < EPOCH_BLOCK {
            return super::row_epoch(self, penalty, wt, ws, work);
        }
        // Blocks and their Gram matrices (see `BlockGrams`): a dense working
        // set by groups of features, whose matrices hold for the whole fit
        // (a solve that refines a dense support changes its working set a
        // little at every check, which shifts every block of a cut by rows).
        let group_of = |a: &usize, b: &usize| a / EPOCH_BLOCK == b / EPOCH_BLOCK;
        let runs = ws.chunk_by(group_of).count();
        let mut worst = 0.0f64;
        if ws.len() >= GROUP_RUN * runs {
            let n_groups = self.x.ncols().div_ceil(EPOCH_BLOCK);
            let g = &mut self.block_grams;
            if g.group_at.len() != n_groups {
                g.group_at = vec![NO_SLOT; n_groups];
            }
            for run in ws.chunk_by(group_of) {
                let slot = GramSlot::Group(run[0] / EPOCH_BLOCK * EPOCH_BLOCK);
                worst = worst.max(self.block_of_rows(penalty, wt, run, slot, work));
            }
            return worst;
        }
        // A sparse working set: blocks of consecutive rows that follow it
        self.block_grams.partition.update(ws);
        for i in 0..self.block_grams.partition.len() {
            let block = self.block_grams.partition.block(i);
            let rows = &ws[block];
            worst = worst.max(self.block_of_rows(penalty, wt, rows, GramSlot::Block(i), work));
        }
        worst
    }

    fn mark_reference(&mut self) {
        self.r_ref.clone_from(&self.r);
    }

    fn save_state(&mut self) -> bool {
        self.r_saved.save(&self.r);
        true
    }

    fn restore_state(&mut self) {
        self.r_saved.restore(&mut self.r);
    }

    fn blend_state(&mut self, s: f64) -> bool {
        // R = Y − X Wᵀ is affine in W
        self.r_saved.blend(&mut self.r, s);
        true
    }

    fn drift(&self) -> Option<f64> {
        // ∇_j f = −x_jᵀR/n, so ‖Δ∇_j‖ ≤ ‖x_j‖ ‖ΔR‖_F / n = √h_j ‖ΔR‖_F / √n.
        if self.r_ref.nrows() != self.r.nrows() || self.r_ref.ncols() != self.r.ncols() {
            return None;
        }
        let mut s = 0.0;
        for q in 0..self.r.ncols() {
            for (a, b) in self
                .r
                .col_as_slice(q)
                .iter()
                .zip(self.r_ref.col_as_slice(q))
            {
                s += (a - b) * (a - b);
            }
        }
        Some((s * self.inv_n).sqrt())
    }

    fn gradient_rows(&mut self, rows: &[usize], mut out: MatMut<'_, f64>) {
        if self.streams_gradient_columns() {
            let (x, r) = (self.x.as_ref(), self.r.as_ref());
            if crate::linalg::gradient_columns(x, rows, r, -self.inv_n, out.as_mut()) {
                return;
            }
        }
        if self.dots_for_gradients() {
            self.sweep_gradients(rows.iter().copied(), out);
            return;
        }
        // Gathered in chunks of EPOCH_BLOCK columns: one small GEMM each.
        let b = &mut self.blocked;
        b.gather_buf();
        for chunk in rows.chunks(EPOCH_BLOCK) {
            let k = chunk.len();
            for (c, &j) in chunk.iter().enumerate() {
                b.xb.col_as_slice_mut(c).copy_from_slice(self.x.col(j));
            }
            crate::linalg::block_gradient(
                b.g.as_mut().subcols_mut(0, k),
                &mut b.gt,
                &mut b.split,
                self.r.as_ref(),
                b.xb.as_ref().subcols(0, k),
                -self.inv_n,
                1,
            );
            for (c, &j) in chunk.iter().enumerate() {
                out.as_mut().col_mut(j).copy_from(b.g.col(c));
            }
        }
    }

    fn full_gradient(&self, mut out: MatMut<'_, f64>) {
        if self.streams_gradient_columns() {
            let (x, r) = (self.x.as_ref(), self.r.as_ref());
            let all: Vec<usize> = (0..x.ncols()).collect();
            if crate::linalg::gradient_columns(x, &all, r, -self.inv_n, out.as_mut()) {
                return;
            }
        }
        if self.dots_for_gradients() {
            self.sweep_gradients(0..self.x.ncols(), out);
            return;
        }
        // ∇f = −Rᵀ X / n  (T × p), one GEMM (split by columns on threads).
        crate::linalg::matmul_cols(
            out,
            Accum::Replace,
            self.r.transpose(),
            self.x.as_ref(),
            -self.inv_n,
            self.threads,
        );
    }

    fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
    }

    fn supports_screening(&self) -> bool {
        true
    }

    fn gram_facts(&self, ws: &[usize]) -> Option<GramFacts> {
        let g = &self.ws_gram;
        let cached = if g.slot.is_empty() {
            0
        } else {
            ws.iter().filter(|&&j| g.slot[j] != NO_SLOT).count()
        };
        Some(GramFacts {
            n_samples: self.x.nrows(),
            full_gram: false,
            cached,
        })
    }

    fn working_set_gram(
        &mut self,
        ws: &[usize],
        wt: MatRef<'_, f64>,
        known: Option<KnownGradient<'_>>,
    ) -> Option<Gram> {
        let a_s = self.cache_columns(ws, known);
        let g = &self.ws_gram;
        let slots: Vec<usize> = ws.iter().map(|&j| g.slot[j]).collect();
        let q = Mat::from_fn(ws.len(), ws.len(), |u, v| g.q[(slots[u], slots[v])]);
        Some(Gram::subproblem(q, a_s, wt, ws, self.value(wt)))
    }

    fn commit_working_set(&mut self, ws: &[usize], wt: &mut Mat<f64>, wt_s: MatRef<'_, f64>) {
        let t = wt.nrows();
        // the rows that moved and their changes D (m × T)
        let mut moved = Vec::new();
        let mut d = Vec::new();
        for (c, &j) in ws.iter().enumerate() {
            if (0..t).any(|k| wt_s[(k, c)] != wt[(k, j)]) {
                moved.push(j);
                d.extend((0..t).map(|k| wt_s[(k, c)] - wt[(k, j)]));
                for k in 0..t {
                    wt[(k, j)] = wt_s[(k, c)];
                }
            }
        }
        if moved.is_empty() {
            return;
        }
        // d holds Dᵀ column by column: T × m, column-major
        let dt = faer::MatRef::from_column_major_slice(&d, t, moved.len());
        if self.streams_commit()
            && crate::linalg::subtract_columns_product(self.x.as_ref(), &moved, dt, self.r.as_mut())
        {
            return;
        }
        // R −= X_moved D, streamed by chunks of rows
        let mut r = std::mem::replace(&mut self.r, Mat::new());
        self.stream_columns(&moved, |i0, chunk| {
            let rows = chunk.nrows();
            crate::linalg::gemm(
                r.as_mut().subrows_mut(i0, rows),
                Accum::Add,
                chunk,
                dt.transpose(),
                -1.0,
            );
        });
        self.r = r;
    }

    fn residual_stats(&self, _wt: MatRef<'_, f64>) -> Option<ResidualStats> {
        Some(ResidualStats {
            r_sq: sq_norm_mat(self.r.as_ref()) * self.inv_n,
            r_dot_y: inner_mat(self.r.as_ref(), self.y.as_ref()) * self.inv_n,
            y_sq: self.y_sq,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bcd::Workspace;
    use crate::datafit::row_epoch;
    use crate::datafit::testing::problem;
    use crate::penalty::{L1, L21};

    /// The blocked epoch must reproduce the row-at-a-time epoch (same rows in
    /// the same order), for gathered and consecutive rows, L21 and L1, blocks
    /// cut by groups of features (dense working sets) and by rows (sparse
    /// ones), across a change of working set.
    fn blocked_matches_rows<P: crate::penalty::Penalty>(pen: &P, ws: &[usize], seed: u64) {
        blocked_matches_rows_at(pen, ws, seed, 48, 5);
    }

    fn blocked_matches_rows_at<P: crate::penalty::Penalty>(
        pen: &P,
        ws: &[usize],
        seed: u64,
        n: usize,
        t: usize,
    ) {
        // then a quarter of the rows lost (the blocks that keep their
        // matrices must drop the lost rows' entries), gained back (those
        // blocks' matrices must be recomputed), and the same rows in reverse:
        // a new working set of the same size, whose blocks hold other
        // columns (the kept block Grams must go)
        let fewer: Vec<usize> = (ws.iter().enumerate())
            .filter_map(|(c, &j)| (c % 4 != 1).then_some(j))
            .collect();
        let reversed: Vec<usize> = ws.iter().rev().copied().collect();
        let steps = [ws, ws, ws, &fewer, &fewer, ws, ws, &reversed, &reversed];
        blocked_matches_rows_over(pen, &steps, seed, n, t);
    }

    /// Epochs of the blocked kernel over the working sets `steps` in turn,
    /// against the row kernel's.
    fn blocked_matches_rows_over<P: crate::penalty::Penalty>(
        pen: &P,
        steps: &[&[usize]],
        seed: u64,
        n: usize,
        t: usize,
    ) {
        let p = 70;
        let (x, y, mut wt_a) = problem(n, p, t, seed);
        let mut wt_b = wt_a.clone();
        let mut a = Quadratic::new(x.clone(), y.clone());
        let mut b = Quadratic::new(x, y);
        a.init_state(wt_a.as_ref());
        b.init_state(wt_b.as_ref());
        let mut work = Workspace::new(t);
        for (step, &rows) in steps.iter().enumerate() {
            let va = row_epoch(&mut a, pen, &mut wt_a, rows, &mut work);
            let vb = b.epoch(pen, &mut wt_b, rows, &mut work);
            assert!(
                (va - vb).abs() <= 1e-10 * (1.0 + va.abs()),
                "{va} vs {vb} at step {step}"
            );
        }
        let mut moved = 0;
        for j in 0..p {
            for k in 0..t {
                let (u, v) = (wt_a[(k, j)], wt_b[(k, j)]);
                assert!(
                    (u - v).abs() <= 1e-10 * (1.0 + u.abs()),
                    "w[{k},{j}] {u} vs {v}"
                );
                moved += usize::from(u != 0.0);
            }
        }
        assert!(moved > t, "the test must move rows");
        // the group matrices kept are those of groups the working set touches
        let mut touched: Vec<usize> = steps
            .iter()
            .flat_map(|ws| ws.iter().map(|j| j / EPOCH_BLOCK))
            .collect();
        touched.sort_unstable();
        touched.dedup();
        assert!(b.block_grams.groups.len() <= touched.len() * GROUP_VALUES);
        for q in 0..t {
            for i in 0..n {
                let (u, v) = (a.r[(i, q)], b.r[(i, q)]);
                assert!((u - v).abs() <= 1e-10, "R[{i},{q}] {u} vs {v}");
            }
        }
    }

    /// Epochs whose block products split over samples on two workers give
    /// the row kernel's iterates, and so does a working set moved at once
    /// ([`Datafit::update_blocks`], the extrapolation step), on one thread
    /// and split, with unmoved rows among the moved ones.
    #[test]
    fn split_epochs_and_block_updates_equal_row_steps() {
        let (n, p, t) = (2100, 40, 16);
        assert!(
            crate::linalg::splits_by_rows(n, t * EPOCH_BLOCK),
            "large enough to split"
        );
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let (x, y, wt0) = problem(n, p, t, 7);
        let ws: Vec<usize> = (0..p).filter(|j| j % 5 != 2).collect();
        let pen = L21::new(0.002, 0.9);
        for threads in [1, 2] {
            let (mut wt_a, mut wt_b) = (wt0.clone(), wt0.clone());
            let mut a = Quadratic::new(x.clone(), y.clone());
            let mut b = Quadratic::new(x.clone(), y.clone());
            b.set_threads(threads);
            a.init_state(wt_a.as_ref());
            b.init_state(wt_b.as_ref());
            let mut work = Workspace::new(t);
            pool.install(|| {
                for _ in 0..3 {
                    let va = row_epoch(&mut a, &pen, &mut wt_a, &ws, &mut work);
                    let vb = b.epoch(&pen, &mut wt_b, &ws, &mut work);
                    assert!((va - vb).abs() <= 1e-10 * (1.0 + va.abs()), "{va} vs {vb}");
                }
                // move the working set at once; every third row stays put
                let delta = Mat::from_fn(t, ws.len(), |k, c| {
                    if c % 3 == 0 {
                        0.0
                    } else {
                        ((k * 3 + c) as f64 * 0.7).sin() * 1e-2
                    }
                });
                for (c, &j) in ws.iter().enumerate() {
                    let d: Vec<f64> = delta.col(c).iter().copied().collect();
                    if d.iter().any(|&v| v != 0.0) {
                        a.update_block(j, &d);
                    }
                }
                b.update_blocks(&ws, delta.as_ref());
            });
            for j in 0..p {
                for k in 0..t {
                    let (u, v) = (wt_a[(k, j)], wt_b[(k, j)]);
                    assert!(
                        (u - v).abs() <= 1e-10 * (1.0 + u.abs()),
                        "{threads}: w[{k},{j}] {u} vs {v}"
                    );
                }
            }
            for q in 0..t {
                for i in 0..n {
                    let (u, v) = (a.r[(i, q)], b.r[(i, q)]);
                    assert!((u - v).abs() <= 1e-10, "{threads}: R[{i},{q}] {u} vs {v}");
                }
            }
        }
    }

    /// The working-set Gram built by the chunked stream, the new columns'
    /// square by its lower triangle (at least `TRIANGULAR_MIN` new columns,
    /// with and without kept ones, chunks shorter than n), moves the
    /// subproblem's gradient as the full datafit's: after the same change of
    /// `W_S`, both give the same gradient on the working set. (Fails when the
    /// square's upper triangle is not mirrored.)
    #[test]
    fn wide_working_set_grams_move_the_gradient_exactly() {
        let (n, p, t) = (900, 150, 3);
        let (x, y, wt) = problem(n, p, t, 11);
        let mut quad = Quadratic::new(x.clone(), y.clone());
        quad.init_state(wt.as_ref());
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let sets: [Vec<usize>; 3] = [
            (0..p).step_by(2).collect(),
            (0..p).collect(),
            (0..p).filter(|j| j % 3 != 0).collect(),
        ];
        assert!(sets[0].len() >= crate::linalg::TRIANGULAR_MIN);
        assert!(sets[1].len() - sets[0].len() >= crate::linalg::TRIANGULAR_MIN);
        assert!(n * p * 8 > STREAM_CHUNK_BYTES, "several chunks");
        for ws in &sets {
            let mut sub = quad.working_set_gram(ws, wt.as_ref(), None).unwrap();
            let delta = Mat::from_fn(t, ws.len(), |_, _| rng.random::<f64>() - 0.5);
            let local: Vec<usize> = (0..ws.len()).collect();
            sub.update_blocks(&local, delta.as_ref());
            let mut moved = wt.clone();
            for (c, &j) in ws.iter().enumerate() {
                for k in 0..t {
                    moved[(k, j)] += delta[(k, c)];
                }
            }
            let mut fresh = Quadratic::new(x.clone(), y.clone());
            fresh.init_state(moved.as_ref());
            let (mut a, mut b) = (vec![0.0; t], vec![0.0; t]);
            for (c, &j) in ws.iter().enumerate() {
                sub.gradient_block(c, &mut a);
                fresh.gradient_block(j, &mut b);
                for (u, v) in a.iter().zip(&b) {
                    assert!((u - v).abs() <= 1e-10, "row {j}: {u} vs {v}");
                }
            }
        }
    }

    /// The working-set Gram cache holds `X_iᵀX_j / n` for every pair of its
    /// columns and returns `X_wsᵀR / n`, whichever way the new entries were
    /// computed. In place (on a CPU with AVX-512F): one new column alone (a
    /// padded right-hand side), five (a round of four, then the last with
    /// its neighbour), two plus T residual columns, the residuals alone (16
    /// tasks: four rounds). By chunks: twenty new columns, 2 + 16 right-hand
    /// sides (past [`IN_PLACE_MAX_RHS`]). Fails when a padded or repeated
    /// column is written into the products, or a round skips one.
    #[test]
    fn cached_grams_and_products_equal_the_plain_ones_in_every_order() {
        for (n, t) in [(DOTS_MAX_ROWS + 9, 3), (700, 2), (600, 16)] {
            let p = 60;
            let (x, y, wt) = problem(n, p, t, 23);
            let mut quad = Quadratic::new(x.clone(), y.clone());
            quad.init_state(wt.as_ref());
            let mut grad = Mat::<f64>::zeros(t, p);
            quad.full_gradient(grad.as_mut());
            let base = (0..p).step_by(3);
            // (working set, which of its gradient columns the caller knows)
            type Knows = fn(usize) -> bool;
            let steps: [(Vec<usize>, Knows); 6] = [
                // 20 new columns
                (base.clone().collect(), |_| false),
                // 1 new
                (base.clone().chain([31]).collect(), |_| true),
                // 5 new
                (base.clone().chain([31, 1, 4, 7, 10, 13]).collect(), |_| {
                    true
                }),
                // 2 new, 5 evicted, half the products known
                (base.clone().chain([31, 2, 5]).collect(), |u| u % 2 == 0),
                // no new column, no product known: R only
                (base.clone().chain([31, 2, 5]).collect(), |_| false),
                ((30..p).collect(), |_| false),
            ];
            for (step, (ws, knows)) in steps.iter().enumerate() {
                let mut ws = ws.clone();
                ws.sort_unstable();
                let exact: Vec<bool> = (0..ws.len()).map(knows).collect();
                let known = KnownGradient {
                    grad: grad.as_ref(),
                    exact: &exact,
                };
                let a = quad.cache_columns(&ws, Some(known));
                let g = &quad.ws_gram;
                for &i in &ws {
                    for &j in &ws {
                        let got = g.q[(g.slot[i], g.slot[j])];
                        let want = (0..n).map(|r| x[(r, i)] * x[(r, j)]).sum::<f64>() / n as f64;
                        assert!(
                            (got - want).abs() <= 1e-12 * (1.0 + want.abs()),
                            "n {n} t {t} step {step}: Q[{i},{j}] {got} vs {want}"
                        );
                    }
                }
                for (u, &j) in ws.iter().enumerate() {
                    for q in 0..t {
                        let (got, want) = (a[(u, q)], -grad[(q, j)]);
                        assert!(
                            (got - want).abs() <= 1e-12 * (1.0 + want.abs()),
                            "n {n} t {t} step {step}: A[{j},{q}] {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    /// The working-set commit (`R −= X_S ΔWᵀ`: a stream of gathered columns
    /// and a product, or the multi-column kernel for 2–4 tasks on long
    /// columns) leaves R equal to `Y − XW` recomputed at the new W.
    #[test]
    fn commits_leave_the_residuals_of_the_new_iterate() {
        for (n, t) in [
            (300, 2),
            (DOTS_MAX_ROWS + 5, 2),
            (DOTS_MAX_ROWS + 7, 3),
            (DOTS_MAX_ROWS + 1, 4),
            (DOTS_MAX_ROWS + 3, 6),
        ] {
            let p = 30;
            let (x, y, wt) = problem(n, p, t, 17);
            let mut quad = Quadratic::new(x.clone(), y.clone());
            quad.init_state(wt.as_ref());
            let ws: Vec<usize> = (0..p).filter(|j| j % 4 != 1).collect();
            let mut wt_s = crate::datafit::gather_columns(wt.as_ref(), &ws);
            for (c, _) in ws.iter().enumerate().filter(|(c, _)| c % 3 != 2) {
                for k in 0..t {
                    wt_s[(k, c)] += 0.1 * (k as f64 + 1.0) - 0.05 * c as f64;
                }
            }
            let mut w = wt.clone();
            quad.commit_working_set(&ws, &mut w, wt_s.as_ref());
            let mut fresh = Quadratic::new(x.clone(), y.clone());
            fresh.init_state(w.as_ref());
            for i in 0..n {
                for k in 0..t {
                    let (a, b) = (quad.r[(i, k)], fresh.r[(i, k)]);
                    assert!(
                        (a - b).abs() <= 1e-10 * (1.0 + b.abs()),
                        "n {n}, t {t}, ({i}, {k}): {a} vs {b}"
                    );
                }
            }
        }
    }

    /// 2–4-task gradients are streamed several columns at a time
    /// ([`crate::linalg::gradient_columns`], short and long columns), and
    /// two-task ones on short columns swept column by column (the fallback
    /// without AVX-512F, called directly here); both equal the product
    /// `−RᵀX/n` (the path taken with more tasks or two threads), and
    /// `gradient_rows` leaves the other columns alone. (Fails with the sweep's
    /// or the kernel's scale, task order or column placement wrong.)
    #[test]
    fn two_task_gradient_sweeps_equal_the_product() {
        for (n, t, sweeps) in [
            (300, 2, true),
            (5, 2, true),
            (13, 4, false),
            (DOTS_MAX_ROWS + 1, 2, false),
            (DOTS_MAX_ROWS + 3, 3, false),
            (DOTS_MAX_ROWS + 13, 4, false),
            (DOTS_MAX_ROWS + 1, 5, false),
            (300, 3, false),
        ] {
            let (x, y, wt) = problem(n, 40, t, 21);
            let mut quad = Quadratic::new(x.clone(), y.clone());
            quad.init_state(wt.as_ref());
            assert_eq!(quad.dots_for_gradients(), sweeps);
            assert_eq!(quad.streams_gradient_columns(), (2..=4).contains(&t));
            assert_eq!(
                quad.streams_commit(),
                n > DOTS_MAX_ROWS && (2..=4).contains(&t)
            );
            let mut reference = Mat::<f64>::zeros(t, 40);
            crate::linalg::matmul(
                reference.as_mut(),
                Accum::Replace,
                quad.r.transpose(),
                x.as_ref(),
                -1.0 / n as f64,
                Par::Seq,
            );
            let near = |m: &Mat<f64>, k: usize, j: usize| {
                let e = reference[(k, j)];
                (m[(k, j)] - e).abs() <= 1e-12 * (1.0 + e.abs())
            };
            if sweeps {
                let mut swept = Mat::<f64>::zeros(t, 40);
                quad.sweep_gradients(0..40, swept.as_mut());
                for j in 0..40 {
                    for k in 0..t {
                        assert!(near(&swept, k, j), "swept [{k},{j}]");
                    }
                }
            }
            let mut full = Mat::<f64>::zeros(t, 40);
            quad.full_gradient(full.as_mut());
            let rows: Vec<usize> = (0..40).filter(|j| j % 3 != 1).collect();
            let mut some = Mat::<f64>::from_fn(t, 40, |_, _| f64::NAN);
            quad.gradient_rows(&rows, some.as_mut());
            for j in 0..40 {
                for k in 0..t {
                    assert!(near(&full, k, j), "full [{k},{j}]");
                    if rows.contains(&j) {
                        assert!(near(&some, k, j), "rows [{k},{j}]");
                    } else {
                        assert!(some[(k, j)].is_nan(), "column {j} written");
                    }
                }
            }
            quad.set_threads(2);
            assert!(!quad.dots_for_gradients());
            assert!(!quad.streams_gradient_columns());
            assert!(!quad.streams_commit());
        }
    }

    #[test]
    fn blocked_epoch_equals_row_epoch() {
        let all: Vec<usize> = (0..70).collect();
        let gathered: Vec<usize> = (0..70).filter(|j| j % 3 != 1).collect();
        // five or six rows per group of 16 features: blocks of 16 rows
        let sparse: Vec<usize> = (0..70).filter(|j| j % 3 == 0).collect();
        for seed in 0..4 {
            blocked_matches_rows(&L21::new(0.01, 0.9), &sparse, seed);
            // two whole groups of the 70 features
            blocked_matches_rows(&L21::new(0.01, 0.9), &all[..32], seed);
            blocked_matches_rows(&L21::new(0.01, 0.9), &all, seed);
            blocked_matches_rows(&L21::new(0.02, 1.0), &gathered, seed);
            blocked_matches_rows(&L1::new(0.01, 0.8), &all, seed);
            blocked_matches_rows(&L1::new(0.01, 1.0), &gathered[..37], seed);
        }
        // columns long enough for the in-place kernels of blocks whose rows
        // are not consecutive (linalg::block_gradient_columns), at group
        // widths 5, 3 and 1
        // whole groups first (views, their matrices computed), then the same
        // groups with a hole each (still by groups): in place from the first
        // epoch over them, no block ever gathered
        let holed: Vec<usize> = (0..70).filter(|j| j % 16 != 5).collect();
        for t in [5, 9, 16] {
            let steps = [&all[..], &all, &holed, &holed, &all];
            blocked_matches_rows_over(&L21::new(0.01, 0.9), &steps, 3, 600, t);
            blocked_matches_rows_at(&L21::new(0.01, 0.9), &sparse, 1, 600, t);
            blocked_matches_rows_at(&L21::new(0.02, 1.0), &gathered, 2, 600, t);
        }
    }
}

//! Small dense kernels over contiguous slices, used in the solver's inner loops.
//!
//! faer provides the level-3 operations (GEMM for full gradients, Gram matrices,
//! QR, eigendecompositions). The block coordinate-descent inner loop, however, works
//! on single columns of length n (a feature) or T (a block of W), where a call into
//! a general GEMM costs more than the arithmetic. These kernels are plain loops with
//! several independent accumulators so that LLVM vectorises them; on x86-64 each has
//! an AVX2+FMA variant chosen at run time (no `target-cpu=native` needed, the binary
//! stays portable). None of them allocates.

/// Number of independent accumulators (two AVX2 registers of 4 lanes).
const LANES: usize = 8;

/// `a * b + c`, fused only when the caller was compiled with FMA (a software `fma`
/// call would be far slower than the two separate operations).
#[inline(always)]
fn madd<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

#[inline(always)]
fn dot_generic<const FMA: bool>(a: &[f64], b: &[f64]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; LANES];
    let mut ca = a.chunks_exact(LANES);
    let mut cb = b.chunks_exact(LANES);
    for (xa, xb) in (&mut ca).zip(&mut cb) {
        for k in 0..LANES {
            acc[k] = madd::<FMA>(xa[k], xb[k], acc[k]);
        }
    }
    let mut tail = 0.0;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail = madd::<FMA>(*x, *y, tail);
    }
    let s0 = (acc[0] + acc[4]) + (acc[1] + acc[5]);
    let s1 = (acc[2] + acc[6]) + (acc[3] + acc[7]);
    (s0 + s1) + tail
}

#[inline(always)]
fn axpy_generic<const FMA: bool>(alpha: f64, x: &[f64], y: &mut [f64]) {
    debug_assert_eq!(x.len(), y.len());
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi = madd::<FMA>(alpha, *xi, *yi);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dot(a: &[f64], b: &[f64]) -> f64 {
        super::dot_generic::<true>(a, b)
    }
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
        super::axpy_generic::<true>(alpha, x, y)
    }
}

/// Runs the CPU feature probe the kernels use (once per process; later calls
/// are free). The kernels probe on first use anyway; a program can call this at
/// start-up so that the probe (`cpuid`, about 30 µs under virtualisation) is
/// not charged to its first fit.
pub fn probe_cpu_features() {
    #[cfg(target_arch = "x86_64")]
    let _ = (has_avx2_fma(), has_avx(), has_avx512f());
}

/// A CPU feature probe run once and cached in `state` (0 = unknown, 1 = no,
/// 2 = yes): `cpuid` costs about 30 µs under virtualisation.
#[cfg(target_arch = "x86_64")]
#[inline]
fn probed_once(state: &std::sync::atomic::AtomicU8, probe: fn() -> bool) -> bool {
    use std::sync::atomic::Ordering;
    match state.load(Ordering::Relaxed) {
        2 => true,
        1 => false,
        _ => {
            let yes = probe();
            state.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
            yes
        }
    }
}

/// Whether the CPU has AVX2 and FMA (probed once; see
/// [`probe_cpu_features`]): the run-time switch of the multiversioned kernels.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn has_avx2_fma() -> bool {
    static STATE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);
    probed_once(&STATE, || {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    })
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn has_avx() -> bool {
    static STATE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);
    probed_once(&STATE, || is_x86_feature_detected!("avx"))
}

/// Whether the CPU has AVX-512F (probed once), for [`gradient_columns`] and
/// [`subtract_columns_product`].
#[cfg(target_arch = "x86_64")]
#[inline]
fn has_avx512f() -> bool {
    static STATE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);
    probed_once(&STATE, || is_x86_feature_detected!("avx512f"))
}

/// Clears the upper halves of the vector registers (`vzeroupper`) when the CPU
/// has AVX; nothing elsewhere.
///
/// faer's kernels run in AVX2/AVX-512 and can return with the upper register
/// state dirty; code compiled for baseline x86-64 (SSE2, like most of this
/// crate) then pays a state-transition penalty on every vector instruction
/// until the state is cleared. Measured on this crate's machine (AMD EPYC,
/// AVX-512): a pass of column norms over a 50 × 5000 gradient took 0.74–1.0 ms
/// right after a faer product, 0.32–0.43 ms after `vzeroupper`. [`matmul`]
/// calls this after every product.
#[inline]
pub fn clear_upper() {
    #[cfg(target_arch = "x86_64")]
    if has_avx() {
        // SAFETY: the CPU supports AVX (checked above); vzeroupper only
        // zeroes the upper halves of the vector registers, which no live
        // value of this (baseline-compiled) code occupies.
        unsafe { std::arch::x86_64::_mm256_zeroupper() }
    }
}

/// faer's `matmul` followed by [`clear_upper`]: every product of the solver's
/// hot paths goes through here, so that the scalar and SSE code after it runs
/// without the AVX state-transition penalty.
#[inline]
pub fn matmul(
    dst: faer::MatMut<'_, f64>,
    accum: faer::Accum,
    a: faer::MatRef<'_, f64>,
    b: faer::MatRef<'_, f64>,
    alpha: f64,
    par: faer::Par,
) {
    faer::linalg::matmul::matmul(dst, accum, a, b, alpha, par);
    clear_upper();
}

/// The narrowest block [`gram_lower_add`] computes by its triangle: below,
/// faer's triangular product ran slower than the full one it halves (a
/// 36-column block of a 27267-row chunk stream: +3-5 % on the fit).
pub const TRIANGULAR_MIN: usize = 64;

/// Width of the column panels by which [`gram_lower_add`] computes a block
/// of fewer than [`TRIANGULAR_MIN`] columns (two 8-lane vectors).
pub const GRAM_PANEL: usize = 16;

/// `dst += alpha · aᵀa` on the lower triangle (the strict upper triangle is
/// not meaningful afterwards: callers mirror the lower one): about half the
/// flops of [`gemm`] for the symmetric product of a block of k columns with
/// itself. From [`TRIANGULAR_MIN`] columns, faer's triangular product; below
/// it, one [`gemm`] per panel of [`GRAM_PANEL`] columns over the rows from
/// the panel's diagonal down (`k²/2 + 8k` products per row of `a` instead of
/// `k²`). A tall two-task draw (25801 × 118 × 2 at 0.0161, extensions of 31
/// and 47 columns): −4 % to −7 % of the fit in three interleaved runs, other
/// tall draws within noise; panels above 64 columns instead of faer's
/// triangle were level or slower (105-column extension: +3 % to +5 %).
pub fn gram_lower_add(mut dst: faer::MatMut<'_, f64>, a: faer::MatRef<'_, f64>, alpha: f64) {
    let k = a.ncols();
    if k < TRIANGULAR_MIN {
        let mut j0 = 0;
        while j0 < k {
            let w = GRAM_PANEL.min(k - j0);
            gemm(
                dst.as_mut().submatrix_mut(j0, j0, k - j0, w),
                faer::Accum::Add,
                a.subcols(j0, k - j0).transpose(),
                a.subcols(j0, w),
                alpha,
            );
            j0 += w;
        }
        return;
    }
    use faer::linalg::matmul::triangular::{self, BlockStructure};
    triangular::matmul(
        dst,
        BlockStructure::TriangularLower,
        faer::Accum::Add,
        a.transpose(),
        BlockStructure::Rectangular,
        a,
        BlockStructure::Rectangular,
        alpha,
        faer::Par::Seq,
    );
    clear_upper();
}

/// [`matmul`] split by columns of `b` (and `dst`) over `threads` rayon tasks
/// (in the current rayon pool), each a sequential faer product: the full
/// gradient `RᵀX` of a large fit on two cores. `threads ≤ 1`: one call.
pub fn matmul_cols(
    dst: faer::MatMut<'_, f64>,
    accum: faer::Accum,
    a: faer::MatRef<'_, f64>,
    b: faer::MatRef<'_, f64>,
    alpha: f64,
    threads: usize,
) {
    let p = b.ncols();
    if threads <= 1 || p < 2 * threads {
        matmul(dst, accum, a, b, alpha, faer::Par::Seq);
        return;
    }
    let chunk = p.div_ceil(threads);
    rayon::scope(|s| {
        let mut rest = dst;
        let mut j0 = 0;
        while j0 < p {
            let k = chunk.min(p - j0);
            let (head, tail) = rest.split_at_col_mut(k);
            rest = tail;
            let bj = b.subcols(j0, k);
            s.spawn(move |_| matmul(head, accum, a, bj, alpha, faer::Par::Seq));
            j0 += k;
        }
    });
}

/// Multiply-adds below which [`matmul_tn_rows`] and [`matmul_rows`] stay on
/// one thread. A fork-join costs about 3 µs (measured: the two products of
/// a 16-row block with n = 2070, T = 8, 2.6·10⁵ multiply-adds, took 12 µs on
/// one thread and 9–13 µs split; with n = 8000, 60 µs and 32 µs).
pub const SPLIT_MIN_WORK: usize = 1 << 19;

/// Whether a product over `n` samples with `cols` output values per sample
/// (m · k for [`matmul_tn_rows`], k · T for [`matmul_rows`]) splits on two
/// threads ([`SPLIT_MIN_WORK`]).
pub fn splits_by_rows(n: usize, cols: usize) -> bool {
    n >= 2 && n.saturating_mul(cols) >= SPLIT_MIN_WORK
}

/// Whether the gradients of a block of at most 16 columns of X, `Gᵀ = Rᵀ X_b`
/// (T × k), are computed as `X_bᵀ R` (k × T) and transposed
/// ([`block_gradient`]): for more than 8 tasks whose count leaves at least a
/// quarter of `Rᵀ X_b`'s kernel rows empty (T = 9–12, 17–18, 25, …).
///
/// faer's kernels for such a product are 8 or 16 output rows tall: `Rᵀ X_b`
/// pays for T rounded up to the next multiple of 8 (T = 9 costs as much as
/// 16), `X_bᵀ R` for k = 16 rows exactly but with T-column kernels that are
/// less efficient than a full-height one. Micro-benchmark on this crate's
/// machine (n = 240, 1051 and 5000 samples, k = 16, hot cache), time of
/// `X_bᵀ R` plus the transposed copy over `Rᵀ X_b`: 0.76–0.86 at T = 9–12,
/// 0.77–0.79 at 17, 0.70–1.03 at T = 2–5 and 15–80 otherwise, 1.04–1.28 at
/// 6–8. In fits, T = 9 gained 9 % and T = 10 up to 5 %; T = 4, 5, 29, 31
/// and 50 were level or slower (T = 5 +3 %, T = 50 +1–4 %; a very wide
/// four-task draw read up to 33 % slower in one noisy round), hence the
/// rule.
pub fn block_gradient_transposed(t: usize) -> bool {
    let padded = t.next_multiple_of(8);
    t > 8 && 4 * (padded - t) >= padded
}

/// `dst = alpha · Rᵀ X_b` (T × k) for a block of k ≤ 16 columns of X, in the
/// orientation [`block_gradient_transposed`] chooses (`gt`: k × T scratch
/// for the transposed one, resized on first use; `split`: as
/// [`matmul_tn_rows`]'s scratch).
pub fn block_gradient(
    mut dst: faer::MatMut<'_, f64>,
    gt: &mut faer::Mat<f64>,
    split: &mut faer::Mat<f64>,
    r: faer::MatRef<'_, f64>,
    xb: faer::MatRef<'_, f64>,
    alpha: f64,
    threads: usize,
) {
    let (t, k) = (dst.nrows(), dst.ncols());
    if !block_gradient_transposed(t) {
        matmul_tn_rows(dst, split, r, xb, alpha, threads);
        return;
    }
    if gt.nrows() < k || gt.ncols() < t {
        *gt = faer::Mat::zeros(k.max(gt.nrows()), t.max(gt.ncols()));
    }
    let mut g = gt.as_mut().submatrix_mut(0, 0, k, t);
    matmul_tn_rows(g.as_mut(), split, xb, r, alpha, threads);
    for c in 0..k {
        for (q, v) in dst.as_mut().col_mut(c).iter_mut().enumerate() {
            *v = g[(c, q)];
        }
    }
}

/// `dst = alpha · Rᵀ X_b` (T × k) where X_b is the columns `cols` of X
/// (any number, any order), read in place by an AVX-512 kernel: C columns of X
/// in registers, each column of R loaded once for all C, C·T accumulators
/// (C = 5 at T = 5 down to 1 at T = 15–16). Returns `false` (dst untouched)
/// unless T is 5–16, the columns hold [`BLOCK_COLUMNS_MIN_ROWS`] to
/// [`BLOCK_COLUMNS_MAX_ROWS`] samples, the CPU has AVX-512F and every column
/// of X and R is contiguous; the caller then gathers the columns for a
/// product.
///
/// The blocked epoch's gradients of a block whose rows are not consecutive:
/// the product needed a gather of the block's columns and packed `Rᵀ` into
/// 8- or 16-row panels (T = 7 pays for 8), and the gather was a quarter of
/// the samples of a square fit whose working set is spread over the
/// features.
///
/// ```
/// let x = faer::Mat::from_fn(600, 3, |i, j| ((i * (j + 2)) % 7) as f64);
/// let r = faer::Mat::from_fn(600, 5, |i, q| ((i + q) % 3) as f64);
/// let mut g = faer::Mat::<f64>::zeros(5, 2);
/// if mtreg::linalg::block_gradient_columns(g.as_mut(), r.as_ref(), x.as_ref(), &[2, 0], 1.0) {
///     let want = r.transpose() * x.col(2);
///     assert!((g[(3, 0)] - want[3]).abs() < 1e-9);
/// }
/// ```
pub fn block_gradient_columns(
    mut dst: faer::MatMut<'_, f64>,
    r: faer::MatRef<'_, f64>,
    x: faer::MatRef<'_, f64>,
    cols: &[usize],
    alpha: f64,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let (t, k) = (dst.nrows(), dst.ncols());
        let n = x.nrows();
        if !(5..=16).contains(&t)
            || !(BLOCK_COLUMNS_MIN_ROWS..=BLOCK_COLUMNS_MAX_ROWS).contains(&n)
            || !has_avx512f()
            || r.nrows() != n
            || r.ncols() != t
            || cols.len() != k
            || x.row_stride() != 1
            || r.row_stride() != 1
            || cols.iter().any(|&j| j >= x.ncols())
        {
            return false;
        }
        fn run<const T: usize, const C: usize>(
            mut dst: faer::MatMut<'_, f64>,
            r: faer::MatRef<'_, f64>,
            x: faer::MatRef<'_, f64>,
            cols: &[usize],
            alpha: f64,
        ) {
            let n = x.nrows();
            let rp: [*const f64; T] = std::array::from_fn(|q| r.col(q).as_ptr());
            for (g, js) in cols.chunks(C).enumerate() {
                // a short group repeats its last column and discards it
                let xp: [*const f64; C] =
                    std::array::from_fn(|c| x.col(js[c.min(js.len() - 1)]).as_ptr());
                // SAFETY: AVX-512F checked by the caller; every pointer starts
                // a contiguous column of n values (row stride 1, checked)
                let sums = unsafe { tile_dots_avx512::<T, C>(xp, rp, n) };
                for (c, s) in sums.iter().enumerate().take(js.len()) {
                    for (q, &v) in s.iter().enumerate() {
                        dst[(q, g * C + c)] = alpha * v;
                    }
                }
            }
        }
        match t {
            5 => run::<5, 5>(dst.as_mut(), r, x, cols, alpha),
            6 => run::<6, 4>(dst.as_mut(), r, x, cols, alpha),
            7 => run::<7, 3>(dst.as_mut(), r, x, cols, alpha),
            8 => run::<8, 3>(dst.as_mut(), r, x, cols, alpha),
            9 => run::<9, 3>(dst.as_mut(), r, x, cols, alpha),
            10 => run::<10, 2>(dst.as_mut(), r, x, cols, alpha),
            11 => run::<11, 2>(dst.as_mut(), r, x, cols, alpha),
            12 => run::<12, 2>(dst.as_mut(), r, x, cols, alpha),
            13 => run::<13, 2>(dst.as_mut(), r, x, cols, alpha),
            14 => run::<14, 2>(dst.as_mut(), r, x, cols, alpha),
            15 => run::<15, 1>(dst.as_mut(), r, x, cols, alpha),
            _ => run::<16, 1>(dst.as_mut(), r, x, cols, alpha),
        }
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (dst, r, x, cols, alpha);
        false
    }
}

/// Shortest columns [`block_gradient_columns`] takes: on 240-row columns the
/// groups' final reductions outweighed the gather they save (a very wide
/// five-task fit +16 to +34 %).
pub const BLOCK_COLUMNS_MIN_ROWS: usize = 512;

/// Longest columns [`block_gradient_columns`] takes: R (n × T) is reread once
/// per group of columns and must stay in L2 (a tall eight-task fit with
/// 32457-row columns read +4 to +19 % with the kernel on R from L3).
pub const BLOCK_COLUMNS_MAX_ROWS: usize = 4096;

/// `sums[c][q] = Σ_i x_c[i] r_q[i]` over n rows, eight per step (the last
/// ones masked): C columns of X in registers, then each column of R loaded
/// once for all C (C·T + C + 1 registers). The column scan's
/// [`dots_and_norms_avx512`] without the norms and the prefetches: sharing
/// that kernel (a const flag for the norms, no columns to prefetch) read
/// 1–9 % slower on two square fits at 0.1 in an interleaved A/B. The
/// check's [`grad_group_avx512`] without prefetch computes the same sums
/// with R in registers instead of X; run here it read −6 to +9 % (the
/// square 1107 × 1538 × 14 fit at 0.019 +9 %, medians of three rounds), so
/// the two stay separate.
///
/// # Safety
/// The CPU must support AVX-512F; every pointer must start n readable,
/// contiguous values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn tile_dots_avx512<const T: usize, const C: usize>(
    xp: [*const f64; C],
    rp: [*const f64; T],
    n: usize,
) -> [[f64; T]; C] {
    use std::arch::x86_64::*;
    let mut acc = [[_mm512_setzero_pd(); T]; C];
    let mut i = 0;
    while i < n {
        let m: __mmask8 = if n - i >= 8 {
            0xff
        } else {
            (1u8 << (n - i)) - 1
        };
        // SAFETY: the masked lanes read rows i..n only
        unsafe {
            let xv: [__m512d; C] = std::array::from_fn(|c| _mm512_maskz_loadu_pd(m, xp[c].add(i)));
            for q in 0..T {
                let rv = _mm512_maskz_loadu_pd(m, rp[q].add(i));
                for c in 0..C {
                    acc[c][q] = _mm512_fmadd_pd(xv[c], rv, acc[c][q]);
                }
            }
        }
        i += 8;
    }
    let mut sums = [[0.0; T]; C];
    for c in 0..C {
        for q in 0..T {
            sums[c][q] = _mm512_reduce_add_pd(acc[c][q]);
        }
    }
    // the upper register state is left clean for the baseline code after it
    clear_upper();
    sums
}

/// `dst = alpha · aᵀ b` (a: n × m, b: n × k), the sum over samples split in
/// two halves on two rayon tasks when `threads ≥ 2` and the product has at
/// least [`SPLIT_MIN_WORK`] multiply-adds: the second half goes to `scratch` (resized to
/// m × k) and is added. One sequential product otherwise. The blocked
/// epoch's gradients of a block of rows on two cores.
pub fn matmul_tn_rows(
    mut dst: faer::MatMut<'_, f64>,
    scratch: &mut faer::Mat<f64>,
    a: faer::MatRef<'_, f64>,
    b: faer::MatRef<'_, f64>,
    alpha: f64,
    threads: usize,
) {
    let n = a.nrows();
    if threads < 2 || !splits_by_rows(n, dst.nrows() * dst.ncols()) {
        matmul(
            dst,
            faer::Accum::Replace,
            a.transpose(),
            b,
            alpha,
            faer::Par::Seq,
        );
        return;
    }
    let (m, k) = (dst.nrows(), dst.ncols());
    if scratch.nrows() < m || scratch.ncols() < k {
        *scratch = faer::Mat::zeros(m.max(scratch.nrows()), k.max(scratch.ncols()));
    }
    let h = n / 2;
    let mut other = scratch.as_mut().submatrix_mut(0, 0, m, k);
    rayon::join(
        || {
            let d = dst.as_mut();
            matmul(
                d,
                faer::Accum::Replace,
                a.subrows(0, h).transpose(),
                b.subrows(0, h),
                alpha,
                faer::Par::Seq,
            )
        },
        || {
            let o = other.as_mut();
            matmul(
                o,
                faer::Accum::Replace,
                a.subrows(h, n - h).transpose(),
                b.subrows(h, n - h),
                alpha,
                faer::Par::Seq,
            )
        },
    );
    for c in 0..k {
        let o = other.as_ref().col(c);
        for (d, &v) in dst.as_mut().col_mut(c).iter_mut().zip(o.iter()) {
            *d += v;
        }
    }
}

/// `dst += alpha · a b` (dst: n × T, a: n × k), the rows of `dst` and `a`
/// split in two halves on two rayon tasks when `threads ≥ 2` and the
/// product has at least [`SPLIT_MIN_WORK`] multiply-adds (each half is
/// independent: no reduction).
pub fn matmul_rows(
    dst: faer::MatMut<'_, f64>,
    a: faer::MatRef<'_, f64>,
    b: faer::MatRef<'_, f64>,
    alpha: f64,
    threads: usize,
) {
    let n = dst.nrows();
    if threads < 2 || !splits_by_rows(n, a.ncols() * dst.ncols()) {
        matmul(dst, faer::Accum::Add, a, b, alpha, faer::Par::Seq);
        return;
    }
    let h = n / 2;
    let (top, bottom) = dst.split_at_row_mut(h);
    rayon::join(
        || {
            matmul(
                top,
                faer::Accum::Add,
                a.subrows(0, h),
                b,
                alpha,
                faer::Par::Seq,
            )
        },
        || {
            matmul(
                bottom,
                faer::Accum::Add,
                a.subrows(h, n - h),
                b,
                alpha,
                faer::Par::Seq,
            )
        },
    );
}

/// `aᵀ b` for two slices of equal length.
///
/// ```
/// assert_eq!(mtreg::linalg::dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
/// ```
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU supports avx2 and fma (checked above).
        return unsafe { x86::dot(a, b) };
    }
    dot_generic::<false>(a, b)
}

/// `y += alpha * x` in place.
///
/// ```
/// let mut y = [1.0, 1.0];
/// mtreg::linalg::axpy(2.0, &[1.0, 3.0], &mut y);
/// assert_eq!(y, [3.0, 7.0]);
/// ```
#[inline]
pub fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU supports avx2 and fma (checked above).
        return unsafe { x86::axpy(alpha, x, y) };
    }
    axpy_generic::<false>(alpha, x, y)
}

/// Squared Euclidean norm `‖a‖²`.
#[inline]
pub fn sq_norm(a: &[f64]) -> f64 {
    dot(a, a)
}

/// Euclidean norm of a short vector (a block of T values), robust to overflow.
#[inline]
pub fn norm(a: &[f64]) -> f64 {
    // `dot` splits the sum over several accumulators (vectorised); a plain
    // fold would be one chain of dependent additions.
    let s = dot(a, a);
    if s.is_finite() {
        s.sqrt()
    } else {
        a.iter().fold(0.0f64, |acc, v| acc.hypot(*v))
    }
}

/// Column j of a matrix with contiguous columns (row stride 1), as a slice.
///
/// # Panics
/// If the column is not contiguous (programmer error).
#[inline]
#[track_caller]
pub fn col_slice(m: faer::MatRef<'_, f64>, j: usize) -> &[f64] {
    m.col(j)
        .try_as_col_major()
        .expect("contiguous columns")
        .as_slice()
}

/// Squared Frobenius norm of a faer matrix.
pub fn sq_norm_mat(m: faer::MatRef<'_, f64>) -> f64 {
    let mut s = 0.0;
    for j in 0..m.ncols() {
        let c = m.col(j);
        match c.try_as_col_major() {
            Some(c) => s += sq_norm(c.as_slice()),
            None => {
                for i in 0..m.nrows() {
                    s += c[i] * c[i];
                }
            }
        }
    }
    s
}

/// Frobenius inner product `⟨a, b⟩` of two matrices of equal shape.
pub fn inner_mat(a: faer::MatRef<'_, f64>, b: faer::MatRef<'_, f64>) -> f64 {
    debug_assert_eq!((a.nrows(), a.ncols()), (b.nrows(), b.ncols()));
    let mut s = 0.0;
    for j in 0..a.ncols() {
        match (a.col(j).try_as_col_major(), b.col(j).try_as_col_major()) {
            (Some(ca), Some(cb)) => s += dot(ca.as_slice(), cb.as_slice()),
            _ => {
                for i in 0..a.nrows() {
                    s += a[(i, j)] * b[(i, j)];
                }
            }
        }
    }
    s
}

/// Products up to this many multiply-adds go through [`gemm`]'s plain loops.
///
/// Measured (100 × 10 × 3 problem, fresh process): faer's first call for each
/// operand layout and shape class costs 15–30 µs (kernel selection and first
/// touch of its code pages), more than the whole warm fit (12–13 µs). The
/// loops have no such first-call cost but are 2–4× slower than a warm faer
/// call at 4–16 Ki multiply-adds: [`gemm`] is for one-off products (Gram
/// matrices, `XᵀY`, alpha_max); the solver's repeated products (blocked
/// epochs, gradients) call faer directly.
pub const SMALL_GEMM: usize = 16 * 1024;

/// `dst ← alpha · a b` (`Accum::Replace`) or `dst ← dst + alpha · a b`
/// (`Accum::Add`), single-threaded: faer's `matmul`, except products of at
/// most [`SMALL_GEMM`] multiply-adds, which use dot products (or axpys) over
/// contiguous columns.
///
/// ```
/// use faer::{mat, Accum, Mat};
/// let a = mat![[1.0, 2.0], [3.0, 4.0]];
/// let mut c = Mat::<f64>::zeros(2, 2);
/// mtreg::linalg::gemm(c.as_mut(), Accum::Replace, a.transpose(), a.as_ref(), 1.0);
/// assert_eq!(c, mat![[10.0, 14.0], [14.0, 20.0]]);
/// ```
///
/// # Panics
/// If the shapes do not agree (programmer error).
#[track_caller]
pub fn gemm(
    mut dst: faer::MatMut<'_, f64>,
    accum: faer::Accum,
    a: faer::MatRef<'_, f64>,
    b: faer::MatRef<'_, f64>,
    alpha: f64,
) {
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    assert!(
        b.nrows() == k && dst.nrows() == m && dst.ncols() == n,
        "gemm: shapes do not agree"
    );
    if m * n * k > SMALL_GEMM {
        matmul(dst, accum, a, b, alpha, faer::Par::Seq);
        return;
    }
    if matches!(accum, faer::Accum::Replace) {
        dst.fill(0.0);
    }
    let a_rows = (0..m).all(|i| a.row(i).try_as_row_major().is_some());
    for j in 0..n {
        let bj = b.col(j);
        let bj = bj.try_as_col_major().map(|c| c.as_slice());
        match (bj, a_rows) {
            // a's rows and b's columns contiguous (e.g. a = Xᵀ): dot products
            (Some(bj), true) => {
                for i in 0..m {
                    let ai = a.row(i).try_as_row_major().expect("checked").as_slice();
                    dst[(i, j)] += alpha * dot(ai, bj);
                }
            }
            _ => {
                for kk in 0..k {
                    let s = alpha * b[(kk, j)];
                    if s == 0.0 {
                        continue;
                    }
                    let ak = a.col(kk);
                    match (
                        ak.try_as_col_major(),
                        dst.as_mut().col_mut(j).try_as_col_major_mut(),
                    ) {
                        (Some(ak), Some(dj)) => axpy(s, ak.as_slice(), dj.as_slice_mut()),
                        _ => {
                            for i in 0..m {
                                dst[(i, j)] += s * a[(i, kk)];
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What one pass over a design X (n × p) and targets Y (n × T) gives: the
/// negative gradient at zero, the column norms and the target norm.
#[derive(Debug, Clone)]
pub struct ColumnScan {
    /// `YᵀX / n` (T × p): `(XᵀY/n)ᵀ`, the negative gradient of the loss at
    /// W = 0 in the solver's layout.
    pub xty: faer::Mat<f64>,
    /// `‖x_j‖²` for every column j.
    pub sq_norms: Vec<f64>,
    /// `‖Y‖²_F`.
    pub y_sq: f64,
}

impl ColumnScan {
    /// Whether every figure is finite. A non-finite or overflowing entry of X
    /// makes its column's norm non-finite, one of Y makes `y_sq` non-finite;
    /// so this is a complete validity check of X and Y at no extra pass.
    pub fn is_finite(&self) -> bool {
        self.y_sq.is_finite() && self.sq_norms.iter().all(|v| v.is_finite())
    }
}

/// Rows per chunk of [`column_scan`] with few tasks: the chunk of Y
/// (`rows × T`, T ≤ [`FUSED_MAX_T`]) stays in the L1/L2 cache while every
/// column of X streams past it.
const SCAN_ROWS: usize = 8192;

/// Largest T for which [`column_scan`] uses its fused kernel (above it, the
/// product is compute-bound and goes to faer's GEMM).
const FUSED_MAX_T: usize = 8;

/// `Σ_i x_i y_t,i` for the T slices `y`, and `Σ_i x_i²`, in one sweep over x
/// (four lanes per sum: vectorised, one x load for T + 1 products).
#[inline(always)]
fn dots_and_norm<const T: usize, const FMA: bool>(x: &[f64], y: &[&[f64]; T]) -> ([f64; T], f64) {
    const L: usize = 4;
    let n = x.len();
    let y: [&[f64]; T] = std::array::from_fn(|t| &y[t][..n]);
    let mut acc = [[0.0f64; L]; T];
    let mut sq = [0.0f64; L];
    let mut i = 0;
    while i + L <= n {
        let xv: &[f64; L] = x[i..i + L].try_into().expect("L values");
        for l in 0..L {
            sq[l] = madd::<FMA>(xv[l], xv[l], sq[l]);
        }
        for t in 0..T {
            let yv: &[f64; L] = y[t][i..i + L].try_into().expect("L values");
            for l in 0..L {
                acc[t][l] = madd::<FMA>(xv[l], yv[l], acc[t][l]);
            }
        }
        i += L;
    }
    let mut out = [0.0f64; T];
    let mut s = (sq[0] + sq[2]) + (sq[1] + sq[3]);
    for t in 0..T {
        out[t] = (acc[t][0] + acc[t][2]) + (acc[t][1] + acc[t][3]);
    }
    while i < n {
        s = madd::<FMA>(x[i], x[i], s);
        for t in 0..T {
            out[t] = madd::<FMA>(x[i], y[t][i], out[t]);
        }
        i += 1;
    }
    (out, s)
}

/// [`dots_and_norm`] with AVX2+FMA intrinsics: LLVM vectorises the portable
/// loop two lanes wide only.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dots_and_norm_avx2<const T: usize>(
    x: &[f64],
    next: Option<&[f64]>,
    y: &[&[f64]; T],
) -> ([f64; T], f64) {
    use std::arch::x86_64::*;
    let n = x.len();
    let next = next.map_or(std::ptr::null(), |v| v.as_ptr());
    let y: [&[f64]; T] = std::array::from_fn(|t| &y[t][..n]);
    let mut acc = [_mm256_setzero_pd(); T];
    let mut sq = _mm256_setzero_pd();
    let mut i = 0;
    while i + 4 <= n {
        // SAFETY: i + 4 ≤ n = len of x and of every y[t] (sliced above)
        unsafe {
            if i % 8 == 0 && !next.is_null() {
                // the next column streams in while this one is summed
                // (two memory streams: about the bandwidth faer's GEMM gets)
                _mm_prefetch::<_MM_HINT_T0>(next.wrapping_add(i) as *const i8);
            }
            let xv = _mm256_loadu_pd(x.as_ptr().add(i));
            sq = _mm256_fmadd_pd(xv, xv, sq);
            for t in 0..T {
                let yv = _mm256_loadu_pd(y[t].as_ptr().add(i));
                acc[t] = _mm256_fmadd_pd(xv, yv, acc[t]);
            }
        }
        i += 4;
    }
    let sum = |v: __m256d| {
        let mut a = [0.0f64; 4];
        // SAFETY: a holds 4 f64
        unsafe { _mm256_storeu_pd(a.as_mut_ptr(), v) };
        (a[0] + a[2]) + (a[1] + a[3])
    };
    let mut out = [0.0f64; T];
    for t in 0..T {
        out[t] = sum(acc[t]);
    }
    let mut s = sum(sq);
    while i < n {
        s = x[i].mul_add(x[i], s);
        for t in 0..T {
            out[t] = x[i].mul_add(y[t][i], out[t]);
        }
        i += 1;
    }
    (out, s)
}

/// [`dots_and_norm_avx2`] in AVX-512 for C columns of X at once (`x[c]`,
/// each the same length as the `y[t]`), the next columns `next` prefetched
/// while they are summed: C streams of X instead of one, and each load of Y
/// serves C columns. One column at a time held a tall design's scan to
/// 9–11 GB/s on this crate's machine, where its checks (several columns at
/// once) stream X at 22–25 GB/s.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn dots_and_norms_avx512<const T: usize, const C: usize>(
    x: [&[f64]; C],
    next: [Option<&[f64]>; C],
    y: &[&[f64]; T],
) -> [([f64; T], f64); C] {
    use std::arch::x86_64::*;
    let n = x[0].len();
    let x: [&[f64]; C] = std::array::from_fn(|c| &x[c][..n]);
    let y: [&[f64]; T] = std::array::from_fn(|t| &y[t][..n]);
    let next: [*const f64; C] =
        std::array::from_fn(|c| next[c].map_or(std::ptr::null(), |v| v.as_ptr()));
    let mut acc = [[_mm512_setzero_pd(); T]; C];
    let mut sq = [_mm512_setzero_pd(); C];
    let mut i = 0;
    while i < n {
        let m: __mmask8 = if n - i >= 8 {
            0xff
        } else {
            (1u8 << (n - i)) - 1
        };
        // SAFETY: the masked lanes are rows i.. < n of every x[c] and y[t]
        // (sliced above); prefetches do not fault
        unsafe {
            for &p in &next {
                if !p.is_null() {
                    _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(i) as *const i8);
                }
            }
            // C rows of X in registers, then each row of Y once for all C
            // (C·(T + 1) accumulators + C + 1 ≤ 29 registers)
            let xv: [__m512d; C] =
                std::array::from_fn(|c| _mm512_maskz_loadu_pd(m, x[c].as_ptr().add(i)));
            for c in 0..C {
                sq[c] = _mm512_fmadd_pd(xv[c], xv[c], sq[c]);
            }
            for t in 0..T {
                let yv = _mm512_maskz_loadu_pd(m, y[t].as_ptr().add(i));
                for c in 0..C {
                    acc[c][t] = _mm512_fmadd_pd(xv[c], yv, acc[c][t]);
                }
            }
        }
        i += 8;
    }
    std::array::from_fn(|c| {
        (
            std::array::from_fn(|t| _mm512_reduce_add_pd(acc[c][t])),
            _mm512_reduce_add_pd(sq[c]),
        )
    })
}

/// The shortest columns the AVX-512 scan ([`scan_chunk_avx512`]) takes:
/// shorter ones (very wide designs, whose X is one contiguous stream anyway)
/// go one column at a time ([`scan_chunk`]), where the groups' reductions
/// cost more than they save (137 × 17299 × 2: 1.5 ms by groups of 4, 0.9 ms
/// one at a time). [`gradient_columns`] reads a streamed X of shorter
/// columns one at a time too.
#[cfg(target_arch = "x86_64")]
const SCAN_GROUP_ROWS: usize = 512;

/// Largest T the AVX-512 column scan takes (long columns only): above it,
/// and above [`FUSED_MAX_T`] without AVX-512F, faer's product and a separate
/// pass for the norms (two passes over X: tall 50000 × 200 × 10 read
/// 9–10 ms, half of its fit at 0.1).
#[cfg(target_arch = "x86_64")]
const SCAN_AVX512_MAX_T: usize = 16;

/// One chunk of [`column_scan`] in AVX-512 for T ≤ [`SCAN_AVX512_MAX_T`]
/// tasks, by groups of 4 columns up to four tasks, 2 up to twelve, 1 beyond
/// (C·(T + 1) accumulators in registers; [`dots_and_norms_avx512`]).
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn scan_chunk_avx512(
    x: faer::MatRef<'_, f64>,
    y: faer::MatRef<'_, f64>,
    inv_n: f64,
    xty: &mut faer::Mat<f64>,
    sq: &mut [f64],
) {
    macro_rules! by_t {
        ($(($t:literal, $c:literal)),*) => {
            match y.ncols() {
                $($t => {
                    let ys: [&[f64]; $t] = std::array::from_fn(|q| col_slice(y, q));
                    // SAFETY: the CPU supports avx512f (the caller's contract)
                    unsafe { scan_groups_avx512::<$t, $c>(x, &ys, inv_n, xty, sq) }
                })*
                _ => unreachable!("1 ≤ T ≤ SCAN_AVX512_MAX_T"),
            }
        };
    }
    by_t!(
        (1, 4),
        (2, 4),
        (3, 4),
        (4, 4),
        (5, 2),
        (6, 2),
        (7, 2),
        (8, 2),
        (9, 2),
        (10, 2),
        (11, 2),
        (12, 2),
        (13, 1),
        (14, 1),
        (15, 1),
        (16, 1)
    );
}

/// One chunk of [`column_scan`] with T = `T` tasks: for every column j of
/// `x` (rows of the chunk), `xty[:, j] += x_jᵀ y / n` and `sq[j] += ‖x_j‖²`.
#[inline(always)]
fn scan_chunk<const T: usize, const FMA: bool>(
    x: faer::MatRef<'_, f64>,
    y: faer::MatRef<'_, f64>,
    inv_n: f64,
    xty: &mut faer::Mat<f64>,
    sq: &mut [f64],
) {
    let ys: [&[f64]; T] = std::array::from_fn(|t| col_slice(y, t));
    for (j, s) in sq.iter_mut().enumerate() {
        #[cfg(target_arch = "x86_64")]
        let (d, norm) = if FMA {
            // SAFETY: FMA = true only from scan_chunk_dyn's avx2 path, taken
            // when the CPU supports avx2 and fma
            unsafe {
                let next = (j + 1 < x.ncols()).then(|| col_slice(x, j + 1));
                dots_and_norm_avx2::<T>(col_slice(x, j), next, &ys)
            }
        } else {
            dots_and_norm::<T, FMA>(col_slice(x, j), &ys)
        };
        #[cfg(not(target_arch = "x86_64"))]
        let (d, norm) = dots_and_norm::<T, FMA>(col_slice(x, j), &ys);
        *s += norm;
        for (t, v) in d.iter().enumerate() {
            xty[(t, j)] += v * inv_n;
        }
    }
}

macro_rules! scan_dispatch {
    ($($t:literal),*) => {
        /// [`scan_chunk`] for a run-time T ≤ [`FUSED_MAX_T`], AVX2+FMA when the
        /// CPU has them.
        fn scan_chunk_dyn(
            x: faer::MatRef<'_, f64>,
            y: faer::MatRef<'_, f64>,
            inv_n: f64,
            xty: &mut faer::Mat<f64>,
            sq: &mut [f64],
        ) {
            #[cfg(target_arch = "x86_64")]
            if has_avx2_fma() {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2(
                    x: faer::MatRef<'_, f64>,
                    y: faer::MatRef<'_, f64>,
                    inv_n: f64,
                    xty: &mut faer::Mat<f64>,
                    sq: &mut [f64],
                ) {
                    match y.ncols() {
                        $($t => scan_chunk::<$t, true>(x, y, inv_n, xty, sq),)*
                        _ => unreachable!("T ≤ FUSED_MAX_T"),
                    }
                }
                // SAFETY: the CPU supports avx2 and fma (checked above).
                return unsafe { avx2(x, y, inv_n, xty, sq) };
            }
            match y.ncols() {
                $($t => scan_chunk::<$t, false>(x, y, inv_n, xty, sq),)*
                _ => unreachable!("T ≤ FUSED_MAX_T"),
            }
        }
    };
}
scan_dispatch!(1, 2, 3, 4, 5, 6, 7, 8);

/// [`scan_chunk_avx512`] with C columns at a time: the columns of `x` by groups of C (the
/// last group's missing columns repeat its last one, their sums dropped).
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn scan_groups_avx512<const T: usize, const C: usize>(
    x: faer::MatRef<'_, f64>,
    ys: &[&[f64]; T],
    inv_n: f64,
    xty: &mut faer::Mat<f64>,
    sq: &mut [f64],
) {
    let p = x.ncols();
    for j0 in (0..p).step_by(C) {
        let cols: [&[f64]; C] = std::array::from_fn(|c| col_slice(x, (j0 + c).min(p - 1)));
        let next: [Option<&[f64]>; C] =
            std::array::from_fn(|c| (j0 + C + c < p).then(|| col_slice(x, j0 + C + c)));
        // SAFETY: the CPU supports avx512f (the caller's contract)
        let sums = unsafe { dots_and_norms_avx512::<T, C>(cols, next, ys) };
        for (c, (d, norm)) in sums.iter().enumerate().take(p - j0) {
            sq[j0 + c] += norm;
            for (t, v) in d.iter().enumerate() {
                xty[(t, j0 + c)] += v * inv_n;
            }
        }
    }
}

/// `out[:, j] = alpha · Rᵀ x_j` for the columns `j` of `cols` (R is n × T,
/// `out` T × p; its other columns are left as they are), by kernels that
/// stream X against the T columns of R (4–8 columns at a time, or one at a
/// time for a large X of short columns: the plans below), when T is 2–4, the
/// CPU has AVX-512F and every column is contiguous. Returns `false` (nothing
/// written) otherwise; the caller then uses a product.
///
/// faer's product with a 2–4-row output reads a tall X at 22–24 GB/s on
/// this crate's machine, where one core streams 39 GB/s (a dot product of
/// two long vectors); this kernel reads it at 39–41 GB/s (41144 × 114, T =
/// 2: 0.91–0.96 ms against faer's 1.55–1.69 ms). Each gradient is summed in
/// eight lanes (four one column at a time) then reduced: the same rounding as a product, not the same
/// digits.
///
/// Three plans, by the bytes the call reads and the column length: columns
/// that stay in cache go by groups small enough for the accumulators to stay
/// in registers (T = 3: 5 columns, T = 4: 4; 8 or 6 spilled them to the
/// stack: 1.2–1.8× slower on 290 × 2000 and 1000 × 200); a larger X of
/// columns of 512 rows or more goes by wider groups that
/// prefetch 128 rows ahead, into the next group's columns at the end of a
/// column. Interleaved medians on a host of this crate's kind that streamed
/// 18–22 GB/s, against the former kernel (wide groups, no prefetch): 22666 ×
/// 133, T = 2 / 3 / 4: 0.84–0.94 / 0.80–0.96 / 0.77–0.79; 2117 × 2034 and
/// 2000 × 2000: 0.98 / 0.85–0.90 / 0.76–0.81. A larger X of shorter columns
/// (very wide designs) goes one column at a time with the next one
/// prefetched, as the column scan does: consecutive columns are then one
/// contiguous stream, where a group's short columns are several streams
/// that each end before the hardware prefetcher ramps up. Micro-benchmark
/// on a host streaming 10–16 GB/s, passes over 177 × 12002 and 147 × 18581
/// at T = 3: 14–16 GB/s one column at a time against 7–10 GB/s by groups of
/// 2–8; fits at 0.1 and 0.015·alpha_max of six very wide draws, interleaved
/// in one process: 0.78–0.99 of the time by groups (the two-task 170 ×
/// 16860 0.78 and 0.90).
///
/// ```
/// let x = faer::mat![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
/// let r = faer::mat![[1.0, 0.0], [1.0, 1.0]];
/// let mut out = faer::Mat::<f64>::zeros(2, 3);
/// if mtreg::linalg::gradient_columns(x.as_ref(), &[0, 2], r.as_ref(), -1.0, out.as_mut()) {
///     assert_eq!(out, faer::mat![[-5.0, 0.0, -9.0], [-4.0, 0.0, -6.0]]);
/// }
/// ```
pub fn gradient_columns(
    x: faer::MatRef<'_, f64>,
    cols: &[usize],
    r: faer::MatRef<'_, f64>,
    alpha: f64,
    mut out: faer::MatMut<'_, f64>,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let t = r.ncols();
        let n = x.nrows();
        if !(2..=4).contains(&t)
            || !has_avx512f()
            || r.nrows() != n
            || out.nrows() != t
            || x.row_stride() != 1
            || r.row_stride() != 1
            || cols.iter().any(|&j| j >= x.ncols() || j >= out.ncols())
        {
            return false;
        }
        let plan = GradientPlan::choose(n, n.saturating_mul(cols.len()).saturating_mul(8));
        gradient_groups(x, cols, r, alpha, out.as_mut(), plan);
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (x, cols, r, alpha, out);
        false
    }
}

/// [`gradient_columns`]'s sequential plan: one column at a time, the next
/// one prefetched while it is summed ([`dots_and_norm_avx2`], the column
/// scan's kernel; its square sum, one more multiply-add per four rows, is
/// dropped).
///
/// # Safety
/// The CPU must support AVX2 and FMA; the columns of X and R must be
/// contiguous.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gradient_sequential(
    x: faer::MatRef<'_, f64>,
    cols: &[usize],
    r: faer::MatRef<'_, f64>,
    alpha: f64,
    mut out: faer::MatMut<'_, f64>,
) {
    fn run<const T: usize>(
        x: faer::MatRef<'_, f64>,
        cols: &[usize],
        r: faer::MatRef<'_, f64>,
        alpha: f64,
        mut out: faer::MatMut<'_, f64>,
    ) {
        let rs: [&[f64]; T] = std::array::from_fn(|q| col_slice(r, q));
        for (k, &j) in cols.iter().enumerate() {
            let next = cols.get(k + 1).map(|&l| col_slice(x, l));
            // SAFETY: avx2 and fma checked by the caller
            let (d, _) = unsafe { dots_and_norm_avx2::<T>(col_slice(x, j), next, &rs) };
            for (q, v) in d.iter().enumerate() {
                out[(q, j)] = alpha * v;
            }
        }
    }
    match r.ncols() {
        2 => run::<2>(x, cols, r, alpha, out.as_mut()),
        3 => run::<3>(x, cols, r, alpha, out.as_mut()),
        _ => run::<4>(x, cols, r, alpha, out.as_mut()),
    }
    clear_upper();
}

/// How [`gradient_columns`] reads X.
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GradientPlan {
    /// X stays in cache: register-resident groups, no prefetch.
    Cached,
    /// X streams from memory in long columns: wide groups with software
    /// prefetch.
    Streamed,
    /// X streams from memory in short columns: one column at a time, the
    /// next prefetched ([`gradient_sequential`]).
    Sequential,
}

#[cfg(target_arch = "x86_64")]
impl GradientPlan {
    /// `Cached` when a call reads at most [`GRADIENT_STREAM_BYTES`]; else
    /// `Sequential` for columns shorter than [`SCAN_GROUP_ROWS`] (on a CPU
    /// with AVX2 and FMA), `Streamed` for longer ones.
    fn choose(n: usize, bytes: usize) -> Self {
        if bytes <= GRADIENT_STREAM_BYTES {
            Self::Cached
        } else if n < SCAN_GROUP_ROWS && has_avx2_fma() {
            Self::Sequential
        } else {
            Self::Streamed
        }
    }
}

/// Bytes of X above which [`gradient_columns`] prefetches: a quarter of the
/// 32 MiB L3 of this crate's machine, so that a design the solver rereads
/// at every check (290 × 2000, 4.6 MB, read at 2–3× a streamed rate) is
/// taken as cached, and the very wide and tall ones of the benchmark
/// families (24–40 MB) as streamed.
#[cfg(target_arch = "x86_64")]
const GRADIENT_STREAM_BYTES: usize = 8 << 20;

/// Rows ahead of the current one that the streamed plan prefetches (1 KiB
/// per column).
#[cfg(target_arch = "x86_64")]
const PREFETCH_ROWS: usize = 128;

/// [`gradient_columns`] once its conditions hold, by `plan`.
#[cfg(target_arch = "x86_64")]
fn gradient_groups(
    x: faer::MatRef<'_, f64>,
    cols: &[usize],
    r: faer::MatRef<'_, f64>,
    alpha: f64,
    out: faer::MatMut<'_, f64>,
    plan: GradientPlan,
) {
    let mut rp = [std::ptr::null::<f64>(); 4];
    for (q, p) in rp.iter_mut().enumerate().take(r.ncols()) {
        *p = r.col(q).as_ptr();
    }
    fn run<const T: usize, const C: usize, const PF: bool>(
        x: faer::MatRef<'_, f64>,
        cols: &[usize],
        rp: &[*const f64],
        alpha: f64,
        mut out: faer::MatMut<'_, f64>,
    ) {
        let mut groups = cols.chunks(C).peekable();
        while let Some(js) = groups.next() {
            // the next group's columns, prefetched at the end of these
            let next = groups.peek().copied().unwrap_or(js);
            grad_group::<T, C, PF>(x, js, next, rp, alpha, out.as_mut());
        }
    }
    if plan == GradientPlan::Sequential && has_avx2_fma() {
        // SAFETY: the CPU supports avx2 and fma (checked here); the caller
        // checked that every column of X and R is contiguous
        unsafe { gradient_sequential(x, cols, r, alpha, out) };
        return;
    }
    match (r.ncols(), plan) {
        (2, GradientPlan::Cached) => run::<2, 8, false>(x, cols, &rp, alpha, out),
        (2, _) => run::<2, 8, true>(x, cols, &rp, alpha, out),
        (3, GradientPlan::Cached) => run::<3, 5, false>(x, cols, &rp, alpha, out),
        (3, _) => run::<3, 8, true>(x, cols, &rp, alpha, out),
        (_, GradientPlan::Cached) => run::<4, 4, false>(x, cols, &rp, alpha, out),
        (_, _) => run::<4, 6, true>(x, cols, &rp, alpha, out),
    }
}

/// `R −= Σ_c x_{cols[c]} d_cᵀ` (R is n × T, `d` is T × |cols|, column c the
/// change of row `cols[c]`), by a kernel that streams 6–8 columns of X at
/// once through R, when T is 2–16, the CPU has AVX-512F and every column is
/// contiguous. Returns `false` (R untouched) otherwise; the caller then uses
/// a product. The working-set Gram commit's `R −= X_S ΔWᵀ` of tall fits
/// (T = 2–4: a gather then a product read X_S at about 27 GB/s on this
/// crate's machine), and the blocked epoch's update of a block whose rows are
/// not consecutive (T = 5–16, with [`block_gradient_columns`]).
///
/// ```
/// let x = faer::mat![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
/// let d = faer::mat![[1.0], [2.0]]; // the change of row 2, two tasks
/// let mut r = faer::Mat::<f64>::zeros(2, 2);
/// if mtreg::linalg::subtract_columns_product(x.as_ref(), &[2], d.as_ref(), r.as_mut()) {
///     assert_eq!(r, faer::mat![[-3.0, -6.0], [-6.0, -12.0]]);
/// }
/// ```
pub fn subtract_columns_product(
    x: faer::MatRef<'_, f64>,
    cols: &[usize],
    d: faer::MatRef<'_, f64>,
    mut r: faer::MatMut<'_, f64>,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let t = r.ncols();
        let n = x.nrows();
        if !(2..=16).contains(&t)
            || !has_avx512f()
            || r.nrows() != n
            || d.nrows() != t
            || d.ncols() != cols.len()
            || x.row_stride() != 1
            || r.row_stride() != 1
            || cols.iter().any(|&j| j >= x.ncols())
        {
            return false;
        }
        let width = group_width(t);
        for (g, js) in cols.chunks(width).enumerate() {
            let dg = d.subcols(g * width, js.len());
            let r = r.as_mut();
            match t {
                2 => sub_group::<2, 8>(x, js, dg, r),
                3 => sub_group::<3, 8>(x, js, dg, r),
                4 => sub_group::<4, 6>(x, js, dg, r),
                5 => sub_group::<5, 8>(x, js, dg, r),
                6 => sub_group::<6, 8>(x, js, dg, r),
                7 => sub_group::<7, 8>(x, js, dg, r),
                8 => sub_group::<8, 8>(x, js, dg, r),
                9 => sub_group::<9, 8>(x, js, dg, r),
                10 => sub_group::<10, 8>(x, js, dg, r),
                11 => sub_group::<11, 8>(x, js, dg, r),
                12 => sub_group::<12, 8>(x, js, dg, r),
                13 => sub_group::<13, 8>(x, js, dg, r),
                14 => sub_group::<14, 8>(x, js, dg, r),
                15 => sub_group::<15, 8>(x, js, dg, r),
                _ => sub_group::<16, 8>(x, js, dg, r),
            }
        }
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (x, cols, d, r);
        false
    }
}

/// Columns of X [`subtract_columns_product`] streams at once for T tasks:
/// 8 (T = 4: 6; beyond 4 tasks the changes are read as broadcast operands
/// rather than held in registers).
#[cfg(target_arch = "x86_64")]
fn group_width(t: usize) -> usize {
    if t == 4 { 6 } else { 8 }
}

/// One group of at most C columns of [`subtract_columns_product`] (a short
/// group pads with zero changes of its last column).
#[cfg(target_arch = "x86_64")]
fn sub_group<const T: usize, const C: usize>(
    x: faer::MatRef<'_, f64>,
    js: &[usize],
    d: faer::MatRef<'_, f64>,
    mut r: faer::MatMut<'_, f64>,
) {
    let n = x.nrows();
    let xp: [*const f64; C] = std::array::from_fn(|c| x.col(js[c.min(js.len() - 1)]).as_ptr());
    let dv: [[f64; T]; C] = std::array::from_fn(|c| {
        std::array::from_fn(|q| if c < js.len() { d[(q, c)] } else { 0.0 })
    });
    let rp: [*mut f64; T] = std::array::from_fn(|q| r.as_mut().col_mut(q).as_ptr_mut());
    // SAFETY: AVX-512F checked by the caller; every x pointer starts a
    // contiguous column of n values, every r pointer a distinct one of R
    unsafe { sub_group_avx512::<T, C>(xp, dv, rp, n) };
}

/// `r_q[i] −= Σ_c x_c[i] d[c][q]` over n rows, eight per step (the last ones
/// masked).
///
/// # Safety
/// The CPU must support AVX-512F; every x pointer must start n readable
/// values, every r pointer n writable values not aliasing the others.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn sub_group_avx512<const T: usize, const C: usize>(
    xp: [*const f64; C],
    d: [[f64; T]; C],
    rp: [*mut f64; T],
    n: usize,
) {
    use std::arch::x86_64::*;
    let dv: [[__m512d; T]; C] =
        std::array::from_fn(|c| std::array::from_fn(|q| _mm512_set1_pd(d[c][q])));
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: i + 8 ≤ n
        unsafe {
            let mut rv: [__m512d; T] = std::array::from_fn(|q| _mm512_loadu_pd(rp[q].add(i)));
            for c in 0..C {
                let xv = _mm512_loadu_pd(xp[c].add(i));
                for q in 0..T {
                    rv[q] = _mm512_fnmadd_pd(xv, dv[c][q], rv[q]);
                }
            }
            for q in 0..T {
                _mm512_storeu_pd(rp[q].add(i), rv[q]);
            }
        }
        i += 8;
    }
    if i < n {
        let m: __mmask8 = (1u8 << (n - i)) - 1;
        // SAFETY: the lanes of mask m touch rows i..n only
        unsafe {
            let mut rv: [__m512d; T] =
                std::array::from_fn(|q| _mm512_maskz_loadu_pd(m, rp[q].add(i)));
            for c in 0..C {
                let xv = _mm512_maskz_loadu_pd(m, xp[c].add(i));
                for q in 0..T {
                    rv[q] = _mm512_fnmadd_pd(xv, dv[c][q], rv[q]);
                }
            }
            for q in 0..T {
                _mm512_mask_storeu_pd(rp[q].add(i), m, rv[q]);
            }
        }
    }
    clear_upper();
}

/// One group of at most C columns of [`gradient_columns`] (a short group
/// repeats its last column in the unused lanes and discards them); with
/// `PF`, the columns `next` are prefetched as these end.
#[cfg(target_arch = "x86_64")]
fn grad_group<const T: usize, const C: usize, const PF: bool>(
    x: faer::MatRef<'_, f64>,
    js: &[usize],
    next: &[usize],
    rp: &[*const f64],
    alpha: f64,
    mut out: faer::MatMut<'_, f64>,
) {
    let n = x.nrows();
    let xp: [*const f64; C] = std::array::from_fn(|c| x.col(js[c.min(js.len() - 1)]).as_ptr());
    let np: [*const f64; C] = std::array::from_fn(|c| x.col(next[c.min(next.len() - 1)]).as_ptr());
    let rp: [*const f64; T] = std::array::from_fn(|q| rp[q]);
    // SAFETY: AVX-512F checked by the caller; every pointer starts a
    // contiguous column of n values (row stride 1, checked by the caller)
    let sums = unsafe { grad_group_avx512::<T, C, PF>(xp, np, rp, n) };
    for (c, &j) in js.iter().enumerate() {
        for q in 0..T {
            out[(q, j)] = alpha * sums[c][q];
        }
    }
}

/// `sums[c][q] = Σ_i x_c[i] r_q[i]` over n rows, eight rows per step (the
/// last ones masked). With `PF`, each step prefetches the row
/// [`PREFETCH_ROWS`] ahead of each column, past its end in the column `np[c]`
/// (the next group's).
///
/// # Safety
/// The CPU must support AVX-512F; every pointer must start n readable,
/// contiguous values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn grad_group_avx512<const T: usize, const C: usize, const PF: bool>(
    xp: [*const f64; C],
    np: [*const f64; C],
    rp: [*const f64; T],
    n: usize,
) -> [[f64; T]; C] {
    use std::arch::x86_64::*;
    let mut acc = [[_mm512_setzero_pd(); T]; C];
    let mut i = 0;
    while i + 8 <= n {
        if PF {
            let ahead = i + PREFETCH_ROWS;
            for c in 0..C {
                // a hint (never faults); the address stays inside a column
                let at = if ahead < n {
                    xp[c].wrapping_add(ahead)
                } else {
                    np[c].wrapping_add((ahead - n).min(n - 1))
                };
                _mm_prefetch::<_MM_HINT_T0>(at.cast());
            }
        }
        // SAFETY: i + 8 ≤ n
        unsafe {
            let rv: [__m512d; T] = std::array::from_fn(|q| _mm512_loadu_pd(rp[q].add(i)));
            for c in 0..C {
                let xv = _mm512_loadu_pd(xp[c].add(i));
                for q in 0..T {
                    acc[c][q] = _mm512_fmadd_pd(xv, rv[q], acc[c][q]);
                }
            }
        }
        i += 8;
    }
    if i < n {
        let m: __mmask8 = (1u8 << (n - i)) - 1;
        // SAFETY: the masked lanes read rows i..n only
        unsafe {
            let rv: [__m512d; T] = std::array::from_fn(|q| _mm512_maskz_loadu_pd(m, rp[q].add(i)));
            for c in 0..C {
                let xv = _mm512_maskz_loadu_pd(m, xp[c].add(i));
                for q in 0..T {
                    acc[c][q] = _mm512_fmadd_pd(xv, rv[q], acc[c][q]);
                }
            }
        }
    }
    let mut sums = [[0.0; T]; C];
    for c in 0..C {
        for q in 0..T {
            sums[c][q] = _mm512_reduce_add_pd(acc[c][q]);
        }
    }
    // the upper register state is left clean for the baseline code after it
    clear_upper();
    sums
}

/// `out[t] = xᵀ m_t` for the T columns of `m` (one sweep over x), AVX2.
///
/// # Safety
/// The CPU must support AVX2 and FMA; every column of `m` has `x.len()`
/// values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dots_cols_avx2<const T: usize>(x: &[f64], m: &[&[f64]; T]) -> [f64; T] {
    use std::arch::x86_64::*;
    let n = x.len();
    let mut acc = [_mm256_setzero_pd(); T];
    let mut i = 0;
    while i + 4 <= n {
        // SAFETY: i + 4 ≤ n, the length of x and of every column
        unsafe {
            let xv = _mm256_loadu_pd(x.as_ptr().add(i));
            for t in 0..T {
                acc[t] = _mm256_fmadd_pd(xv, _mm256_loadu_pd(m[t].as_ptr().add(i)), acc[t]);
            }
        }
        i += 4;
    }
    let mut out = [0.0f64; T];
    for t in 0..T {
        let mut a = [0.0f64; 4];
        // SAFETY: a holds 4 f64
        unsafe { _mm256_storeu_pd(a.as_mut_ptr(), acc[t]) };
        out[t] = (a[0] + a[2]) + (a[1] + a[3]);
    }
    while i < n {
        for t in 0..T {
            out[t] = x[i].mul_add(m[t][i], out[t]);
        }
        i += 1;
    }
    out
}

/// `m_t += alpha_t x` for the T columns of `m` (one sweep over x), AVX2.
///
/// # Safety
/// As [`dots_cols_avx2`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn axpy_cols_avx2<const T: usize>(alpha: &[f64; T], x: &[f64], m: [&mut [f64]; T]) {
    use std::arch::x86_64::*;
    let n = x.len();
    let a: [__m256d; T] = std::array::from_fn(|t| _mm256_set1_pd(alpha[t]));
    let mut i = 0;
    while i + 4 <= n {
        // SAFETY: i + 4 ≤ n, the length of x and of every column
        unsafe {
            let xv = _mm256_loadu_pd(x.as_ptr().add(i));
            for t in 0..T {
                let p = m[t].as_mut_ptr().add(i);
                _mm256_storeu_pd(p, _mm256_fmadd_pd(a[t], xv, _mm256_loadu_pd(p)));
            }
        }
        i += 4;
    }
    while i < n {
        for t in 0..T {
            m[t][i] = alpha[t].mul_add(x[i], m[t][i]);
        }
        i += 1;
    }
}

/// Largest T handled by [`dots_cols`] and [`axpy_cols`] in one sweep.
pub const FUSED_COLS: usize = 8;

macro_rules! cols_dispatch {
    ($($t:literal),*) => {
        /// `out[t] = xᵀ m[:, t]` for every column t of `m` (n × T, contiguous
        /// columns, `out.len() = T`): the T dot products of one block gradient
        /// in a single sweep over x when T ≤ [`FUSED_COLS`] and the CPU has
        /// AVX2+FMA, else T calls of [`dot`].
        ///
        /// ```
        /// let m = faer::mat![[1.0, 2.0], [3.0, 4.0]];
        /// let mut out = [0.0; 2];
        /// mtreg::linalg::dots_cols(&[1.0, 1.0], m.as_ref(), &mut out);
        /// assert_eq!(out, [4.0, 6.0]);
        /// ```
        pub fn dots_cols(x: &[f64], m: faer::MatRef<'_, f64>, out: &mut [f64]) {
            debug_assert_eq!(out.len(), m.ncols());
            #[cfg(target_arch = "x86_64")]
            if has_avx2_fma() {
                match out.len() {
                    $($t => {
                        let cols: [&[f64]; $t] = std::array::from_fn(|t| &col_slice(m, t)[..x.len()]);
                        // SAFETY: avx2 and fma checked; columns sliced to x.len()
                        out.copy_from_slice(&unsafe { dots_cols_avx2::<$t>(x, &cols) });
                        return;
                    })*
                    _ => {}
                }
            }
            for (t, o) in out.iter_mut().enumerate() {
                *o = dot(x, col_slice(m, t));
            }
        }

        /// `m[:, t] += alpha[t] · x` for every column t of `m` (n × T,
        /// contiguous columns): the rank-1 update of one block step in a single
        /// sweep over x when T ≤ [`FUSED_COLS`] and the CPU has AVX2+FMA, else
        /// T calls of [`axpy`] (skipping zero coefficients).
        ///
        /// ```
        /// let mut m = faer::mat![[1.0, 2.0], [3.0, 4.0]];
        /// mtreg::linalg::axpy_cols(&[1.0, -1.0], &[1.0, 2.0], m.as_mut());
        /// assert_eq!(m, faer::mat![[2.0, 1.0], [5.0, 2.0]]);
        /// ```
        pub fn axpy_cols(alpha: &[f64], x: &[f64], mut m: faer::MatMut<'_, f64>) {
            debug_assert_eq!(alpha.len(), m.ncols());
            // the kernel writes T disjoint columns of x.len() values
            #[cfg(target_arch = "x86_64")]
            if has_avx2_fma()
                && m.ncols() == alpha.len()
                && m.row_stride() == 1
                && m.nrows() >= x.len()
                && (m.ncols() <= 1 || m.col_stride() >= m.nrows() as isize)
            {
                let (n, stride) = (x.len(), m.col_stride());
                match alpha.len() {
                    $($t => {
                        let a: [f64; $t] = alpha.try_into().expect("T coefficients");
                        let base = m.as_ptr_mut();
                        // (a plain loop: building the slices with
                        // `std::array::from_fn` left a closure call per
                        // column that LLVM stopped inlining, +20% on small fits)
                        let mut cols: [&mut [f64]; $t] = Default::default();
                        for (t, c) in cols.iter_mut().enumerate() {
                            // SAFETY: m has T = alpha.len() columns (checked);
                            // column t starts at base + t·stride and holds
                            // nrows ≥ n values; stride ≥ nrows, so the T
                            // slices are disjoint and inside m
                            *c = unsafe { std::slice::from_raw_parts_mut(base.offset(t as isize * stride), n) };
                        }
                        // SAFETY: avx2 and fma checked; columns sliced to x.len()
                        unsafe { axpy_cols_avx2::<$t>(&a, x, cols) };
                        return;
                    })*
                    _ => {}
                }
            }
            for (t, &a) in alpha.iter().enumerate() {
                if a != 0.0 {
                    axpy(a, x, m.as_mut().col_mut(t).try_as_col_major_mut().expect("contiguous columns").as_slice_mut());
                }
            }
        }
    };
}
cols_dispatch!(1, 2, 3, 4, 5, 6, 7, 8);

/// `XᵀY/n`, `‖x_j‖²` and `‖Y‖²` in **one** pass over X. X and Y need
/// contiguous columns (see [`col_slice`]).
///
/// With few tasks (T ≤ 8) the product is memory-bound: a fused kernel
/// streams each column of X once against a cache-resident chunk of rows of Y
/// and accumulates its T dot products and its norm in the same sweep (that one
/// pass is what preparing a tall problem costs). With more tasks, faer's GEMM
/// (compute-bound) and a norm pass.
///
/// ```
/// use faer::mat;
/// let x = mat![[1.0, 0.0], [1.0, 2.0]];
/// let y = mat![[2.0], [4.0]];
/// let s = mtreg::linalg::column_scan(x.as_ref(), y.as_ref());
/// assert_eq!(s.xty, mat![[3.0, 4.0]]); // (XᵀY/n)ᵀ
/// assert_eq!((s.sq_norms, s.y_sq), (vec![2.0, 4.0], 20.0));
/// ```
///
/// # Panics
/// If X and Y have different row counts or non-contiguous columns.
#[track_caller]
pub fn column_scan(x: faer::MatRef<'_, f64>, y: faer::MatRef<'_, f64>) -> ColumnScan {
    column_scan_threads(x, y, 1)
}

/// [`column_scan`] with the columns of X split over `threads` rayon tasks.
///
/// # Panics
/// As [`column_scan`].
#[track_caller]
pub fn column_scan_threads(
    x: faer::MatRef<'_, f64>,
    y: faer::MatRef<'_, f64>,
    threads: usize,
) -> ColumnScan {
    let p = x.ncols();
    if threads <= 1 || p < 2 * threads {
        return column_scan_seq(x, y);
    }
    let chunk = p.div_ceil(threads);
    let parts: Vec<ColumnScan> = {
        use rayon::prelude::*;
        (0..p)
            .step_by(chunk)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|j0| column_scan_seq(x.subcols(j0, chunk.min(p - j0)), y))
            .collect()
    };
    let t = y.ncols();
    let mut xty = faer::Mat::<f64>::zeros(t, p);
    let mut sq_norms = Vec::with_capacity(p);
    let mut j0 = 0;
    for part in &parts {
        let k = part.sq_norms.len();
        xty.as_mut().subcols_mut(j0, k).copy_from(part.xty.as_ref());
        sq_norms.extend_from_slice(&part.sq_norms);
        j0 += k;
    }
    ColumnScan {
        xty,
        sq_norms,
        y_sq: parts[0].y_sq,
    }
}

#[track_caller]
fn column_scan_seq(x: faer::MatRef<'_, f64>, y: faer::MatRef<'_, f64>) -> ColumnScan {
    let (n, p, t) = (x.nrows(), x.ncols(), y.ncols());
    assert_eq!(n, y.nrows(), "X and Y must have the same rows");
    let mut xty = faer::Mat::<f64>::zeros(t, p);
    let mut sq_norms = vec![0.0; p];
    let inv_n = if n > 0 { 1.0 / n as f64 } else { 0.0 };
    #[cfg(target_arch = "x86_64")]
    let groups = n >= SCAN_GROUP_ROWS && (1..=SCAN_AVX512_MAX_T).contains(&t) && has_avx512f();
    #[cfg(not(target_arch = "x86_64"))]
    let groups = false;
    if groups || (1..=FUSED_MAX_T).contains(&t) {
        let mut i0 = 0;
        while i0 < n {
            let k = SCAN_ROWS.min(n - i0);
            let (xc, yc) = (x.subrows(i0, k), y.subrows(i0, k));
            #[cfg(target_arch = "x86_64")]
            if groups {
                // SAFETY: the CPU supports avx512f (checked in `groups`)
                unsafe { scan_chunk_avx512(xc, yc, inv_n, &mut xty, &mut sq_norms) };
                i0 += k;
                continue;
            }
            scan_chunk_dyn(xc, yc, inv_n, &mut xty, &mut sq_norms);
            i0 += k;
        }
    } else {
        // YᵀX/n
        gemm(xty.as_mut(), faer::Accum::Replace, y.transpose(), x, inv_n);
        for (j, s) in sq_norms.iter_mut().enumerate() {
            *s = sq_norm(col_slice(x, j));
        }
    }
    let y_sq = (0..t).map(|q| sq_norm(col_slice(y, q))).sum();
    ColumnScan {
        xty,
        sq_norms,
        y_sq,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_and_axpy_match_naive_loops_for_all_tail_lengths() {
        for n in 0..40 {
            let a: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
            let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.11).cos()).collect();
            let naive: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - naive).abs() <= 1e-12 * (1.0 + naive.abs()));
            assert!((dot_generic::<false>(&a, &b) - naive).abs() <= 1e-12 * (1.0 + naive.abs()));
            let mut y = b.clone();
            axpy(-0.5, &a, &mut y);
            for i in 0..n {
                assert!((y[i] - (b[i] - 0.5 * a[i])).abs() <= 1e-15);
            }
        }
    }

    #[test]
    fn norm_survives_overflow_of_the_square() {
        let v = [1e200, 1e200];
        assert!((norm(&v) / (2f64.sqrt() * 1e200) - 1.0).abs() < 1e-15);
        assert_eq!(norm(&[3.0, 4.0]), 5.0);
    }

    /// The one-pass scan equals the separate products, over several chunks.
    #[test]
    fn column_scan_matches_separate_passes() {
        let f = |i: usize, j: usize| ((i * 13 + j * 7) as f64 * 0.173).sin();
        for (n, p, t) in [
            (5000, 3, 2),
            (7, 5, 3),
            (300, 600, 4),
            (3, 2, 8),
            (50, 20, 9),
            (70, 4, 1),
            (1037, 19, 2),
            (64, 13, 3),
            // long columns: by groups of 4 (T ≤ 4) or 2, a partial last group
            (513, 9, 4),
            (600, 7, 6),
            (2000, 5, 8),
            (700, 1, 1),
            // 9–16 tasks on long columns: the AVX-512 scan by 2 or 1 columns
            (600, 5, 10),
            (700, 3, 13),
            (520, 2, 16),
            (600, 3, 17),
        ] {
            let x = faer::Mat::from_fn(n, p, f);
            let y = faer::Mat::from_fn(n, t, |i, q| f(i + 3, q + 11));
            let s = column_scan(x.as_ref(), y.as_ref());
            for j in 0..p {
                let norm: f64 = (0..n).map(|i| x[(i, j)] * x[(i, j)]).sum();
                assert!((s.sq_norms[j] - norm).abs() <= 1e-12 * norm);
                for q in 0..t {
                    let d: f64 = (0..n).map(|i| x[(i, j)] * y[(i, q)]).sum::<f64>() / n as f64;
                    assert!((s.xty[(q, j)] - d).abs() <= 1e-12 * (1.0 + d.abs()));
                }
            }
            assert!((s.y_sq - sq_norm_mat(y.as_ref())).abs() <= 1e-12 * s.y_sq);
            assert!(s.is_finite());
        }
        let mut x = faer::Mat::from_fn(200, 3, f);
        x[(150, 1)] = 1e200;
        let y = faer::Mat::from_fn(200, 1, f);
        assert!(!column_scan(x.as_ref(), y.as_ref()).is_finite());
    }

    /// Each ISA kernel of the column scan the CPU can run equals the
    /// portable one, for every T, group width and tail length, with and
    /// without a next column to prefetch.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn column_scan_kernels_equal_the_portable_one() {
        let f = |i: usize, j: usize| ((i * 5 + j * 11) as f64 * 0.237).cos();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + b.abs());
        fn check<const T: usize>(
            f: &dyn Fn(usize, usize) -> f64,
            close: &dyn Fn(f64, f64) -> bool,
        ) -> usize {
            let mut ran = 0;
            for n in [0, 1, 7, 8, 9, 16, 17, 31, 40] {
                let cols: Vec<Vec<f64>> =
                    (0..5).map(|j| (0..n).map(|i| f(i, j)).collect()).collect();
                let ys: Vec<Vec<f64>> = (0..T)
                    .map(|q| (0..n).map(|i| f(i + 1, 20 + q)).collect())
                    .collect();
                let y: [&[f64]; T] = std::array::from_fn(|q| ys[q].as_slice());
                let want: Vec<([f64; T], f64)> = cols
                    .iter()
                    .map(|x| dots_and_norm::<T, false>(x, &y))
                    .collect();
                let agree = |got: ([f64; T], f64), w: &([f64; T], f64)| {
                    close(got.1, w.1) && got.0.iter().zip(&w.0).all(|(&a, &b)| close(a, b))
                };
                if has_avx2_fma() {
                    for (j, w) in want.iter().enumerate() {
                        let next = cols.get(j + 1).map(|v| v.as_slice());
                        // SAFETY: the CPU supports avx2 and fma (checked)
                        let got = unsafe { dots_and_norm_avx2::<T>(&cols[j], next, &y) };
                        assert!(agree(got, w), "avx2 T {T} n {n} column {j}");
                    }
                    ran += 1;
                }
                if has_avx512f() {
                    let x4: [&[f64]; 4] = std::array::from_fn(|c| cols[c].as_slice());
                    let x2: [&[f64]; 2] = [&cols[3], &cols[4]];
                    // SAFETY: the CPU supports avx512f (checked)
                    let g4 = unsafe {
                        dots_and_norms_avx512::<T, 4>(x4, [Some(&cols[4]), None, None, None], &y)
                    };
                    // SAFETY: as above
                    let g2 =
                        unsafe { dots_and_norms_avx512::<T, 2>(x2, [None, Some(&cols[0])], &y) };
                    for c in 0..4 {
                        assert!(agree(g4[c], &want[c]), "avx512 C 4 T {T} n {n} column {c}");
                    }
                    // SAFETY: as above
                    let g1 = unsafe { dots_and_norms_avx512::<T, 1>([&cols[2]], [None], &y) };
                    assert!(agree(g1[0], &want[2]), "avx512 C 1 T {T} n {n}");
                    for c in 0..2 {
                        assert!(
                            agree(g2[c], &want[3 + c]),
                            "avx512 C 2 T {T} n {n} column {}",
                            3 + c
                        );
                    }
                    ran += 1;
                }
            }
            ran
        }
        let ran = check::<1>(&f, &close)
            + check::<2>(&f, &close)
            + check::<3>(&f, &close)
            + check::<4>(&f, &close)
            + check::<5>(&f, &close)
            + check::<8>(&f, &close)
            + check::<10>(&f, &close)
            + check::<16>(&f, &close);
        if has_avx512f() {
            assert_eq!(ran, 8 * 9 * (1 + usize::from(has_avx2_fma())));
        }
    }

    /// The fused multi-column dot products and updates equal T separate
    /// ones, for every T (fused and fallback) and tail length.
    #[test]
    fn multi_column_kernels_match_separate_loops() {
        let f = |i: usize, j: usize| ((i * 3 + j * 17) as f64 * 0.311).sin();
        for t in 1..=10 {
            for n in [0, 1, 3, 4, 7, 33] {
                let x: Vec<f64> = (0..n).map(|i| f(i, 99)).collect();
                let m = faer::Mat::from_fn(n, t, f);
                let mut out = vec![0.0; t];
                dots_cols(&x, m.as_ref(), &mut out);
                for q in 0..t {
                    let want: f64 = (0..n).map(|i| x[i] * m[(i, q)]).sum();
                    assert!((out[q] - want).abs() <= 1e-13, "dot t {t} n {n}");
                }
                let alpha: Vec<f64> = (0..t)
                    .map(|q| if q == 1 { 0.0 } else { q as f64 - 2.5 })
                    .collect();
                let mut m2 = m.clone();
                axpy_cols(&alpha, &x, m2.as_mut());
                for q in 0..t {
                    for i in 0..n {
                        let want = m[(i, q)] + alpha[q] * x[i];
                        assert!((m2[(i, q)] - want).abs() <= 1e-14, "axpy t {t} n {n}");
                    }
                }
            }
        }
    }

    /// The column-split products and scans equal the sequential ones.
    #[test]
    fn threaded_products_equal_sequential_ones() {
        let f = |i: usize, j: usize| ((i * 5 + j * 11) as f64 * 0.217).cos();
        let (n, p, t) = (120, 37, 6);
        let x = faer::Mat::from_fn(n, p, f);
        let r = faer::Mat::from_fn(n, t, |i, q| f(i + 2, q + 3));
        let mut want = faer::Mat::<f64>::zeros(t, p);
        matmul(
            want.as_mut(),
            faer::Accum::Replace,
            r.transpose(),
            x.as_ref(),
            -0.5,
            faer::Par::Seq,
        );
        let s1 = column_scan(x.as_ref(), r.as_ref());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        for threads in [1, 2, 3, 16, 40] {
            let mut got = faer::Mat::<f64>::zeros(t, p);
            pool.install(|| {
                matmul_cols(
                    got.as_mut(),
                    faer::Accum::Replace,
                    r.transpose(),
                    x.as_ref(),
                    -0.5,
                    threads,
                )
            });
            for j in 0..p {
                for q in 0..t {
                    assert!(
                        (got[(q, j)] - want[(q, j)]).abs() <= 1e-13,
                        "{threads} {q} {j}"
                    );
                }
            }
            let s2 = pool.install(|| column_scan_threads(x.as_ref(), r.as_ref(), threads));
            assert_eq!(s1.xty, s2.xty);
            assert_eq!((&s1.sq_norms, s1.y_sq), (&s2.sq_norms, s2.y_sq));
        }
    }

    /// The sample-split products equal one sequential product, on either
    /// side of the split threshold, inside a two-worker pool.
    #[test]
    fn sample_split_products_equal_sequential_ones() {
        let f = |i: usize, j: usize| ((i * 13 + j * 7) as f64 * 0.113).sin();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        for (n, t, k) in [(2500, 16, 16), (4097, 9, 16), (300, 8, 16)] {
            let split = splits_by_rows(n, t * k);
            assert_eq!(split, n != 300, "the cases cover both sides");
            let r = faer::Mat::from_fn(n, t, f);
            let x = faer::Mat::from_fn(n, k, |i, j| f(i + 3, j + 1));
            let d = faer::Mat::from_fn(t, k, |i, j| f(i + 5, j + 2));
            let mut want_g = faer::Mat::<f64>::zeros(t, k);
            matmul(
                want_g.as_mut(),
                faer::Accum::Replace,
                r.transpose(),
                x.as_ref(),
                0.5,
                faer::Par::Seq,
            );
            let mut want_r = r.clone();
            matmul(
                want_r.as_mut(),
                faer::Accum::Add,
                x.as_ref(),
                d.transpose(),
                -1.0,
                faer::Par::Seq,
            );
            for threads in [1, 2] {
                let (mut g, mut got_r, mut scratch) =
                    (faer::Mat::<f64>::zeros(t, k), r.clone(), faer::Mat::new());
                pool.install(|| {
                    matmul_tn_rows(
                        g.as_mut(),
                        &mut scratch,
                        r.as_ref(),
                        x.as_ref(),
                        0.5,
                        threads,
                    );
                    matmul_rows(got_r.as_mut(), x.as_ref(), d.transpose(), -1.0, threads);
                });
                for j in 0..k {
                    for q in 0..t {
                        let tol = 1e-12 * (1.0 + want_g[(q, j)].abs());
                        assert!(
                            (g[(q, j)] - want_g[(q, j)]).abs() <= tol,
                            "{n} {threads} g[{q},{j}]"
                        );
                    }
                }
                for q in 0..t {
                    for i in 0..n {
                        assert!(
                            (got_r[(i, q)] - want_r[(i, q)]).abs() <= 1e-12,
                            "{n} {threads} r[{i},{q}]"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn matrix_norms() {
        let a = faer::mat![[1.0, 2.0], [3.0, 4.0]];
        let b = faer::mat![[1.0, 0.0], [0.0, 1.0]];
        assert_eq!(sq_norm_mat(a.as_ref()), 30.0);
        assert_eq!(inner_mat(a.as_ref(), b.as_ref()), 5.0);
        assert_eq!(sq_norm_mat(a.transpose()), 30.0);
        assert_eq!(inner_mat(a.transpose(), b.transpose()), 5.0);
    }

    /// The cases of the multi-column kernels' tests: row counts with and
    /// without a masked tail, T = 1–5, and full and short groups of columns
    /// in and out of order (`f(n, t, x, r, cols)`, x n × 23, r n × T).
    fn for_each_kernel_case(
        mut f: impl FnMut(usize, usize, &faer::Mat<f64>, &faer::Mat<f64>, &[usize]),
    ) {
        let p = 23;
        for n in [1, 7, 8, 9, 61, 300, 515] {
            for t in 1..=17 {
                let x = faer::Mat::from_fn(n, p, |i, j| ((i * 5 + j * 11) as f64 * 0.23).sin());
                let r = faer::Mat::from_fn(n, t, |i, q| ((i * 3 + q * 17) as f64 * 0.41).cos());
                for cols in [
                    vec![4],
                    (0..p).collect::<Vec<_>>(),
                    vec![22, 0, 9, 3, 17, 5, 11, 2, 8],
                ] {
                    f(n, t, &x, &r, &cols);
                }
            }
        }
    }

    /// `out` holds `alpha·Rᵀx_j` in the columns `cols` and NaN elsewhere.
    fn assert_gradient_columns(
        x: &faer::Mat<f64>,
        r: &faer::Mat<f64>,
        cols: &[usize],
        alpha: f64,
        out: &faer::Mat<f64>,
        label: &str,
    ) {
        let (n, t) = (x.nrows(), r.ncols());
        for j in 0..x.ncols() {
            for q in 0..t {
                let want = alpha * (0..n).map(|i| x[(i, j)] * r[(i, q)]).sum::<f64>();
                if cols.contains(&j) {
                    assert!(
                        (out[(q, j)] - want).abs() <= 1e-12,
                        "{label}: n {n}, t {t}, ({q}, {j})"
                    );
                } else {
                    assert!(out[(q, j)].is_nan(), "{label}: column {j} written");
                }
            }
        }
    }

    /// `gradient_columns` equals `alpha·Rᵀx_j` on the listed columns,
    /// leaves the other columns alone, and runs exactly when T is 2–4 on an
    /// AVX-512F CPU.
    #[test]
    fn gradient_columns_equal_the_product() {
        for_each_kernel_case(|n, t, x, r, cols| {
            let p = x.ncols();
            let mut out = faer::Mat::from_fn(t, p, |_, _| f64::NAN);
            let ran = gradient_columns(x.as_ref(), cols, r.as_ref(), -0.5, out.as_mut());
            #[cfg(target_arch = "x86_64")]
            assert_eq!(ran, (2..=4).contains(&t) && has_avx512f(), "n {n}, t {t}");
            if !ran {
                assert!(out.col_iter().all(|c| c.iter().all(|v| v.is_nan())));
                return;
            }
            assert_gradient_columns(x, r, cols, -0.5, &out, "kernel");
        });
    }

    /// The three plans of `gradient_columns` (register-resident groups of 8,
    /// 5 and 4 columns for T = 2, 3, 4; prefetching groups of 8, 8 and 6; one
    /// column at a time) equal the product and write only the listed
    /// columns, on every case (short last groups, columns shorter and longer
    /// than the prefetch distance, the last listed column with no next one);
    /// the plan follows the bytes read and the column length.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn all_gradient_plans_equal_the_product() {
        let big = GRADIENT_STREAM_BYTES + 1;
        assert_eq!(
            GradientPlan::choose(100, GRADIENT_STREAM_BYTES),
            GradientPlan::Cached
        );
        assert_eq!(
            GradientPlan::choose(SCAN_GROUP_ROWS, big),
            GradientPlan::Streamed
        );
        let short = GradientPlan::choose(SCAN_GROUP_ROWS - 1, big);
        if has_avx2_fma() {
            assert_eq!(short, GradientPlan::Sequential);
        } else {
            assert_eq!(short, GradientPlan::Streamed);
        }
        if !has_avx512f() {
            return;
        }
        let mut ran = 0;
        for_each_kernel_case(|_, t, x, r, cols| {
            if !(2..=4).contains(&t) {
                return;
            }
            for plan in [
                GradientPlan::Cached,
                GradientPlan::Streamed,
                GradientPlan::Sequential,
            ] {
                let mut out = faer::Mat::from_fn(t, x.ncols(), |_, _| f64::NAN);
                gradient_groups(x.as_ref(), cols, r.as_ref(), 0.75, out.as_mut(), plan);
                assert_gradient_columns(x, r, cols, 0.75, &out, &format!("{plan:?}"));
                ran += 1;
            }
        });
        assert_eq!(ran, 7 * 3 * 3 * 3);
    }

    /// `block_gradient` is `alpha · Rᵀ X_b` in both orientations, on one
    /// thread and split over two, and the rule picks the transposed one for
    /// T = 9–12 and 17–18 only among 1–20.
    #[test]
    fn block_gradient_is_the_product_in_both_orientations() {
        let transposed: Vec<usize> = (1..=20).filter(|&t| block_gradient_transposed(t)).collect();
        assert_eq!(transposed, vec![9, 10, 11, 12, 17, 18]);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let (mut gt, mut split) = (faer::Mat::new(), faer::Mat::new());
        for (n, t, k) in [
            (5, 9, 16),
            (40, 10, 7),
            (3000, 9, 16),
            (40, 5, 16),
            (3000, 17, 3),
        ] {
            let x = faer::Mat::from_fn(n, k, |i, j| ((i * 7 + j * 3) % 11) as f64 - 5.0);
            let r = faer::Mat::from_fn(n, t, |i, q| ((i * 5 + q * 13) % 7) as f64 * 0.5 - 1.0);
            for threads in [1, 2] {
                let mut g = faer::Mat::from_fn(t, k, |_, _| f64::NAN);
                pool.install(|| {
                    block_gradient(
                        g.as_mut(),
                        &mut gt,
                        &mut split,
                        r.as_ref(),
                        x.as_ref(),
                        -0.5,
                        threads,
                    )
                });
                for c in 0..k {
                    for q in 0..t {
                        let want: f64 = -0.5 * (0..n).map(|i| r[(i, q)] * x[(i, c)]).sum::<f64>();
                        let got = g[(q, c)];
                        assert!(
                            (got - want).abs() <= 1e-9 * (1.0 + want.abs()),
                            "n {n} T {t} ({q}, {c}): {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    /// `subtract_columns_product` equals `R − X_cols D`, leaves R alone when
    /// it declines, and runs exactly when T is 2–4 on an AVX-512F CPU.
    /// The in-place block gradient is `alpha · Rᵀ X_cols` for every T it
    /// takes (5–16: group widths 5 down to 1, short last groups) and leaves
    /// dst alone otherwise (short columns, T outside 5–16). (Checked to fail
    /// with a short group's repeated column written out, or the mask of the
    /// last rows dropped.)
    #[test]
    fn block_gradient_columns_is_the_product() {
        for_each_kernel_case(|n, t, x, r, cols| {
            // views of taller matrices: a read past row n meets 1e3, not a
            // column's zero padding
            let pad = |m: &faer::Mat<f64>| {
                faer::Mat::from_fn(n + 8, m.ncols(), |i, j| if i < n { m[(i, j)] } else { 1e3 })
            };
            let (xt, rt) = (pad(x), pad(r));
            let (xv, rv) = (xt.as_ref().subrows(0, n), rt.as_ref().subrows(0, n));
            let mut g = faer::Mat::from_fn(t, cols.len(), |_, _| 7.0);
            let ran = block_gradient_columns(g.as_mut(), rv, xv, cols, -0.5);
            #[cfg(target_arch = "x86_64")]
            assert_eq!(
                ran,
                (5..=16).contains(&t)
                    && (BLOCK_COLUMNS_MIN_ROWS..=BLOCK_COLUMNS_MAX_ROWS).contains(&n)
                    && has_avx512f(),
                "n {n}, t {t}"
            );
            if !ran {
                assert!(g.col_iter().all(|c| c.iter().all(|&v| v == 7.0)));
                return;
            }
            for (c, &j) in cols.iter().enumerate() {
                for q in 0..t {
                    let want = -0.5 * (0..n).map(|i| x[(i, j)] * r[(i, q)]).sum::<f64>();
                    assert!(
                        (g[(q, c)] - want).abs() <= 1e-11 * (1.0 + want.abs()),
                        "n {n}, t {t}, ({q}, {c})"
                    );
                }
            }
        });
    }

    #[test]
    fn subtract_columns_product_equals_the_product() {
        for_each_kernel_case(|n, t, x, r0, cols| {
            let d = faer::Mat::from_fn(t, cols.len(), |q, c| {
                (q as f64 + 1.0) * 0.3 - c as f64 * 0.07
            });
            let mut r = r0.clone();
            let ran = subtract_columns_product(x.as_ref(), cols, d.as_ref(), r.as_mut());
            #[cfg(target_arch = "x86_64")]
            assert_eq!(ran, (2..=16).contains(&t) && has_avx512f(), "n {n}, t {t}");
            if !ran {
                assert_eq!(&r, r0);
                return;
            }
            for i in 0..n {
                for q in 0..t {
                    let want = r0[(i, q)]
                        - cols
                            .iter()
                            .enumerate()
                            .map(|(c, &j)| x[(i, j)] * d[(q, c)])
                            .sum::<f64>();
                    assert!(
                        (r[(i, q)] - want).abs() <= 1e-12,
                        "n {n}, t {t}, ({i}, {q})"
                    );
                }
            }
        });
    }

    /// `gram_lower_add`'s lower triangle is `init + alpha·aᵀa` on both paths
    /// (panels below `TRIANGULAR_MIN` columns, faer's triangle from it).
    #[test]
    fn gram_lower_add_equals_the_product_on_the_lower_triangle() {
        for k in [
            1,
            7,
            GRAM_PANEL,
            GRAM_PANEL + 1,
            40,
            TRIANGULAR_MIN - 1,
            TRIANGULAR_MIN,
            90,
        ] {
            let n = 37;
            let a = faer::Mat::from_fn(n, k, |i, j| ((i * 13 + j * 7) as f64 * 0.31).sin());
            let init = faer::Mat::from_fn(k, k, |i, j| (i + 2 * j) as f64);
            let mut dst = init.clone();
            gram_lower_add(dst.as_mut(), a.as_ref(), 0.5);
            for j in 0..k {
                for i in j..k {
                    let want =
                        init[(i, j)] + 0.5 * (0..n).map(|r| a[(r, i)] * a[(r, j)]).sum::<f64>();
                    assert!(
                        (dst[(i, j)] - want).abs() <= 1e-12 * want.abs().max(1.0),
                        "k = {k}, ({i}, {j}): {} vs {want}",
                        dst[(i, j)]
                    );
                }
            }
        }
    }

    /// Both paths of `gemm` (plain loops and faer) against a naive triple loop,
    /// for every operand layout and both accumulation modes.
    #[test]
    fn gemm_matches_naive_product_on_both_paths() {
        let f = |i: usize, j: usize| ((i * 7 + j * 3) as f64 * 0.37).sin();
        for (m, k, n) in [(3, 5, 2), (10, 100, 3), (40, 30, 20), (1, 1, 1), (0, 4, 2)] {
            let a = faer::Mat::from_fn(m, k, f);
            let at = faer::Mat::from_fn(k, m, |i, j| f(j, i));
            let b = faer::Mat::from_fn(k, n, |i, j| f(i + 1, j));
            let bt = faer::Mat::from_fn(n, k, |i, j| f(j + 1, i));
            let init = faer::Mat::from_fn(m, n, |i, j| (i + j) as f64);
            for (aa, bb) in [
                (a.as_ref(), b.as_ref()),
                (at.transpose(), b.as_ref()),
                (a.as_ref(), bt.transpose()),
                (at.transpose(), bt.transpose()),
            ] {
                for add in [false, true] {
                    let mut c = init.clone();
                    let accum = if add {
                        faer::Accum::Add
                    } else {
                        faer::Accum::Replace
                    };
                    gemm(c.as_mut(), accum, aa, bb, -0.5);
                    for i in 0..m {
                        for j in 0..n {
                            let s: f64 = (0..k).map(|l| a[(i, l)] * b[(l, j)]).sum();
                            let want = if add { init[(i, j)] } else { 0.0 } - 0.5 * s;
                            assert!((c[(i, j)] - want).abs() <= 1e-12 * (1.0 + s.abs()));
                        }
                    }
                }
            }
        }
    }
}

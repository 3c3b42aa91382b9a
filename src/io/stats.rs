//! The statistics directory (written by `mtreg stats`, read by
//! `mtreg solve --stats`) and the streaming reduction of CSV files to it.
//!
//! # Layout
//!
//! ```text
//! DIR/meta.json   {"format": "mtreg-stats", "format_version": 1, "kind": "centred",
//!                  "n_samples": n, "n_features": p, "n_tasks": T,
//!                  "feature_names": [...], "task_names": [...]}
//! DIR/x_mean.csv  header = feature names, one row: x̄           (kind "raw": x_sum.csv, Σx)
//! DIR/y_mean.csv  header = task names, one row: ȳ              (kind "raw": y_sum.csv, Σy)
//! DIR/xtx.csv     header = feature names, p rows: XcᵀXc        (kind "raw": XᵀX)
//! DIR/xty.csv     header = task names, p rows: XcᵀYc           (kind "raw": XᵀY)
//! DIR/yty.csv     header = task names, T rows: YcᵀYc           (kind "raw": YᵀY)
//! ```
//!
//! Row i of `xtx.csv` and `xty.csv` belongs to feature i (the order of the
//! header); row k of `yty.csv` to task k. Numbers are written with the
//! shortest decimal form that reads back to the same `f64`, so a write/read
//! round trip is exact. CSV rather than binary: any tool (a SQL engine's
//! export, a spreadsheet, `numpy.savetxt(fmt="%.17g")`) can produce and check
//! it, and its size (about 20 bytes a number: 0.8 MB for p = 200, 0.5 GB for
//! p = 5000) is small next to the data it summarises.
//!
//! Kind `"raw"` holds uncentred sums as one SQL aggregation gives them (see
//! [`RawSums`]), optionally of shifted data (`"x_shift"`, `"y_shift"` in
//! `meta.json`, p and T numbers); it is centred on reading
//! ([`SufficientStats::from_raw`]).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use faer::Mat;
use serde::{Deserialize, Serialize};

use super::atomic::write_dir_atomic;
use super::chunked::ChunkReader;
use super::csv::{HeaderMode, ReadOptions, read_matrix, write_matrix};
use super::output::{OutputId, Outputs};
use crate::error::{Error, InputError, Result};
use crate::stats::{RawSums, StatsAccumulator, SufficientStats, default_names};

/// `format` in `meta.json`.
pub const FORMAT: &str = "mtreg-stats";
/// The newest `format_version` this build reads and the one it writes.
pub const FORMAT_VERSION: u32 = 1;
/// The file describing a statistics directory.
pub const META: &str = "meta.json";

/// What the matrices of a statistics directory hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatsKind {
    /// Means and centred cross-products (what `mtreg stats` writes).
    #[serde(rename = "centred", alias = "centered")]
    Centred,
    /// Uncentred sums (what a SQL aggregation gives).
    #[serde(rename = "raw")]
    Raw,
}

/// The contents of `meta.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatsMeta {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written by this build.
    pub format_version: u32,
    /// Centred statistics or raw sums.
    pub kind: StatsKind,
    /// n.
    pub n_samples: usize,
    /// p.
    pub n_features: usize,
    /// T.
    pub n_tasks: usize,
    /// p names, the header of `x_mean.csv`/`x_sum.csv` and `xtx.csv`.
    pub feature_names: Vec<String>,
    /// T names, the header of `y_mean.csv`/`y_sum.csv`, `xty.csv`, `yty.csv`.
    pub task_names: Vec<String>,
    /// Kind raw: the shift subtracted from each feature before summing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_shift: Option<Vec<f64>>,
    /// Kind raw: the shift subtracted from each target before summing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y_shift: Option<Vec<f64>>,
    /// The program that wrote the directory (informative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writer: Option<String>,
}

/// The matrix files of a directory of this kind: (means or sums of X, of Y).
fn vector_files(kind: StatsKind) -> (&'static str, &'static str) {
    match kind {
        StatsKind::Centred => ("x_mean.csv", "y_mean.csv"),
        StatsKind::Raw => ("x_sum.csv", "y_sum.csv"),
    }
}

/// The files `read_stats` reads from `dir` (for checks that outputs do not
/// overwrite inputs): `meta.json` and the CSV files of both kinds.
pub fn stats_files(dir: &Path) -> Vec<PathBuf> {
    [
        META,
        "x_mean.csv",
        "y_mean.csv",
        "x_sum.csv",
        "y_sum.csv",
        "xtx.csv",
        "xty.csv",
        "yty.csv",
    ]
    .iter()
    .map(|f| dir.join(f))
    .collect()
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        context: format!("writing {}", path.display()),
        source: e,
    }
}

/// Writes centred statistics to the directory `dir` (atomically: see
/// [`write_dir_atomic`]; an existing `dir` only with `force`).
///
/// # Errors
/// As [`write_dir_atomic`].
pub fn write_stats(dir: &Path, stats: &SufficientStats, force: bool) -> Result<()> {
    let (meta, vectors) = centred_layout(stats);
    write_dir_atomic(dir, force, |tmp| {
        layout_files(
            tmp,
            dir,
            &meta,
            vectors,
            [stats.xtx(), stats.xty(), stats.yty()],
        )
    })
}

/// `meta.json` and the mean vectors (as 1-row matrices) of centred
/// statistics.
fn centred_layout(stats: &SufficientStats) -> (StatsMeta, [Mat<f64>; 2]) {
    let meta = meta_for(
        StatsKind::Centred,
        stats.n_samples(),
        stats.feature_names(),
        stats.task_names(),
    );
    let row = |v: &[f64]| Mat::from_fn(1, v.len(), |_, j| v[j]);
    (meta, [row(stats.x_mean()), row(stats.y_mean())])
}

/// Stages centred statistics as the directory output `id` of an output
/// group (see [`Outputs::write_dir`]); they appear with the group's commit.
///
/// # Errors
/// As [`Outputs::write_dir`].
pub fn stage_stats(out: &mut Outputs, id: OutputId, stats: &SufficientStats) -> Result<()> {
    let (meta, vectors) = centred_layout(stats);
    let target = out.path(id).to_path_buf();
    out.write_dir(id, |tmp| {
        layout_files(
            tmp,
            &target,
            &meta,
            vectors,
            [stats.xtx(), stats.xty(), stats.yty()],
        )
    })
}

/// Writes raw sums to the directory `dir` (kind `"raw"`), as a SQL export
/// would.
///
/// # Errors
/// As [`write_stats`].
pub fn write_raw(dir: &Path, raw: &RawSums, force: bool) -> Result<()> {
    let mut meta = meta_for(
        StatsKind::Raw,
        raw.n_samples,
        &raw.feature_names,
        &raw.task_names,
    );
    if raw.x_shift.iter().any(|&v| v != 0.0) {
        meta.x_shift = Some(raw.x_shift.clone());
    }
    if raw.y_shift.iter().any(|&v| v != 0.0) {
        meta.y_shift = Some(raw.y_shift.clone());
    }
    let row = |v: &[f64]| Mat::from_fn(1, v.len(), |_, j| v[j]);
    write_dir_atomic(dir, force, |tmp| {
        layout_files(
            tmp,
            dir,
            &meta,
            [row(&raw.x_sum), row(&raw.y_sum)],
            [raw.xtx.as_ref(), raw.xty.as_ref(), raw.yty.as_ref()],
        )
    })
}

fn meta_for(kind: StatsKind, n: usize, features: &[String], tasks: &[String]) -> StatsMeta {
    StatsMeta {
        format: FORMAT.to_string(),
        format_version: FORMAT_VERSION,
        kind,
        n_samples: n,
        n_features: features.len(),
        n_tasks: tasks.len(),
        feature_names: features.to_vec(),
        task_names: tasks.to_vec(),
        x_shift: None,
        y_shift: None,
        writer: Some(format!("mtreg {}", super::model::VERSION)),
    }
}

/// Writes the files of a statistics directory into `tmp` (errors name them
/// as in `dir`, their final place).
fn layout_files(
    tmp: &Path,
    dir: &Path,
    meta: &StatsMeta,
    vectors: [Mat<f64>; 2],
    [xtx, xty, yty]: [faer::MatRef<'_, f64>; 3],
) -> Result<()> {
    let (fx, fy) = vector_files(meta.kind);
    let file = |name: &str, body: &dyn Fn(&mut dyn Write) -> std::io::Result<()>| {
        let path = tmp.join(name);
        let shown = dir.join(name);
        let mut w = BufWriter::new(File::create(&path).map_err(|e| io_err(&shown, e))?);
        body(&mut w).map_err(|e| io_err(&shown, e))?;
        w.flush().map_err(|e| io_err(&shown, e))
    };
    let json = serde_json::to_string_pretty(meta).expect("StatsMeta serialises");
    file(META, &|w| writeln!(w, "{json}"))?;
    let (f, t) = (&meta.feature_names, &meta.task_names);
    file(fx, &|w| write_matrix(w, Some(f), None, vectors[0].as_ref()))?;
    file(fy, &|w| write_matrix(w, Some(t), None, vectors[1].as_ref()))?;
    file("xtx.csv", &|w| write_matrix(w, Some(f), None, xtx))?;
    file("xty.csv", &|w| write_matrix(w, Some(t), None, xty))?;
    file("yty.csv", &|w| write_matrix(w, Some(t), None, yty))
}

/// Reads a statistics directory of either kind (raw sums are centred).
///
/// # Errors
/// [`Error::Input`] naming the file (and line and column where it applies)
/// for a missing or malformed file, names that differ from `meta.json`'s,
/// wrong shapes, a matrix that is not symmetric or sums that cannot come
/// from data.
pub fn read_stats(dir: &Path) -> Result<SufficientStats> {
    let meta_path = dir.join(META);
    let shown = meta_path.display().to_string();
    let text = std::fs::read_to_string(&meta_path).map_err(|e| {
        let hint = if dir.is_dir() {
            ""
        } else {
            " (is it a statistics directory written by `mtreg stats`?)"
        };
        Error::from(InputError::file(
            &shown,
            format!("cannot read file: {e}{hint}"),
        ))
    })?;
    let meta: StatsMeta = serde_json::from_str(&text).map_err(|e| {
        Error::from(InputError::at(
            &shown,
            e.line(),
            Some((e.column(), None)),
            e.to_string(),
        ))
    })?;
    let bad = |msg: String| -> Error { InputError::file(&shown, msg).into() };
    if meta.format != FORMAT {
        return Err(bad(format!(
            "format is {:?}, expected {FORMAT:?}",
            meta.format
        )));
    }
    if meta.format_version > FORMAT_VERSION || meta.format_version == 0 {
        return Err(bad(format!(
            "format_version {} is not supported by this mtreg (1 to {FORMAT_VERSION})",
            meta.format_version
        )));
    }
    if meta.feature_names.len() != meta.n_features || meta.task_names.len() != meta.n_tasks {
        return Err(bad(format!(
            "n_features {} and n_tasks {} do not match the {} feature names and {} task names",
            meta.n_features,
            meta.n_tasks,
            meta.feature_names.len(),
            meta.task_names.len()
        )));
    }
    if meta.n_samples == 0 || meta.n_features == 0 || meta.n_tasks == 0 {
        return Err(bad("n_samples, n_features and n_tasks must be >= 1".into()));
    }
    for (what, names) in [("feature", &meta.feature_names), ("task", &meta.task_names)] {
        let mut seen = std::collections::HashSet::new();
        if let Some(name) = names
            .iter()
            .find(|n| n.is_empty() || !seen.insert(n.as_str()))
        {
            return Err(bad(format!("empty or duplicate {what} name {name:?}")));
        }
    }
    let (p, t) = (meta.n_features, meta.n_tasks);
    let (fx, fy) = vector_files(meta.kind);
    let x_vec = read_named(dir, fx, &meta.feature_names, 1, "one row")?;
    let y_vec = read_named(dir, fy, &meta.task_names, 1, "one row")?;
    let xtx = read_named(
        dir,
        "xtx.csv",
        &meta.feature_names,
        p,
        "one row per feature",
    )?;
    let xty = read_named(dir, "xty.csv", &meta.task_names, p, "one row per feature")?;
    let yty = read_named(dir, "yty.csv", &meta.task_names, t, "one row per task")?;
    let x_vec: Vec<f64> = x_vec.row(0).iter().copied().collect();
    let y_vec: Vec<f64> = y_vec.row(0).iter().copied().collect();
    let n = meta.n_samples;
    let located = |e: Error| -> Error {
        match e {
            Error::Input(_) => e,
            other => InputError::file(dir.display().to_string(), other.to_string()).into(),
        }
    };
    match meta.kind {
        StatsKind::Centred => {
            let shift = |v: Option<Vec<f64>>, what: &str| match v {
                Some(_) => Err(bad(format!("{what} is only meaningful for kind \"raw\""))),
                None => Ok(()),
            };
            shift(meta.x_shift.clone(), "x_shift")?;
            shift(meta.y_shift.clone(), "y_shift")?;
            check_symmetric(dir, "xtx.csv", &xtx, &meta.feature_names)?;
            check_symmetric(dir, "yty.csv", &yty, &meta.task_names)?;
            for (file, m, names) in [
                ("xtx.csv", &xtx, &meta.feature_names),
                ("yty.csv", &yty, &meta.task_names),
            ] {
                if let Some(j) = (0..m.nrows()).find(|&j| m[(j, j)] < 0.0) {
                    return Err(located_cell(
                        dir,
                        file,
                        j,
                        names,
                        format!(
                            "diagonal entry {} is negative: not a sum of squares",
                            m[(j, j)]
                        ),
                    ));
                }
            }
            let diag = diagonals(&xtx, &yty);
            let raw = StatsParts {
                n,
                x_mean: x_vec,
                y_mean: y_vec,
                xtx,
                xty,
                yty,
            };
            let stats = raw
                .into_stats(meta.feature_names, meta.task_names)
                .map_err(located)?;
            check_gram(dir, &stats, &diag)?;
            Ok(stats)
        }
        StatsKind::Raw => {
            let shift = |v: Option<Vec<f64>>, len: usize, what: &str| -> Result<Vec<f64>> {
                match v {
                    None => Ok(vec![0.0; len]),
                    Some(v) if v.len() == len && v.iter().all(|x| x.is_finite()) => Ok(v),
                    Some(v) => Err(bad(format!(
                        "{what} must hold {len} finite numbers, found {}",
                        v.len()
                    ))),
                }
            };
            let diag = diagonals(&xtx, &yty);
            let raw = RawSums {
                n_samples: n,
                x_shift: shift(meta.x_shift.clone(), p, "x_shift")?,
                y_shift: shift(meta.y_shift.clone(), t, "y_shift")?,
                feature_names: meta.feature_names,
                task_names: meta.task_names,
                x_sum: x_vec,
                y_sum: y_vec,
                xtx,
                xty,
                yty,
            };
            let stats = SufficientStats::from_raw(&raw).map_err(located)?;
            check_gram(dir, &stats, &diag)?;
            Ok(stats)
        }
    }
}

/// The diagonals of XᵀX and YᵀY, one after the other.
fn diagonals(xtx: &Mat<f64>, yty: &Mat<f64>) -> Vec<f64> {
    (0..xtx.nrows())
        .map(|j| xtx[(j, j)])
        .chain((0..yty.nrows()).map(|k| yty[(k, k)]))
        .collect()
}

/// Refuses statistics that cannot come from data: the centred cross-product
/// matrix of the features and targets,
/// `M = [XcᵀXc XcᵀYc; YcᵀXc YcᵀYc]`, must be positive semidefinite (a Gram
/// matrix) up to the rounding of its computation.
///
/// Tolerance. Let `d_i = M_ii` and `r_i` the sum of squares actually
/// accumulated for variable `i` (`d_i` for centred statistics, the raw
/// diagonal for raw sums, whose centring cancels digits). Sums of `n`
/// products carry errors `|E_ij| <= n ε sqrt(r_i r_j)`, so in the correlation
/// scale `C = D^{-1/2} M D^{-1/2}` the error matrix has spectral norm at most
/// `n ε Σ_i r_i/d_i`, and the Cholesky factorisation of C (order m) adds a
/// backward error of at most about `m² ε`. Hence the test: `C + δ I` with
/// `δ = ε (n Σ_i r_i/d_i + m²)` must have a Cholesky factorisation; if not, C
/// has an eigenvalue below `-δ`, which rounding cannot explain. Variables
/// whose variance is zero within rounding (`d_i <= n ε r_i`) are left out of
/// C; their covariances must vanish within the same bound (Cauchy-Schwarz).
/// The factorisation costs `(p + T)³/3` operations (about a second for
/// p = 5000).
fn check_gram(dir: &Path, s: &SufficientStats, accumulated: &[f64]) -> Result<()> {
    let (p, t) = (s.n_features(), s.n_tasks());
    let m = p + t;
    let entry = |i: usize, j: usize| -> f64 {
        match (i < p, j < p) {
            (true, true) => s.xtx()[(i, j)],
            (true, false) => s.xty()[(i, j - p)],
            (false, true) => s.xty()[(j, i - p)],
            (false, false) => s.yty()[(i - p, j - p)],
        }
    };
    let eps = f64::EPSILON;
    let n = s.n_samples() as f64;
    let d: Vec<f64> = (0..m).map(|i| entry(i, i).max(0.0)).collect();
    let r: Vec<f64> = (0..m).map(|i| accumulated[i].abs().max(d[i])).collect();
    let name = |i: usize| -> (&str, &str, usize) {
        if i < p {
            ("xtx.csv", s.feature_names()[i].as_str(), i)
        } else {
            ("yty.csv", s.task_names()[i - p].as_str(), i - p)
        }
    };
    let constant = |i: usize| d[i] <= n * eps * r[i];
    for i in (0..m).filter(|&i| constant(i)) {
        for j in (0..m).filter(|&j| j != i) {
            let bound = (d[i] * d[j]).sqrt() + n * eps * (r[i] * r[j]).sqrt();
            if entry(i, j).abs() > bound {
                let (file, var, row) = name(i);
                let (_, other, _) = name(j);
                return Err(InputError::at(
                    dir.join(if i < p && j < p { "xtx.csv" } else { "xty.csv" })
                        .display()
                        .to_string(),
                    row + 2,
                    None,
                    format!(
                        "not a valid Gram matrix: {var:?} has zero variance (in {file}) but a \
                         cross-product of {:e} with {other:?}; statistics of data cannot have \
                         that",
                        entry(i, j)
                    ),
                )
                .into());
            }
        }
    }
    let keep: Vec<usize> = (0..m).filter(|&i| !constant(i)).collect();
    let k = keep.len();
    let spread: f64 = keep.iter().map(|&i| r[i] / d[i]).sum();
    let delta = eps * (n * spread + (k * k) as f64);
    let c = Mat::from_fn(k, k, |a, b| {
        let (i, j) = (keep[a], keep[b]);
        let v = entry(i, j) / (d[i] * d[j]).sqrt();
        if a == b { 1.0 + delta } else { v }
    });
    let Err(faer::linalg::solvers::LltError::NonPositivePivot { index }) = c.llt(faer::Side::Lower)
    else {
        return Ok(());
    };
    let i = keep[index];
    let (file, var, row) = name(i);
    let msg = if i < p {
        format!(
            "not a valid Gram matrix: the cross-products of the features up to {var:?} are \
             not positive semidefinite even allowing for rounding (an eigenvalue below \
             -{delta:.1e} in correlation scale), so they cannot come from data"
        )
    } else {
        format!(
            "inconsistent with xtx.csv and xty.csv: the cross-products of the features and the \
             targets up to {var:?} are not positive semidefinite even allowing for rounding \
             (an eigenvalue below -{delta:.1e} in correlation scale: e.g. a target whose \
             variance is smaller than what the features explain), so they cannot come from data"
        )
    };
    Err(InputError::at(dir.join(file).display().to_string(), row + 2, None, msg).into())
}

/// Centred parts read from files, assembled through the library's checks.
struct StatsParts {
    n: usize,
    x_mean: Vec<f64>,
    y_mean: Vec<f64>,
    xtx: Mat<f64>,
    xty: Mat<f64>,
    yty: Mat<f64>,
}

impl StatsParts {
    fn into_stats(self, features: Vec<String>, tasks: Vec<String>) -> Result<SufficientStats> {
        SufficientStats::from_parts(
            self.n,
            features,
            tasks,
            self.x_mean,
            self.y_mean,
            self.xtx,
            self.xty,
            self.yty,
        )
    }
}

fn located_cell(dir: &Path, file: &str, row: usize, names: &[String], msg: String) -> Error {
    InputError::at(
        dir.join(file).display().to_string(),
        row + 2,
        Some((row + 1, Some(names[row].clone()))),
        msg,
    )
    .into()
}

/// Symmetry to a relative 1e-9 (what `mtreg stats` writes is exactly symmetric).
fn check_symmetric(dir: &Path, file: &str, m: &Mat<f64>, names: &[String]) -> Result<()> {
    for j in 0..m.ncols() {
        for i in 0..j {
            let scale = (m[(i, i)].abs() * m[(j, j)].abs()).sqrt();
            if (m[(i, j)] - m[(j, i)]).abs() > 1e-9 * scale {
                return Err(InputError::at(
                    dir.join(file).display().to_string(),
                    i + 2,
                    Some((j + 1, Some(names[j].clone()))),
                    format!(
                        "the matrix is not symmetric: {} here, {} at line {}, column {}",
                        m[(i, j)],
                        m[(j, i)],
                        j + 2,
                        i + 1
                    ),
                )
                .into());
            }
        }
    }
    Ok(())
}

/// Reads `dir/file`, whose header must be `names`, with `rows` rows.
fn read_named(
    dir: &Path,
    file: &str,
    names: &[String],
    rows: usize,
    what: &str,
) -> Result<Mat<f64>> {
    let path = dir.join(file);
    let shown = path.display().to_string();
    let opts = ReadOptions {
        header: HeaderMode::Present,
        ..ReadOptions::default()
    };
    let table = read_matrix(&path, &opts)?;
    let header = table.names.unwrap_or_default();
    if header.len() != names.len() {
        return Err(InputError::at(
            &shown,
            1,
            None,
            format!(
                "{} columns, but meta.json names {} (the header must be those names)",
                header.len(),
                names.len()
            ),
        )
        .into());
    }
    if let Some(j) = (0..names.len()).find(|&j| header[j] != names[j]) {
        return Err(InputError::at(
            &shown,
            1,
            Some((j + 1, Some(header[j].clone()))),
            format!("column name differs from meta.json's {:?}", names[j]),
        )
        .into());
    }
    if table.data.nrows() != rows {
        return Err(InputError::file(
            &shown,
            format!(
                "expected {rows} data rows ({what}), found {}",
                table.data.nrows()
            ),
        )
        .into());
    }
    Ok(table.data)
}

/// Where the rows of one shard come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shard {
    /// X and Y in two files, row i of one paired with row i of the other.
    Pair {
        /// The design (n × p).
        x: PathBuf,
        /// The targets (n × T).
        y: PathBuf,
    },
    /// One file with a header: the `targets` columns are Y, the others X.
    Joint {
        /// The file.
        data: PathBuf,
        /// The names of the target columns, in the order of the tasks.
        targets: Vec<String>,
    },
}

/// How to reduce CSV files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReduceOptions {
    /// Header detection and delimiter.
    pub read: ReadOptions,
    /// Rows per chunk (≥ 1).
    pub chunk_rows: usize,
}

impl Default for ReduceOptions {
    fn default() -> Self {
        Self {
            read: ReadOptions::default(),
            chunk_rows: crate::stats::DEFAULT_CHUNK_ROWS,
        }
    }
}

/// Reduces the shards to their merged statistics, streaming each file in
/// chunks: memory is a few chunks and the statistics, whatever the size of the
/// files. Each shard is parsed on a thread of its own while the previous chunk
/// is multiplied out. All shards must have the same feature and task names
/// (headers; `x0, …` and `y0, …` without).
///
/// # Errors
/// [`Error::Input`] for malformed files (file, line, column), X and Y files
/// with different numbers of data rows, or shards whose names differ;
/// `EmptyInput` without shards; `Overflow` for values whose products overflow.
pub fn reduce_csv(shards: &[Shard], opts: &ReduceOptions) -> Result<SufficientStats> {
    let Some(first) = shards.first() else {
        return Err(Error::EmptyInput("no input files"));
    };
    let mut total = reduce_shard(first, opts).map_err(|e| overflow_in(e, first))?;
    for shard in &shards[1..] {
        let s = reduce_shard(shard, opts).map_err(|e| overflow_in(e, shard))?;
        total.merge_from(&s).map_err(|e| {
            Error::from(InputError::file(
                shard_name(shard),
                format!("does not match {}: {e}", shard_name(first)),
            ))
        })?;
    }
    Ok(total)
}

/// An overflow of the products of a shard, located in its file(s).
fn overflow_in(e: Error, shard: &Shard) -> Error {
    let Error::Overflow { what } = e else {
        return e;
    };
    let file = match (shard, what) {
        (Shard::Pair { x, .. }, "X") => x.display().to_string(),
        (Shard::Pair { y, .. }, _) => y.display().to_string(),
        (Shard::Joint { data, .. }, _) => data.display().to_string(),
    };
    InputError::file(
        file,
        format!(
            "values too large: the products of the {} values overflow f64 (values around 1e154 \
             and beyond); rescale the data (divide it by a power of ten)",
            if what == "X" { "feature" } else { "target" }
        ),
    )
    .into()
}

/// Refuses a reduction whose statistics cannot be allocated, saying how much
/// memory they need: `XᵀX` alone is `8 p²` bytes (8 TB for a million
/// columns).
///
/// "Can be allocated" is judged against the machine's memory (RAM + swap,
/// where the OS says) as well as the allocator: an allocator that reserves
/// address space lazily (mimalloc, or malloc under overcommit) grants 8 TB
/// and the process is killed when the products fill it.
fn check_memory(p: usize, t: usize, chunk: usize, source: &str) -> Result<()> {
    let (p, t, c) = (p as u128, t as u128, chunk as u128);
    // XᵀX, XᵀY, YᵀY, the means, and four chunks of rows in flight.
    let numbers = p * p + p * t + t * t + p + t + 4 * c * (p + t);
    let fits = machine_memory().is_none_or(|bytes| numbers * 8 <= bytes)
        && usize::try_from(numbers)
            .ok()
            .is_some_and(|k| Vec::<f64>::new().try_reserve_exact(k).is_ok());
    if fits {
        return Ok(());
    }
    Err(InputError::file(
        source,
        format!(
            "{p} feature columns: the statistics need {} of memory ({p}² cross-products of 8 \
             bytes), which cannot be allocated; reduce fewer columns at a time",
            human_bytes(numbers * 8)
        ),
    )
    .into())
}

/// RAM + swap in bytes, from `/proc/meminfo` (`None` where there is none).
fn machine_memory() -> Option<u128> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib = |key: &str| -> Option<u128> {
        let line = info.lines().find(|l| l.starts_with(key))?;
        line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some((kib("MemTotal:")? + kib("SwapTotal:").unwrap_or(0)) * 1024)
}

/// `bytes` in B, kB, MB, GB, TB, PB or EB (powers of 1000).
fn human_bytes(bytes: u128) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    format!("{v:.1} {}", units[u])
}

fn shard_name(shard: &Shard) -> String {
    match shard {
        Shard::Pair { x, y } => format!("{} / {}", x.display(), y.display()),
        Shard::Joint { data, .. } => data.display().to_string(),
    }
}

/// A chunk of parsed rows (or the reader's error) sent to the reducing thread.
type Parsed = Result<(Mat<f64>, usize)>;

/// Parses `reader` into chunks of `chunk` rows on the current thread,
/// sending them on `tx` and reusing the buffers that come back on `spare`.
fn produce(
    mut reader: ChunkReader,
    chunk: usize,
    tx: SyncSender<Parsed>,
    spare: Receiver<Mat<f64>>,
) {
    let width = reader.n_columns();
    loop {
        let mut buf = spare
            .try_recv()
            .unwrap_or_else(|_| Mat::zeros(chunk, width));
        let got = reader.read_chunk(buf.as_mut());
        let last = !matches!(got, Ok(k) if k > 0);
        if tx.send(got.map(|k| (buf, k))).is_err() || last {
            return;
        }
    }
}

fn reduce_shard(shard: &Shard, opts: &ReduceOptions) -> Result<SufficientStats> {
    let chunk = opts.chunk_rows.max(1);
    match shard {
        Shard::Pair { x, y } => {
            let xr = ChunkReader::open(x, &opts.read)?;
            let mut yr = ChunkReader::open(y, &opts.read)?;
            let features = names_or_default(&xr, "x");
            let tasks = names_or_default(&yr, "y");
            check_memory(features.len(), tasks.len(), chunk, xr.source())?;
            let mut acc = StatsAccumulator::new(features, tasks, chunk)?;
            let mut ybuf = Mat::<f64>::zeros(chunk, yr.n_columns());
            std::thread::scope(|s| -> Result<()> {
                let (tx, rx) = sync_channel::<Parsed>(2);
                let (spare_tx, spare_rx) = sync_channel::<Mat<f64>>(3);
                s.spawn(move || produce(xr, chunk, tx, spare_rx));
                let mut nx = 0usize;
                loop {
                    let (mut xbuf, k) = recv(&rx, x)??;
                    if k == 0 {
                        if let Some(line) = yr.next_line() {
                            return Err(InputError::at(
                                yr.source(),
                                line,
                                None,
                                format!(
                                    "more data rows than {} ({nx}): X and Y must have one row \
                                     per sample",
                                    x.display()
                                ),
                            )
                            .into());
                        }
                        break;
                    }
                    let ky = yr.read_chunk(ybuf.as_mut().subrows_mut(0, k))?;
                    if ky < k {
                        return Err(InputError::file(
                            x.display().to_string(),
                            format!(
                                "more data rows than {} ({}): X and Y must have one row per \
                                 sample",
                                y.display(),
                                nx + ky
                            ),
                        )
                        .into());
                    }
                    nx += k;
                    acc.absorb(
                        xbuf.as_mut().subrows_mut(0, k),
                        ybuf.as_mut().subrows_mut(0, k),
                    )?;
                    let _ = spare_tx.try_send(xbuf);
                }
                Ok(())
            })?;
            acc.finish()
        }
        Shard::Joint { data, targets } => {
            let mut reader = ChunkReader::open(data, &opts.read)?;
            let shown = data.display().to_string();
            let Some(names) = reader.names().map(<[String]>::to_vec) else {
                return Err(InputError::file(
                    &shown,
                    "the file needs a header row to name its target columns",
                )
                .into());
            };
            let mut is_target = vec![None; names.len()];
            for (k, target) in targets.iter().enumerate() {
                let Some(j) = names.iter().position(|n| n == target) else {
                    return Err(InputError::at(
                        &shown,
                        reader.header_line(),
                        None,
                        format!(
                            "no column named {target:?} (the targets); columns are {}",
                            list(&names)
                        ),
                    )
                    .into());
                };
                if is_target[j].replace(k).is_some() {
                    return Err(InputError::file(
                        &shown,
                        format!("target {target:?} is named twice"),
                    )
                    .into());
                }
            }
            let p = names.len() - targets.len();
            if targets.is_empty() {
                return Err(Error::EmptyInput("no target columns"));
            }
            if p == 0 {
                return Err(
                    InputError::file(&shown, "every column is a target: no features left").into(),
                );
            }
            // Features keep their order, then the targets in the given order.
            let mut order = Vec::with_capacity(names.len());
            let mut features = Vec::with_capacity(p);
            for (j, name) in names.iter().enumerate() {
                match is_target[j] {
                    Some(k) => order.push(p + k),
                    None => {
                        order.push(features.len());
                        features.push(name.clone());
                    }
                }
            }
            reader.set_column_order(order)?;
            check_memory(p, targets.len(), chunk, &shown)?;
            let mut acc = StatsAccumulator::new(features, targets.clone(), chunk)?;
            std::thread::scope(|s| {
                let (tx, rx) = sync_channel::<Parsed>(2);
                let (spare_tx, spare_rx) = sync_channel::<Mat<f64>>(3);
                s.spawn(move || produce(reader, chunk, tx, spare_rx));
                loop {
                    let (mut buf, k) = recv(&rx, data)??;
                    if k == 0 {
                        return Ok::<(), Error>(());
                    }
                    let (xv, yv) = buf.as_mut().subrows_mut(0, k).split_at_col_mut(p);
                    acc.absorb(xv, yv)?;
                    let _ = spare_tx.try_send(buf);
                }
            })?;
            acc.finish()
        }
    }
}

/// The next parsed chunk; a reader thread that vanished is an internal error.
fn recv(rx: &Receiver<Parsed>, path: &Path) -> Result<Parsed> {
    rx.recv().map_err(|_| Error::Io {
        context: format!("reading {}", path.display()),
        source: std::io::Error::other("the reader thread stopped"),
    })
}

fn names_or_default(r: &ChunkReader, prefix: &str) -> Vec<String> {
    r.names()
        .map(<[String]>::to_vec)
        .unwrap_or_else(|| default_names(prefix, r.n_columns()))
}

fn list(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(10).map(String::as_str).collect();
    format!(
        "{}{}",
        shown.join(", "),
        if names.len() > 10 { ", ..." } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_read_round_trip_is_exact() {
        let x = Mat::from_fn(30, 3, |i, j| (i as f64 * 0.1 + j as f64).sin() * 1e3 + 7.0);
        let y = Mat::from_fn(30, 2, |i, k| (i as f64 * 0.3 - k as f64).cos());
        let s = SufficientStats::from_data(&x, &y).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("s");
        write_stats(&out, &s, false).unwrap();
        assert_eq!(read_stats(&out).unwrap(), s);
        assert!(write_stats(&out, &s, false).is_err());
        // Raw kind: centred on reading.
        let raw_dir = dir.path().join("raw");
        write_raw(&raw_dir, &s.to_raw(), false).unwrap();
        let back = read_stats(&raw_dir).unwrap();
        let rel = (back.xtx()[(0, 1)] - s.xtx()[(0, 1)]).abs() / s.xtx()[(0, 0)];
        assert!(rel < 1e-10, "{rel}");
    }
}

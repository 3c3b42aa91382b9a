//! Loading what `solve` fits: a shared design (X.csv + Y.csv) or per-task designs
//! (one long CSV), and the task graph and task weights files, with every error
//! located by file, line and column.

use super::UsageError;
use faer::{Mat, MatRef};
use mtreg::InputError;
use mtreg::io::csv::{ReadOptions, read_matrix, read_records};
use mtreg::io::long::{LongOptions, read_long};
use std::collections::HashMap;
use std::path::Path;

/// The samples of a fit.
pub enum Design {
    /// One X (n × p) for every task, Y (n × T).
    Shared { x: Mat<f64>, y: Mat<f64> },
    /// Task t has its own X_t (n_t × p) and y_t.
    PerTask {
        xs: Vec<Mat<f64>>,
        ys: Vec<Vec<f64>>,
    },
}

impl Design {
    /// The library's view of these samples.
    pub fn data(&self) -> mtreg::Data<'_> {
        match self {
            Design::Shared { x, y } => mtreg::Data::shared(x, y),
            Design::PerTask { xs, ys } => mtreg::Data::tasks(
                xs.iter()
                    .map(|x| x.as_ref())
                    .collect::<Vec<MatRef<'_, f64>>>(),
                ys.iter().map(Vec::as_slice).collect::<Vec<&[f64]>>(),
            ),
        }
    }
}

/// Loaded inputs with names.
pub struct Inputs {
    pub features: Vec<String>,
    pub tasks: Vec<String>,
    pub data: Design,
}

fn default_names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|j| format!("{prefix}{j}")).collect()
}

/// Reads X.csv and Y.csv (shared design).
pub fn load_shared(x: &Path, y: &Path, opts: &ReadOptions) -> anyhow::Result<Inputs> {
    let xt = read_matrix(x, opts)?;
    let yt = read_matrix(y, opts)?;
    if xt.data.nrows() != yt.data.nrows() {
        return Err(UsageError(format!(
            "{} has {} data rows but {} has {}: X and Y must have one row per sample",
            x.display(),
            xt.data.nrows(),
            y.display(),
            yt.data.nrows()
        ))
        .into());
    }
    Ok(Inputs {
        features: xt
            .names
            .unwrap_or_else(|| default_names("x", xt.data.ncols())),
        tasks: yt
            .names
            .unwrap_or_else(|| default_names("y", yt.data.ncols())),
        data: Design::Shared {
            x: xt.data,
            y: yt.data,
        },
    })
}

/// Reads one CSV holding the features and the `targets` columns (`--data
/// FILE --targets a,b`): the targets are the tasks, the other columns the
/// features, in file order.
pub fn load_joint(path: &Path, targets: &[String], opts: &ReadOptions) -> anyhow::Result<Inputs> {
    let opts = ReadOptions {
        header: mtreg::io::csv::HeaderMode::Present,
        ..*opts
    };
    let t = read_matrix(path, &opts)?;
    let names = t.names.unwrap_or_default();
    let shown = path.display().to_string();
    let mut target_cols = Vec::with_capacity(targets.len());
    for (k, name) in targets.iter().enumerate() {
        if targets[..k].contains(name) {
            return Err(UsageError(format!("--targets lists {name:?} twice")).into());
        }
        let Some(j) = names.iter().position(|h| h == name) else {
            let list: Vec<&str> = names.iter().take(10).map(String::as_str).collect();
            return Err(InputError::at(
                &shown,
                1,
                None,
                format!(
                    "no column {name:?} (from --targets); the header has {}{}",
                    list.join(", "),
                    if names.len() > 10 { ", ..." } else { "" }
                ),
            )
            .into());
        };
        target_cols.push(j);
    }
    let feature_cols: Vec<usize> = (0..names.len())
        .filter(|j| !target_cols.contains(j))
        .collect();
    if feature_cols.is_empty() {
        return Err(InputError::file(
            &shown,
            "no feature columns: every column is a --targets column",
        )
        .into());
    }
    let pick =
        |cols: &[usize]| Mat::from_fn(t.data.nrows(), cols.len(), |i, k| t.data[(i, cols[k])]);
    Ok(Inputs {
        features: feature_cols.iter().map(|&j| names[j].clone()).collect(),
        tasks: targets.to_vec(),
        data: Design::Shared {
            x: pick(&feature_cols),
            y: pick(&target_cols),
        },
    })
}

/// Reads one long CSV (per-task designs).
pub fn load_long(path: &Path, opts: &LongOptions) -> anyhow::Result<Inputs> {
    let d = read_long(path, opts)?;
    let (xs, ys) = d.tasks.into_iter().map(|t| (t.x, t.y)).unzip();
    Ok(Inputs {
        features: d.feature_names,
        tasks: d.task_names,
        data: Design::PerTask { xs, ys },
    })
}

/// Header positions of the required columns, or a located error.
fn columns(path: &Path, header: &[String], wanted: &[&str]) -> Result<Vec<usize>, InputError> {
    wanted
        .iter()
        .map(|w| {
            header.iter().position(|h| h == w).ok_or_else(|| {
                InputError::at(
                    path.display().to_string(),
                    1,
                    None,
                    format!(
                        "missing column {w:?}; the header must be {}",
                        wanted.join(",")
                    ),
                )
            })
        })
        .collect()
}

/// A cell that names one task and is the 0-based index of another (tasks
/// named "2", "0", "1"): names win; the first such cell of a file is
/// reported once.
#[derive(Default)]
struct Ambiguity(Option<String>);

impl Ambiguity {
    fn note(&mut self, cell: &str, tasks: &[String], by_name: usize, line: usize) {
        if self.0.is_some() {
            return;
        }
        if let Ok(k) = cell.parse::<usize>()
            && k < tasks.len()
            && k != by_name
        {
            self.0 = Some(format!(
                "line {line}: {cell:?} is read as the task named {cell:?}, not as the 0-based \
                 index {k} (task {:?}); task names win over indices",
                tasks[k]
            ));
        }
    }

    fn warn(self, path: &Path) {
        if let Some(msg) = self.0 {
            super::print::errln!(
                "warning: {}, {msg} (give non-numeric task names to avoid the ambiguity)",
                path.display()
            );
        }
    }
}

/// Resolves a task by name, or by 0-based index when no task has that name.
fn task_index(
    cell: &str,
    tasks: &[String],
    path: &Path,
    line: usize,
    col: (usize, &str),
    ambiguity: &mut Ambiguity,
) -> Result<usize, InputError> {
    if let Some(i) = tasks.iter().position(|t| t == cell) {
        ambiguity.note(cell, tasks, i, line);
        return Ok(i);
    }
    if let Ok(i) = cell.parse::<usize>()
        && i < tasks.len()
    {
        return Ok(i);
    }
    let shown: Vec<&str> = tasks.iter().take(10).map(String::as_str).collect();
    Err(InputError::at(
        path.display().to_string(),
        line,
        Some((col.0 + 1, Some(col.1.to_string()))),
        format!(
            "unknown task {cell:?}: tasks are {}{} (or 0-based indices below {})",
            shown.join(", "),
            if tasks.len() > 10 { ", ..." } else { "" },
            tasks.len()
        ),
    ))
}

fn number(cell: &str, path: &Path, line: usize, col: (usize, &str)) -> Result<f64, InputError> {
    cell.trim().parse::<f64>().map_err(|_| {
        InputError::at(
            path.display().to_string(),
            line,
            Some((col.0 + 1, Some(col.1.to_string()))),
            format!("not a number: {cell:?}"),
        )
    })
}

/// EDGES.csv: header `source,target,weight`; tasks by name or 0-based index.
/// Refuses unknown tasks, negative or non-finite weights, self-loops and
/// duplicate pairs (in either direction).
pub fn read_edges(
    path: &Path,
    tasks: &[String],
    delimiter: u8,
) -> anyhow::Result<Vec<(usize, usize, f64)>> {
    let opts = ReadOptions {
        delimiter,
        ..ReadOptions::default()
    };
    let (header, records) = read_records(path, &opts)?;
    let cols = columns(path, &header, &["source", "target", "weight"])?;
    let mut seen: HashMap<(usize, usize), usize> = HashMap::new();
    let mut amb = Ambiguity::default();
    let mut edges = Vec::with_capacity(records.len());
    let shown = path.display().to_string();
    for (line, rec) in &records {
        let s = task_index(
            &rec[cols[0]],
            tasks,
            path,
            *line,
            (cols[0], "source"),
            &mut amb,
        )?;
        let t = task_index(
            &rec[cols[1]],
            tasks,
            path,
            *line,
            (cols[1], "target"),
            &mut amb,
        )?;
        let w = number(&rec[cols[2]], path, *line, (cols[2], "weight"))?;
        let at = |col: usize, name: &str, msg: String| {
            InputError::at(&shown, *line, Some((col + 1, Some(name.to_string()))), msg)
        };
        if !(w.is_finite() && w >= 0.0) {
            return Err(at(
                cols[2],
                "weight",
                format!("edge weight must be finite and >= 0, got {w}"),
            )
            .into());
        }
        if s == t {
            return Err(at(
                cols[1],
                "target",
                format!("self-loop: source and target are both task {:?}", tasks[s]),
            )
            .into());
        }
        if let Some(first) = seen.insert((s.min(t), s.max(t)), *line) {
            return Err(at(
                cols[0],
                "source",
                format!(
                    "duplicate edge {:?} -- {:?} (first on line {first}); give each pair once",
                    tasks[s], tasks[t]
                ),
            )
            .into());
        }
        edges.push((s, t, w));
    }
    amb.warn(path);
    Ok(edges)
}

/// The file of `--sample-weights` for n samples: header `weight` (n rows, in
/// the order of X's rows) or `sample,weight` (0-based rows of X, each at most
/// once; unlisted rows keep 1). Weights finite and >= 0; at least one > 0.
pub fn read_sample_weights(path: &Path, n: usize, delimiter: u8) -> anyhow::Result<Vec<f64>> {
    let opts = ReadOptions {
        delimiter,
        ..ReadOptions::default()
    };
    let (header, records) = read_records(path, &opts)?;
    let name = path.display().to_string();
    let indexed = header.iter().any(|h| h == "sample");
    let cols = if indexed {
        columns(path, &header, &["sample", "weight"])?
    } else {
        columns(path, &header, &["weight"])?
    };
    let wcol = *cols.last().expect("a weight column");
    let at = |line: usize, col: usize, label: &str, msg: String| {
        InputError::at(name.clone(), line, Some((col + 1, Some(label.into()))), msg)
    };
    if !indexed && records.len() != n {
        return Err(InputError::file(
            name.clone(),
            format!(
                "{} weight rows for {n} samples: with the header `weight` there is one row per row of X (or use `sample,weight`)",
                records.len()
            ),
        )
        .into());
    }
    let mut weights = vec![1.0; n];
    let mut seen: HashMap<usize, usize> = HashMap::new();
    for (k, (line, rec)) in records.iter().enumerate() {
        let w = number(&rec[wcol], path, *line, (wcol, "weight"))?;
        if !(w.is_finite() && w >= 0.0) {
            return Err(at(
                *line,
                wcol,
                "weight",
                format!("sample weight must be finite and >= 0, got {w}"),
            )
            .into());
        }
        let i = if indexed {
            let cell = rec[cols[0]].trim();
            let i = cell
                .parse::<usize>()
                .ok()
                .filter(|&i| i < n)
                .ok_or_else(|| {
                    at(
                        *line,
                        cols[0],
                        "sample",
                        format!("not a sample: {cell:?} (0-based rows of X, below {n})"),
                    )
                })?;
            if let Some(first) = seen.insert(i, *line) {
                return Err(at(
                    *line,
                    cols[0],
                    "sample",
                    format!("sample {i} is listed twice (first on line {first})"),
                )
                .into());
            }
            i
        } else {
            k
        };
        weights[i] = w;
    }
    if weights.iter().all(|&w| w == 0.0) {
        return Err(InputError::file(
            name,
            "every sample weight is 0: give some sample a positive weight",
        )
        .into());
    }
    Ok(weights)
}

/// W.csv for `--task-weights`: header `task,weight`; unlisted tasks keep 1.
pub fn read_task_weights(path: &Path, tasks: &[String], delimiter: u8) -> anyhow::Result<Vec<f64>> {
    let opts = ReadOptions {
        delimiter,
        ..ReadOptions::default()
    };
    let (header, records) = read_records(path, &opts)?;
    let cols = columns(path, &header, &["task", "weight"])?;
    let mut weights = vec![1.0; tasks.len()];
    let mut seen: HashMap<usize, usize> = HashMap::new();
    let mut amb = Ambiguity::default();
    for (line, rec) in &records {
        let t = task_index(
            &rec[cols[0]],
            tasks,
            path,
            *line,
            (cols[0], "task"),
            &mut amb,
        )?;
        let w = number(&rec[cols[1]], path, *line, (cols[1], "weight"))?;
        let at = |msg: String| {
            InputError::at(
                path.display().to_string(),
                *line,
                Some((cols[1] + 1, Some("weight".into()))),
                msg,
            )
        };
        if !(w.is_finite() && w > 0.0) {
            return Err(at(format!("task weight must be finite and > 0, got {w}")).into());
        }
        if let Some(first) = seen.insert(t, *line) {
            return Err(at(format!(
                "task {:?} is listed twice (first on line {first})",
                tasks[t]
            ))
            .into());
        }
        weights[t] = w;
    }
    amb.warn(path);
    Ok(weights)
}

//! `mtreg predict`: apply a fitted model to new data: a model file (`solve
//! --model`, `cv`), or one alpha of a `path` directory; a shared design
//! (`--x`) or per-task rows (`--long`, each row predicted by its task's
//! coefficients); an ID column carried through.

use super::print::{errln, outln, plural};
use super::{InputFlags, UsageError};
use clap::Args;
use faer::Mat;
use mtreg::Fit;
use mtreg::io::csv::{read_labelled, read_matrix, read_records};
use mtreg::io::{CsvWriter, Outputs};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("new_data").required(true).args(["x", "long"]))]
pub struct PredictArgs {
    /// The model: a file written by `solve --model` (or a `cv` directory's
    /// model.json), or a `path` or `cv` output directory.
    #[arg(long)]
    model: PathBuf,
    /// With a `path` directory: predict at this alpha (the nearest alpha of
    /// the path's grid). With a model file: must be the model's own alpha.
    #[arg(long, allow_negative_numbers = true)]
    alpha: Option<f64>,
    /// New design matrix: one row per sample, the model's features as columns
    /// (in any order when named by a header).
    #[arg(long)]
    x: Option<PathBuf>,
    /// New per-task rows in long format: a task column and the model's
    /// features; each row is predicted for its own task (a target column, if
    /// present, is ignored).
    #[arg(long, conflicts_with = "x")]
    long: Option<PathBuf>,
    /// Column of --long naming the task of each row [default: task].
    #[arg(long, requires = "long")]
    task_column: Option<String>,
    /// Column of --long holding the target, ignored if present [default: y].
    #[arg(long, requires = "long")]
    target_column: Option<String>,
    /// A column of the new data to copy to the predictions (a sample ID; not a
    /// feature). Needs a header.
    #[arg(long)]
    id_column: Option<String>,
    /// Predictions output: one row per input row; with --x one column per task
    /// (named as in the model), with --long the task and its prediction.
    #[arg(long)]
    out: PathBuf,
    /// Overwrite an existing output file.
    #[arg(long)]
    force: bool,
    /// Print nothing but errors and warnings.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    input: InputFlags,
}

/// The coefficients and intercepts predictions are made from.
struct Predictor {
    features: Vec<String>,
    tasks: Vec<String>,
    /// p × T, on the original scale of X.
    coef: Mat<f64>,
    intercept: Vec<f64>,
    /// The alpha these coefficients were fitted at.
    alpha: f64,
}

impl Predictor {
    fn from_fit(fit: &Fit) -> Self {
        let d = fit.description();
        Predictor {
            features: d.feature_names.to_vec(),
            tasks: d.task_names.to_vec(),
            coef: fit.coef().to_owned(),
            intercept: fit.intercept().to_vec(),
            alpha: fit.alpha(),
        }
    }
}

pub fn run(a: PredictArgs) -> anyhow::Result<ExitCode> {
    // (clap's `requires` does not fire when --long conflicts with a present --x)
    if a.long.is_none() {
        for (flag, given) in [
            ("--task-column", a.task_column.is_some()),
            ("--target-column", a.target_column.is_some()),
        ] {
            if given {
                return Err(UsageError(format!(
                    "{flag} needs --long (it names a column of the long-format file)"
                ))
                .into());
            }
        }
    }
    if let Some(alpha) = a.alpha.filter(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(mtreg::Error::InvalidParameter {
            name: "alpha",
            value: alpha,
            expected: "finite and > 0",
        }
        .into());
    }
    let data =
        a.x.as_ref()
            .or(a.long.as_ref())
            .expect("clap: --x or --long");
    let inputs: [&Path; 2] = [&a.model, data];
    let mut outs = Outputs::new(a.force, &inputs);
    let out = outs.file(&a.out)?;
    let model = load_model(&a.model, a.alpha, a.quiet)?;
    if model.tasks.is_empty() {
        return Err(UsageError(format!(
            "{}: the model has no tasks (task_names is empty): nothing to predict",
            a.model.display()
        ))
        .into());
    }
    let n = if let Some(long) = &a.long {
        predict_long(&a, long, &model, &mut outs, out)?
    } else {
        predict_shared(&a, data, &model, &mut outs, out)?
    };
    super::commit(outs)?;
    if !a.quiet {
        outln!(
            "mtreg predict: {} from {} at alpha {:.6e}{}",
            plural(n, "row"),
            a.model.display(),
            model.alpha,
            if a.long.is_some() {
                String::new()
            } else {
                format!(" ({})", plural(model.tasks.len(), "task"))
            }
        )?;
        outln!("  wrote      {}", a.out.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `--x`: one row of T predictions per sample.
fn predict_shared(
    a: &PredictArgs,
    path: &Path,
    model: &Predictor,
    outs: &mut Outputs,
    out: mtreg::io::output::OutputId,
) -> anyhow::Result<usize> {
    let opts = a.input.read_options();
    let (names, data, ids, lines) = match &a.id_column {
        Some(id) => {
            let t = read_labelled(path, &opts, &[id.as_str()])?;
            let ids = t.text.into_iter().next();
            (Some(t.names), t.data, ids, Some(t.lines))
        }
        None => {
            let t = read_matrix(path, &opts)?;
            (t.names, t.data, None, None)
        }
    };
    let x = arrange(names.as_deref(), data, model, path, &a.model)?;
    let mut yhat = Mat::from_fn(x.nrows(), model.tasks.len(), |_, t| model.intercept[t]);
    mtreg::linalg::gemm(
        yhat.as_mut(),
        faer::Accum::Add,
        x.as_ref(),
        model.coef.as_ref(),
        1.0,
    );
    for i in 0..yhat.nrows() {
        for t in 0..yhat.ncols() {
            if !yhat[(i, t)].is_finite() {
                let line = lines.as_ref().map(|l| l[i]);
                return Err(overflow(path, i, line, &model.tasks[t], model, &a.model).into());
            }
        }
    }
    outs.write(out, |w| {
        let mut csv = CsvWriter::new(w);
        if let Some(id) = &a.id_column {
            csv.text(id);
        }
        csv.record(&model.tasks)?;
        for i in 0..yhat.nrows() {
            if let Some(ids) = &ids {
                csv.text(&ids[i]);
            }
            for t in 0..yhat.ncols() {
                csv.number(yhat[(i, t)]);
            }
            csv.end_record()?;
        }
        csv.finish()
    })?;
    Ok(yhat.nrows())
}

/// `--long`: each row predicted by the coefficients of its own task.
fn predict_long(
    a: &PredictArgs,
    path: &Path,
    model: &Predictor,
    outs: &mut Outputs,
    out: mtreg::io::output::OutputId,
) -> anyhow::Result<usize> {
    let opts = a.input.read_options();
    let task_column = a.task_column.as_deref().unwrap_or("task");
    let target_column = a.target_column.as_deref().unwrap_or("y");
    let mut text = vec![task_column];
    text.extend(a.id_column.as_deref());
    // the target column, when present and not a feature, is not read
    let has_target = read_records_header(path, &opts)?
        .iter()
        .any(|h| h == target_column)
        && !model.features.iter().any(|f| f == target_column);
    if has_target {
        text.push(target_column);
    }
    let t = read_labelled(path, &opts, &text)?;
    let x = arrange(Some(&t.names), t.data, model, path, &a.model)?;
    let tasks: HashMap<&str, usize> = model
        .tasks
        .iter()
        .enumerate()
        .map(|(k, s)| (s.as_str(), k))
        .collect();
    let mut pred = Vec::with_capacity(x.nrows());
    for (i, name) in t.text[0].iter().enumerate() {
        let Some(&k) = tasks.get(name.as_str()) else {
            let shown: Vec<&str> = model.tasks.iter().take(10).map(String::as_str).collect();
            return Err(mtreg::InputError::at(
                path.display().to_string(),
                t.lines[i],
                None,
                format!(
                    "task {name:?} is not a task of the model {} (its tasks: {}{})",
                    a.model.display(),
                    shown.join(", "),
                    if model.tasks.len() > 10 { ", ..." } else { "" }
                ),
            )
            .into());
        };
        let v = model.intercept[k]
            + (0..x.ncols())
                .map(|j| x[(i, j)] * model.coef[(j, k)])
                .sum::<f64>();
        if !v.is_finite() {
            return Err(overflow(path, i, Some(t.lines[i]), name, model, &a.model).into());
        }
        pred.push((k, v));
    }
    let ids = a.id_column.as_ref().map(|_| &t.text[1]);
    outs.write(out, |w| {
        let mut csv = CsvWriter::new(w);
        if let Some(id) = &a.id_column {
            csv.text(id);
        }
        csv.record([task_column, "prediction"])?;
        for (i, &(k, v)) in pred.iter().enumerate() {
            if let Some(ids) = ids {
                csv.text(&ids[i]);
            }
            csv.text(&model.tasks[k]).number(v);
            csv.end_record()?;
        }
        csv.finish()
    })?;
    Ok(pred.len())
}

/// The header of `path` (without reading its rows as numbers).
fn read_records_header(
    path: &Path,
    opts: &mtreg::io::csv::ReadOptions,
) -> anyhow::Result<Vec<String>> {
    Ok(read_records(path, opts)?.0)
}

/// A prediction that is not finite: refuse rather than write `inf`.
fn overflow(
    path: &Path,
    i: usize,
    line: Option<usize>,
    task: &str,
    model: &Predictor,
    model_path: &Path,
) -> UsageError {
    let biggest = model
        .coef
        .col_iter()
        .flat_map(|c| c.iter().copied())
        .chain(model.intercept.iter().copied())
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    UsageError(format!(
        "{}, {}: the prediction for task {task:?} overflows f64 (the model {} has \
         coefficients up to {biggest:e}); refusing to write inf",
        path.display(),
        match line {
            Some(l) => format!("line {l}"),
            None => format!("data row {}", i + 1),
        },
        model_path.display()
    ))
}

/// The columns of X in the model's feature order: matched by name when the
/// file has a header, else by position.
fn arrange(
    names: Option<&[String]>,
    data: Mat<f64>,
    model: &Predictor,
    x_path: &Path,
    model_path: &Path,
) -> anyhow::Result<Mat<f64>> {
    let p = model.features.len();
    match names {
        Some(names) => {
            let order = match_columns(names, &model.features, x_path, model_path)?;
            let mut x = Mat::zeros(data.nrows(), p);
            for (k, &j) in order.iter().enumerate() {
                x.col_mut(j).copy_from(data.col(k));
            }
            Ok(x)
        }
        None if data.ncols() != p => Err(UsageError(format!(
            "{} has {} columns but the model {} has {p} features",
            x_path.display(),
            data.ncols(),
            model_path.display()
        ))
        .into()),
        None => Ok(data),
    }
}

/// Reads the model: a model file, or a `path` or `cv` output directory (or
/// the model.json of one); picks the fit at `alpha`.
fn load_model(model: &Path, alpha: Option<f64>, quiet: bool) -> anyhow::Result<Predictor> {
    let (json, dir) = if model.is_dir() {
        (model.join("model.json"), model.to_path_buf())
    } else {
        let parent = model.parent().unwrap_or(Path::new(".")).to_path_buf();
        (model.to_path_buf(), parent)
    };
    if model.is_dir() && !json.is_file() {
        return Err(UsageError(format!(
            "{} holds no model.json: give a model file (`solve --model`) or a `path` or `cv` \
             output directory",
            model.display()
        ))
        .into());
    }
    let text = std::fs::read_to_string(&json).map_err(|e| {
        mtreg::InputError::file(json.display().to_string(), format!("cannot read file: {e}"))
    })?;
    let kind = serde_json::from_str::<ModelKind>(&text).ok();
    if kind.as_ref().is_some_and(|k| k.model == "path") {
        return path_at(&json, &dir, &text, alpha, quiet);
    }
    let fit = Fit::load(&json)?;
    if let Some(alpha) = alpha
        && (alpha - fit.alpha()).abs() > 1e-9 * fit.alpha().abs()
    {
        let cv = match kind.and_then(|k| k.alpha_min.zip(k.alpha_1se)) {
            Some((min, one_se)) => format!(
                " (a `cv` directory keeps only its refit; alpha_min {min:.6e}, alpha_1se \
                 {one_se:.6e})"
            ),
            None => String::new(),
        };
        return Err(UsageError(format!(
            "--alpha {alpha}: the model {} holds one fit, at alpha {:.6e}{cv}; to predict at \
             another alpha, give a `mtreg path` directory, or refit with `mtreg solve --alpha`",
            json.display(),
            fit.alpha()
        ))
        .into());
    }
    Ok(Predictor::from_fit(&fit))
}

/// The fields of a model.json that tell what it holds.
#[derive(serde::Deserialize)]
struct ModelKind {
    model: String,
    #[serde(default)]
    alpha_min: Option<f64>,
    #[serde(default)]
    alpha_1se: Option<f64>,
}

/// The model.json of a `path` directory: names and one point per alpha.
#[derive(serde::Deserialize)]
struct PathFile {
    feature_names: Vec<String>,
    task_names: Vec<String>,
    points: Vec<PathPoint>,
}

#[derive(serde::Deserialize)]
struct PathPoint {
    alpha: f64,
    intercept: Vec<f64>,
}

/// The fit of a `path` directory at the grid alpha nearest `alpha` (in log
/// scale), from its model.json (intercepts) and coefs.csv (coefficients).
fn path_at(
    json: &Path,
    dir: &Path,
    text: &str,
    alpha: Option<f64>,
    quiet: bool,
) -> anyhow::Result<Predictor> {
    let file: PathFile = serde_json::from_str(text).map_err(|e| {
        mtreg::InputError::at(
            json.display().to_string(),
            e.line(),
            Some((e.column(), None)),
            e.to_string(),
        )
    })?;
    let (first, last) = match (file.points.first(), file.points.last()) {
        (Some(f), Some(l)) => (f.alpha, l.alpha),
        _ => {
            return Err(mtreg::InputError::file(
                json.display().to_string(),
                "the path has no points",
            )
            .into());
        }
    };
    let Some(alpha) = alpha else {
        return Err(UsageError(format!(
            "{} is a regularisation path ({} from {first:.6e} to {last:.6e}): choose one with \
             --alpha",
            dir.display(),
            plural(file.points.len(), "alpha")
        ))
        .into());
    };
    let point = file
        .points
        .iter()
        .min_by(|a, b| {
            let d = |p: &PathPoint| (p.alpha / alpha).ln().abs();
            d(a).total_cmp(&d(b))
        })
        .expect("points is not empty");
    let (p, t) = (file.feature_names.len(), file.task_names.len());
    if point.intercept.len() != t {
        return Err(mtreg::InputError::file(
            json.display().to_string(),
            format!("inconsistent path: an intercept must be {t} numbers"),
        )
        .into());
    }
    if !quiet && (point.alpha - alpha).abs() > 1e-9 * alpha {
        errln!(
            "note: --alpha {alpha} is not on the path's grid; using its nearest alpha {:.6e}",
            point.alpha
        );
    }
    let coefs = dir.join("coefs.csv");
    let (header, records) = read_records(&coefs, &Default::default())?;
    let shown = coefs.display().to_string();
    let col = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            mtreg::InputError::at(
                &shown,
                1,
                None,
                format!("missing column {name:?}; the header must be alpha,feature,task,value"),
            )
        })
    };
    let cols = [col("alpha")?, col("feature")?, col("task")?, col("value")?];
    let index = |names: &[String]| -> HashMap<String, usize> {
        names
            .iter()
            .cloned()
            .enumerate()
            .map(|(k, s)| (s, k))
            .collect()
    };
    let (features, tasks) = (index(&file.feature_names), index(&file.task_names));
    let mut coef = Mat::zeros(p, t);
    for (line, rec) in &records {
        let bad = |col: usize, msg: String| {
            mtreg::InputError::at(
                &shown,
                *line,
                Some((col + 1, Some(header[col].clone()))),
                msg,
            )
        };
        let number = |col: usize| {
            rec[col]
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(col, format!("not a finite number: {:?}", rec[col])))
        };
        if number(cols[0])? != point.alpha {
            continue;
        }
        let j = *features
            .get(&rec[cols[1]])
            .ok_or_else(|| bad(cols[1], format!("unknown feature {:?}", rec[cols[1]])))?;
        let k = *tasks
            .get(&rec[cols[2]])
            .ok_or_else(|| bad(cols[2], format!("unknown task {:?}", rec[cols[2]])))?;
        coef[(j, k)] = number(cols[3])?;
    }
    Ok(Predictor {
        features: file.feature_names,
        tasks: file.task_names,
        coef,
        intercept: point.intercept.clone(),
        alpha: point.alpha,
    })
}

/// Maps the file's header to the model's features by name (any order); refuses
/// missing or unknown columns, naming them.
fn match_columns(
    names: &[String],
    features: &[String],
    x: &Path,
    model: &Path,
) -> anyhow::Result<Vec<usize>> {
    let missing: Vec<&str> = features
        .iter()
        .filter(|f| !names.contains(f))
        .map(String::as_str)
        .collect();
    let unknown: Vec<&str> = names
        .iter()
        .filter(|c| !features.contains(c))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() || !unknown.is_empty() {
        let list = |v: &[&str]| {
            let shown: Vec<&str> = v.iter().take(5).copied().collect();
            let more = if v.len() > 5 {
                format!(" and {} more", v.len() - 5)
            } else {
                String::new()
            };
            format!("{}{more}", shown.join(", "))
        };
        let mut msg = format!(
            "the columns of {} do not match the features of the model {}",
            x.display(),
            model.display()
        );
        if !missing.is_empty() {
            msg += &format!("; missing: {}", list(&missing));
        }
        if !unknown.is_empty() {
            msg += &format!("; not in the model: {}", list(&unknown));
        }
        return Err(UsageError(msg).into());
    }
    Ok(names
        .iter()
        .map(|c| features.iter().position(|f| f == c).expect("checked above"))
        .collect())
}

//! `mtreg predict`: apply a MODEL.json to a new X (`Fit::load`, then
//! `Fit::predict`).

use super::{InputFlags, UsageError};
use clap::Args;
use faer::Mat;
use mtreg::Fit;
use mtreg::io::Outputs;
use mtreg::io::csv::{read_matrix, write_matrix};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Model file written by `mtreg solve --model`.
    #[arg(long)]
    model: PathBuf,
    /// New design matrix: one row per sample, the model's features as columns.
    #[arg(long)]
    x: PathBuf,
    /// Predictions output (one column per task, named as in the model).
    #[arg(long)]
    out: PathBuf,
    /// Overwrite an existing output file.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    input: InputFlags,
}

pub fn run(a: PredictArgs) -> anyhow::Result<ExitCode> {
    let inputs: [&Path; 2] = [&a.model, &a.x];
    let mut outs = Outputs::new(a.force, &inputs);
    let out = outs.file(&a.out)?;
    let fit = Fit::load(&a.model)?;
    let described = fit.description();
    let xt = read_matrix(&a.x, &a.input.read_options())?;
    let p = described.feature_names.len();
    // Column k of the file feeds feature order[k] of the model.
    let x = match &xt.names {
        Some(names) => {
            let order = match_columns(names, &described.feature_names, &a.x, &a.model)?;
            let mut x = Mat::zeros(xt.data.nrows(), p);
            for (k, &j) in order.iter().enumerate() {
                x.col_mut(j).copy_from(xt.data.col(k));
            }
            x
        }
        None => {
            if xt.data.ncols() != p {
                return Err(UsageError(format!(
                    "{} has {} columns but the model {} has {p} features",
                    a.x.display(),
                    xt.data.ncols(),
                    a.model.display()
                ))
                .into());
            }
            xt.data
        }
    };
    let yhat = fit.predict(&x)?;
    outs.write(out, |w| {
        write_matrix(w, Some(&described.task_names), None, yhat.as_ref())
    })?;
    super::commit(outs)?;
    Ok(ExitCode::SUCCESS)
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

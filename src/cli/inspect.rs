//! `mtreg inspect`: parse a numeric CSV (or a long-format file) and describe
//! it. It refuses what `solve` refuses (the same reader, the same magnitude
//! rule: `mtreg::io::summary`), and its summaries never overflow.

use super::InputFlags;
use super::print::outln;
use clap::Args;
use mtreg::io::csv::read_matrix;
use mtreg::io::long::{LongData, LongOptions, read_long};
use mtreg::io::summary::{ColumnSummary, check_magnitude, summarize};
use mtreg::{Error, InputError};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The CSV file.
    file: PathBuf,
    /// Only print the parse line (shape and speed).
    #[arg(long, short)]
    quiet: bool,
    /// Read a long-format file (one row per sample, a task column, a target
    /// column; what `solve --long` reads and `generate --structure` writes).
    /// Detected when the task column holds text.
    #[arg(long)]
    long: bool,
    /// Column of a long file naming the task of each row.
    #[arg(long, default_value = "task")]
    task_column: String,
    /// Column of a long file holding the target.
    #[arg(long, default_value = "y")]
    target_column: String,
    #[command(flatten)]
    input: InputFlags,
}

/// Columns summarised at most (the rest are counted).
const SHOWN: usize = 50;

pub fn run(a: InspectArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::metadata(&a.file).map(|m| m.len()).unwrap_or(0);
    let source = a.file.display().to_string();
    let start = Instant::now();
    let long_opts = LongOptions {
        task_column: a.task_column.clone(),
        target_column: a.target_column.clone(),
        delimiter: a.input.delimiter,
    };
    if a.long {
        let data = read_long(&a.file, &long_opts)?;
        return describe_long(&a, &data, start, bytes);
    }
    let table = match read_matrix(&a.file, &a.input.read_options()) {
        Ok(t) => t,
        // Text in the task column: a long-format file.
        Err(Error::Input(e)) if is_task_text(&e, &a.task_column) => {
            if let Ok(data) = read_long(&a.file, &long_opts) {
                return describe_long(&a, &data, start, bytes);
            }
            return Err(Error::Input(e).into());
        }
        Err(e) => return Err(e.into()),
    };
    let secs = start.elapsed().as_secs_f64();
    let (n, p) = (table.data.nrows(), table.data.ncols());
    // What solve refuses (with an intercept, its default).
    check_magnitude(table.data.as_ref(), table.names.as_deref(), &source, true)?;
    outln!(
        "parsed {n} x {p} in {secs:.3} s ({:.1} MB/s)",
        bytes as f64 / 1e6 / secs.max(1e-9)
    )?;
    if a.quiet {
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "header: {}",
        if table.names.is_some() { "yes" } else { "no" }
    )?;
    header_line()?;
    let shown = if p > SHOWN + 10 { SHOWN } else { p };
    for j in 0..shown {
        let name = match &table.names {
            Some(names) => names[j].clone(),
            None => format!("column {}", j + 1),
        };
        let col: Vec<f64> = table.data.col(j).iter().copied().collect();
        row(&name, &summarize(&col))?;
    }
    if shown < p {
        outln!("... ({} more columns)", p - shown)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A "not a number" cell in the column named `task`.
fn is_task_text(e: &InputError, task: &str) -> bool {
    e.message.starts_with("not a number")
        && matches!(&e.column, Some((_, Some(name))) if name == task.trim())
}

fn header_line() -> std::io::Result<()> {
    outln!(
        "{:<24} {:>14} {:>14} {:>14} {:>14}",
        "column",
        "mean",
        "std",
        "min",
        "max"
    )
}

fn row(name: &str, s: &ColumnSummary) -> std::io::Result<()> {
    outln!(
        "{name:<24} {:>14.6e} {:>14.6e} {:>14.6e} {:>14.6e}",
        s.mean,
        s.std,
        s.min,
        s.max
    )
}

/// The description of a long-format file: tasks and their sizes, then the
/// features and the target over all rows.
fn describe_long(
    a: &InspectArgs,
    d: &LongData,
    start: Instant,
    bytes: u64,
) -> anyhow::Result<ExitCode> {
    let secs = start.elapsed().as_secs_f64();
    let source = a.file.display().to_string();
    let (n, p, t) = (d.n_samples(), d.n_features(), d.n_tasks());
    // What solve --long refuses: per task, centred (its default).
    for task in &d.tasks {
        check_magnitude(task.x.as_ref(), Some(&d.feature_names), &source, true)?;
        let y = faer::ColRef::from_slice(&task.y);
        let target = [a.target_column.clone()];
        check_magnitude(y.as_mat(), Some(&target), &source, true)?;
    }
    outln!(
        "parsed long format: {n} samples, {t} task{}, {p} feature{} in {secs:.3} s ({:.1} MB/s)",
        if t == 1 { "" } else { "s" },
        if p == 1 { "" } else { "s" },
        bytes as f64 / 1e6 / secs.max(1e-9)
    )?;
    if a.quiet {
        return Ok(ExitCode::SUCCESS);
    }
    let sizes: Vec<String> = d
        .task_names
        .iter()
        .zip(&d.tasks)
        .take(12)
        .map(|(name, task)| format!("{name} ({})", task.y.len()))
        .collect();
    outln!(
        "tasks (samples): {}{}",
        sizes.join(", "),
        if t > 12 {
            format!(", ... ({} more)", t - 12)
        } else {
            String::new()
        }
    )?;
    header_line()?;
    let shown = if p > SHOWN + 10 { SHOWN } else { p };
    for j in 0..shown {
        let col: Vec<f64> = d
            .tasks
            .iter()
            .flat_map(|task| task.x.col(j).iter().copied().collect::<Vec<_>>())
            .collect();
        row(&d.feature_names[j], &summarize(&col))?;
    }
    if shown < p {
        outln!("... ({} more features)", p - shown)?;
    }
    let y: Vec<f64> = d.tasks.iter().flat_map(|task| task.y.clone()).collect();
    row(&format!("{} (target)", a.target_column), &summarize(&y))?;
    Ok(ExitCode::SUCCESS)
}

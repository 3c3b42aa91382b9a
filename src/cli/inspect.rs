//! `mtreg inspect`: parse a numeric CSV and describe it.

use super::InputFlags;
use clap::Args;
use mtreg::io::csv::read_matrix;
use std::io::Write;
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
    #[command(flatten)]
    input: InputFlags,
}

pub fn run(a: InspectArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::metadata(&a.file).map(|m| m.len()).unwrap_or(0);
    let start = Instant::now();
    let table = read_matrix(&a.file, &a.input.read_options())?;
    let secs = start.elapsed().as_secs_f64();
    let (n, p) = (table.data.nrows(), table.data.ncols());
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "parsed {n} x {p} in {secs:.3} s ({:.1} MB/s)",
        bytes as f64 / 1e6 / secs.max(1e-9)
    )?;
    if a.quiet {
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "header: {}",
        if table.names.is_some() { "yes" } else { "no" }
    )?;
    writeln!(
        out,
        "{:<24} {:>14} {:>14} {:>14} {:>14}",
        "column", "mean", "std", "min", "max"
    )?;
    for j in 0..p {
        let col = table.data.col(j);
        let mean = col.iter().sum::<f64>() / n as f64;
        let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        let (lo, hi) = col
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let name = match &table.names {
            Some(names) => names[j].clone(),
            None => format!("column {}", j + 1),
        };
        writeln!(
            out,
            "{name:<24} {mean:>14.6e} {:>14.6e} {lo:>14.6e} {hi:>14.6e}",
            var.sqrt()
        )?;
        if j == 49 && p > 60 {
            writeln!(out, "... ({} more columns)", p - 50)?;
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

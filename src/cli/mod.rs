//! Command-line definitions (clap derive) and dispatch. One file per subcommand.

mod common;
mod cv;
mod data;
mod generate;
mod inspect;
mod models;
mod packaging;
mod path;
mod plots;
mod predict;
pub mod print;
mod progress;
mod report;
mod solve;
mod stats;

use clap::{Args, Parser, Subcommand};
use mtreg::io::csv::{HeaderMode, ReadOptions};
use std::process::ExitCode;

/// Multi-task linear regression: multi-task Lasso / elastic net (scikit-learn
/// exact), certified by the duality gap.
#[derive(Debug, Parser)]
#[command(name = "mtreg", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a regression problem (scikit-learn's make_regression): DIR/X.csv,
    /// DIR/Y.csv and the true coefficients DIR/coef.csv.
    Generate(generate::GenerateArgs),
    /// Fit a model to X.csv and Y.csv; write the coefficients (and a model file).
    Solve(Box<solve::SolveArgs>),
    /// Fit the regularisation path over an alpha grid (warm starts).
    Path(Box<path::PathArgs>),
    /// K-fold cross-validation over the alpha grid, then a refit.
    Cv(Box<cv::CvArgs>),
    /// Predict from new data (--x, or per-task rows with --long) with a model
    /// file (`solve --model`) or a `path` (--alpha) or `cv` directory.
    Predict(predict::PredictArgs),
    /// Read a numeric CSV file and describe it (shape, names, column summaries).
    Inspect(inspect::InspectArgs),
    /// Reduce X and Y (CSV files of any size, in shards) to sufficient
    /// statistics for `solve --stats`; `stats merge` adds statistics up.
    Stats(Box<stats::StatsArgs>),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    /// on stdout.
    Completions(packaging::CompletionsArgs),
    /// Print the man page (roff) on stdout, or write every page into a
    /// directory with --out-dir.
    Man(packaging::ManArgs),
}

/// CSV input flags shared by the subcommands that read data.
#[derive(Debug, Clone, Args)]
pub struct InputFlags {
    /// The first row is a header (default: detected: any non-numeric cell).
    #[arg(long, conflicts_with = "no_header")]
    header: bool,
    /// The first row is data.
    #[arg(long)]
    no_header: bool,
    /// Field delimiter (one character; `\t` for tab).
    #[arg(long, default_value = ",", value_parser = parse_delimiter)]
    delimiter: u8,
}

impl InputFlags {
    fn read_options(&self) -> ReadOptions {
        ReadOptions {
            header: if self.header {
                HeaderMode::Present
            } else if self.no_header {
                HeaderMode::Absent
            } else {
                HeaderMode::Auto
            },
            delimiter: self.delimiter,
        }
    }
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "\\t" | "tab" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(format!("delimiter must be one ASCII character, got {s:?}")),
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Generate(args) => generate::run(args),
        Command::Solve(args) => solve::run(*args),
        Command::Path(args) => path::run(*args),
        Command::Cv(args) => cv::run(*args),
        Command::Predict(args) => predict::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Stats(args) => stats::run(*args),
        Command::Completions(args) => packaging::completions(args),
        Command::Man(args) => packaging::man(args),
    }
}

/// 2 for bad input or parameters, 1 for internal failures.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<mtreg::Error>() {
            return if e.is_user_error() { 2 } else { 1 };
        }
        if cause.downcast_ref::<mtreg::InputError>().is_some()
            || cause.downcast_ref::<UsageError>().is_some()
        {
            return 2;
        }
    }
    1
}

/// Commits a command's output group (all of its outputs at once).
///
/// Debug builds only (the tests): with `MTREG_DEBUG_PAUSE_BEFORE_COMMIT=FILE`
/// the command creates FILE once every output is staged and waits (up to 30
/// s) until FILE is removed, so that a test can interrupt it at that point.
pub fn commit(outs: mtreg::io::Outputs) -> anyhow::Result<()> {
    #[cfg(debug_assertions)]
    if let Some(flag) = std::env::var_os("MTREG_DEBUG_PAUSE_BEFORE_COMMIT") {
        let flag = std::path::PathBuf::from(flag);
        if std::fs::write(&flag, b"staged").is_ok() {
            let start = std::time::Instant::now();
            while flag.exists() && start.elapsed().as_secs() < 30 {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }
    Ok(outs.commit()?)
}

/// A problem with the command line that clap cannot see (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

//! `mtreg stats`: reduce CSV files (larger than memory, in shards) to
//! sufficient statistics; `mtreg stats merge`: add up statistics directories.

use super::print::outln;
use super::{InputFlags, UsageError};
use anyhow::Context;
use clap::{Args, Subcommand};
use mtreg::SufficientStats;
use mtreg::io::Outputs;
use mtreg::io::stats::{ReduceOptions, Shard, read_stats, reduce_csv, stage_stats};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
#[command(group = clap::ArgGroup::new("inputs").required(true).multiple(true).args(["x", "data"]))]
pub struct StatsArgs {
    #[command(subcommand)]
    command: Option<StatsCommand>,
    /// Design matrix X of a shard (n rows, p features); repeat with --y for
    /// several shards, paired in order.
    #[arg(long, requires = "y")]
    x: Vec<PathBuf>,
    /// Targets Y of a shard (n rows, T tasks), paired with the --x of the
    /// same rank.
    #[arg(long, requires = "x")]
    y: Vec<PathBuf>,
    /// One CSV (with a header) holding the features and the --targets
    /// columns; may be repeated, and mixed with --x/--y shards.
    #[arg(long, requires = "targets")]
    data: Vec<PathBuf>,
    /// With --data: the target columns, comma-separated (the other columns are
    /// the features).
    #[arg(long, value_delimiter = ',', requires = "data")]
    targets: Vec<String>,
    /// Output directory (meta.json, x_mean.csv, y_mean.csv, xtx.csv, xty.csv,
    /// yty.csv).
    #[arg(long, required = true)]
    out: Option<PathBuf>,
    /// Rows per chunk (memory: a few chunks of 8 bytes x rows x columns).
    #[arg(long, default_value_t = mtreg::stats::DEFAULT_CHUNK_ROWS)]
    chunk_rows: usize,
    /// Replace an existing output directory.
    #[arg(long)]
    force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    input: InputFlags,
}

#[derive(Debug, Subcommand)]
enum StatsCommand {
    /// Add up statistics directories of disjoint row shards (same names); with
    /// one directory, rewrite it (raw sums become centred statistics).
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Statistics directories (kind centred or raw).
    #[arg(required = true, num_args = 1..)]
    dirs: Vec<PathBuf>,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    /// Replace an existing output directory.
    #[arg(long)]
    force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(a: StatsArgs) -> anyhow::Result<ExitCode> {
    if let Some(StatsCommand::Merge(m)) = a.command {
        return merge(m);
    }
    let Some(out) = &a.out else {
        return Err(UsageError("mtreg stats needs --out DIR".into()).into());
    };
    if a.x.len() != a.y.len() {
        return Err(UsageError(format!(
            "{} --x files but {} --y files: give them in pairs",
            a.x.len(),
            a.y.len()
        ))
        .into());
    }
    if a.chunk_rows == 0 {
        return Err(mtreg::Error::InvalidParameter {
            name: "chunk_rows",
            value: 0.0,
            expected: ">= 1",
        }
        .into());
    }
    let mut shards: Vec<Shard> =
        a.x.iter()
            .zip(&a.y)
            .map(|(x, y)| Shard::Pair {
                x: x.clone(),
                y: y.clone(),
            })
            .collect();
    shards.extend(a.data.iter().map(|d| Shard::Joint {
        data: d.clone(),
        targets: a.targets.clone(),
    }));
    let inputs: Vec<&Path> =
        a.x.iter()
            .chain(&a.y)
            .chain(&a.data)
            .map(PathBuf::as_path)
            .collect();
    // The output directory is replaced as a whole: it must neither be nor
    // hold an input (checked before any work).
    let mut outs = Outputs::new(a.force, &inputs);
    let out_id = outs.dir(out)?;
    let bytes: u64 = inputs
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let opts = ReduceOptions {
        read: a.input.read_options(),
        chunk_rows: a.chunk_rows,
    };
    let start = Instant::now();
    let stats = reduce_csv(&shards, &opts)?;
    let secs = start.elapsed().as_secs_f64();
    stage_stats(&mut outs, out_id, &stats)?;
    super::commit(outs)?;
    if !a.quiet {
        outln!(
            "mtreg stats: {} rows x {} features, {} tasks from {} shard{} ({:.1} MB in {:.2} s, {:.1} MB/s)",
            stats.n_samples(),
            stats.n_features(),
            stats.n_tasks(),
            shards.len(),
            if shards.len() == 1 { "" } else { "s" },
            bytes as f64 / 1e6,
            secs,
            bytes as f64 / 1e6 / secs.max(1e-9)
        )?;
        outln!("  wrote      {}", out.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn merge(m: MergeArgs) -> anyhow::Result<ExitCode> {
    // The output directory is replaced as a whole: it must neither be nor
    // hold an input directory (checked before any work).
    let mut outs = Outputs::new(m.force, &m.dirs);
    let out_id = outs.dir(&m.out)?;
    let mut total: Option<SufficientStats> = None;
    for dir in &m.dirs {
        let s = read_stats(dir)?;
        match &mut total {
            None => total = Some(s),
            Some(t) => t.merge_from(&s).with_context(|| {
                format!("merging {} with {}", dir.display(), m.dirs[0].display())
            })?,
        }
    }
    let total = total.expect("clap requires at least one directory");
    stage_stats(&mut outs, out_id, &total)?;
    super::commit(outs)?;
    if !m.quiet {
        outln!(
            "mtreg stats merge: {} rows x {} features, {} tasks from {} director{}\n  wrote      {}",
            total.n_samples(),
            total.n_features(),
            total.n_tasks(),
            m.dirs.len(),
            if m.dirs.len() == 1 { "y" } else { "ies" },
            m.out.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

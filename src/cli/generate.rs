//! `mtreg generate`: make_regression to CSV files.

use anyhow::Context;
use clap::Args;
use mtreg::generate::MakeRegression;
use mtreg::io::atomic::write_atomic;
use mtreg::io::csv::write_matrix;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of samples n.
    #[arg(long, default_value_t = 100)]
    n_samples: usize,
    /// Number of features p.
    #[arg(long, default_value_t = 100)]
    n_features: usize,
    /// Number of features with non-zero coefficients.
    #[arg(long, default_value_t = 10)]
    n_informative: usize,
    /// Number of targets (tasks) T.
    #[arg(long, default_value_t = 1)]
    n_targets: usize,
    /// Constant added to every target.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    bias: f64,
    /// Standard deviation of the Gaussian noise added to Y.
    #[arg(long, default_value_t = 0.0)]
    noise: f64,
    /// Approximate rank of X (low-rank design with a singular-value profile).
    #[arg(long)]
    effective_rank: Option<usize>,
    /// Weight of the slowly decaying tail of the singular values (with --effective-rank).
    #[arg(long, default_value_t = 0.5)]
    tail_strength: f64,
    /// Keep informative features first and samples in generation order.
    #[arg(long)]
    no_shuffle: bool,
    /// Random seed (same seed, same data on every platform).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output directory (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Overwrite existing output files.
    #[arg(long)]
    force: bool,
}

pub fn run(a: GenerateArgs) -> anyhow::Result<ExitCode> {
    let data = MakeRegression::new()
        .n_samples(a.n_samples)
        .n_features(a.n_features)
        .n_informative(a.n_informative)
        .n_targets(a.n_targets)
        .bias(a.bias)
        .noise(a.noise)
        .effective_rank(a.effective_rank)
        .tail_strength(a.tail_strength)
        .shuffle(!a.no_shuffle)
        .seed(a.seed)
        .generate()?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("creating directory {}", a.out.display()))?;
    let features: Vec<String> = (0..a.n_features).map(|j| format!("x{j}")).collect();
    let tasks: Vec<String> = (0..a.n_targets).map(|t| format!("y{t}")).collect();
    let files = [
        ("X.csv", &data.x, &features, None),
        ("Y.csv", &data.y, &tasks, None),
        (
            "coef.csv",
            &data.coef,
            &tasks,
            Some(("feature", features.as_slice())),
        ),
    ];
    for (name, m, header, rows) in files {
        let path = a.out.join(name);
        write_atomic(&path, a.force, |w| {
            write_matrix(w, Some(header), rows, m.as_ref())
        })?;
    }
    eprintln!(
        "wrote {}/{{X,Y,coef}}.csv: {} samples x {} features, {} targets",
        a.out.display(),
        a.n_samples,
        a.n_features,
        a.n_targets
    );
    Ok(ExitCode::SUCCESS)
}

//! The shared-representation models in the CLI: flag checks, the parts of W
//! (`--components`), the summary lines each model adds (rank and spectrum,
//! shared and specific parts, outlier tasks, clusters, the mean and
//! deviations, learned task weights), and cross-validation over ranks.

use super::UsageError;
use super::common::{Loaded, ModelArgs};
use super::cv::CvArgs;
use super::print::outln;
use mtreg::estimator::{Family, GridPoint, WeightScheme};
use mtreg::io::csv::write_matrix;
use mtreg::io::model::ModelFile;
use mtreg::io::output::OutputId;
use mtreg::io::{CsvWriter, Outputs};
use mtreg::path::AlphaGrid;
use mtreg::penalty::TaskGraph;
use mtreg::{Fit, GraphMultiTask};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// File name of the singular values along a path (`path --plot`, trace).
pub const SPECTRUM_SVG: &str = "singular_values.svg";
/// File name of the parts of W (`solve --plot`, dirty, robust, complete graph).
pub const COMPONENTS_SVG: &str = "components.svg";

/// The singular values of W along a path.
pub fn spectrum_plot(path: &mtreg::path::Path) -> anyhow::Result<String> {
    let spectra: Vec<Vec<f64>> = path
        .fits
        .iter()
        .map(Fit::singular_values)
        .collect::<mtreg::Result<_>>()?;
    let r = spectra.iter().map(Vec::len).max().unwrap_or(0);
    let m = faer::Mat::from_fn(spectra.len(), r, |i, k| {
        spectra[i].get(k).copied().unwrap_or(0.0)
    });
    Ok(mtreg::plot::singular_value_path_svg(
        &path.alphas,
        m.as_ref(),
        &[],
    )?)
}

/// The two parts of a fit's W side by side.
pub fn components_plot(fit: &Fit, features: &[String], tasks: &[String]) -> anyhow::Result<String> {
    let parts = fit
        .components()
        .ok_or_else(|| anyhow::anyhow!("the fitted model has no parts"))?;
    let named: Vec<(&str, faer::MatRef<'_, f64>)> = parts.iter().collect();
    Ok(mtreg::plot::components_heatmap_svg(
        &named, features, tasks,
    )?)
}

/// Checks the model flags of `solve` before any file is read, and turns
/// `--alpha-specific BETA` into the ratio `BETA / alpha`.
pub fn check_solve_flags(
    m: &mut ModelArgs,
    alpha: Option<f64>,
    alpha_specific: Option<f64>,
    rank: bool,
) -> anyhow::Result<()> {
    if rank {
        if m.penalty != "l21" {
            return Err(UsageError(format!(
                "--rank fits reduced-rank regression (no penalty): it cannot be combined with \
                 --penalty {}",
                m.penalty
            ))
            .into());
        }
        if m.l1_ratio != 1.0 {
            return Err(
                UsageError("--rank takes a ridge with --ridge, not --l1-ratio".into()).into(),
            );
        }
        if m.auto_weights() {
            return Err(UsageError(
                "--task-weights auto is not available with --rank (give weights in a file)".into(),
            )
            .into());
        }
        return Ok(());
    }
    if let (Some(beta), Some(alpha)) = (alpha_specific, alpha) {
        for (name, v) in [("alpha", alpha), ("alpha_specific", beta)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(mtreg::Error::InvalidParameter {
                    name,
                    value: v,
                    expected: "finite and > 0",
                }
                .into());
            }
        }
        m.specific_ratio = Some(beta / alpha);
    }
    m.family()?;
    Ok(())
}

/// `--components` needs a model whose W has parts.
pub fn check_components(m: &ModelArgs, excluded: bool) -> anyhow::Result<()> {
    let split = matches!(m.penalty_name(), "dirty" | "robust");
    if excluded || !(split || (m.complete_graph() && m.graph_strength > 0.0)) {
        return Err(UsageError(
            "--components needs a model whose W has parts: --penalty dirty or robust \
             (shared/specific), or --graph complete (mean/deviation)"
                .into(),
        )
        .into());
    }
    Ok(())
}

/// Writes the parts of W as tidy CSV: `component,feature,task,value`, one row
/// per non-zero entry.
pub fn write_components(
    w: &mut dyn Write,
    fit: &Fit,
    features: &[String],
    tasks: &[String],
) -> std::io::Result<()> {
    let mut csv = CsvWriter::new(w);
    csv.record(["component", "feature", "task", "value"])?;
    if let Some(parts) = fit.components() {
        for (name, m) in parts.iter() {
            for (j, feature) in features.iter().enumerate() {
                for (t, task) in tasks.iter().enumerate() {
                    let v = m[(j, t)];
                    if v != 0.0 {
                        csv.text(name).text(feature).text(task).number(v);
                        csv.end_record()?;
                    }
                }
            }
        }
    }
    csv.finish()
}

/// The summary title of a reduced-rank fit.
pub fn rank_title(fit: &Fit) -> String {
    let k = fit.description().rank.unwrap_or(0);
    if fit.alpha() > 0.0 {
        format!(
            "reduced-rank regression, rank <= {k}, ridge {}",
            fit.alpha()
        )
    } else {
        format!("reduced-rank regression, rank <= {k}")
    }
}

/// Up to `n` numbers, `, `-separated, with `…` if there are more.
fn list(values: &[f64], n: usize) -> String {
    let mut s: Vec<String> = values.iter().take(n).map(|v| format!("{v:.4e}")).collect();
    if values.len() > n {
        s.push(format!("... ({} more)", values.len() - n));
    }
    s.join(", ")
}

/// Up to `n` names, `, `-separated.
fn names(items: &[&str], n: usize) -> String {
    let mut s: Vec<&str> = items.iter().take(n).copied().collect();
    let more = (items.len() > n).then(|| format!("... ({} more)", items.len() - n));
    if let Some(m) = &more {
        s.push(m);
    }
    s.join(", ")
}

/// The summary lines of the shared-representation models (nothing for the
/// others).
pub fn report(
    out: &mut impl Write,
    fit: &Fit,
    features: &[String],
    tasks: &[String],
) -> anyhow::Result<()> {
    let d = fit.description();
    let (p, t) = (features.len(), tasks.len());
    if d.penalty == "trace" || d.rank.is_some() {
        let s = fit.singular_values()?;
        writeln!(
            out,
            "  rank       {} of {}; singular values {}",
            fit.rank()?,
            p.min(t),
            list(&s, 6)
        )?;
    }
    if let Some(parts) = fit.components() {
        if let (Some(shared), Some(specific)) = (parts.get("shared"), parts.get("specific")) {
            let rows = (0..p)
                .filter(|&j| (0..t).any(|k| shared[(j, k)] != 0.0))
                .count();
            let entries = (0..p)
                .flat_map(|j| (0..t).map(move |k| (j, k)))
                .filter(|&(j, k)| specific[(j, k)] != 0.0)
                .count();
            writeln!(
                out,
                "  parts      shared: {rows} of {p} features; specific: {entries} entries"
            )?;
        }
        if d.penalty == "robust" {
            let out_tasks: Vec<&str> = fit
                .outlier_tasks()
                .iter()
                .map(|&k| tasks[k].as_str())
                .collect();
            writeln!(
                out,
                "  outliers   {} of {t} tasks{}{}",
                out_tasks.len(),
                if out_tasks.is_empty() { "" } else { ": " },
                names(&out_tasks, 8)
            )?;
        }
        if let (Some(mean), Some(dev)) = (parts.get("mean"), parts.get("deviation")) {
            let norm = (0..p).map(|j| mean[(j, 0)].powi(2)).sum::<f64>().sqrt();
            let devs: Vec<f64> = (0..t)
                .map(|k| (0..p).map(|j| dev[(j, k)].powi(2)).sum::<f64>().sqrt())
                .collect();
            writeln!(
                out,
                "  mean       ||w_mean|| {norm:.4e}; ||w_t - w_mean|| per task: {}",
                list(&devs, 6)
            )?;
        }
    }
    if let Some(c) = fit.task_clusters() {
        let groups: Vec<String> = (0..c.labels().iter().max().map_or(0, |m| m + 1))
            .map(|g| {
                let members: Vec<&str> = (0..t)
                    .filter(|&k| c.labels()[k] == g)
                    .map(|k| tasks[k].as_str())
                    .collect();
                format!("{{{}}}", names(&members, 6))
            })
            .collect();
        writeln!(out, "  clusters   {}", groups.join(" "))?;
    }
    if let (Some(auto), Some(w)) = (&d.auto_weights, &d.task_weights) {
        writeln!(
            out,
            "  weights    learned (1/sigma^2): {} after {} alternations ({} solver iterations); \
             c_t {}",
            if auto.converged {
                "converged"
            } else {
                "NOT converged"
            },
            auto.alternations,
            auto.inner_iterations,
            list(w, 6)
        )?;
        if !auto.floored.is_empty() {
            let fl: Vec<&str> = auto.floored.iter().map(|&k| tasks[k].as_str()).collect();
            writeln!(
                out,
                "             fitted exactly (variance floored): {}",
                names(&fl, 8)
            )?;
        }
    }
    Ok(())
}

/// The model grid of `cv --specific-ratios / --cluster-ridges /
/// --task-weight-grid`: the points, their labels (one field per varied
/// parameter) and the CSV columns the labels fill in cv_grid.csv.
pub struct ModelGrid {
    pub points: Vec<GridPoint>,
    pub labels: Vec<Vec<String>>,
    pub header: Vec<String>,
}

impl ModelGrid {
    /// Point `i` as `name = value, …`.
    pub fn label(&self, i: usize) -> String {
        self.header
            .iter()
            .zip(&self.labels[i])
            .map(|(h, v)| format!("{h} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether the flags ask for a model grid.
pub fn has_grid(a: &CvArgs) -> bool {
    !(a.specific_ratios.is_empty() && a.cluster_ridges.is_empty() && a.task_weight_grid.is_empty())
}

/// The number of points of the model grid (1 without one).
pub fn grid_size(a: &CvArgs) -> usize {
    a.specific_ratios.len().max(a.cluster_ridges.len()).max(1) * a.task_weight_grid.len().max(1)
}

/// The files named in `--task-weight-grid` (inputs: never outputs).
pub fn grid_files(grid: &[String]) -> Vec<PathBuf> {
    grid.iter()
        .filter(|s| scheme_by_name(s).is_none())
        .map(PathBuf::from)
        .collect()
}

fn scheme_by_name(s: &str) -> Option<WeightScheme> {
    match s {
        "uniform" => Some(WeightScheme::Uniform),
        "inverse-n" | "inverse_n" => Some(WeightScheme::InverseSamples),
        "inverse-variance" | "inverse_variance" => Some(WeightScheme::InverseVariance),
        _ => None,
    }
}

/// The points of the grid: the penalty variants (β/α ratios or cluster
/// ridges, else the flags' penalty) × the weight schemes (else uniform).
pub fn model_grid(m: &ModelArgs, a: &CvArgs, all: &Loaded) -> anyhow::Result<ModelGrid> {
    let mut header = Vec::new();
    let families: Vec<(Option<String>, Family)> = if !a.specific_ratios.is_empty() {
        header.push("alpha_specific_ratio".to_string());
        a.specific_ratios
            .iter()
            .map(|&r| {
                Ok((
                    Some(r.to_string()),
                    m.family_with(Some(r), m.cluster_ridge)?,
                ))
            })
            .collect::<anyhow::Result<_>>()?
    } else if !a.cluster_ridges.is_empty() {
        header.push("cluster_ridge".to_string());
        a.cluster_ridges
            .iter()
            .map(|&r| {
                Ok((
                    Some(r.to_string()),
                    m.family_with(m.specific_ratio, Some(r))?,
                ))
            })
            .collect::<anyhow::Result<_>>()?
    } else {
        vec![(None, m.family()?)]
    };
    let schemes: Vec<WeightScheme> = if a.task_weight_grid.is_empty() {
        vec![WeightScheme::Uniform]
    } else {
        header.push("task_weights".to_string());
        a.task_weight_grid
            .iter()
            .map(|s| match scheme_by_name(s) {
                Some(scheme) => Ok(scheme),
                None => {
                    let weights = super::data::read_task_weights(
                        Path::new(s),
                        all.tasks(),
                        m.input.delimiter,
                    )?;
                    Ok(WeightScheme::Given {
                        name: s.clone(),
                        weights,
                    })
                }
            })
            .collect::<anyhow::Result<_>>()?
    };
    let mut points = Vec::new();
    let mut labels = Vec::new();
    for (label, family) in &families {
        for scheme in &schemes {
            points.push(GridPoint {
                penalty: Some(family.clone()),
                weights: scheme.clone(),
            });
            labels.push(
                label
                    .iter()
                    .cloned()
                    .chain((!a.task_weight_grid.is_empty()).then(|| scheme.name().to_string()))
                    .collect(),
            );
        }
    }
    Ok(ModelGrid {
        points,
        labels,
        header,
    })
}

/// The model of the flags with the penalty of a grid point.
pub fn grid_model(m: &ModelArgs, point: &GridPoint, graph: Option<&TaskGraph>) -> GraphMultiTask {
    let family = point
        .penalty
        .clone()
        .expect("grid points carry their penalty");
    m.model_with(family, graph, None)
}

/// The coefficient path (for `--plot`) of the selected grid point on all
/// data, with its weights.
pub fn best_path(
    m: &ModelArgs,
    point: &GridPoint,
    all: &Loaded,
    grid: &AlphaGrid,
) -> anyhow::Result<mtreg::path::Path> {
    let data = all.data();
    let weights = point.weights.weights(&data)?;
    let model = grid_model(m, point, all.graph.as_ref());
    Ok(model.path_data(data.maybe_task_weights(weights.as_deref()), grid)?)
}

/// `mtreg cv --ranks`: cross-validation of reduced-rank regression over
/// ranks; writes cv.csv (`rank,mse_mean,mse_se,mse_<task>…`), coef.csv and
/// model.json (`ids`, in that order, declared in `outs`).
pub fn cv_ranks(
    m: &ModelArgs,
    a: &CvArgs,
    mut outs: Outputs,
    ids: [OutputId; 3],
    threads: usize,
) -> anyhow::Result<ExitCode> {
    if m.penalty != "l21" || m.l1_ratio != 1.0 {
        return Err(UsageError(
            "--ranks fits reduced-rank regression: no --penalty or --l1-ratio (use --ridge for a \
             ridge)"
                .into(),
        )
        .into());
    }
    let all = m.load(false)?;
    let start = std::time::Instant::now();
    let model = mtreg::ReducedRankRegression::new(1)
        .ridge(a.ridge)
        .fit_intercept(!m.no_intercept)
        .standardize(m.standardize)
        .tol(m.tol);
    let opts = a.cv_options(threads);
    let cv = model.cross_validate_ranks_data(all.data(), &a.ranks, &opts)?;
    let seconds = start.elapsed().as_secs_f64();
    let (features, tasks) = (all.features(), all.tasks());
    outs.write(ids[0], |w| {
        let mut csv = CsvWriter::new(w);
        csv.text("rank").text("mse_mean").text("mse_se");
        for task in tasks {
            csv.text(&format!("mse_{task}"));
        }
        csv.end_record()?;
        for (i, &rank) in cv.ranks.iter().enumerate() {
            csv.int(rank as u64)
                .number(cv.mse_mean[i])
                .number(cv.mse_se[i]);
            for k in 0..tasks.len() {
                csv.number(cv.mse_per_task[(i, k)]);
            }
            csv.end_record()?;
        }
        csv.finish()
    })?;
    outs.write(ids[1], |w| {
        write_matrix(w, Some(tasks), Some(("feature", features)), cv.fit.coef())
    })?;
    let mut mf = ModelFile::from_rank_cv(&cv, opts.select);
    mf.seconds = seconds;
    let json = mf.to_json();
    outs.write(ids[2], |w| w.write_all(json.as_bytes()))?;
    super::commit(outs)?;
    if !m.quiet {
        let at = |r: usize| cv.ranks.iter().position(|&k| k == r).unwrap_or(0);
        outln!(
            "mtreg cv: {}-fold cross-validation of reduced-rank regression over {} ranks in \
             {seconds:.3} s",
            cv.folds.len(),
            cv.ranks.len()
        )?;
        for (name, r) in [("rank_min", cv.rank_min), ("rank_1se", cv.rank_1se)] {
            outln!(
                "  {name}   {r}  mse {:.6e} ± {:.2e}",
                cv.mse_mean[at(r)],
                cv.mse_se[at(r)]
            )?;
        }
        let mut out = Vec::new();
        writeln!(
            out,
            "  refit at   rank {}: {}",
            cv.rank,
            cv.fit.certificate()
        )?;
        report(&mut out, &cv.fit, features, tasks)?;
        write!(
            out,
            "  wrote      {}/{{cv.csv, coef.csv, model.json}}",
            a.out_dir().display()
        )?;
        outln!("{}", String::from_utf8_lossy(&out))?;
    }
    Ok(ExitCode::SUCCESS)
}

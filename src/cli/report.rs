//! What the summaries of `solve`, `path` and `cv` share: the selected
//! features, R² per task (training, and held out for `cv`), and the `--json`
//! summary printed on stdout for scripts.

use super::data::Design;
use super::print::{outln, plural};
use faer::MatRef;
use mtreg::Fit;

/// Selected features (non-zero rows of W), strongest first (row norm).
pub fn selected(coef: MatRef<'_, f64>, features: &[String]) -> Vec<(String, f64)> {
    let mut sel: Vec<(String, f64)> = (0..coef.nrows())
        .map(|j| {
            let norm = (0..coef.ncols())
                .map(|k| coef[(j, k)].powi(2))
                .sum::<f64>()
                .sqrt();
            (features[j].clone(), norm)
        })
        .filter(|(_, norm)| *norm > 0.0)
        .collect();
    sel.sort_by(|a, b| b.1.total_cmp(&a.1));
    sel
}

/// "3 of 10 features: a, b, c" (at most 8 names, then how many more).
pub fn selected_line(sel: &[(String, f64)], p: usize) -> String {
    let shown: Vec<&str> = sel.iter().take(8).map(|(n, _)| n.as_str()).collect();
    let more = if sel.len() > 8 {
        format!(", ... ({} more)", sel.len() - 8)
    } else {
        String::new()
    };
    format!(
        "{} of {}{}{}{more}",
        sel.len(),
        plural(p, "feature"),
        if sel.is_empty() { "" } else { ": " },
        shown.join(", ")
    )
}

/// R² of one task: 1 − SS_res / SS_tot; a constant target scores 1 when
/// predicted exactly, else 0 (as `Fit::score`). `None` without samples.
fn r2(y: impl Iterator<Item = f64> + Clone, pred: impl Iterator<Item = f64>) -> Option<f64> {
    let n = y.clone().count();
    if n == 0 {
        return None;
    }
    let mean = y.clone().sum::<f64>() / n as f64;
    let ss_tot: f64 = y.clone().map(|v| (v - mean).powi(2)).sum();
    let ss_res: f64 = y.zip(pred).map(|(v, p)| (v - p).powi(2)).sum();
    Some(if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else if ss_res == 0.0 {
        1.0
    } else {
        0.0
    })
}

/// Training R² of each task (unweighted), for a shared design or per-task
/// designs (task t's rows predicted by column t of W).
pub fn r2_per_task(fit: &Fit, design: &Design) -> anyhow::Result<Vec<Option<f64>>> {
    Ok(match design {
        Design::Shared { x, y } => {
            let pred = fit.predict(x)?;
            (0..y.ncols())
                .map(|t| {
                    r2(
                        (0..y.nrows()).map(|i| y[(i, t)]),
                        (0..y.nrows()).map(|i| pred[(i, t)]),
                    )
                })
                .collect()
        }
        Design::PerTask { xs, ys } => {
            let (w, b) = (fit.coef(), fit.intercept());
            xs.iter()
                .zip(ys)
                .enumerate()
                .map(|(t, (x, y))| {
                    let pred = (0..x.nrows())
                        .map(|i| b[t] + (0..x.ncols()).map(|j| x[(i, j)] * w[(j, t)]).sum::<f64>());
                    r2(y.iter().copied(), pred)
                })
                .collect()
        }
    })
}

/// Held-out R² of each task at grid point `i`: 1 − (CV mean squared error of
/// the task) / (variance of its targets).
pub fn r2_cv(cv: &mtreg::cv::CvResult, i: usize, design: &Design) -> Vec<Option<f64>> {
    let variance = |y: &mut dyn Iterator<Item = f64>| -> Option<f64> {
        let v: Vec<f64> = y.collect();
        if v.is_empty() {
            return None;
        }
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        Some(v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64)
    };
    let vars: Vec<Option<f64>> = match design {
        Design::Shared { y, .. } => (0..y.ncols())
            .map(|t| variance(&mut (0..y.nrows()).map(|i| y[(i, t)])))
            .collect(),
        Design::PerTask { ys, .. } => ys
            .iter()
            .map(|y| variance(&mut y.iter().copied()))
            .collect(),
    };
    vars.iter()
        .enumerate()
        .map(|(t, v)| {
            let v = (*v)?;
            (v > 0.0).then(|| 1.0 - cv.mse_per_task[(i, t)] / v)
        })
        .collect()
}

/// "mean 0.91 (y0 0.93, y1 0.88, y2 0.92)": at most 6 tasks named.
pub fn per_task_line(tasks: &[String], values: &[Option<f64>]) -> String {
    let known: Vec<f64> = values.iter().flatten().copied().collect();
    let mean = if known.is_empty() {
        f64::NAN
    } else {
        known.iter().sum::<f64>() / known.len() as f64
    };
    let shown: Vec<String> = tasks
        .iter()
        .zip(values)
        .take(6)
        .map(|(t, v)| match v {
            Some(v) => format!("{t} {v:.4}"),
            None => format!("{t} -"),
        })
        .collect();
    let more = if tasks.len() > 6 {
        format!(", ... ({} more)", tasks.len() - 6)
    } else {
        String::new()
    };
    format!("mean {mean:.4} ({}{more})", shown.join(", "))
}

/// `{task: value}` for the JSON summary (null where undefined).
pub fn per_task_json(tasks: &[String], values: &[Option<f64>]) -> serde_json::Value {
    serde_json::Value::Object(
        tasks
            .iter()
            .zip(values)
            .map(|(t, v)| (t.clone(), serde_json::json!(v.filter(|v| v.is_finite()))))
            .collect(),
    )
}

/// The certificate of a fit as JSON.
pub fn certificate_json(fit: &Fit) -> serde_json::Value {
    serde_json::json!({
        "converged": fit.converged(),
        "certificate": fit.certificate(),
        "n_iter": fit.n_iter(),
        "objective": fit.objective(),
    })
}

/// Prints `value` as pretty JSON on stdout (the `--json` summary).
pub fn print_json(value: &serde_json::Value) -> std::io::Result<()> {
    outln!(
        "{}",
        serde_json::to_string_pretty(value).expect("a JSON value serialises")
    )
}

//! Figures of the shared-representation models: the singular-value spectrum
//! of W along a path (trace norm), and the shared and specific parts of W
//! side by side (dirty, robust, mean-regularised).

use faer::MatRef;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    DESC_SIZE, GRID_GREY, MAX_HIGHLIGHTED, OTHER_GREY, PALETTE, Swatch, TEXT_GREY, TICK_SIZE,
    TITLE_SIZE, WIDTH, checked_log10, checked_marks, display_name, diverging, fmt_sig, font,
    min_max, padded_range, render_err, text_style, text_width,
};
use crate::{Error, Result};

/// Rows shown at most in the parts heatmap (the strongest features of W).
const MAX_PART_ROWS: usize = 40;
/// Columns shown at most in the parts heatmap.
const MAX_PART_TASKS: usize = 200;
/// Above this many tasks the columns are not named.
const MAX_NAMED_TASKS: usize = 30;

/// Singular values of W along a path: one line per index i (`σ_1 ≥ σ_2 ≥ …`)
/// against `log10(alpha)` (alpha decreasing to the right), the rank of W at
/// each alpha along the top axis (singular values above `σ_1 · 1e-9`). The
/// first 10 are coloured and named in the legend; `marks` as in
/// [`coefficient_path_svg`](super::coefficient_path_svg).
///
/// `spectra` is `n_alphas × r` (row `i` belongs to `alphas[i]`); NaN values
/// are missing points.
///
/// # Errors
/// [`Error::EmptyInput`] without alphas or singular values,
/// [`Error::ShapeMismatch`] when `spectra` does not have a row per alpha,
/// [`Error::NonFinite`] / [`Error::InvalidParameter`] for alphas (or marks)
/// that are not finite and positive, [`Error::Io`] if rendering fails.
///
/// ```
/// let s = faer::mat![[0.0, 0.0], [1.0, 0.0], [2.0, 0.5]];
/// let svg = mtreg::plot::singular_value_path_svg(&[1.0, 0.1, 0.01], s.as_ref(), &[])?;
/// assert!(svg.starts_with("<svg") && svg.contains("rank"));
/// # Ok::<(), mtreg::Error>(())
/// ```
pub fn singular_value_path_svg(
    alphas: &[f64],
    spectra: MatRef<'_, f64>,
    marks: &[(f64, &str)],
) -> Result<String> {
    let n = alphas.len();
    if n == 0 {
        return Err(Error::EmptyInput("singular-value path: no alphas"));
    }
    if spectra.nrows() != n {
        return Err(Error::ShapeMismatch {
            what: "rows of the spectra vs number of alphas",
            expected: n,
            found: spectra.nrows(),
        });
    }
    let r = spectra.ncols();
    if r == 0 {
        return Err(Error::EmptyInput("singular-value path: no singular values"));
    }
    let log_alphas = checked_log10(alphas, "alphas")?;
    let marks = checked_marks(marks)?;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| log_alphas[b].total_cmp(&log_alphas[a]));
    let xs: Vec<f64> = log_alphas.iter().map(|l| -l).collect();
    let sv = |i: usize, k: usize| spectra[(i, k)];
    let rank: Vec<usize> = (0..n)
        .map(|i| {
            let top = (0..r).map(|k| sv(i, k)).fold(0.0f64, f64::max);
            (0..r)
                .filter(|&k| sv(i, k).is_finite() && sv(i, k) > top * 1e-9)
                .count()
        })
        .collect();
    let (x_lo, x_hi) = min_max(xs.iter().copied().chain(marks.iter().map(|m| -m.log10)));
    let (x_lo, x_hi) = padded_range(x_lo, x_hi, 0.02, "alphas")?;
    let finite = (0..n)
        .flat_map(|i| (0..r).map(move |k| (i, k)))
        .map(|(i, k)| sv(i, k))
        .filter(|v| v.is_finite());
    let (_, data_hi) = min_max(finite.chain([0.0]));
    let (_, y_hi) = padded_range(0.0, data_hi, 0.05, "singular values")?;
    let y_lo = 0.0;

    let shown = r.min(MAX_HIGHLIGHTED);
    let mut legend: Vec<(String, Swatch)> = vec![("singular values".into(), Swatch::None)];
    for (k, &color) in PALETTE.iter().enumerate().take(shown) {
        legend.push((format!("\u{3c3}{}", k + 1), Swatch::Line(color, 3)));
    }
    if r > shown {
        legend.push((
            format!("\u{3c3}{}..\u{3c3}{r}", shown + 1),
            Swatch::Line(OTHER_GREY, 2),
        ));
    }
    let frame = super::path::PathFrame {
        caption: "Singular values of W along the path",
        y_desc: "singular values of W",
        top_desc: "rank of W",
        xs: &xs,
        counts: &rank,
        x: (x_lo, x_hi),
        y: (y_lo, y_hi),
    };
    super::path::path_figure(&frame, &marks, legend, |chart| {
        for k in (0..r).rev() {
            let style = if k < shown {
                PALETTE[k].stroke_width(2)
            } else {
                OTHER_GREY.stroke_width(1)
            };
            let runs = super::finite_runs(order.iter().map(|&i| (xs[i], sv(i, k))));
            super::path::draw_runs(chart, &runs, style)?;
        }
        Ok(())
    })
}

/// Two parts of W side by side (features × tasks): e.g. the shared part P and
/// the specific part Q of the dirty and robust models, or the mean and the
/// deviations of the mean-regularised model. One diverging colour scale for
/// both (blue negative, white zero, red positive, saturated at the largest
/// |value|), so that their sizes compare. Only the features non-zero in
/// either part are drawn, at most the 40 strongest (row norm of the sum),
/// and at most 200 tasks (the columns are named up to 30 tasks).
///
/// `parts` are `(name, p × T matrix)` pairs, exactly two.
///
/// # Errors
/// [`Error::InvalidParameter`] unless there are two parts,
/// [`Error::ShapeMismatch`] for parts or names of other shapes,
/// [`Error::EmptyInput`] for no feature or task, [`Error::NonFinite`] for a
/// NaN or infinite value, [`Error::Io`] if rendering fails.
///
/// ```
/// let p = faer::mat![[1.0, 1.0], [0.0, 0.0]];
/// let q = faer::mat![[0.0, 0.0], [0.0, -0.5]];
/// let names = |s: &str, n| (0..n).map(|i| format!("{s}{i}")).collect::<Vec<_>>();
/// let svg = mtreg::plot::components_heatmap_svg(
///     &[("shared", p.as_ref()), ("specific", q.as_ref())], &names("x", 2), &names("t", 2))?;
/// assert!(svg.contains("shared") && svg.contains("specific"));
/// # Ok::<(), mtreg::Error>(())
/// ```
pub fn components_heatmap_svg(
    parts: &[(&str, MatRef<'_, f64>)],
    feature_names: &[String],
    task_names: &[String],
) -> Result<String> {
    if parts.len() != 2 {
        return Err(Error::InvalidParameter {
            name: "number of parts",
            value: parts.len() as f64,
            expected: "2 (drawn side by side)",
        });
    }
    let (p, t) = (feature_names.len(), task_names.len());
    if p == 0 || t == 0 {
        return Err(Error::EmptyInput("parts heatmap: no feature or no task"));
    }
    for (_, m) in parts {
        if (m.nrows(), m.ncols()) != (p, t) {
            return Err(Error::ShapeMismatch {
                what: "size of a part (p × T) vs the names",
                expected: p * t,
                found: m.nrows() * m.ncols(),
            });
        }
        for j in 0..p {
            for k in 0..t {
                if !m[(j, k)].is_finite() {
                    return Err(Error::NonFinite {
                        what: "a part of W",
                        row: j,
                        col: k,
                    });
                }
            }
        }
    }
    let norm = |j: usize| -> f64 {
        (0..t)
            .map(|k| (parts[0].1[(j, k)] + parts[1].1[(j, k)]).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let nonzero = |j: usize| parts.iter().any(|(_, m)| (0..t).any(|k| m[(j, k)] != 0.0));
    let mut rows: Vec<usize> = (0..p).filter(|&j| nonzero(j)).collect();
    let n_nonzero = rows.len();
    rows.sort_by(|&a, &b| norm(b).total_cmp(&norm(a)).then(a.cmp(&b)));
    rows.truncate(MAX_PART_ROWS);
    rows.sort_unstable();
    let cols = t.min(MAX_PART_TASKS);
    let vmax = parts
        .iter()
        .flat_map(|(_, m)| {
            rows.iter()
                .flat_map(move |&j| (0..cols).map(move |k| m[(j, k)]))
        })
        .fold(0.0f64, |a, v| a.max(v.abs()));
    let nr = rows.len().max(1);
    let row_names: Vec<String> = rows
        .iter()
        .map(|&j| display_name(&feature_names[j], j))
        .collect();
    let name_tasks = cols <= MAX_NAMED_TASKS;

    let width = WIDTH + 140;
    let cell_h = (420 / nr).clamp(8, 28) as u32;
    let height = (nr as u32 * cell_h + 190).max(300);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(render_err())?;
        let longest = row_names
            .iter()
            .map(|s| text_width(&root, s, TICK_SIZE))
            .max()
            .unwrap_or(0);
        let title = if n_nonzero > rows.len() {
            format!(
                "Parts of W ({} of {n_nonzero} non-zero features, the strongest)",
                rows.len()
            )
        } else {
            format!("Parts of W ({n_nonzero} non-zero features of {p})")
        };
        let (head, body) = root.split_vertically(44);
        head.draw(&Text::new(
            title,
            (width as i32 / 2, 22),
            text_style(TITLE_SIZE, BLACK, HPos::Center, VPos::Center),
        ))
        .map_err(render_err())?;
        let (panels, foot) = body.split_vertically(height as i32 - 44 - 40);
        let halves = panels.split_evenly((1, 2));
        // Cell (row i, task k) spans [Exact(k), Exact(k + 1)] × [Exact(r), Exact(r + 1)]
        // with r = nr − 1 − i (rows run downwards); the last edge is `Last`.
        let edge = |k: usize, n: usize| {
            if k >= n {
                SegmentValue::Last
            } else {
                SegmentValue::Exact(k)
            }
        };
        for (pi, (area, (name, m))) in halves.iter().zip(parts).enumerate() {
            let mut chart = ChartBuilder::on(area)
                .caption(*name, font(DESC_SIZE))
                .margin(8)
                .x_label_area_size(if name_tasks { 40 } else { 16 })
                .y_label_area_size(if pi == 0 { longest + 12 } else { 6 })
                .build_cartesian_2d((0..cols - 1).into_segmented(), (0..nr - 1).into_segmented())
                .map_err(render_err())?;
            chart
                .configure_mesh()
                .disable_mesh()
                // at least one label each: plotters' key points overflow
                // for zero labels; unnamed ones are drawn empty
                .x_labels(if name_tasks { cols } else { 1 })
                .y_labels(if pi == 0 { nr } else { 1 })
                .x_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(k) if name_tasks && *k < cols => {
                        display_name(&task_names[*k], *k)
                    }
                    _ => String::new(),
                })
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) if pi == 0 && *i < rows.len() => {
                        row_names[nr - 1 - i].clone()
                    }
                    _ => String::new(),
                })
                .label_style(font(TICK_SIZE))
                .axis_style(TEXT_GREY.stroke_width(1))
                .draw()
                .map_err(render_err())?;
            chart
                .draw_series(rows.iter().enumerate().flat_map(|(i, &j)| {
                    let r = nr - 1 - i;
                    (0..cols).map(move |k| {
                        let v = if vmax > 0.0 { m[(j, k)] / vmax } else { 0.0 };
                        Rectangle::new(
                            [
                                (edge(k, cols), edge(r, nr)),
                                (edge(k + 1, cols), edge(r + 1, nr)),
                            ],
                            diverging(v).filled(),
                        )
                    })
                }))
                .map_err(render_err())?;
            chart
                .draw_series([Rectangle::new(
                    [
                        (edge(0, cols), edge(0, nr)),
                        (edge(cols, cols), edge(nr, nr)),
                    ],
                    GRID_GREY.stroke_width(1),
                )])
                .map_err(render_err())?;
        }
        let note = format!(
            "colour: value / {} (blue < 0 < red){}",
            fmt_sig(vmax),
            if t > cols {
                format!("; first {cols} of {t} tasks")
            } else {
                String::new()
            }
        );
        foot.draw(&Text::new(
            note,
            (width as i32 / 2, 16),
            text_style(TICK_SIZE, TEXT_GREY, HPos::Center, VPos::Center),
        ))
        .map_err(render_err())?;
        root.present().map_err(render_err())?;
    }
    Ok(svg)
}

//! SVG plots of fitted models: coefficient paths, cross-validation curves and
//! task-correlation heatmaps.
//!
//! Every function returns the SVG document as a `String`; writing it (through
//! an output group, atomically) is the caller's business (see [`crate::io`]).
//!
//! Text is emitted as SVG `<text>` elements (plotters' SVG backend with its
//! built-in size estimate, no system fonts are read), so the viewer renders it
//! in its own sans-serif font.
//!
//! Data handling:
//! * `alphas` (and the alphas of `marks`) must be finite and `> 0`, because the
//!   x axis is `log10(alpha)`; anything else is an error.
//! * NaN / infinite row norms and NaN mean errors are treated as missing: the
//!   line is broken at that point. A missing or NaN standard error draws no
//!   error bar.
//! * A NaN correlation (e.g. a constant task) is drawn as a grey "n/a" cell;
//!   values outside `[-1, 1]` (beyond rounding) are an error.
//! * Zero-width ranges (one alpha, a constant curve) are widened so the plot
//!   is still readable.

use std::io;

use faer::MatRef;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{Error, Result};

// ---------------------------------------------------------------------------
// Look and feel
// ---------------------------------------------------------------------------

/// Canvas of the line plots.
const WIDTH: u32 = 800;
const HEIGHT: u32 = 500;
/// Canvas of the heatmap (square-ish, the grid needs room for names).
const HEAT_WIDTH: u32 = 820;
const MAX_HEAT_HEIGHT: u32 = 720;

const FONT: &str = "sans-serif";
/// plotters' SVG backend writes `font-size = size / 1.24`; these are the sizes
/// passed to plotters, the comments give the resulting pixel sizes.
const TITLE_SIZE: f64 = 25.0; // 20.2 px
const DESC_SIZE: f64 = 20.0; // 16.1 px
const TICK_SIZE: f64 = 17.5; // 14.1 px
const NOTE_SIZE: f64 = 16.5; // 13.3 px
/// Pixel size of a font size given to plotters.
fn px(size: f64) -> f64 {
    size / 1.24
}
/// Generous estimate of the rendered width (px) of `s` in a sans-serif font.
fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * 0.62 * px(size)
}

/// Colours of the highlighted features (tab10 without its grey).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
    RGBColor(188, 189, 34),
    RGBColor(57, 59, 121),
];
/// Colours of the vertical marks (selected alphas).
const MARK_COLORS: [RGBColor; 4] = [
    RGBColor(0, 0, 0),
    RGBColor(100, 100, 100),
    RGBColor(120, 60, 0),
    RGBColor(0, 90, 90),
];
const OTHER_GREY: RGBColor = RGBColor(190, 190, 190);
const GRID_GREY: RGBColor = RGBColor(225, 225, 225);
const TEXT_GREY: RGBColor = RGBColor(90, 90, 90);
const CV_BLUE: RGBColor = RGBColor(31, 119, 180);
const NAN_GREY: RGBColor = RGBColor(200, 200, 200);

/// How many features get a colour and a legend entry in a coefficient path.
const MAX_HIGHLIGHTED: usize = 10;
/// Longest name shown in full; longer ones are cut and end in an ellipsis.
const MAX_NAME_CHARS: usize = 18;
/// Above this many tasks the heatmap does not print values in the cells.
const MAX_ANNOTATED_TASKS: usize = 12;
/// Largest heatmap drawn (one SVG rectangle per cell).
const MAX_HEATMAP_TASKS: usize = 1000;

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// Coefficient path: one line per feature, `y = ||W_j||_2` (the row norm of the
/// coefficient matrix; `|w_j|` for a single task) against `log10(alpha)`, with
/// the axis running from large alphas on the left to small alphas on the right
/// (as in glmnet / scikit-learn path plots).
///
/// `row_norms` is `n_alphas x p` (row `i` belongs to `alphas[i]`; alphas may come
/// in any order). The 10 features with the largest norm along the path get a
/// colour and a legend entry with their name; the others are drawn thin and grey.
/// Each of `marks` (`(alpha, label)`, e.g. `(0.05, "alpha_min")`) is drawn as a
/// labelled vertical dashed line.
///
/// NaN / infinite norms are treated as missing points.
///
/// # Errors
/// [`Error::EmptyInput`] without alphas or features, [`Error::ShapeMismatch`] when
/// `row_norms` or `feature_names` do not match, [`Error::NonFinite`] /
/// [`Error::InvalidParameter`] for alphas (or mark alphas) that are not finite
/// and positive, [`Error::Io`] when the file cannot be written.
pub fn coefficient_path_svg(
    alphas: &[f64],
    row_norms: MatRef<'_, f64>,
    feature_names: &[String],
    marks: &[(f64, &str)],
) -> Result<String> {
    let n = alphas.len();
    if n == 0 {
        return Err(Error::EmptyInput("coefficient path: no alphas"));
    }
    if row_norms.nrows() != n {
        return Err(Error::ShapeMismatch {
            what: "rows of row_norms vs number of alphas",
            expected: n,
            found: row_norms.nrows(),
        });
    }
    let p = row_norms.ncols();
    if p == 0 {
        return Err(Error::EmptyInput(
            "coefficient path: no features (row_norms has no columns)",
        ));
    }
    if feature_names.len() != p {
        return Err(Error::ShapeMismatch {
            what: "feature names vs columns of row_norms",
            expected: p,
            found: feature_names.len(),
        });
    }
    let log_alphas = checked_log10(alphas, "alphas")?;
    let marks = checked_marks(marks)?;

    // Points sorted by x = -log10(alpha) (large alpha on the left).
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| log_alphas[b].total_cmp(&log_alphas[a]));

    // Strength of a feature: its largest finite norm along the path.
    let strength: Vec<f64> = (0..p)
        .map(|j| {
            (0..n)
                .map(|i| row_norms[(i, j)])
                .filter(|v| v.is_finite())
                .fold(0.0_f64, |m, v| m.max(v.abs()))
        })
        .collect();
    let mut ranked: Vec<usize> = (0..p).filter(|&j| strength[j] > 0.0).collect();
    ranked.sort_by(|&a, &b| strength[b].total_cmp(&strength[a]).then(a.cmp(&b)));
    ranked.truncate(MAX_HIGHLIGHTED);
    let n_others = p - ranked.len();

    // Ranges.
    let xs: Vec<f64> = log_alphas.iter().map(|l| -l).collect();
    let (x_lo, x_hi) = min_max(xs.iter().copied().chain(marks.iter().map(|m| -m.log10)));
    let (x_lo, x_hi) = padded_range(x_lo, x_hi, 0.02, "alphas")?;
    let finite_norms = (0..n)
        .flat_map(|i| (0..p).map(move |j| (i, j)))
        .map(|ij| row_norms[ij])
        .filter(|v| v.is_finite());
    let (data_lo, data_hi) = min_max(finite_norms.chain([0.0]));
    let (y_lo, y_hi) = padded_range(data_lo, data_hi, 0.05, "row_norms")?;
    // Norms are >= 0: the axis starts at 0 unless the data go below.
    let y_lo = if data_lo >= 0.0 { 0.0 } else { y_lo };

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(render_err())?;
        let body = root
            .titled(
                "Coefficient path",
                (FONT, TITLE_SIZE).into_font().color(&BLACK),
            )
            .map_err(render_err())?;
        let legend_width = 190;
        let (left, _legend) = body.split_horizontally(WIDTH as i32 - legend_width);

        let axes = Axes::new(x_lo, x_hi, y_lo, y_hi, true);
        let mut chart = ChartBuilder::on(&left)
            .margin_left(10)
            .margin_right(15)
            .margin_top(5)
            .margin_bottom(5)
            .x_label_area_size(axes.x_area)
            .y_label_area_size(axes.y_area)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
            .map_err(render_err())?;
        axes.draw_mesh(
            &mut chart,
            "log10(alpha)  (alpha decreasing to the right)",
            "row norm of W:  ||W_j||_2",
        )
        .map_err(render_err())?;

        let series = |j: usize| -> Vec<Vec<(f64, f64)>> {
            finite_runs(order.iter().map(|&i| (xs[i], row_norms[(i, j)])))
        };
        // Background features first, thin and grey.
        for j in (0..p).filter(|j| !ranked.contains(j)) {
            draw_runs(&mut chart, &series(j), OTHER_GREY.stroke_width(1), true)
                .map_err(render_err())?;
        }
        // Highlighted features on top, the strongest last.
        for (rank, &j) in ranked.iter().enumerate().rev() {
            draw_runs(&mut chart, &series(j), PALETTE[rank].stroke_width(2), true)
                .map_err(render_err())?;
        }

        let (plot_x, plot_y) = chart.plotting_area().get_pixel_range();
        let mut obstacles = Vec::new();
        for j in 0..p {
            for run in series(j) {
                sample_polyline(&chart, &run, &mut obstacles);
            }
        }
        let mark_px = mark_pixels(&chart, &marks, y_lo);
        draw_marks(
            &root,
            &mark_px,
            (plot_x.clone(), plot_y.clone()),
            &obstacles,
        )
        .map_err(render_err())?;

        // Legend panel to the right of the plot.
        let mut entries: Vec<LegendEntry> = ranked
            .iter()
            .enumerate()
            .map(|(rank, &j)| LegendEntry {
                label: display_name(&feature_names[j], j),
                color: PALETTE[rank],
                width: 3,
            })
            .collect();
        if n_others > 0 {
            entries.push(LegendEntry {
                label: format!(
                    "{} other feature{}",
                    n_others,
                    if n_others == 1 { "" } else { "s" }
                ),
                color: OTHER_GREY,
                width: 2,
            });
        }
        let title = if ranked.is_empty() {
            "no feature enters".to_string()
        } else if ranked.len() == 1 {
            "strongest feature".to_string()
        } else {
            format!("strongest {} features", ranked.len())
        };
        draw_legend(&root, plot_x.end + 10, plot_y.start, &title, &entries).map_err(render_err())?;

        root.present().map_err(render_err())?;
    }
    Ok(svg)
}

/// Cross-validation curve: mean held-out MSE against `log10(alpha)` (alpha
/// decreasing to the right, like [`coefficient_path_svg`]) with error bars of
/// one standard error (`mean ± se`), and a labelled vertical dashed line per
/// mark (e.g. `alpha_min`, `alpha_1se`).
///
/// NaN / infinite means are skipped (the curve is broken there); a NaN or
/// infinite standard error draws no error bar.
///
/// # Errors
/// [`Error::EmptyInput`] without alphas or when no mean is finite,
/// [`Error::ShapeMismatch`] when the three slices differ in length,
/// [`Error::NonFinite`] / [`Error::InvalidParameter`] for alphas (or mark alphas)
/// that are not finite and positive and for negative standard errors,
/// [`Error::Io`] when the file cannot be written.
pub fn cv_curve_svg(
    alphas: &[f64],
    mse_mean: &[f64],
    mse_se: &[f64],
    marks: &[(f64, &str)],
) -> Result<String> {
    let n = alphas.len();
    if n == 0 {
        return Err(Error::EmptyInput("cross-validation curve: no alphas"));
    }
    if mse_mean.len() != n {
        return Err(Error::ShapeMismatch {
            what: "length of mse_mean vs number of alphas",
            expected: n,
            found: mse_mean.len(),
        });
    }
    if mse_se.len() != n {
        return Err(Error::ShapeMismatch {
            what: "length of mse_se vs number of alphas",
            expected: n,
            found: mse_se.len(),
        });
    }
    let log_alphas = checked_log10(alphas, "alphas")?;
    if let Some(&bad) = mse_se.iter().find(|s| **s < 0.0) {
        return Err(Error::InvalidParameter {
            name: "mse_se",
            value: bad,
            expected: ">= 0 (a standard error)",
        });
    }
    if !mse_mean.iter().any(|m| m.is_finite()) {
        return Err(Error::EmptyInput(
            "cross-validation curve: no finite mean squared error",
        ));
    }
    let marks = checked_marks(marks)?;

    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| log_alphas[b].total_cmp(&log_alphas[a]));
    let xs: Vec<f64> = log_alphas.iter().map(|l| -l).collect();
    // A bar is drawn where mean and se are both finite.
    let bar = |i: usize| -> Option<(f64, f64)> {
        let (m, s) = (mse_mean[i], mse_se[i]);
        (m.is_finite() && s.is_finite() && (m - s).is_finite() && (m + s).is_finite())
            .then_some((m - s, m + s))
    };

    let (x_lo, x_hi) = min_max(xs.iter().copied().chain(marks.iter().map(|m| -m.log10)));
    let (x_lo, x_hi) = padded_range(x_lo, x_hi, 0.03, "alphas")?;
    let ys = mse_mean
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .chain((0..n).filter_map(bar).flat_map(|(a, b)| [a, b]));
    let (y_lo, y_hi) = min_max(ys);
    let (y_lo, y_hi) = padded_range(y_lo, y_hi, 0.06, "mse_mean")?;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(render_err())?;
        let body = root
            .titled(
                "Cross-validation: held-out MSE (mean \u{b1} 1 s.e. over folds)",
                (FONT, TITLE_SIZE).into_font().color(&BLACK),
            )
            .map_err(render_err())?;
        let axes = Axes::new(x_lo, x_hi, y_lo, y_hi, true);
        let mut chart = ChartBuilder::on(&body)
            .margin_left(10)
            .margin_right(25)
            .margin_top(5)
            .margin_bottom(5)
            .x_label_area_size(axes.x_area)
            .y_label_area_size(axes.y_area)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
            .map_err(render_err())?;
        axes.draw_mesh(
            &mut chart,
            "log10(alpha)  (alpha decreasing to the right)",
            "mean squared error (held-out)",
        )
        .map_err(render_err())?;

        // Error bars with caps (cap half-width in data units = 4 px).
        let (plot_x, plot_y) = chart.plotting_area().get_pixel_range();
        let px_per_x = (plot_x.end - plot_x.start).max(1) as f64 / (x_hi - x_lo);
        let cap = 4.0 / px_per_x;
        let bar_style = CV_BLUE.mix(0.55).stroke_width(1);
        for &i in &order {
            if let Some((lo, hi)) = bar(i) {
                let x = xs[i];
                chart
                    .draw_series([
                        PathElement::new(vec![(x, lo), (x, hi)], bar_style),
                        PathElement::new(vec![(x - cap, lo), (x + cap, lo)], bar_style),
                        PathElement::new(vec![(x - cap, hi), (x + cap, hi)], bar_style),
                    ])
                    .map_err(render_err())?;
            }
        }
        let runs = finite_runs(order.iter().map(|&i| (xs[i], mse_mean[i])));
        draw_runs(&mut chart, &runs, CV_BLUE.stroke_width(2), false).map_err(render_err())?;
        chart
            .draw_series(
                runs.iter()
                    .flatten()
                    .map(|&pt| Circle::new(pt, 3, CV_BLUE.filled())),
            )
            .map_err(render_err())?;

        let mut obstacles = Vec::new();
        for run in &runs {
            sample_polyline(&chart, run, &mut obstacles);
        }
        for i in (0..n).filter(|&i| bar(i).is_some()) {
            let (lo, hi) = bar(i).unwrap_or_default();
            sample_polyline(&chart, &[(xs[i], lo), (xs[i], hi)], &mut obstacles);
        }
        let mark_px = mark_pixels(&chart, &marks, y_lo);
        draw_marks(&root, &mark_px, (plot_x, plot_y), &obstacles).map_err(render_err())?;
        root.present().map_err(render_err())?;
    }
    Ok(svg)
}

/// Task-correlation heatmap: the `T x T` matrix `corr` (values in `[-1, 1]`) as
/// coloured cells on a diverging scale (blue = -1, white = 0, red = +1), task
/// names on both axes, the value printed in each cell when `T <= 12`, and a
/// colour bar. NaN cells (undefined correlation, e.g. a constant task) are grey
/// and marked "n/a". Long names are shortened with an ellipsis; column names are
/// written vertically when they do not fit under their cell.
///
/// # Errors
/// [`Error::EmptyInput`] for a 0 x 0 matrix, [`Error::ShapeMismatch`] when `corr`
/// is not square or `task_names` has the wrong length,
/// [`Error::InvalidParameter`] for a value outside `[-1, 1]` (beyond rounding)
/// or infinite, or more than 1000 tasks, [`Error::Io`] when the file cannot be written.
pub fn correlation_heatmap_svg(corr: MatRef<'_, f64>, task_names: &[String]) -> Result<String> {
    let t = corr.nrows();
    if corr.ncols() != t {
        return Err(Error::ShapeMismatch {
            what: "columns vs rows of the correlation matrix",
            expected: t,
            found: corr.ncols(),
        });
    }
    if t == 0 {
        return Err(Error::EmptyInput("correlation heatmap: no tasks"));
    }
    if t > MAX_HEATMAP_TASKS {
        return Err(Error::InvalidParameter {
            name: "number of tasks",
            value: t as f64,
            expected: "at most 1000 for a heatmap (the SVG would have a million cells)",
        });
    }
    if task_names.len() != t {
        return Err(Error::ShapeMismatch {
            what: "task names vs size of the correlation matrix",
            expected: t,
            found: task_names.len(),
        });
    }
    for i in 0..t {
        for j in 0..t {
            let v = corr[(i, j)];
            if !v.is_nan() && v.abs() > 1.0 + 1e-9 {
                return Err(Error::InvalidParameter {
                    name: "correlation",
                    value: v,
                    expected: "in [-1, 1] (or NaN when undefined)",
                });
            }
        }
    }
    let names: Vec<String> = task_names
        .iter()
        .enumerate()
        .map(|(i, s)| display_name(s, i))
        .collect();

    // Layout (all in pixels).
    let title_h = 50;
    let right_w = 110; // colour bar + its labels
    let longest = names
        .iter()
        .map(|s| text_width(s, TICK_SIZE))
        .fold(0.0_f64, f64::max);
    let row_label_w = longest.ceil() as i32 + 14;
    let avail_w = HEAT_WIDTH as i32 - row_label_w - right_w - 20;
    // Column labels: horizontal if they fit under their cell, vertical otherwise.
    let trial_cell = avail_w.min(MAX_HEAT_HEIGHT as i32 - title_h - 40) as f64 / t as f64;
    let vertical = longest + 6.0 > trial_cell;
    let col_label_h = if vertical {
        longest.ceil() as i32 + 14
    } else {
        px(TICK_SIZE).ceil() as i32 + 14
    };
    let avail_h = MAX_HEAT_HEIGHT as i32 - title_h - col_label_h - 15;
    let grid = avail_w.min(avail_h);
    let cell = grid as f64 / t as f64;
    let gx0 = row_label_w + 10 + (avail_w - grid).max(0) / 2;
    let gy0 = title_h;
    let edge = |k: usize| (k as f64 * cell).round() as i32;
    // Names every `step` cells so that neighbouring labels never overlap.
    let label_px = px(TICK_SIZE) + 3.0;
    let step = (label_px / cell).ceil().max(1.0) as usize;
    let annotate = t <= MAX_ANNOTATED_TASKS;
    let value_size = (cell * 0.30 * 1.24).min(NOTE_SIZE + 1.0);

    let mut svg = String::new();
    {
        // The canvas is only as tall as the grid and its labels need.
        let height = (gy0 + grid + col_label_h + 20).clamp(300, MAX_HEAT_HEIGHT as i32) as u32;
        let root = SVGBackend::with_string(&mut svg, (HEAT_WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(render_err())?;
        let title_style = text_style(TITLE_SIZE, BLACK, HPos::Center, VPos::Center);
        root.draw(&Text::new(
            "Correlation between tasks",
            (HEAT_WIDTH as i32 / 2, title_h / 2 - 4),
            title_style,
        ))
        .map_err(render_err())?;

        let mut has_nan = false;
        for i in 0..t {
            for j in 0..t {
                let v = corr[(i, j)];
                let (x0, x1) = (gx0 + edge(j), gx0 + edge(j + 1));
                let (y0, y1) = (gy0 + edge(i), gy0 + edge(i + 1));
                let fill = if v.is_nan() {
                    has_nan = true;
                    NAN_GREY
                } else {
                    diverging(v)
                };
                root.draw(&Rectangle::new([(x0, y0), (x1, y1)], fill.filled()))
                    .map_err(render_err())?;
                // Values only where they can be printed at >= 12 px.
                if annotate && px(value_size) >= 11.95 {
                    let (text, color) = if v.is_nan() {
                        ("n/a".to_string(), BLACK)
                    } else {
                        let c = if v.abs() > 0.55 { WHITE } else { BLACK };
                        (fmt_corr(v), c)
                    };
                    root.draw(&Text::new(
                        text,
                        ((x0 + x1) / 2, (y0 + y1) / 2),
                        text_style(value_size, color, HPos::Center, VPos::Center),
                    ))
                    .map_err(render_err())?;
                }
            }
        }
        // Thin white separators between cells (only when cells are big enough).
        if cell >= 6.0 {
            let sep = WHITE.stroke_width(1);
            for k in 1..t {
                let e = edge(k);
                root.draw(&PathElement::new(
                    vec![(gx0 + e, gy0), (gx0 + e, gy0 + grid)],
                    sep,
                ))
                .map_err(render_err())?;
                root.draw(&PathElement::new(
                    vec![(gx0, gy0 + e), (gx0 + grid, gy0 + e)],
                    sep,
                ))
                .map_err(render_err())?;
            }
        }
        root.draw(&Rectangle::new(
            [(gx0, gy0), (gx0 + grid, gy0 + grid)],
            TEXT_GREY.stroke_width(1),
        ))
        .map_err(render_err())?;

        // Task names: rows on the left, columns below.
        for (k, name) in names.iter().enumerate().step_by(step) {
            let mid = (edge(k) + edge(k + 1)) / 2;
            root.draw(&Text::new(
                name.as_str(),
                (gx0 - 8, gy0 + mid),
                text_style(TICK_SIZE, BLACK, HPos::Right, VPos::Center),
            ))
            .map_err(render_err())?;
            let style = if vertical {
                text_style(TICK_SIZE, BLACK, HPos::Right, VPos::Center)
                    .transform(FontTransform::Rotate270)
            } else {
                text_style(TICK_SIZE, BLACK, HPos::Center, VPos::Top)
            };
            root.draw(&Text::new(
                name.as_str(),
                (gx0 + mid, gy0 + grid + 8),
                style,
            ))
            .map_err(render_err())?;
        }

        // Colour bar.
        let bx0 = gx0 + grid + 28;
        let bw = 18;
        let bh = (grid as f64 * 0.7)
            .clamp(120.0, 420.0)
            .min(grid.max(120) as f64) as i32;
        let by0 = gy0 + (grid - bh).max(0) / 2;
        root.draw(&Text::new(
            "correlation",
            (bx0 - 4, by0 - 12),
            text_style(NOTE_SIZE, BLACK, HPos::Left, VPos::Bottom),
        ))
        .map_err(render_err())?;
        let steps = 100;
        for s in 0..steps {
            let ya = by0 + (s * bh) / steps;
            let yb = by0 + ((s + 1) * bh) / steps;
            let v = 1.0 - 2.0 * (s as f64 + 0.5) / steps as f64;
            root.draw(&Rectangle::new(
                [(bx0, ya), (bx0 + bw, yb)],
                diverging(v).filled(),
            ))
            .map_err(render_err())?;
        }
        root.draw(&Rectangle::new(
            [(bx0, by0), (bx0 + bw, by0 + bh)],
            TEXT_GREY.stroke_width(1),
        ))
        .map_err(render_err())?;
        for (v, label) in [
            (1.0, "1"),
            (0.5, "0.5"),
            (0.0, "0"),
            (-0.5, "-0.5"),
            (-1.0, "-1"),
        ] {
            let y = by0 + ((1.0 - v) / 2.0 * bh as f64).round() as i32;
            root.draw(&PathElement::new(
                vec![(bx0 + bw, y), (bx0 + bw + 5, y)],
                TEXT_GREY.stroke_width(1),
            ))
            .map_err(render_err())?;
            root.draw(&Text::new(
                label,
                (bx0 + bw + 8, y),
                text_style(TICK_SIZE, BLACK, HPos::Left, VPos::Center),
            ))
            .map_err(render_err())?;
        }
        if has_nan {
            let y = by0 + bh + 22;
            root.draw(&Rectangle::new(
                [(bx0, y), (bx0 + bw, y + 14)],
                NAN_GREY.filled(),
            ))
            .map_err(render_err())?;
            root.draw(&Text::new(
                "n/a",
                (bx0 + bw + 8, y + 7),
                text_style(TICK_SIZE, BLACK, HPos::Left, VPos::Center),
            ))
            .map_err(render_err())?;
        }
        root.present().map_err(render_err())?;
    }
    Ok(svg)
}

// ---------------------------------------------------------------------------
// Validation helpers
// ---------------------------------------------------------------------------

/// log10 of each alpha; alphas must be finite and positive.
fn checked_log10(alphas: &[f64], what: &'static str) -> Result<Vec<f64>> {
    alphas
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            if !a.is_finite() {
                Err(Error::NonFinite {
                    what,
                    row: i,
                    col: 0,
                })
            } else if a <= 0.0 {
                Err(Error::InvalidParameter {
                    name: "alpha",
                    value: a,
                    expected: "> 0 (the axis is log10(alpha))",
                })
            } else {
                Ok(a.log10())
            }
        })
        .collect()
}

struct Mark {
    alpha: f64,
    log10: f64,
    label: String,
}

fn checked_marks(marks: &[(f64, &str)]) -> Result<Vec<Mark>> {
    marks
        .iter()
        .map(|&(alpha, label)| {
            if !(alpha.is_finite() && alpha > 0.0) {
                return Err(Error::InvalidParameter {
                    name: "mark alpha",
                    value: alpha,
                    expected: "finite and > 0",
                });
            }
            Ok(Mark {
                alpha,
                log10: alpha.log10(),
                label: clean_text(label, 40),
            })
        })
        .collect()
}

/// Smallest and largest value; `(NaN, NaN)` for an empty iterator.
fn min_max(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::NAN, f64::NAN), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// Widens `[lo, hi]` by `frac` of its span on each side; a (near) zero-width or
/// empty range becomes a small interval around its centre. Errors when the
/// values are too large to be plotted.
fn padded_range(lo: f64, hi: f64, frac: f64, what: &'static str) -> Result<(f64, f64)> {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 0.0)
    };
    let too_large = |v: f64| Error::InvalidParameter {
        name: what,
        value: v,
        expected: "of magnitude below 1e300 to be plotted",
    };
    let mag = lo.abs().max(hi.abs());
    if mag > 1e300 {
        return Err(too_large(mag));
    }
    let span = hi - lo;
    // Keep at least ~6 significant digits of span, so tick labels stay short.
    let min_span = (mag * 1e-6).max(1e-250);
    let (lo, hi) = if span < min_span {
        let c = 0.5 * (lo + hi);
        let half = if c == 0.0 { 1.0 } else { c.abs() * 0.1 };
        (c - half, c + half)
    } else {
        (lo - span * frac, hi + span * frac)
    };
    if !(hi - lo).is_finite() {
        return Err(too_large(mag));
    }
    Ok((lo, hi))
}

// ---------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------

/// Text safe for an SVG (no control characters), cut to `max` characters with
/// an ellipsis in the middle.
fn clean_text(s: &str, max: usize) -> String {
    let cleaned: String = s
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let n = cleaned.chars().count();
    if n > max {
        // Keep both ends: names often differ only in a suffix (`..._level_3`).
        let keep = max.saturating_sub(1);
        let head = keep.div_ceil(2);
        let tail = keep - head;
        let mut cut: String = cleaned.chars().take(head).collect();
        cut.push('\u{2026}');
        cut.extend(cleaned.chars().skip(n - tail));
        cut
    } else {
        cleaned
    }
}

/// A feature / task name as shown: cleaned, shortened, `#k` when empty.
fn display_name(s: &str, k: usize) -> String {
    let c = clean_text(s, MAX_NAME_CHARS);
    if c.is_empty() { format!("#{k}") } else { c }
}

/// A value with 3 significant digits, e.g. `0.0123`, `4.56`, `1.23e-5`.
fn fmt_sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let e = v.abs().log10().floor() as i32;
    if (-3..5).contains(&e) {
        let decimals = (2 - e).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.2e}")
    }
}

/// A correlation with two decimals, without "-0.00".
fn fmt_corr(v: f64) -> String {
    let s = format!("{v:.2}");
    if s == "-0.00" { "0.00".to_string() } else { s }
}

/// How tick values of one axis are printed.
#[derive(Clone, Copy)]
struct TickFormat {
    scientific: bool,
    digits: usize,
}

impl TickFormat {
    /// The shortest format that prints every tick distinctly and accurately.
    fn for_ticks(ticks: &[f64]) -> Self {
        let step = ticks
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .filter(|d| *d > 0.0)
            .fold(f64::INFINITY, f64::min);
        let tol = if step.is_finite() {
            step * 1e-3
        } else {
            ticks.first().map_or(1e-3, |t| t.abs() * 1e-3)
        };
        let max_abs = ticks.iter().fold(0.0_f64, |m, t| m.max(t.abs()));
        let fits = |f: TickFormat| {
            ticks.iter().all(|&t| {
                f.apply(t)
                    .parse::<f64>()
                    .is_ok_and(|p| (p - t).abs() <= tol)
            })
        };
        if max_abs < 1e5 {
            for digits in 0..=4 {
                let f = TickFormat {
                    scientific: false,
                    digits,
                };
                if fits(f) {
                    return f;
                }
            }
        }
        for digits in 0..=6 {
            let f = TickFormat {
                scientific: true,
                digits,
            };
            if fits(f) {
                return f;
            }
        }
        TickFormat {
            scientific: true,
            digits: 6,
        }
    }

    fn apply(self, v: f64) -> String {
        let d = self.digits;
        let s = if self.scientific && v == 0.0 {
            "0".to_string()
        } else if self.scientific {
            format!("{v:.d$e}")
        } else {
            format!("{v:.d$}")
        };
        // No "-0" / "-0.0".
        if s.starts_with('-') && s[1..].chars().all(|c| matches!(c, '0' | '.')) {
            s[1..].to_string()
        } else {
            s
        }
    }
}

fn text_style(size: f64, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    (FONT, size).into_font().color(&color).pos(Pos::new(h, v))
}

// ---------------------------------------------------------------------------
// Drawing helpers
// ---------------------------------------------------------------------------

type SvgArea<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type SvgChart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;
type DrawResult = std::result::Result<(), DrawingAreaErrorKind<io::Error>>;

/// Tick positions and formats of the two axes of a line plot.
struct Axes {
    n_x: usize,
    n_y: usize,
    x_fmt: TickFormat,
    y_fmt: TickFormat,
    /// The x axis shows `-x` (so that alpha decreases to the right).
    negate_x: bool,
    x_area: u32,
    y_area: u32,
}

impl Axes {
    fn new(x_lo: f64, x_hi: f64, y_lo: f64, y_hi: f64, negate_x: bool) -> Self {
        use plotters::coord::types::RangedCoordf64;
        let (n_x, n_y) = (8, 7);
        let xr: RangedCoordf64 = (x_lo..x_hi).into();
        let yr: RangedCoordf64 = (y_lo..y_hi).into();
        let x_ticks: Vec<f64> = xr
            .key_points(n_x)
            .into_iter()
            .map(|v| if negate_x { -v } else { v })
            .collect();
        let y_ticks = yr.key_points(n_y);
        let x_fmt = TickFormat::for_ticks(&x_ticks);
        let y_fmt = TickFormat::for_ticks(&y_ticks);
        let widest = y_ticks
            .iter()
            .map(|&v| text_width(&y_fmt.apply(v), TICK_SIZE))
            .fold(0.0_f64, f64::max);
        Axes {
            n_x,
            n_y,
            x_fmt,
            y_fmt,
            negate_x,
            x_area: 58,
            y_area: (widest + px(DESC_SIZE) + 26.0).ceil() as u32,
        }
    }

    fn draw_mesh(&self, chart: &mut SvgChart<'_, '_>, x_desc: &str, y_desc: &str) -> DrawResult {
        let x_fmt = |v: &f64| self.x_fmt.apply(if self.negate_x { -*v } else { *v });
        let y_fmt = |v: &f64| self.y_fmt.apply(*v);
        chart
            .configure_mesh()
            .x_labels(self.n_x)
            .y_labels(self.n_y)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .max_light_lines(0)
            .bold_line_style(GRID_GREY.stroke_width(1))
            .axis_style(TEXT_GREY.stroke_width(1))
            .label_style((FONT, TICK_SIZE).into_font().color(&BLACK))
            .axis_desc_style((FONT, DESC_SIZE).into_font().color(&BLACK))
            .x_desc(x_desc)
            .y_desc(y_desc)
            .draw()
    }
}

/// Splits a polyline at non-finite y values.
fn finite_runs(points: impl Iterator<Item = (f64, f64)>) -> Vec<Vec<(f64, f64)>> {
    let mut runs = vec![Vec::new()];
    for (x, y) in points {
        if y.is_finite() {
            runs.last_mut().expect("never empty").push((x, y));
        } else if !runs.last().expect("never empty").is_empty() {
            runs.push(Vec::new());
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// Draws each run as a line; single isolated points as dots if `dot_singletons`.
fn draw_runs(
    chart: &mut SvgChart<'_, '_>,
    runs: &[Vec<(f64, f64)>],
    style: ShapeStyle,
    dot_singletons: bool,
) -> DrawResult {
    for run in runs {
        if run.len() == 1 {
            if !dot_singletons {
                continue;
            }
            chart.draw_series([Circle::new(run[0], 3, style.color.filled())])?;
        } else {
            chart.draw_series(LineSeries::new(run.iter().copied(), style))?;
        }
    }
    Ok(())
}

/// Pixel positions (and labels, colours) of the marks of a line plot.
fn mark_pixels(chart: &SvgChart<'_, '_>, marks: &[Mark], y: f64) -> Vec<(i32, String, RGBColor)> {
    marks
        .iter()
        .enumerate()
        .map(|(k, m)| {
            let (x, _) = chart.backend_coord(&(-m.log10, y));
            (
                x,
                format!("{} = {}", m.label, fmt_sig(m.alpha)),
                MARK_COLORS[k % MARK_COLORS.len()],
            )
        })
        .collect()
}

/// Appends points every few pixels along the polyline `points` (data
/// coordinates) to `out` (pixel coordinates): what label boxes should avoid.
fn sample_polyline(chart: &SvgChart<'_, '_>, points: &[(f64, f64)], out: &mut Vec<(i32, i32)>) {
    let px: Vec<(i32, i32)> = points.iter().map(|p| chart.backend_coord(p)).collect();
    if let Some(&first) = px.first() {
        out.push(first);
    }
    for w in px.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        let len = (x1 - x0).abs().max((y1 - y0).abs());
        let n = (len / 4).clamp(1, 200);
        for k in 1..=n {
            out.push((x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n));
        }
    }
}

/// Vertical dashed lines at pixel columns with labels near the top of the plot.
/// Each label goes left or right of its line, in the first free row, choosing
/// the place that covers the fewest `obstacles` (pixels of data) and other mark
/// lines; labels never overlap each other.
fn draw_marks(
    root: &SvgArea<'_>,
    marks: &[(i32, String, RGBColor)],
    (plot_x, plot_y): (std::ops::Range<i32>, std::ops::Range<i32>),
    obstacles: &[(i32, i32)],
) -> DrawResult {
    let line_h = (px(NOTE_SIZE) + 8.0).ceil() as i32;
    let max_rows = ((plot_y.end - plot_y.start) / line_h).clamp(1, 8);
    let xs: Vec<i32> = marks
        .iter()
        .map(|m| m.0.clamp(plot_x.start, plot_x.end))
        .collect();
    for (k, (_, _, color)) in marks.iter().enumerate() {
        let dash = if k % 2 == 0 { (7, 4) } else { (3, 3) };
        root.draw(&DashedPathElement::new(
            [(xs[k], plot_y.start), (xs[k], plot_y.end)],
            dash.0,
            dash.1,
            color.stroke_width(2),
        ))?;
    }
    // Boxes already placed: (x0, x1, y0, y1).
    let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
    let mut order: Vec<usize> = (0..marks.len()).collect();
    order.sort_by_key(|&k| xs[k]);
    for idx in order {
        let (_, label, color) = &marks[idx];
        let x = xs[idx];
        let w = text_width(label, NOTE_SIZE).ceil() as i32 + 8;
        let h = line_h - 4;
        let mut best: Option<(i64, (i32, i32, i32, i32))> = None;
        for row in 0..max_rows {
            let y0 = plot_y.start + 4 + row * line_h;
            for (side, (x0, x1)) in [(0, (x - 4 - w, x - 4)), (1, (x + 4, x + 4 + w))] {
                if x0 < plot_x.start || x1 > plot_x.end {
                    continue;
                }
                let b = (x0, x1, y0, y0 + h);
                let clash = placed
                    .iter()
                    .any(|p| !(b.1 + 2 < p.0 || p.1 + 2 < b.0 || b.3 < p.2 || p.3 < b.2));
                if clash {
                    continue;
                }
                let covered = obstacles
                    .iter()
                    .filter(|&&(ox, oy)| {
                        ox >= b.0 - 2 && ox <= b.1 + 2 && oy >= b.2 - 2 && oy <= b.3 + 2
                    })
                    .count() as i64;
                let lines = xs
                    .iter()
                    .enumerate()
                    .filter(|&(k, &lx)| k != idx && lx >= b.0 && lx <= b.1)
                    .count() as i64;
                let score = 10 * covered + 15 * lines + 3 * i64::from(row) + side;
                if best.is_none_or(|(s, _)| score < s) {
                    best = Some((score, b));
                }
            }
        }
        // No free place (a very narrow plot): put it in the last row, clamped.
        let b = best.map(|(_, b)| b).unwrap_or_else(|| {
            let x0 = (x + 4).min(plot_x.end - w).max(plot_x.start);
            let y0 = plot_y.start + 4 + (max_rows - 1) * line_h;
            (x0, x0 + w, y0, y0 + h)
        });
        placed.push(b);
        root.draw(&Rectangle::new(
            [(b.0, b.2), (b.1, b.3)],
            WHITE.mix(0.85).filled(),
        ))?;
        root.draw(&Text::new(
            label.clone(),
            (b.0 + 4, (b.2 + b.3) / 2),
            text_style(NOTE_SIZE, *color, HPos::Left, VPos::Center),
        ))?;
    }
    Ok(())
}

struct LegendEntry {
    label: String,
    color: RGBColor,
    width: u32,
}

/// A legend panel: title, then one swatch + label per line.
fn draw_legend(
    root: &SvgArea<'_>,
    x: i32,
    y: i32,
    title: &str,
    entries: &[LegendEntry],
) -> DrawResult {
    let line_h = (px(NOTE_SIZE) + 8.0).ceil() as i32;
    root.draw(&Text::new(
        title.to_string(),
        (x, y + line_h / 2),
        text_style(NOTE_SIZE, TEXT_GREY, HPos::Left, VPos::Center),
    ))?;
    for (k, e) in entries.iter().enumerate() {
        let yc = y + (k as i32 + 1) * line_h + line_h / 2;
        let style = e.color.stroke_width(e.width);
        root.draw(&PathElement::new(vec![(x, yc), (x + 24, yc)], style))?;
        root.draw(&Text::new(
            e.label.clone(),
            (x + 30, yc),
            text_style(NOTE_SIZE, BLACK, HPos::Left, VPos::Center),
        ))?;
    }
    Ok(())
}

/// Diverging colour: blue (-1) .. white (0) .. red (+1).
fn diverging(v: f64) -> RGBColor {
    const STOPS: [(f64, [f64; 3]); 5] = [
        (-1.0, [33.0, 102.0, 172.0]),
        (-0.5, [146.0, 197.0, 222.0]),
        (0.0, [255.0, 255.0, 255.0]),
        (0.5, [244.0, 165.0, 130.0]),
        (1.0, [178.0, 24.0, 43.0]),
    ];
    let v = if v.is_nan() { 0.0 } else { v.clamp(-1.0, 1.0) };
    let k = STOPS
        .windows(2)
        .position(|w| v <= w[1].0)
        .unwrap_or(STOPS.len() - 2);
    let ((a, ca), (b, cb)) = (STOPS[k], STOPS[k + 1]);
    let f = (v - a) / (b - a);
    let ch = |i: usize| (ca[i] + f * (cb[i] - ca[i])).round().clamp(0.0, 255.0) as u8;
    RGBColor(ch(0), ch(1), ch(2))
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

/// Maps a plotters error to [`Error::Io`].
fn render_err<E: std::fmt::Display>() -> impl Fn(E) -> Error {
    move |e| Error::Io {
        context: "rendering a plot".to_string(),
        source: io::Error::other(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;
    use std::fs;
    use std::path::{Path, PathBuf};

    // The plots return their SVG; these shims write it where the tests look.
    fn coefficient_path_svg(
        p: &Path,
        a: &[f64],
        n: MatRef<'_, f64>,
        f: &[String],
        m: &[(f64, &str)],
    ) -> Result<()> {
        fs::write(p, super::coefficient_path_svg(a, n, f, m)?).map_err(|e| Error::Io {
            context: p.display().to_string(),
            source: e,
        })
    }

    fn cv_curve_svg(p: &Path, a: &[f64], m: &[f64], s: &[f64], k: &[(f64, &str)]) -> Result<()> {
        fs::write(p, super::cv_curve_svg(a, m, s, k)?).map_err(|e| Error::Io {
            context: p.display().to_string(),
            source: e,
        })
    }

    fn correlation_heatmap_svg(p: &Path, c: MatRef<'_, f64>, t: &[String]) -> Result<()> {
        fs::write(p, super::correlation_heatmap_svg(c, t)?).map_err(|e| Error::Io {
            context: p.display().to_string(),
            source: e,
        })
    }

    /// Minimal XML well-formedness check: one root `<svg>` element, every tag
    /// closed in order, quoted attributes, and only known entities in text.
    fn check_xml(doc: &str) -> std::result::Result<(), String> {
        let doc = doc.trim();
        if !doc.starts_with("<svg") {
            return Err("does not start with <svg".into());
        }
        let check_entities = |s: &str| -> std::result::Result<(), String> {
            let mut rest = s;
            while let Some(k) = rest.find('&') {
                rest = &rest[k + 1..];
                let end = rest.find(';').ok_or("unterminated entity")?;
                let ent = &rest[..end];
                let ok = matches!(ent, "amp" | "lt" | "gt" | "quot" | "apos")
                    || (ent.starts_with('#') && ent.len() > 1);
                if !ok {
                    return Err(format!("bad entity &{ent};"));
                }
            }
            Ok(())
        };
        let mut stack: Vec<&str> = Vec::new();
        let mut roots = 0;
        let mut rest = doc;
        while !rest.is_empty() {
            let Some(lt) = rest.find('<') else {
                if !stack.is_empty() || !rest.trim().is_empty() {
                    return Err("text after the root element".into());
                }
                break;
            };
            let text = &rest[..lt];
            if stack.is_empty() && !text.trim().is_empty() {
                return Err("text outside the root element".into());
            }
            check_entities(text)?;
            rest = &rest[lt..];
            if let Some(r) = rest.strip_prefix("<!--") {
                let end = r.find("-->").ok_or("unterminated comment")?;
                rest = &r[end + 3..];
                continue;
            }
            // Find the closing '>' outside quotes.
            let mut quote = None;
            let mut end = None;
            for (k, c) in rest.char_indices().skip(1) {
                match (quote, c) {
                    (None, '"' | '\'') => quote = Some(c),
                    (Some(q), c) if c == q => quote = None,
                    (None, '<') => return Err("'<' inside a tag".into()),
                    (None, '>') => {
                        end = Some(k);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end.ok_or("unterminated tag")?;
            let tag = &rest[1..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                let open = stack.pop().ok_or("closing tag without opening tag")?;
                if open != name.trim() {
                    return Err(format!("</{}> closes <{open}>", name.trim()));
                }
                continue;
            }
            let self_closing = tag.ends_with('/');
            let body = tag.trim_end_matches('/');
            let name_end = body.find(char::is_whitespace).unwrap_or(body.len());
            let name = &body[..name_end];
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_alphanumeric() || "-_:".contains(c))
            {
                return Err(format!("bad tag name {name:?}"));
            }
            // Attributes: name="value" pairs.
            let mut attrs = body[name_end..].trim();
            while !attrs.is_empty() {
                let eq = attrs.find('=').ok_or("attribute without value")?;
                let an = attrs[..eq].trim();
                if an.is_empty() || an.contains(char::is_whitespace) {
                    return Err(format!("bad attribute name {an:?}"));
                }
                let v = attrs[eq + 1..].trim_start();
                let q = v.chars().next().ok_or("missing attribute value")?;
                if q != '"' && q != '\'' {
                    return Err("unquoted attribute".into());
                }
                let close = v[1..].find(q).ok_or("unterminated attribute")?;
                check_entities(&v[1..1 + close])?;
                attrs = v[close + 2..].trim_start();
            }
            if stack.is_empty() {
                roots += 1;
            }
            if !self_closing {
                stack.push(name);
            }
        }
        if !stack.is_empty() {
            return Err(format!("unclosed tags {stack:?}"));
        }
        if roots != 1 {
            return Err(format!("{roots} root elements"));
        }
        Ok(())
    }

    fn assert_svg(path: &Path) -> String {
        let s = fs::read_to_string(path).unwrap();
        if let Err(e) = check_xml(&s) {
            panic!("{} is not well-formed XML: {e}", path.display());
        }
        assert!(
            !s.contains("NaN") && !s.contains("inf"),
            "non-finite coordinates"
        );
        s
    }

    /// Texts of the `<text>` elements (unescaped).
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let start = t.find('>')? + 1;
                let end = t.find("</text>")?;
                Some(
                    t[start..end]
                        .trim()
                        .replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&quot;", "\"")
                        .replace("&apos;", "'")
                        .replace("&amp;", "&"),
                )
            })
            .collect()
    }

    fn has_text(svg: &str, needle: &str) -> bool {
        texts(svg).iter().any(|t| t.contains(needle))
    }

    fn no_temp_files(dir: &Path) {
        let left: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
    }

    // ----- demo data --------------------------------------------------------

    /// 50 alphas from 1 down to 1e-3; 6 real features entering at different
    /// alphas with different final sizes, 24 noise features entering late.
    fn demo_path() -> (Vec<f64>, Mat<f64>, Vec<String>) {
        let n = 50;
        let alphas: Vec<f64> = (0..n)
            .map(|i| 10f64.powf(-3.0 * i as f64 / (n - 1) as f64))
            .collect();
        let mut names: Vec<String> = [
            "age",
            "bmi",
            "systolic_blood_pressure",
            "ldl_cholesterol",
            "fasting_glucose",
            "smoking_pack_years",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        names.extend((6..30).map(|j| format!("snp_{j:03}")));
        let enter = [0.8, 0.35, 0.12, 0.05, 0.02, 0.008];
        let size = [2.6, 1.9, 1.5, 1.1, 0.8, 0.5];
        let norms = Mat::from_fn(n, 30, |i, j| {
            let a = alphas[i];
            let (e, s) = if j < 6 {
                (enter[j], size[j])
            } else {
                (0.004 / (1.0 + (j % 7) as f64), 0.05 + 0.01 * (j % 5) as f64)
            };
            if a >= e {
                0.0
            } else {
                s * (1.0 - (a / e).powf(0.7))
            }
        });
        (alphas, norms, names)
    }

    /// A U-shaped CV curve with its alpha_min and alpha_1se.
    fn demo_cv() -> (Vec<f64>, Vec<f64>, Vec<f64>, f64, f64) {
        let n = 50;
        let alphas: Vec<f64> = (0..n)
            .map(|i| 10f64.powf(-3.0 * i as f64 / (n - 1) as f64))
            .collect();
        let mean: Vec<f64> = alphas
            .iter()
            .map(|a| {
                let l = a.log10() + 1.6;
                1.0 + 0.55 * l * l + 0.9 / (1.0 + (-4.0 * (a.log10() + 0.6)).exp())
            })
            .collect();
        let se: Vec<f64> = mean.iter().map(|m| 0.06 + 0.04 * m).collect();
        let imin = (0..n).min_by(|&a, &b| mean[a].total_cmp(&mean[b])).unwrap();
        let thr = mean[imin] + se[imin];
        let i1se = (0..n).find(|&i| mean[i] <= thr).unwrap();
        (alphas.clone(), mean, se, alphas[imin], alphas[i1se])
    }

    fn demo_corr() -> (Mat<f64>, Vec<String>) {
        let names: Vec<String> = ["drug_A", "drug_B", "drug_C", "drug_D", "drug_E", "drug_F"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let c = Mat::from_fn(6, 6, |i, j| {
            if i == j {
                1.0
            } else if (i < 3) == (j < 3) {
                0.62 + 0.07 * ((i + j) % 4) as f64
            } else {
                -0.35 + 0.09 * ((i * j) % 5) as f64
            }
        });
        (c, names)
    }

    /// Writes the demo plots; with MTREG_PLOT_DEMO_DIR set they are kept there.
    #[test]
    fn demo_plots_are_well_formed_and_labelled() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = std::env::var_os("MTREG_PLOT_DEMO_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| tmp.path().to_path_buf());
        fs::create_dir_all(&dir).unwrap();

        let (cv_alphas, mean, se, a_min, a_1se) = demo_cv();
        let marks = [(a_min, "alpha_min"), (a_1se, "alpha_1se")];

        let (alphas, norms, names) = demo_path();
        let p = dir.join("plot-path.svg");
        coefficient_path_svg(&p, &alphas, norms.as_ref(), &names, &marks).unwrap();
        let svg = assert_svg(&p);
        for needle in [
            "Coefficient path",
            "log10(alpha)",
            "row norm of W",
            "alpha_min",
            "alpha_1se",
            "age",
            "bmi",
            "smoking_pack_years",
            "other features",
        ] {
            assert!(has_text(&svg, needle), "path plot lacks {needle:?}");
        }
        // Long names are shortened with an ellipsis.
        assert!(has_text(&svg, "systolic_\u{2026}pressure"));

        let p = dir.join("plot-cv.svg");
        cv_curve_svg(&p, &cv_alphas, &mean, &se, &marks).unwrap();
        let svg = assert_svg(&p);
        for needle in [
            "log10(alpha)",
            "mean squared error (held-out)",
            "alpha_min",
            "alpha_1se",
            "Cross-validation",
        ] {
            assert!(has_text(&svg, needle), "CV plot lacks {needle:?}");
        }

        let (corr, tasks) = demo_corr();
        let p = dir.join("plot-heatmap.svg");
        correlation_heatmap_svg(&p, corr.as_ref(), &tasks).unwrap();
        let svg = assert_svg(&p);
        for needle in ["drug_A", "drug_F", "1.00", "correlation", "-1", "0.5"] {
            assert!(has_text(&svg, needle), "heatmap lacks {needle:?}");
        }

        // A bigger heatmap with long names and an undefined correlation.
        let t = 15;
        let long: Vec<String> = (0..t)
            .map(|k| format!("gene_expression_level_{k}"))
            .collect();
        let mut c = Mat::from_fn(t, t, |i, j| {
            if i == j {
                1.0
            } else {
                ((i as f64 - j as f64) / 6.0).cos() * 0.9 - 0.2
            }
        });
        c[(3, 5)] = f64::NAN;
        c[(5, 3)] = f64::NAN;
        let p = dir.join("plot-heatmap-15.svg");
        correlation_heatmap_svg(&p, c.as_ref(), &long).unwrap();
        assert_svg(&p);
        no_temp_files(&dir);
    }

    // ----- coefficient path -------------------------------------------------

    #[test]
    fn path_labels_only_the_strongest_features() {
        let dir = tempfile::tempdir().unwrap();
        let (alphas, norms, names) = demo_path();
        let p = dir.path().join("path.svg");
        coefficient_path_svg(&p, &alphas, norms.as_ref(), &names, &[(0.01, "alpha_min")]).unwrap();
        let svg = assert_svg(&p);
        let t = texts(&svg);
        let named = names.iter().filter(|n| t.iter().any(|s| s == *n)).count();
        // 6 real features + the 4 strongest noise features; the 20 others are grey.
        assert_eq!(named, 9, "exactly 10 legend names, one of them shortened");
        assert!(t.iter().any(|s| s == "20 other features"));
        assert!(t.iter().any(|s| s.starts_with("alpha_min = 0.01")));
    }

    #[test]
    fn path_rejects_bad_input_without_writing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("path.svg");
        let names = vec!["a".to_string(), "b".to_string()];
        let m = Mat::<f64>::zeros(3, 2);
        let alphas = [1.0, 0.1, 0.01];
        let r = |a: &[f64], m: MatRef<'_, f64>, n: &[String], marks: &[(f64, &str)]| {
            coefficient_path_svg(&p, a, m, n, marks)
        };
        assert!(matches!(
            r(&[], Mat::<f64>::zeros(0, 2).as_ref(), &names, &[]),
            Err(Error::EmptyInput(_))
        ));
        assert!(matches!(
            r(&alphas, Mat::<f64>::zeros(3, 0).as_ref(), &[], &[]),
            Err(Error::EmptyInput(_))
        ));
        assert!(matches!(
            r(&alphas[..2], m.as_ref(), &names, &[]),
            Err(Error::ShapeMismatch {
                expected: 2,
                found: 3,
                ..
            })
        ));
        assert!(matches!(
            r(&alphas, m.as_ref(), &names[..1], &[]),
            Err(Error::ShapeMismatch {
                expected: 2,
                found: 1,
                ..
            })
        ));
        assert!(matches!(
            r(&[1.0, f64::NAN, 0.1], m.as_ref(), &names, &[]),
            Err(Error::NonFinite { row: 1, .. })
        ));
        assert!(matches!(
            r(&[1.0, 0.0, 0.1], m.as_ref(), &names, &[]),
            Err(Error::InvalidParameter { name: "alpha", .. })
        ));
        assert!(matches!(
            r(&alphas, m.as_ref(), &names, &[(f64::NAN, "alpha_min")]),
            Err(Error::InvalidParameter {
                name: "mark alpha",
                ..
            })
        ));
        assert!(!p.exists());
        no_temp_files(dir.path());
    }

    #[test]
    fn path_breaks_lines_at_nan_and_handles_degenerate_ranges() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("path.svg");
        let names = vec!["x1".to_string(), "x2".to_string()];
        // NaN and infinite norms are skipped.
        let m = Mat::from_fn(4, 2, |i, j| match (i, j) {
            (1, 0) => f64::NAN,
            (2, 1) => f64::INFINITY,
            _ => (i + j) as f64,
        });
        coefficient_path_svg(&p, &[1.0, 0.5, 0.25, 0.125], m.as_ref(), &names, &[]).unwrap();
        let svg = assert_svg(&p);
        assert!(has_text(&svg, "x1") && has_text(&svg, "x2"));
        // One alpha, all-zero norms, all-NaN norms: still a plot.
        let zero = Mat::<f64>::zeros(1, 2);
        coefficient_path_svg(&p, &[0.3], zero.as_ref(), &names, &[(0.3, "alpha_min")]).unwrap();
        let svg = assert_svg(&p);
        assert!(has_text(&svg, "no feature enters"));
        let nan = Mat::from_fn(2, 2, |_, _| f64::NAN);
        coefficient_path_svg(&p, &[0.3, 0.3], nan.as_ref(), &names, &[]).unwrap();
        assert_svg(&p);
        // Huge values are refused rather than drawn off the chart.
        let huge = Mat::from_fn(2, 2, |_, _| 1e305);
        assert!(coefficient_path_svg(&p, &[1.0, 0.1], huge.as_ref(), &names, &[]).is_err());
    }

    #[test]
    fn special_characters_in_names_are_escaped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("path.svg");
        let names = vec!["a<b & \"c\"".to_string(), "tab\there\u{0}".to_string()];
        let m = Mat::from_fn(3, 2, |i, j| (i * (j + 1)) as f64);
        coefficient_path_svg(&p, &[1.0, 0.1, 0.01], m.as_ref(), &names, &[(0.1, "<sel>")]).unwrap();
        let svg = assert_svg(&p);
        assert!(has_text(&svg, "a<b & \"c\""));
        assert!(has_text(&svg, "tab here"));
        assert!(has_text(&svg, "<sel> = 0.100"));
    }

    // ----- CV curve ---------------------------------------------------------

    #[test]
    fn cv_rejects_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cv.svg");
        let a = [1.0, 0.1, 0.01];
        let m = [3.0, 2.0, 2.5];
        let s = [0.1, 0.1, 0.1];
        assert!(matches!(
            cv_curve_svg(&p, &[], &[], &[], &[]),
            Err(Error::EmptyInput(_))
        ));
        assert!(matches!(
            cv_curve_svg(&p, &a, &m[..2], &s, &[]),
            Err(Error::ShapeMismatch {
                expected: 3,
                found: 2,
                ..
            })
        ));
        assert!(matches!(
            cv_curve_svg(&p, &a, &m, &s[..1], &[]),
            Err(Error::ShapeMismatch {
                expected: 3,
                found: 1,
                ..
            })
        ));
        assert!(matches!(
            cv_curve_svg(&p, &a, &m, &[0.1, -0.1, 0.1], &[]),
            Err(Error::InvalidParameter { name: "mse_se", .. })
        ));
        assert!(matches!(
            cv_curve_svg(&p, &a, &[f64::NAN; 3], &s, &[]),
            Err(Error::EmptyInput(_))
        ));
        assert!(matches!(
            cv_curve_svg(&p, &[1.0, -1.0, 0.1], &m, &s, &[]),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            cv_curve_svg(&p, &a, &m, &s, &[(0.0, "alpha_min")]),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(!p.exists());
    }

    #[test]
    fn cv_skips_nan_points_and_bars() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cv.svg");
        let a = [1.0, 0.3, 0.1, 0.03, 0.01];
        let m = [3.0, f64::NAN, 2.0, 2.2, f64::INFINITY];
        let s = [0.1, 0.1, f64::NAN, 0.2, 0.1];
        cv_curve_svg(&p, &a, &m, &s, &[(0.1, "alpha_min")]).unwrap();
        let svg = assert_svg(&p);
        // 3 finite means -> 3 dots; 2 error bars of 3 segments each.
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(has_text(&svg, "alpha_min"));
        // Constant curve with zero s.e. at a single alpha (zero-width ranges).
        cv_curve_svg(
            &p,
            &[0.5],
            &[1.0],
            &[0.0],
            &[(0.5, "alpha_min"), (0.5, "alpha_1se")],
        )
        .unwrap();
        let svg = assert_svg(&p);
        assert!(has_text(&svg, "alpha_min") && has_text(&svg, "alpha_1se"));
    }

    // ----- heatmap ----------------------------------------------------------

    #[test]
    fn heatmap_rejects_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.svg");
        let names: Vec<String> = vec!["a".into(), "b".into()];
        assert!(matches!(
            correlation_heatmap_svg(&p, Mat::<f64>::zeros(0, 0).as_ref(), &[]),
            Err(Error::EmptyInput(_))
        ));
        assert!(matches!(
            correlation_heatmap_svg(&p, Mat::<f64>::zeros(2, 3).as_ref(), &names),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            correlation_heatmap_svg(&p, Mat::<f64>::identity(2, 2).as_ref(), &names[..1]),
            Err(Error::ShapeMismatch {
                expected: 2,
                found: 1,
                ..
            })
        ));
        assert!(matches!(
            correlation_heatmap_svg(&p, Mat::<f64>::identity(1001, 1001).as_ref(), &[]),
            Err(Error::InvalidParameter {
                name: "number of tasks",
                ..
            })
        ));
        for bad in [1.5, f64::INFINITY, -1.01] {
            let m = Mat::from_fn(2, 2, |i, j| if i == j { 1.0 } else { bad });
            assert!(matches!(
                correlation_heatmap_svg(&p, m.as_ref(), &names),
                Err(Error::InvalidParameter { .. })
            ));
        }
        assert!(!p.exists());
    }

    #[test]
    fn heatmap_shows_values_names_and_nan_cells() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.svg");
        let names: Vec<String> = vec!["task one".into(), "".into(), "t3".into()];
        let m = Mat::from_fn(3, 3, |i, j| match (i, j) {
            _ if i == j => 1.0,
            (0, 1) | (1, 0) => -0.8,
            (0, 2) | (2, 0) => f64::NAN,
            _ => 1.0 + 1e-12, // rounding noise is tolerated
        });
        correlation_heatmap_svg(&p, m.as_ref(), &names).unwrap();
        let svg = assert_svg(&p);
        let t = texts(&svg);
        for needle in ["task one", "#1", "t3", "-0.80", "n/a", "1.00"] {
            assert!(t.iter().any(|s| s == needle), "heatmap lacks {needle:?}");
        }
        // The -0.8 cells are blue-ish, the diagonal red.
        let blue = diverging(-0.8);
        assert!(blue.2 > blue.0);
        let red = diverging(1.0);
        assert!(red.0 > red.2);
        assert_eq!(diverging(0.0), RGBColor(255, 255, 255));
    }

    #[test]
    fn heatmap_omits_values_for_many_tasks() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.svg");
        let t = 13;
        let names: Vec<String> = (0..t).map(|k| format!("task_{k}")).collect();
        let m = Mat::from_fn(t, t, |i, j| if i == j { 1.0 } else { 0.25 });
        correlation_heatmap_svg(&p, m.as_ref(), &names).unwrap();
        let svg = assert_svg(&p);
        assert!(!has_text(&svg, "0.25"));
        assert!(has_text(&svg, "task_12"));
        // Very many tasks: names thinned out, still a valid file.
        let t = 150;
        let names: Vec<String> = (0..t).map(|k| format!("t{k}")).collect();
        let m = Mat::from_fn(t, t, |i, j| if i == j { 1.0 } else { 0.1 });
        correlation_heatmap_svg(&p, m.as_ref(), &names).unwrap();
        let svg = assert_svg(&p);
        let shown = texts(&svg).iter().filter(|s| s.starts_with('t')).count();
        assert!(shown < 2 * t, "labels must be thinned out, got {shown}");
    }

    // ----- output -----------------------------------------------------------

    #[test]
    fn xml_check_can_fail() {
        assert!(check_xml("<svg><text>a</text></svg>").is_ok());
        assert!(check_xml("<svg><text>a</svg>").is_err());
        assert!(check_xml("<svg><text>a & b</text></svg>").is_err());
        assert!(check_xml("<svg a=b></svg>").is_err());
        assert!(check_xml("<svg></svg><svg></svg>").is_err());
        assert!(check_xml("<g></g>").is_err());
    }

    #[test]
    fn tick_labels_are_short_and_exact() {
        let f = TickFormat::for_ticks(&[0.0, 0.5, 1.0, 1.5]);
        assert_eq!(f.apply(1.5), "1.5");
        assert_eq!(f.apply(-0.0), "0.0");
        let f = TickFormat::for_ticks(&[1e-5, 2e-5, 3e-5]);
        assert_eq!(f.apply(2e-5), "2e-5");
        assert_eq!(f.apply(0.0), "0");
        let f = TickFormat::for_ticks(&[-3.0, -2.0, -1.0, 0.0]);
        assert_eq!(f.apply(-2.0), "-2");
        assert_eq!(fmt_sig(0.012345), "0.0123");
        assert_eq!(fmt_sig(123456.0), "1.23e5");
    }
}

//! The coefficient path.

use faer::MatRef;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::{
    DESC_SIZE, DrawResult, GRID_GREY, HEIGHT, MARK_COLORS, MAX_HIGHLIGHTED, Mark, OTHER_GREY,
    PALETTE, Swatch, TEXT_GREY, TICK_SIZE, TITLE_SIZE, TickFormat, WIDTH, XAxis, checked_log10,
    checked_marks, display_name, draw_legend, finite_runs, fmt_sig, font, legend_width, mark_dash,
    min_max, nearest_count, padded_range, render_err, text_width,
};
use crate::{Error, Result};

/// Coefficient path: one line per feature, `y = ||W_j||_2` (the row norm of the
/// coefficient matrix; `|w_j|` for a single task) against `log10(alpha)`, with
/// the axis running from large alphas on the left to small alphas on the right
/// (as in glmnet / scikit-learn path plots), and the number of non-zero
/// features at each alpha along the top axis.
///
/// `row_norms` is `n_alphas x p` (row `i` belongs to `alphas[i]`; alphas may come
/// in any order). The 10 features with the largest norm along the path get a
/// colour and a legend entry with their name; the others are drawn thin and grey.
/// Each of `marks` (`(alpha, label)`, e.g. `(0.05, "alpha_min")`) is drawn as a
/// vertical dashed line, named in the legend with its value. The legend sits in
/// a panel to the right of the plot: it never covers a line.
///
/// NaN / infinite norms are treated as missing points.
///
/// # Errors
/// [`Error::EmptyInput`] without alphas or features, [`Error::ShapeMismatch`] when
/// `row_norms` or `feature_names` do not match, [`Error::NonFinite`] /
/// [`Error::InvalidParameter`] for alphas (or mark alphas) that are not finite
/// and positive, [`Error::Io`] if rendering fails.
///
/// ```
/// let norms = faer::mat![[0.0, 0.0], [0.5, 0.0], [1.0, 0.2]];
/// let names = vec!["age".to_string(), "dose".to_string()];
/// let svg = mtreg::plot::coefficient_path_svg(&[1.0, 0.1, 0.01], norms.as_ref(), &names, &[])?;
/// assert!(svg.starts_with("<svg") && svg.contains("age"));
/// # Ok::<(), mtreg::Error>(())
/// ```
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
    let xs: Vec<f64> = log_alphas.iter().map(|l| -l).collect();
    let norm = |i: usize, j: usize| row_norms[(i, j)];

    // Strength of a feature: its largest finite norm along the path.
    let strength: Vec<f64> = (0..p)
        .map(|j| {
            (0..n)
                .map(|i| norm(i, j))
                .filter(|v| v.is_finite())
                .fold(0.0_f64, |m, v| m.max(v.abs()))
        })
        .collect();
    let mut ranked: Vec<usize> = (0..p).filter(|&j| strength[j] > 0.0).collect();
    ranked.sort_by(|&a, &b| strength[b].total_cmp(&strength[a]).then(a.cmp(&b)));
    ranked.truncate(MAX_HIGHLIGHTED);
    let n_others = p - ranked.len();
    // Non-zero features at each alpha: the top axis.
    let nnz: Vec<usize> = (0..n)
        .map(|i| {
            (0..p)
                .filter(|&j| norm(i, j).is_finite() && norm(i, j) != 0.0)
                .count()
        })
        .collect();

    // Ranges.
    let (x_lo, x_hi) = min_max(xs.iter().copied().chain(marks.iter().map(|m| -m.log10)));
    let (x_lo, x_hi) = padded_range(x_lo, x_hi, 0.02, "alphas")?;
    let finite_norms = (0..n)
        .flat_map(|i| (0..p).map(move |j| (i, j)))
        .map(|(i, j)| norm(i, j))
        .filter(|v| v.is_finite());
    let (data_lo, data_hi) = min_max(finite_norms.chain([0.0]));
    let (y_lo, y_hi) = padded_range(data_lo, data_hi, 0.05, "row_norms")?;
    // Norms are >= 0: the axis starts at 0 unless the data go below.
    let y_lo = if data_lo >= 0.0 { 0.0 } else { y_lo };

    // The legend: a heading, the named features, the others, the marks.
    let mut legend: Vec<(String, Swatch)> = Vec::new();
    legend.push((
        match ranked.len() {
            0 => "no feature enters".to_string(),
            1 => "strongest feature".to_string(),
            k => format!("strongest {k} features"),
        },
        Swatch::None,
    ));
    for (rank, &j) in ranked.iter().enumerate() {
        legend.push((
            display_name(&feature_names[j], j),
            Swatch::Line(PALETTE[rank], 3),
        ));
    }
    if n_others > 0 {
        let s = if n_others == 1 { "" } else { "s" };
        legend.push((
            format!("{n_others} other feature{s}"),
            Swatch::Line(OTHER_GREY, 2),
        ));
    }
    let frame = PathFrame {
        caption: "Coefficient path",
        y_desc: "row norm of W:  ||W_j||_2",
        top_desc: "non-zero features",
        xs: &xs,
        counts: &nnz,
        x: (x_lo, x_hi),
        y: (y_lo, y_hi),
    };
    path_figure(&frame, &marks, legend, |chart| {
        let series = |j: usize| -> Vec<Vec<(f64, f64)>> {
            finite_runs(order.iter().map(|&i| (xs[i], norm(i, j))))
        };
        // Background features first, thin and grey; the named ones on top,
        // the strongest last.
        for j in (0..p).filter(|j| !ranked.contains(j)) {
            draw_runs(chart, &series(j), OTHER_GREY.stroke_width(1))?;
        }
        for (rank, &j) in ranked.iter().enumerate().rev() {
            draw_runs(chart, &series(j), PALETTE[rank].stroke_width(2))?;
        }
        Ok(())
    })
}

/// The chart of a path figure: log10(alpha) along x (decreasing to the
/// right), data coordinates along y.
pub(super) type PathChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The text and ranges of a path figure's frame.
pub(super) struct PathFrame<'a> {
    pub caption: &'a str,
    pub y_desc: &'a str,
    /// The top axis: a count per path point (`counts[i]` at `xs[i]`).
    pub top_desc: &'a str,
    pub xs: &'a [f64],
    pub counts: &'a [usize],
    pub x: (f64, f64),
    pub y: (f64, f64),
}

/// A figure along the path, shared by the coefficient and singular-value
/// paths: the frame (caption, log-alpha axis, the count axis on top, y axis),
/// the series drawn by `draw`, a dashed line per mark, and the legend
/// (`legend`, then one entry per mark) to the right.
pub(super) fn path_figure(
    frame: &PathFrame<'_>,
    marks: &[Mark],
    mut legend: Vec<(String, Swatch)>,
    draw: impl FnOnce(&mut PathChart<'_, '_>) -> DrawResult,
) -> Result<String> {
    let (x_lo, x_hi) = frame.x;
    let (y_lo, y_hi) = frame.y;
    for (k, m) in marks.iter().enumerate() {
        let (dash, gap) = mark_dash(k);
        legend.push((
            format!("{} = {}", m.label, fmt_sig(m.alpha)),
            Swatch::Dashed(MARK_COLORS[k % MARK_COLORS.len()], dash, gap),
        ));
    }
    let xa = XAxis::new(x_lo, x_hi);
    let y_ticks = RangedCoordf64::from(y_lo..y_hi).key_points(7);
    let y_fmt = TickFormat::for_ticks(&y_ticks);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(render_err())?;
        let labels: Vec<String> = legend.iter().map(|e| e.0.clone()).collect();
        let legend_w = legend_width(&root, &labels);
        let (plot_area, legend_area) = root.split_horizontally(WIDTH as i32 - legend_w - 14);
        let widest_y = y_ticks
            .iter()
            .map(|&v| text_width(&root, &y_fmt.apply(v), TICK_SIZE))
            .max()
            .unwrap_or(0);
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(frame.caption, font(TITLE_SIZE))
            .margin(10)
            .margin_right(6)
            .x_label_area_size(58)
            .top_x_label_area_size(58)
            .y_label_area_size(widest_y + 46)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
            .map_err(render_err())?
            .set_secondary_coord(x_lo..x_hi, y_lo..y_hi);
        chart
            .configure_mesh()
            .x_labels(xa.n_ticks)
            .y_labels(7)
            .x_label_formatter(&|v| xa.label(*v))
            .y_label_formatter(&|v| y_fmt.apply(*v))
            .max_light_lines(0)
            .bold_line_style(GRID_GREY.stroke_width(1))
            .axis_style(TEXT_GREY.stroke_width(1))
            .label_style(font(TICK_SIZE))
            .axis_desc_style(font(DESC_SIZE))
            .x_desc("log10(alpha)  (alpha decreasing to the right)")
            .y_desc(frame.y_desc)
            .draw()
            .map_err(render_err())?;
        chart
            .configure_secondary_axes()
            .x_labels(xa.n_ticks)
            .y_labels(0)
            .x_label_formatter(&|v| nearest_count(frame.xs, frame.counts, *v))
            .axis_style(TEXT_GREY.stroke_width(1))
            .label_style(font(TICK_SIZE))
            .axis_desc_style(font(DESC_SIZE))
            .x_desc(frame.top_desc)
            .draw()
            .map_err(render_err())?;
        draw(&mut chart).map_err(render_err())?;
        for (k, m) in marks.iter().enumerate() {
            let (dash, gap) = mark_dash(k);
            chart
                .draw_series(DashedLineSeries::new(
                    [(-m.log10, y_lo), (-m.log10, y_hi)],
                    dash,
                    gap,
                    MARK_COLORS[k % MARK_COLORS.len()].stroke_width(2),
                ))
                .map_err(render_err())?;
        }
        let (_, plot_y) = chart.plotting_area().get_pixel_range();
        draw_legend(&legend_area, plot_y.start, &legend).map_err(render_err())?;
        root.present().map_err(render_err())?;
    }
    Ok(svg)
}

/// Runs of finite points as lines (a lone point as a dot).
pub(super) fn draw_runs(
    chart: &mut PathChart<'_, '_>,
    runs: &[Vec<(f64, f64)>],
    style: ShapeStyle,
) -> DrawResult {
    for run in runs {
        if run.len() == 1 {
            chart.draw_series([Circle::new(run[0], 3, style.color.filled())])?;
        } else {
            chart.draw_series(LineSeries::new(run.iter().copied(), style))?;
        }
    }
    Ok(())
}

//! Cross-validation curves.

use plotters::coord::combinators::IntoLogRange;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::prelude::*;

use super::{
    DESC_SIZE, GRID_GREY, HEIGHT, MARK_COLORS, Mark, PALETTE, Swatch, TEXT_GREY, TICK_SIZE,
    TITLE_SIZE, TickFormat, WIDTH, XAxis, checked_log10, checked_marks, draw_legend, finite_runs,
    fmt_sig, font, legend_width, mark_dash, min_max, nearest_count, padded_range, render_err,
    text_width,
};
use crate::{Error, Result};

/// One cross-validation curve: the mean held-out MSE and its standard error
/// at each alpha, and its legend label (e.g. `λ = 0.1` on a grid of graph
/// strengths; empty for a lone curve).
#[derive(Debug, Clone, Copy)]
pub struct CvCurve<'a> {
    /// The legend label.
    pub label: &'a str,
    /// Mean held-out MSE per alpha.
    pub mse_mean: &'a [f64],
    /// Its standard error over the folds.
    pub mse_se: &'a [f64],
}

/// Cross-validation curve: mean held-out MSE against `log10(alpha)` (alpha
/// decreasing to the right, like [`coefficient_path_svg`](super::coefficient_path_svg))
/// with error bars of one standard error (`mean ± se`), and a vertical dashed
/// line per mark (e.g. `alpha_min`, `alpha_1se`). The same as
/// [`cv_curves_svg`] with one curve and no top axis.
///
/// NaN / infinite means are skipped (the curve is broken there); a NaN or
/// infinite standard error draws no error bar.
///
/// # Errors
/// [`Error::EmptyInput`] without alphas or when no mean is finite,
/// [`Error::ShapeMismatch`] when the three slices differ in length,
/// [`Error::NonFinite`] / [`Error::InvalidParameter`] for alphas (or mark alphas)
/// that are not finite and positive and for negative standard errors,
/// [`Error::Io`] if rendering fails.
pub fn cv_curve_svg(
    alphas: &[f64],
    mse_mean: &[f64],
    mse_se: &[f64],
    marks: &[(f64, &str)],
) -> Result<String> {
    let curve = CvCurve {
        label: "",
        mse_mean,
        mse_se,
    };
    cv_curves_svg(alphas, &[curve], marks, None)
}

/// Cross-validation curves over one alpha grid: one curve per graph (or
/// relation) strength, named in the legend, each with error bars of one
/// standard error; a vertical dashed line per mark; with `nnz` (the number of
/// non-zero features of the fit at each alpha, in the order of `alphas`), that
/// number along the top axis, as glmnet does. The y axis is logarithmic when
/// the finite means span a decade or more (all positive), linear otherwise.
/// The legend sits in a panel to the right of the plot: it never covers a
/// curve.
///
/// # Errors
/// As [`cv_curve_svg`], for every curve; [`Error::EmptyInput`] without
/// curves; [`Error::ShapeMismatch`] when `nnz` does not have one count per
/// alpha.
///
/// ```
/// use mtreg::plot::{CvCurve, cv_curves_svg};
/// let alphas = [1.0, 0.1, 0.01];
/// let (m1, m2, se) = ([3.0, 1.2, 1.5], [3.0, 0.9, 1.4], [0.1, 0.1, 0.1]);
/// let curves = [
///     CvCurve { label: "λ = 0.1", mse_mean: &m1, mse_se: &se },
///     CvCurve { label: "λ = 1", mse_mean: &m2, mse_se: &se },
/// ];
/// let svg = cv_curves_svg(&alphas, &curves, &[(0.1, "alpha_min")], Some(&[0, 4, 9]))?;
/// assert!(svg.contains("λ = 1") && svg.contains("non-zero features"));
/// # Ok::<(), mtreg::Error>(())
/// ```
pub fn cv_curves_svg(
    alphas: &[f64],
    curves: &[CvCurve<'_>],
    marks: &[(f64, &str)],
    nnz: Option<&[usize]>,
) -> Result<String> {
    let n = alphas.len();
    if n == 0 {
        return Err(Error::EmptyInput("cross-validation curve: no alphas"));
    }
    if curves.is_empty() {
        return Err(Error::EmptyInput("cross-validation curve: no curves"));
    }
    for c in curves {
        if c.mse_mean.len() != n {
            return Err(Error::ShapeMismatch {
                what: "length of mse_mean vs number of alphas",
                expected: n,
                found: c.mse_mean.len(),
            });
        }
        if c.mse_se.len() != n {
            return Err(Error::ShapeMismatch {
                what: "length of mse_se vs number of alphas",
                expected: n,
                found: c.mse_se.len(),
            });
        }
    }
    if let Some(k) = nnz.filter(|k| k.len() != n) {
        return Err(Error::ShapeMismatch {
            what: "non-zero counts vs number of alphas",
            expected: n,
            found: k.len(),
        });
    }
    let log_alphas = checked_log10(alphas, "alphas")?;
    for c in curves {
        if let Some(&bad) = c.mse_se.iter().find(|s| **s < 0.0) {
            return Err(Error::InvalidParameter {
                name: "mse_se",
                value: bad,
                expected: ">= 0 (a standard error)",
            });
        }
    }
    let means = || curves.iter().flat_map(|c| c.mse_mean.iter().copied());
    if !means().any(f64::is_finite) {
        return Err(Error::EmptyInput(
            "cross-validation curve: no finite mean squared error",
        ));
    }
    let marks = checked_marks(marks)?;

    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| log_alphas[b].total_cmp(&log_alphas[a]));
    let xs: Vec<f64> = log_alphas.iter().map(|l| -l).collect();
    let (x_lo, x_hi) = min_max(xs.iter().copied().chain(marks.iter().map(|m| -m.log10)));
    let (x_lo, x_hi) = padded_range(x_lo, x_hi, 0.03, "alphas")?;

    // A logarithmic axis when the means span a decade or more.
    let (m_lo, m_hi) = min_max(means().filter(|v| v.is_finite()));
    let log_y = m_lo > 0.0 && m_hi / m_lo >= 10.0;
    let ends = curves
        .iter()
        .flat_map(|c| (0..n).filter_map(move |i| bars_of(c, i)))
        .flat_map(|(a, b)| [a, b]);
    let plot = Curves {
        curves,
        xs: &xs,
        order: &order,
        marks: &marks,
        nnz,
        x: XAxis::new(x_lo, x_hi),
    };
    if log_y {
        // Bars reaching 0 or below are cut at the bottom of the axis.
        let (_, y_hi) = min_max(
            means()
                .filter(|v| v.is_finite())
                .chain(ends.filter(|v| *v > 0.0)),
        );
        let (lo, hi) = (m_lo / 1.25, y_hi * 1.25);
        plot.render((lo..hi).log_scale(), lo, hi, true)
    } else {
        let (y_lo, y_hi) = min_max(means().filter(|v| v.is_finite()).chain(ends));
        let (y_lo, y_hi) = padded_range(y_lo, y_hi, 0.06, "mse_mean")?;
        plot.render(y_lo..y_hi, y_lo, y_hi, false)
    }
}

/// What [`cv_curves_svg`] draws, for either kind of y axis.
struct Curves<'a> {
    curves: &'a [CvCurve<'a>],
    xs: &'a [f64],
    order: &'a [usize],
    marks: &'a [Mark],
    nnz: Option<&'a [usize]>,
    x: XAxis,
}

impl Curves<'_> {
    fn render<Y>(&self, y: Y, y_lo: f64, y_hi: f64, log_y: bool) -> Result<String>
    where
        Y: plotters::coord::ranged1d::AsRangedCoord<Value = f64> + Clone,
        Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let (x_lo, x_hi) = (self.x.lo, self.x.hi);
        let single = self.curves.len() == 1;
        let mut legend: Vec<(String, Swatch)> = self
            .curves
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let label = if single && c.label.is_empty() {
                    "mean \u{b1} 1 s.e.".to_string()
                } else {
                    super::clean_text(c.label, 40)
                };
                (label, Swatch::Line(PALETTE[k % PALETTE.len()], 2))
            })
            .collect();
        for (k, m) in self.marks.iter().enumerate() {
            legend.push((format!("{} = {}", m.label, fmt_sig(m.alpha)), {
                let (dash, gap) = mark_dash(k);
                Swatch::Dashed(MARK_COLORS[k % MARK_COLORS.len()], dash, gap)
            }));
        }
        let y_desc = if log_y {
            "mean squared error (held-out), log scale"
        } else {
            "mean squared error (held-out)"
        };
        // Tick labels: the linear axis gets the shortest exact format; the
        // logarithmic one (plotters' ticks) 3 significant digits at most.
        let y_ticks = plotters::coord::types::RangedCoordf64::from(y_lo..y_hi).key_points(7);
        let y_fmt = TickFormat::for_ticks(&y_ticks);
        let y_label = |v: &f64| {
            if !log_y {
                return y_fmt.apply(*v);
            }
            let s = fmt_sig(*v);
            if s.contains('.') && !s.contains('e') {
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                s
            }
        };
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
            root.fill(&WHITE).map_err(render_err())?;
            let labels: Vec<String> = legend.iter().map(|e| e.0.clone()).collect();
            let legend_w = legend_width(&root, &labels);
            let (plot_area, legend_area) = root.split_horizontally(WIDTH as i32 - legend_w - 14);
            let widest_y = y_ticks
                .iter()
                .map(|&v| text_width(&root, &y_label(&v), TICK_SIZE))
                .max()
                .unwrap_or(0)
                .max(text_width(&root, &fmt_sig(y_hi), TICK_SIZE));
            let top = if self.nnz.is_some() { 58 } else { 10 };
            let mut chart = ChartBuilder::on(&plot_area)
                .caption(
                    "Cross-validation: held-out MSE (mean \u{b1} 1 s.e. over folds)",
                    font(TITLE_SIZE),
                )
                .margin(10)
                .margin_right(6)
                .x_label_area_size(58)
                .top_x_label_area_size(top)
                .y_label_area_size(widest_y + 46)
                .build_cartesian_2d(x_lo..x_hi, y.clone())
                .map_err(render_err())?
                .set_secondary_coord(x_lo..x_hi, y);
            chart
                .configure_mesh()
                .x_labels(self.x.n_ticks)
                .y_labels(7)
                .x_label_formatter(&|v| self.x.label(*v))
                .y_label_formatter(&y_label)
                .max_light_lines(0)
                .bold_line_style(GRID_GREY.stroke_width(1))
                .axis_style(TEXT_GREY.stroke_width(1))
                .label_style(font(TICK_SIZE))
                .axis_desc_style(font(DESC_SIZE))
                .x_desc("log10(alpha)  (alpha decreasing to the right)")
                .y_desc(y_desc)
                .draw()
                .map_err(render_err())?;
            if let Some(nnz) = self.nnz {
                chart
                    .configure_secondary_axes()
                    .x_labels(self.x.n_ticks)
                    .y_labels(0)
                    .x_label_formatter(&|v| nearest_count(self.xs, nnz, *v))
                    .axis_style(TEXT_GREY.stroke_width(1))
                    .label_style(font(TICK_SIZE))
                    .axis_desc_style(font(DESC_SIZE))
                    .x_desc("non-zero features")
                    .draw()
                    .map_err(render_err())?;
            }
            for (k, c) in self.curves.iter().enumerate() {
                let color = PALETTE[k % PALETTE.len()];
                let runs = finite_runs(self.order.iter().map(|&i| (self.xs[i], c.mse_mean[i])));
                for run in &runs {
                    chart
                        .draw_series(LineSeries::new(run.iter().copied(), color.stroke_width(2)))
                        .map_err(render_err())?;
                }
                // Error bars (plotters' ErrorBar: caps and a dot at the mean);
                // a mean without a bar gets the same dot.
                let style = color.filled().stroke_width(1);
                chart
                    .draw_series(self.order.iter().filter_map(|&i| {
                        let (lo, hi) = bars_of(c, i)?;
                        Some(ErrorBar::new_vertical(
                            self.xs[i],
                            lo.max(y_lo),
                            c.mse_mean[i],
                            hi.min(y_hi),
                            style,
                            6,
                        ))
                    }))
                    .map_err(render_err())?;
                chart
                    .draw_series(
                        self.order
                            .iter()
                            .filter(|&&i| c.mse_mean[i].is_finite() && bars_of(c, i).is_none())
                            .map(|&i| Circle::new((self.xs[i], c.mse_mean[i]), 3, style)),
                    )
                    .map_err(render_err())?;
            }
            for (k, m) in self.marks.iter().enumerate() {
                let color = MARK_COLORS[k % MARK_COLORS.len()];
                let (dash, gap) = mark_dash(k);
                chart
                    .draw_series(DashedLineSeries::new(
                        [(-m.log10, y_lo), (-m.log10, y_hi)],
                        dash,
                        gap,
                        color.stroke_width(2),
                    ))
                    .map_err(render_err())?;
            }
            let (_, plot_y) = chart.plotting_area().get_pixel_range();
            draw_legend(&legend_area, plot_y.start, &legend).map_err(render_err())?;
            root.present().map_err(render_err())?;
        }
        Ok(svg)
    }
}

/// The error bar of a curve at alpha `i`, when mean and s.e. are finite.
fn bars_of(c: &CvCurve<'_>, i: usize) -> Option<(f64, f64)> {
    let (m, s) = (c.mse_mean[i], c.mse_se[i]);
    (m.is_finite() && s.is_finite() && (m - s).is_finite() && (m + s).is_finite())
        .then_some((m - s, m + s))
}

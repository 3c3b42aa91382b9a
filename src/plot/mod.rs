//! SVG plots of fitted models: coefficient paths, cross-validation curves and
//! task-correlation heatmaps (feature `plot`, on with the CLI).
//!
//! Every function returns the SVG document as a `String`; writing it (with
//! the command's other outputs, atomically) is the caller's business (see
//! [`crate::io::output`]).
//!
//! The figures are built from plotters' own pieces: charts with a secondary
//! (top) axis, series legends (placed in a panel beside the plot, so they
//! never cover a curve), text sizes from the backend's estimate, error bars,
//! a logarithmic y axis, and the heatmap drawn in chart coordinates. Text is
//! emitted as SVG `<text>` elements (no system fonts are read), so the viewer
//! renders it in its own sans-serif font.
//!
//! * [`coefficient_path_svg`]: one line per feature against `log10(alpha)`,
//!   the strongest named in the legend, the number of non-zero features
//!   along the top axis (as glmnet).
//! * [`cv_curve_svg`], [`cv_curves_svg`]: held-out MSE ± 1 s.e., one curve
//!   per graph or relation strength, a logarithmic y axis when the curves span
//!   a decade or more, the number of non-zero features along the top axis.
//! * [`correlation_heatmap_svg`]: a task-correlation matrix.
//! * [`singular_value_path_svg`]: the singular values of W along a path (the
//!   trace norm's spectrum), the rank along the top axis.
//! * [`components_heatmap_svg`]: two parts of W side by side (shared and
//!   specific, mean and deviations) on one colour scale.
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

#![deny(unsafe_code)]

mod cv;
mod heatmap;
mod models;
mod path;
#[cfg(test)]
mod tests;

pub use cv::{CvCurve, cv_curve_svg, cv_curves_svg};
pub use heatmap::correlation_heatmap_svg;
pub use models::{components_heatmap_svg, singular_value_path_svg};
pub use path::coefficient_path_svg;

use std::io;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{Error, Result};

// ---------------------------------------------------------------------------
// Look and feel
// ---------------------------------------------------------------------------

/// Canvas of the line plots.
const WIDTH: u32 = 860;
const HEIGHT: u32 = 520;

const FONT: &str = "sans-serif";
/// Font sizes given to plotters (its SVG backend writes `size / 1.24` px).
const TITLE_SIZE: f64 = 25.0;
const DESC_SIZE: f64 = 20.0;
const TICK_SIZE: f64 = 17.5;
const NOTE_SIZE: f64 = 16.5;

/// Colours of the highlighted features and of the curves (tab10 without its
/// grey).
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
const NAN_GREY: RGBColor = RGBColor(200, 200, 200);

/// How many features get a colour and a legend entry in a coefficient path.
const MAX_HIGHLIGHTED: usize = 10;
/// Longest name shown in full; longer ones are cut and end in an ellipsis.
const MAX_NAME_CHARS: usize = 18;
/// Above this many tasks the heatmap does not print values in the cells.
const MAX_ANNOTATED_TASKS: usize = 12;
/// Largest heatmap drawn (one SVG rectangle per cell).
const MAX_HEATMAP_TASKS: usize = 1000;

fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

fn text_style(size: f64, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    (FONT, size).into_font().color(&color).pos(Pos::new(h, v))
}

/// The backend's estimate of the width of `s` (pixels).
fn text_width(area: &SvgArea<'_>, s: &str, size: f64) -> i32 {
    area.estimate_text_size(s, &font(size))
        .map_or(0, |(w, _)| i32::try_from(w).unwrap_or(i32::MAX))
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

/// A vertical line at a selected alpha.
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

// ---------------------------------------------------------------------------
// Drawing helpers shared by the line plots
// ---------------------------------------------------------------------------

type SvgArea<'a> = DrawingArea<SVGBackend<'a>, Shift>;

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

/// The x axis of the line plots: `x = -log10(alpha)`, so that alpha
/// decreases to the right (glmnet, scikit-learn), with ticks printed as
/// `log10(alpha)`.
struct XAxis {
    lo: f64,
    hi: f64,
    format: TickFormat,
    n_ticks: usize,
}

impl XAxis {
    fn new(lo: f64, hi: f64) -> Self {
        let n_ticks = 8;
        let r: RangedCoordf64 = (lo..hi).into();
        let ticks: Vec<f64> = r.key_points(n_ticks).into_iter().map(|v| -v).collect();
        XAxis {
            lo,
            hi,
            format: TickFormat::for_ticks(&ticks),
            n_ticks,
        }
    }

    fn label(&self, x: f64) -> String {
        self.format.apply(-x)
    }
}

/// The number of non-zero features at the path point nearest to `x`
/// (`xs[i] = -log10(alpha_i)`): the labels of the top axis.
fn nearest_count(xs: &[f64], counts: &[usize], x: f64) -> String {
    xs.iter()
        .zip(counts)
        .min_by(|a, b| (a.0 - x).abs().total_cmp(&(b.0 - x).abs()))
        .map_or(String::new(), |(_, c)| c.to_string())
}

/// The dash pattern of the k-th mark (legend and plot alike).
fn mark_dash(k: usize) -> (u32, u32) {
    if k.is_multiple_of(2) { (7, 4) } else { (3, 3) }
}

/// One entry of a legend: its label and how its swatch is drawn.
#[derive(Clone, Copy)]
enum Swatch {
    Line(RGBColor, u32),
    /// Colour, dash and gap lengths.
    Dashed(RGBColor, u32, u32),
    None,
}

/// The width of the legend panel for these labels (swatch, gaps, text).
fn legend_width(area: &SvgArea<'_>, labels: &[String]) -> i32 {
    let widest = labels
        .iter()
        .map(|l| text_width(area, l, NOTE_SIZE))
        .max()
        .unwrap_or(0);
    widest + LEGEND_SWATCH as i32 + 2 * LEGEND_MARGIN as i32 + 8
}

const LEGEND_SWATCH: u32 = 30;
const LEGEND_MARGIN: u32 = 6;

/// Draws a legend with plotters' series labels, in `area` (a panel beside the
/// plot, so that it never covers a curve), from `top` pixels down: a chart
/// with nothing but empty, labelled series.
fn draw_legend(area: &SvgArea<'_>, top: i32, entries: &[(String, Swatch)]) -> DrawResult {
    let mut chart = ChartBuilder::on(area)
        .margin_top(top)
        .margin_left(4)
        .margin_right(4)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
    for (label, swatch) in entries {
        let anno = chart.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?;
        add_legend(anno, label, *swatch);
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .legend_area_size(LEGEND_SWATCH)
        .margin(LEGEND_MARGIN)
        .background_style(WHITE)
        .border_style(GRID_GREY)
        .label_font(font(NOTE_SIZE))
        .draw()
}

type DrawResult = std::result::Result<(), DrawingAreaErrorKind<io::Error>>;

/// Names a series (an empty one: the legend's order is not the drawing
/// order) in the legend, with its swatch.
fn add_legend<DB: DrawingBackend>(
    anno: &mut plotters::chart::SeriesAnno<'_, DB>,
    label: &str,
    swatch: Swatch,
) {
    anno.label(label);
    match swatch {
        Swatch::Line(c, w) => {
            anno.legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 22, y)], c.stroke_width(w))
            });
        }
        Swatch::Dashed(c, dash, gap) => {
            anno.legend(move |(x, y)| {
                plotters::element::DashedPathElement::new(
                    vec![(x, y), (x + 22, y)],
                    dash,
                    gap,
                    c.stroke_width(2),
                )
            });
        }
        Swatch::None => {}
    }
}

/// Maps a plotters error to [`Error::Io`].
fn render_err<E: std::fmt::Display>() -> impl Fn(E) -> Error {
    move |e| Error::Io {
        context: "rendering a plot".to_string(),
        source: io::Error::other(e.to_string()),
    }
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

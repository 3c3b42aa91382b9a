//! The task-correlation heatmap, drawn in chart coordinates: cell `(i, j)`
//! is the unit square `[j, j + 1] × [T − 1 − i, T − i]`, its label at the
//! centre; the names are the axes' key points (plotters' `with_key_points`).

use faer::MatRef;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    MAX_ANNOTATED_TASKS, MAX_HEATMAP_TASKS, NAN_GREY, NOTE_SIZE, TEXT_GREY, TICK_SIZE, TITLE_SIZE,
    TickFormat, display_name, diverging, fmt_corr, font, render_err, text_style, text_width,
};
use crate::{Error, Result};

/// Canvas width of the heatmap; its height follows the number of tasks.
const HEAT_WIDTH: u32 = 820;
const MAX_HEAT_HEIGHT: u32 = 720;
/// Width of the colour-bar panel.
const BAR_PANEL: u32 = 120;

/// Task-correlation heatmap: the `T x T` matrix `corr` (values in `[-1, 1]`) as
/// coloured cells on a diverging scale (blue = -1, white = 0, red = +1), task
/// names on both axes, the value printed in each cell when `T <= 12`, and a
/// colour bar. NaN cells (undefined correlation, e.g. a constant task) are grey
/// and marked "n/a". Long names are shortened with an ellipsis; column names are
/// written vertically when they do not fit under their cell, and only every
/// k-th name is written when they would overlap.
///
/// # Errors
/// [`Error::EmptyInput`] for a 0 x 0 matrix, [`Error::ShapeMismatch`] when `corr`
/// is not square or `task_names` has the wrong length,
/// [`Error::InvalidParameter`] for a value outside `[-1, 1]` (beyond rounding)
/// or infinite, or more than 1000 tasks, [`Error::Io`] if rendering fails.
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
    let has_nan = (0..t).any(|i| (0..t).any(|j| corr[(i, j)].is_nan()));
    let annotate = t <= MAX_ANNOTATED_TASKS;
    let tf = t as f64;

    let mut svg = String::new();
    {
        // Size the canvas from the names (plotters' text estimate).
        let mut scratch = String::new();
        let probe = SVGBackend::with_string(&mut scratch, (1, 1)).into_drawing_area();
        let longest = names
            .iter()
            .map(|s| text_width(&probe, s, TICK_SIZE))
            .max()
            .unwrap_or(0);
        let tick_h = text_width(&probe, "0", TICK_SIZE).max(1) * 2;
        drop(probe);
        let title_h = 50;
        let row_labels = longest + 14;
        let avail_w = HEAT_WIDTH as i32 - BAR_PANEL as i32 - row_labels - 30;
        let trial_cell = avail_w.min(MAX_HEAT_HEIGHT as i32 - title_h - 40) / t as i32;
        let vertical = longest + 6 > trial_cell;
        let col_labels = if vertical { longest + 14 } else { tick_h + 14 };
        let avail_h = MAX_HEAT_HEIGHT as i32 - title_h - col_labels - 20;
        let grid = avail_w.min(avail_h).max(t as i32);
        let height = (title_h + grid + col_labels + 20).clamp(300, MAX_HEAT_HEIGHT as i32) as u32;
        // At most as many names as fit without overlapping (plotters picks
        // evenly spaced cells).
        let cell = grid as f64 / tf;
        let n_names = ((grid as f64 / (tick_h as f64 * 0.75 + 3.0)).floor() as usize).clamp(1, t);

        let root = SVGBackend::with_string(&mut svg, (HEAT_WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(render_err())?;
        let (left, right) = root.split_horizontally(HEAT_WIDTH - BAR_PANEL);
        let side = (grid + row_labels) as u32;
        let pad_x = (left.dim_in_pixel().0 as i32 - side as i32 - 20).max(0) / 2;
        let mut chart = ChartBuilder::on(&left)
            .caption("Correlation between tasks", font(TITLE_SIZE))
            .margin_left(10 + pad_x)
            .margin_right(10 + pad_x)
            .margin_top(5)
            .margin_bottom(10)
            .x_label_area_size(col_labels)
            .y_label_area_size(row_labels)
            .build_cartesian_2d((0..t - 1).into_segmented(), (0..t - 1).into_segmented())
            .map_err(render_err())?;
        // Cell k spans [Exact(k), Exact(k + 1)] (the last one ends at Last);
        // rows run downwards: row i is segment T - 1 - i.
        let edge = |k: usize| {
            if k >= t {
                SegmentValue::Last
            } else {
                SegmentValue::Exact(k)
            }
        };
        let name_at = |v: &SegmentValue<usize>, rev: bool| -> String {
            match v {
                SegmentValue::CenterOf(k) if *k < t => {
                    names[if rev { t - 1 - k } else { *k }].clone()
                }
                _ => String::new(),
            }
        };
        // Vertical column names are drawn below (plotters' mesh centres
        // rotated labels on their tick, half of them under the grid).
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(n_names)
            .y_labels(n_names)
            .x_label_formatter(&|v| {
                if vertical {
                    String::new()
                } else {
                    name_at(v, false)
                }
            })
            .y_label_formatter(&|v| name_at(v, true))
            .y_label_style(font(TICK_SIZE))
            .axis_style(TEXT_GREY.stroke_width(1))
            .draw()
            .map_err(render_err())?;
        if vertical {
            let ticks = (0..t - 1).into_segmented().key_points(n_names);
            for v in &ticks {
                let SegmentValue::CenterOf(k) = v else {
                    continue;
                };
                let (x, y) = chart.backend_coord(&(v.clone(), SegmentValue::Exact(0)));
                let style = font(TICK_SIZE)
                    .transform(FontTransform::Rotate90)
                    .pos(Pos::new(HPos::Left, VPos::Center));
                root.draw(&Text::new(names[*k].clone(), (x, y + 8), style))
                    .map_err(render_err())?;
            }
        }
        let fill = |v: f64| if v.is_nan() { NAN_GREY } else { diverging(v) };
        chart
            .draw_series(
                (0..t)
                    .flat_map(|i| (0..t).map(move |j| (i, j)))
                    .map(|(i, j)| {
                        let r = t - 1 - i;
                        Rectangle::new(
                            [(edge(j), edge(r)), (edge(j + 1), edge(r + 1))],
                            fill(corr[(i, j)]).filled(),
                        )
                    }),
            )
            .map_err(render_err())?;
        // Thin white separators between cells (when cells are big enough).
        if cell >= 6.0 {
            chart
                .draw_series((1..t).flat_map(|k| {
                    [
                        PathElement::new(
                            vec![(edge(k), edge(0)), (edge(k), edge(t))],
                            WHITE.stroke_width(1),
                        ),
                        PathElement::new(
                            vec![(edge(0), edge(k)), (edge(t), edge(k))],
                            WHITE.stroke_width(1),
                        ),
                    ]
                }))
                .map_err(render_err())?;
        }
        // Values only where they can be printed at >= 12 px.
        let value_size = (cell * 0.30 * 1.24).min(NOTE_SIZE + 1.0);
        if annotate && value_size / 1.24 >= 11.95 {
            chart
                .draw_series(
                    (0..t)
                        .flat_map(|i| (0..t).map(move |j| (i, j)))
                        .map(|(i, j)| {
                            let v = corr[(i, j)];
                            let (text, color) = if v.is_nan() {
                                ("n/a".to_string(), BLACK)
                            } else {
                                (fmt_corr(v), if v.abs() > 0.55 { WHITE } else { BLACK })
                            };
                            let at = (SegmentValue::CenterOf(j), SegmentValue::CenterOf(t - 1 - i));
                            Text::new(
                                text,
                                at,
                                text_style(value_size, color, HPos::Center, VPos::Center),
                            )
                        }),
                )
                .map_err(render_err())?;
        }

        // The colour bar: a chart of its own over [-1, 1].
        let bar_h = (grid as f64 * 0.7)
            .clamp(120.0, 420.0)
            .min(grid.max(120) as f64) as i32;
        let top = title_h + 5 + (grid - bar_h).max(0) / 2;
        let bottom = (height as i32 - top - bar_h).max(0);
        let fmt = TickFormat::for_ticks(&[-1.0, -0.5, 0.0, 0.5, 1.0]);
        let mut bar = ChartBuilder::on(&right)
            .margin_top(top)
            .margin_bottom(bottom)
            .margin_left(4)
            .margin_right(BAR_PANEL as i32 - 4 - 44 - 18)
            .y_label_area_size(44)
            .build_cartesian_2d(0.0..1.0, -1.0..1.0)
            .map_err(render_err())?;
        bar.configure_mesh()
            .set_all_tick_mark_size(5)
            .disable_mesh()
            .disable_x_axis()
            .y_labels(5)
            .y_label_formatter(&|v| fmt.apply(*v))
            .label_style(font(TICK_SIZE))
            .axis_style(TEXT_GREY.stroke_width(1))
            .draw()
            .map_err(render_err())?;
        bar.draw_series((0..100).map(|s| {
            let (a, b) = (-1.0 + s as f64 * 0.02, -1.0 + (s + 1) as f64 * 0.02);
            Rectangle::new([(0.0, a), (1.0, b)], diverging(0.5 * (a + b)).filled())
        }))
        .map_err(render_err())?;
        bar.draw_series([Rectangle::new(
            [(0.0, -1.0), (1.0, 1.0)],
            TEXT_GREY.stroke_width(1),
        )])
        .map_err(render_err())?;
        right
            .draw(&Text::new(
                "correlation",
                (4, top - 12),
                text_style(NOTE_SIZE, BLACK, HPos::Left, VPos::Bottom),
            ))
            .map_err(render_err())?;
        if has_nan {
            let y = top + bar_h + 22;
            right
                .draw(&Rectangle::new([(8, y), (26, y + 14)], NAN_GREY.filled()))
                .map_err(render_err())?;
            right
                .draw(&Text::new(
                    "n/a",
                    (34, y + 7),
                    text_style(TICK_SIZE, BLACK, HPos::Left, VPos::Center),
                ))
                .map_err(render_err())?;
        }
        root.present().map_err(render_err())?;
    }
    Ok(svg)
}

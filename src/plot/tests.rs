//! Tests of the plots: well-formed SVG, labels, bad input.

use super::*;
use faer::{Mat, MatRef};
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

// ----- layout: legends beside the plot, log scale, strengths, top axis --

/// The x coordinates of every polyline point and circle centre (the data).
fn data_xs(svg: &str) -> Vec<f64> {
    let mut xs = Vec::new();
    for part in svg.split("<polyline").skip(1) {
        let start = part.find("points=\"").unwrap() + 8;
        let end = start + part[start..].find('"').unwrap();
        for pt in part[start..end].split_whitespace() {
            xs.push(pt.split(',').next().unwrap().parse().unwrap());
        }
    }
    for part in svg.split("<circle").skip(1) {
        let start = part.find("cx=\"").unwrap() + 4;
        let end = start + part[start..].find('"').unwrap();
        xs.push(part[start..end].parse().unwrap());
    }
    xs
}

/// The x coordinate of the `<text>` element holding exactly `label`.
fn text_x(svg: &str, label: &str) -> f64 {
    svg.split("<text")
        .skip(1)
        .find(|t| {
            let start = t.find('>').unwrap() + 1;
            t[start..t.find("</text>").unwrap()].trim() == label
        })
        .map(|t| {
            let start = t.find("x=\"").unwrap() + 3;
            let end = start + t[start..].find('"').unwrap();
            t[start..end].parse().unwrap()
        })
        .unwrap_or_else(|| panic!("no text {label:?}"))
}

#[test]
fn legends_sit_beside_the_data() {
    let (alphas, norms, names) = demo_path();
    let svg = super::coefficient_path_svg(&alphas, norms.as_ref(), &names, &[(0.05, "alpha_min")])
        .unwrap();
    let right = data_xs(&svg).into_iter().fold(f64::MIN, f64::max);
    for label in ["age", "20 other features", "alpha_min = 0.0500"] {
        assert!(text_x(&svg, label) > right, "{label} overlaps the data");
    }
    let (a, m, s, amin, _) = demo_cv();
    let svg = super::cv_curve_svg(&a, &m, &s, &[(amin, "alpha_min")]).unwrap();
    let right = data_xs(&svg).into_iter().fold(f64::MIN, f64::max);
    assert!(text_x(&svg, "mean \u{b1} 1 s.e.") > right);
}

#[test]
fn cv_curves_name_every_strength_and_count_features_on_top() {
    let (a, m, s, amin, a1se) = demo_cv();
    let m2: Vec<f64> = m.iter().map(|v| v * 1.3).collect();
    let curves = [
        CvCurve {
            label: "\u{3bb} = 0.1",
            mse_mean: &m,
            mse_se: &s,
        },
        CvCurve {
            label: "\u{3bb} = 1",
            mse_mean: &m2,
            mse_se: &s,
        },
    ];
    let nnz: Vec<usize> = (0..a.len()).map(|i| i / 2).collect();
    let marks = [(amin, "alpha_min"), (a1se, "alpha_1se")];
    let svg = cv_curves_svg(&a, &curves, &marks, Some(&nnz)).unwrap();
    check_xml(&svg).unwrap();
    let t = texts(&svg);
    for needle in [
        "\u{3bb} = 0.1",
        "\u{3bb} = 1",
        "non-zero features",
        "alpha_min = 0.0222",
    ] {
        assert!(t.iter().any(|s| s == needle), "lacks {needle:?}");
    }
    // The top axis shows counts from `nnz` (0 at the largest alpha).
    assert!(
        t.iter().any(|s| s == "0") && t.iter().any(|s| s == "24"),
        "{t:?}"
    );
    // 2 curves x 50 means: one dot each (error bars draw theirs).
    assert_eq!(svg.matches("<circle").count(), 100);
    assert!(matches!(
        cv_curves_svg(&a, &curves, &marks, Some(&nnz[1..])),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        cv_curves_svg(&a, &[], &marks, None),
        Err(Error::EmptyInput(_))
    ));
}

#[test]
fn the_cv_axis_is_logarithmic_when_the_curve_spans_decades() {
    let a = [1.0, 0.1, 0.01, 0.001];
    let s = [0.0; 4];
    let svg = super::cv_curve_svg(&a, &[500.0, 40.0, 3.0, 2.5], &s, &[]).unwrap();
    assert!(has_text(&svg, "log scale"));
    // Powers of ten as ticks, placed proportionally to their logarithms.
    let t = texts(&svg);
    assert!(
        ["10", "100"].iter().all(|v| t.iter().any(|s| s == v)),
        "{t:?}"
    );
    let svg = super::cv_curve_svg(&a, &[5.0, 4.0, 3.0, 2.5], &s, &[]).unwrap();
    assert!(!has_text(&svg, "log scale"));
    // Means at or below zero keep a linear axis.
    let svg = super::cv_curve_svg(&a, &[500.0, 4.0, 0.0, 2.5], &s, &[]).unwrap();
    assert!(!has_text(&svg, "log scale"));
}

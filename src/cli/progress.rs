//! Progress reporting for long fits: indicatif bars on stderr (only when stderr
//! is a terminal), and `--verbose` lines with the certificate at every check.

use super::print::errln;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mtreg::path::ProgressCallback;
use mtreg::solver::{Monitor, Progress};

/// A bar of `len` steps drawn with `template`; hidden with `--quiet` or when
/// stderr is not a terminal (indicatif's stderr target checks).
fn styled(len: u64, quiet: bool, template: &str) -> ProgressBar {
    let target = if quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// A bar counting epochs; hidden with `--quiet` or when stderr is not a terminal.
pub fn bar(max_iter: usize, quiet: bool) -> ProgressBar {
    styled(
        max_iter as u64,
        quiet,
        "{elapsed:>4} [{bar:30}] {pos}/{len} epochs  {msg}",
    )
}

/// A bar counting fits (`path`: one per alpha; `cv`: one per fold, grid point
/// and alpha); its length is set by [`fits_callback`]. Hidden as [`bar`].
pub fn fits_bar(quiet: bool) -> ProgressBar {
    styled(
        0,
        quiet,
        "{elapsed:>4} [{bar:30}] {pos}/{len} fits  eta {eta}",
    )
}

/// The library's progress callback for run `run` of `runs` runs done one after
/// the other (e.g. one CV per graph strength), each reporting `(done, total)`:
/// moves `bar` over all runs. The library serialises the calls, so the
/// position never goes back.
pub fn fits_callback(bar: ProgressBar, run: usize, runs: usize) -> ProgressCallback {
    ProgressCallback::new(move |done, total| {
        bar.set_length((runs * total) as u64);
        bar.set_position((run * total + done) as u64);
    })
}

/// The solver callback: moves the bar, and logs each check when `verbose`.
pub fn monitor(bar: ProgressBar, verbose: bool) -> Monitor {
    Monitor::new(move |p: &Progress| {
        bar.set_position(p.n_iter as u64);
        bar.set_message(format!(
            "certificate {:.2e} -> {:.2e}",
            p.certificate, p.tol
        ));
        if verbose {
            bar.suspend(|| {
                errln!(
                    "check after {:>6} epochs: certificate {:.6e} (tol {:.3e})",
                    p.n_iter,
                    p.certificate,
                    p.tol
                )
            });
        }
        true
    })
}

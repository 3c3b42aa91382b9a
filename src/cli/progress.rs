//! Progress reporting for long fits: an indicatif bar on stderr (only when stderr
//! is a terminal), and `--verbose` lines with the certificate at every check.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mtreg::solver::{Monitor, Progress};

/// A bar counting epochs; hidden with `--quiet` or when stderr is not a terminal.
pub fn bar(max_iter: usize, quiet: bool) -> ProgressBar {
    let target = if quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(Some(max_iter as u64), target);
    if let Ok(style) =
        ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {pos}/{len} epochs  {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
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
                eprintln!(
                    "check after {:>6} epochs: certificate {:.6e} (tol {:.3e})",
                    p.n_iter, p.certificate, p.tol
                )
            });
        }
        true
    })
}

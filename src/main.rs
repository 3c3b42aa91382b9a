//! The `mtreg` command-line tool: thin wrappers over the library (see docs/cli.md).

#![forbid(unsafe_code)]

mod cli;

use cli::print::errln;
use std::process::ExitCode;

/// mimalloc keeps freed pages for the next allocation; glibc's malloc trims
/// the heap after each fit, and page-faulting the next fit's T × p buffers
/// back in cost 25–35 % of 3–5 ms fits (paths, CV, repeated fits).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // process initialisation, like loading the binary: not part of any fit
    mtreg::linalg::probe_cpu_features();
    clean_up_on_signals();
    let args = <cli::Cli as clap::Parser>::parse();
    match cli::run(args) {
        Ok(code) => code,
        // A closed pipe (`mtreg ... | head`) is not a failure.
        Err(err) if cli::print::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            errln!("error: {err:#}");
            ExitCode::from(cli::exit_code(&err))
        }
    }
}

/// On SIGINT, SIGTERM or SIGHUP: remove every output staged so far (hidden
/// temporaries, directories created for them) and exit with 128 + the signal
/// number (130, 143, 129), as a shell reports a process those signals killed.
/// A commit in progress completes first (see `mtreg::io::output`), so an
/// interrupted command leaves all of its outputs or none.
///
/// signal-hook runs the handler on a thread of its own instead of in the
/// signal context, where removing files is not allowed. A signal ignored when
/// the program starts (`nohup`, a background job of a script) stays ignored.
#[cfg(unix)]
fn clean_up_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let wanted: Vec<i32> = [SIGINT, SIGTERM, SIGHUP]
        .into_iter()
        .filter(|&sig| !ignored_at_start(sig))
        .collect();
    // Registered on the thread itself: if no thread can be started, the
    // signals keep their default action (the process has staged nothing yet).
    // The main thread waits until the registration is done: otherwise a fast
    // command could stage its outputs first, and a signal in between killed
    // the process with the temporaries left behind (a tiny `solve`, once the
    // fit took microseconds, under load).
    let (registered, wait) = std::sync::mpsc::sync_channel::<()>(1);
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let signals = signal_hook::iterator::Signals::new(&wanted);
            let _ = registered.send(());
            let Ok(mut signals) = signals else {
                return;
            };
            if let Some(sig) = signals.forever().next() {
                mtreg::io::output::interrupted(128 + sig);
            }
        });
    if spawned.is_ok() {
        // Err: the thread ended without sending (nothing registered)
        let _ = wait.recv();
    }
}

/// Elsewhere the signals keep their default action.
#[cfg(not(unix))]
fn clean_up_on_signals() {}

/// Whether the process inherited `sig` as ignored (Linux: the `SigIgn` mask
/// of `/proc/self/status`; elsewhere assumed not).
#[cfg(unix)]
fn ignored_at_start(sig: i32) -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| sig >= 1 && mask & (1 << (sig - 1)) != 0)
}

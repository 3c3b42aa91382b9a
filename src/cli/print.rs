//! Every line the CLI prints goes through here, so that a closed pipe never
//! crashes it (Rust's `println!`/`eprintln!` panic when the write fails).
//!
//! * stdout ([`outln!`]): a failed write returns the error, which the command
//!   propagates with `?`; `main` turns a closed pipe (`EPIPE`, as in
//!   `mtreg path ... | head -1`) into a quiet exit 0, as ripgrep does. Commands
//!   print their summaries after their outputs are committed, so stopping
//!   there loses nothing.
//! * stderr ([`errln!`]): failures are ignored: a closed stderr must not turn
//!   an error, a warning or `-v` logging into a crash (exit 101); the exit
//!   code still says what happened.

use std::fmt;
use std::io::{self, Write};

/// Writes `args` and a newline to stdout.
pub fn out(args: fmt::Arguments<'_>) -> io::Result<()> {
    let mut o = io::stdout().lock();
    o.write_fmt(args)?;
    o.write_all(b"\n")
}

/// Writes `args` and a newline to stderr, ignoring failures.
pub fn err(args: fmt::Arguments<'_>) {
    let mut e = io::stderr().lock();
    let _ = e.write_fmt(args).and_then(|()| e.write_all(b"\n"));
}

/// `println!` for the CLI: returns `io::Result<()>` (see the module docs).
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::print::out(format_args!($($arg)*))
    };
}

/// `eprintln!` for the CLI: never fails (see the module docs).
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::print::err(format_args!($($arg)*))
    };
}

pub(crate) use {errln, outln};

/// `n` and `noun`, plural unless `n` is 1: `plural(3, "task")` is "3 tasks".
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Whether `err` comes from a closed pipe (`EPIPE`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || matches!(
                e.downcast_ref::<mtreg::Error>(),
                Some(mtreg::Error::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe
            )
    })
}

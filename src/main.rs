//! The `mtreg` command-line tool: thin wrappers over the library (see docs/cli.md).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    // process initialisation, like loading the binary: not part of any fit
    mtreg::linalg::probe_cpu_features();
    let args = <cli::Cli as clap::Parser>::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`mtreg ... | head`) is not a failure.
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {err:#}");
            ExitCode::from(cli::exit_code(&err))
        }
    }
}

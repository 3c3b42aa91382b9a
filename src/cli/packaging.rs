//! `mtreg completions SHELL` and `mtreg man`: shell completions and man pages
//! generated from the command-line definitions themselves (clap_complete,
//! clap_mangen), so that they always describe the binary they come from.
//! Subcommands rather than a build script: nothing is generated at build
//! time, `cargo install` users get them too, and packagers run
//! `mtreg completions bash > …` and `mtreg man --out-dir …` after the build.

use super::Cli;
use super::print::outln;
use clap::{Args, CommandFactory};
use mtreg::io::Outputs;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Prints the completion script for `shell` on stdout.
pub fn completions(a: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "mtreg", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write mtreg.1 and one page per subcommand (mtreg-solve.1, ...) into
    /// this directory instead of printing mtreg.1 on stdout.
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// Overwrite existing pages.
    #[arg(long, requires = "out_dir")]
    force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

/// Renders the man pages (roff): the top page on stdout, or every page into
/// `--out-dir` (written as one unit).
pub fn man(a: ManArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = &a.out_dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut page)?;
        let mut out = std::io::stdout().lock();
        out.write_all(&page)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    };
    // every page: the command and its subcommands, depth first
    let mut pages = Vec::new();
    let mut todo = vec![cmd];
    while let Some(cmd) = todo.pop() {
        todo.extend(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
        let man = clap_mangen::Man::new(cmd);
        let mut page = Vec::new();
        man.render(&mut page)?;
        pages.push((man.get_filename(), page));
    }
    let mut outs = Outputs::new(a.force, &[] as &[&std::path::Path]);
    let ids = pages
        .iter()
        .map(|(name, _)| outs.file(dir.join(name)))
        .collect::<Result<Vec<_>, _>>()?;
    for (id, (_, page)) in ids.into_iter().zip(&pages) {
        outs.write(id, |w| w.write_all(page))?;
    }
    super::commit(outs)?;
    if !a.quiet {
        outln!(
            "wrote {} man pages into {} (mtreg.1, {})",
            pages.len(),
            dir.display(),
            pages
                .iter()
                .skip(1)
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

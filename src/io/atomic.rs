//! Writing output files safely.
//!
//! An output is first written to a temporary file created next to the target
//! (same directory, hence same file system), named
//! `.<name>.tmp-<pid>-<counter>`. Only when everything has been written is it
//! renamed over the target, which is atomic on POSIX file systems: readers see
//! either the old file or the complete new one. If anything fails before, the
//! temporary file is deleted and the target is untouched, so a failed run
//! never leaves a partial output behind.
//!
//! Overwriting an existing file must be asked for (`--force` in the CLI), and
//! [`check_not_input`] refuses an output that is one of the program's inputs.
//!
//! Replacing a file gives it fresh permissions (the process's defaults), and a
//! target that is a symbolic link is replaced by a regular file instead of
//! writing through the link.
//!
//! Temporary files and directories are registered with [`super::output`], so
//! a program that calls [`super::output::interrupted`] on SIGINT/SIGTERM
//! leaves none behind. Several outputs that belong together are written with
//! an [`Outputs`](super::Outputs) group instead.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::output::{self, exists, hidden_sibling, parent_dir};
use crate::error::{Error, InputError, Result};

/// An output file being written; it appears at its path only on
/// [`commit`](AtomicFile::commit).
///
/// Writes go to a buffered temporary file in the target's directory. Dropping
/// an `AtomicFile` without committing it (an early return on error, a panic)
/// deletes the temporary file.
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<File>>,
    overwrite: bool,
    sync: bool,
    committed: bool,
    /// The registration of `temp` (see [`super::output`]).
    reg: u64,
}

impl AtomicFile {
    /// Starts writing `target`.
    ///
    /// With `overwrite == false`, an existing target is refused now and again
    /// at commit time (without a race: the new file is linked in only if the
    /// name is still free).
    ///
    /// # Errors
    ///
    /// [`Error::Input`] if `target` has no file name, is a directory, or exists
    /// and `overwrite` is false ("refusing to overwrite existing file; use
    /// --force"); [`Error::Io`] if the temporary file cannot be created.
    pub fn create(target: &Path, overwrite: bool) -> Result<Self> {
        let name = target.file_name().ok_or_else(|| {
            Error::from(InputError::file(
                target.display().to_string(),
                "output path does not name a file",
            ))
        })?;
        if let Ok(meta) = fs::metadata(target)
            && meta.is_dir()
        {
            return Err(InputError::file(
                target.display().to_string(),
                "output path is a directory",
            )
            .into());
        }
        if !overwrite && exists(target) {
            return Err(refuse(target));
        }
        let _ = name;
        let mut attempts = 0;
        loop {
            let temp = hidden_sibling(target, "tmp");
            let made = output::track_file(&temp, || {
                OpenOptions::new().write(true).create_new(true).open(&temp)
            });
            match made {
                Ok((reg, file)) => {
                    return Ok(Self {
                        target: target.to_path_buf(),
                        temp,
                        writer: Some(BufWriter::with_capacity(1 << 16, file)),
                        overwrite,
                        sync: false,
                        committed: false,
                        reg,
                    });
                }
                // A stale file from an earlier process with the same pid.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 100 => {
                    attempts += 1;
                }
                Err(e) => return Err(io_error(target, e)),
            }
        }
    }

    /// Whether [`commit`](Self::commit) flushes the data to the disk
    /// (`fsync` of the file, then of its directory) before and after the
    /// rename. Off by default: it protects against power loss, not against
    /// program failure, and costs time.
    pub fn set_sync(&mut self, sync: bool) {
        self.sync = sync;
    }

    /// The final path of the file.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The temporary file currently being written.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Finishes the file: flushes it and renames it over the target.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when flushing or renaming fails; [`Error::Input`] when
    /// overwriting was not allowed and the target appeared meanwhile. In every
    /// error case the temporary file is removed and the target is untouched.
    pub fn commit(mut self) -> Result<()> {
        let target = self.target.clone();
        let Some(writer) = self.writer.take() else {
            return Err(io_error(&target, io::Error::other("file already closed")));
        };
        let file = writer
            .into_inner()
            .map_err(|e| io_error(&target, e.into_error()))?;
        if self.sync {
            file.sync_all().map_err(|e| io_error(&target, e))?;
        }
        drop(file);
        let (temp, overwrite) = (self.temp.clone(), self.overwrite);
        output::settle(self.reg, || -> Result<()> {
            if overwrite {
                fs::rename(&temp, &target).map_err(|e| io_error(&target, e))?;
            } else {
                // `link` fails if the name is taken, unlike `rename`.
                match fs::hard_link(&temp, &target) {
                    Ok(()) => {
                        let _ = fs::remove_file(&temp);
                    }
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        let _ = fs::remove_file(&temp);
                        return Err(refuse(&target));
                    }
                    // File systems without hard links: check, then rename.
                    Err(_) => {
                        if exists(&target) {
                            let _ = fs::remove_file(&temp);
                            return Err(refuse(&target));
                        }
                        fs::rename(&temp, &target).map_err(|e| io_error(&target, e))?;
                    }
                }
            }
            Ok(())
        })?;
        self.committed = true;
        if self.sync {
            sync_dir(&self.temp).map_err(|e| io_error(&target, e))?;
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer_mut()?.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer_mut()?.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer_mut()?.flush()
    }
}

impl AtomicFile {
    fn writer_mut(&mut self) -> io::Result<&mut BufWriter<File>> {
        self.writer
            .as_mut()
            .ok_or_else(|| io::Error::other("file already closed"))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(writer) = self.writer.take() {
            // Discard the buffered bytes instead of flushing them.
            let (file, _) = writer.into_parts();
            drop(file);
        }
        if !self.committed {
            let _ = fs::remove_file(&self.temp);
            output::forget(self.reg);
        }
    }
}

/// Writes `path` atomically with `f`: the file appears, complete, only if `f`
/// succeeds; otherwise nothing is left behind (no partial file, no temporary
/// file).
///
/// Unless `force` is true, an existing `path` is refused before `f` runs.
///
/// # Errors
///
/// [`Error::Input`] "refusing to overwrite existing file; use --force" (or a
/// path that is a directory or names no file); [`Error::Io`] with context
/// `"writing <path>"` when `f` or the file system fails.
pub fn write_atomic<F>(path: &Path, force: bool, f: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let mut file = AtomicFile::create(path, force)?;
    f(&mut file).map_err(|e| io_error(path, e))?;
    file.commit()
}

/// Writes the directory `path` atomically: `f` fills a fresh temporary
/// directory next to it (`.<name>.tmp-<pid>-<counter>`), which is renamed to
/// `path` only if `f` succeeds; on failure it is removed, so no partial
/// directory is ever left at `path`. Missing parent directories are created
/// (and removed again on failure).
///
/// Unless `force` is true, an existing `path` is refused before `f` runs, and
/// again just before the rename. With `force`, an existing directory is moved
/// aside, the new one renamed in, and the old one deleted; only directories
/// are replaced this way. This is an [`Outputs`](super::Outputs) group of one
/// directory.
///
/// # Errors
///
/// [`Error::Input`] "refusing to overwrite existing directory; use --force"
/// (or a path that names no directory, or an existing non-directory);
/// [`Error::Io`] when the file system fails; whatever `f` returns.
pub fn write_dir_atomic<F>(path: &Path, force: bool, f: F) -> Result<()>
where
    F: FnOnce(&Path) -> Result<()>,
{
    let mut out = super::Outputs::new(force, &[] as &[&Path]);
    let id = out.dir(path)?;
    out.write_dir(id, f)?;
    out.commit()
}

/// Refuses an `output` that is the same file as one of the `inputs` (writing
/// it would destroy the data being read).
///
/// Paths are compared after resolving `.`/`..` and symbolic links, and on
/// Unix by device and inode, so hard links are caught too. An output that does
/// not exist yet cannot be an existing input and is accepted.
///
/// # Errors
///
/// [`Error::Input`] naming the output and the input it would overwrite.
pub fn check_not_input(output: &Path, inputs: &[&Path]) -> Result<()> {
    let Ok(out_meta) = fs::metadata(output) else {
        return Ok(());
    };
    let out_canon = fs::canonicalize(output).ok();
    for input in inputs {
        let same_path = match (&out_canon, fs::canonicalize(input)) {
            (Some(out), Ok(inp)) => *out == inp,
            _ => false,
        };
        let same_file = fs::metadata(input)
            .map(|m| same_inode(&out_meta, &m))
            .unwrap_or(false);
        if same_path || same_file {
            return Err(InputError::file(
                output.display().to_string(),
                format!(
                    "output file is the input file {}; choose another output path",
                    input.display()
                ),
            )
            .into());
        }
    }
    Ok(())
}

#[cfg(unix)]
fn same_inode(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_inode(_: &fs::Metadata, _: &fs::Metadata) -> bool {
    false
}

fn refuse(target: &Path) -> Error {
    InputError::file(
        target.display().to_string(),
        "refusing to overwrite existing file; use --force",
    )
    .into()
}

fn io_error(path: &Path, source: io::Error) -> Error {
    Error::Io {
        context: format!("writing {}", path.display()),
        source,
    }
}

/// Makes a rename in the directory of `path` durable.
#[cfg(unix)]
fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(parent_dir(path))?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names in `dir`, sorted.
    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write_atomic(&path, false, |w| w.write_all(b"a,b\n1,2\n")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "a,b\n1,2\n");
        assert_eq!(listing(dir.path()), vec!["out.csv"]);
    }

    #[test]
    fn temporary_is_hidden_next_to_the_target_until_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write_atomic(&path, false, |w| {
            w.write_all(b"x")?;
            let names = listing(dir.path());
            assert_eq!(names.len(), 1);
            let prefix = format!(".out.csv.tmp-{}-", std::process::id());
            assert!(names[0].starts_with(&prefix), "{names:?}");
            assert!(!path.exists());
            Ok(())
        })
        .unwrap();
        assert_eq!(listing(dir.path()), vec!["out.csv"]);
    }

    #[test]
    fn failure_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let e = write_atomic(&path, false, |w| {
            w.write_all(&[b'1'; 100_000])?;
            Err(io::Error::other("boom"))
        })
        .unwrap_err();
        match &e {
            Error::Io { context, source } => {
                assert_eq!(context, &format!("writing {}", path.display()));
                assert_eq!(source.to_string(), "boom");
            }
            other => panic!("{other:?}"),
        }
        assert!(!e.is_user_error());
        assert!(listing(dir.path()).is_empty());
    }

    #[test]
    fn failure_keeps_the_old_file_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        fs::write(&path, "old").unwrap();
        let res = write_atomic(&path, true, |w| {
            w.write_all(b"new, partial")?;
            Err(io::Error::other("boom"))
        });
        assert!(res.is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(listing(dir.path()), vec!["out.csv"]);
    }

    #[test]
    fn dropping_without_commit_removes_the_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let mut file = AtomicFile::create(&path, false).unwrap();
        file.write_all(b"data").unwrap();
        file.flush().unwrap();
        assert!(file.temp_path().exists());
        assert_eq!(file.temp_path().parent(), Some(dir.path()));
        assert_eq!(file.target(), path);
        drop(file);
        assert!(listing(dir.path()).is_empty());
    }

    #[test]
    fn refuses_to_overwrite_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        fs::write(&path, "old").unwrap();
        let mut called = false;
        let e = write_atomic(&path, false, |w| {
            called = true;
            w.write_all(b"new")
        })
        .unwrap_err();
        assert!(!called, "the refusal comes before any work");
        assert_eq!(
            e.to_string(),
            format!(
                "{}: refusing to overwrite existing file; use --force",
                path.display()
            )
        );
        assert!(e.is_user_error());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(listing(dir.path()), vec!["out.csv"]);
    }

    #[test]
    fn overwrites_with_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        fs::write(&path, "old").unwrap();
        write_atomic(&path, true, |w| w.write_all(b"new")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(listing(dir.path()), vec!["out.csv"]);
    }

    #[test]
    fn commit_refuses_a_target_created_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let mut file = AtomicFile::create(&path, false).unwrap();
        file.write_all(b"mine").unwrap();
        fs::write(&path, "theirs").unwrap();
        let e = file.commit().unwrap_err();
        assert!(e.to_string().contains("refusing to overwrite"), "{e}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "theirs");
        assert_eq!(listing(dir.path()), vec!["out.csv"]);
    }

    #[test]
    fn sync_commit_works() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let mut file = AtomicFile::create(&path, false).unwrap();
        file.set_sync(true);
        file.write_all(b"synced").unwrap();
        file.commit().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "synced");
        assert_eq!(listing(dir.path()), vec!["out.csv"]);
    }

    #[test]
    fn missing_directory_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/out.csv");
        match write_atomic(&path, false, |w| w.write_all(b"x")) {
            Err(Error::Io { context, source }) => {
                assert_eq!(context, format!("writing {}", path.display()));
                assert_eq!(source.kind(), io::ErrorKind::NotFound);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn directory_or_nameless_target_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = write_atomic(dir.path(), true, |_| Ok(())).unwrap_err();
        assert!(e.to_string().ends_with("output path is a directory"), "{e}");
        let e = write_atomic(Path::new("/"), true, |_| Ok(())).unwrap_err();
        assert!(e.to_string().ends_with("does not name a file"), "{e}");
        assert!(listing(dir.path()).is_empty());
    }

    #[test]
    fn writes_a_matrix_as_the_cli_does() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coef.csv");
        let coef = faer::mat![[1.5, -0.0], [0.0, 2e-300]];
        let tasks: Vec<String> = vec!["y0".into(), "y1".into()];
        let features: Vec<String> = vec!["x0".into(), "x1".into()];
        let rows = Some(("feature", features.as_slice()));
        write_atomic(&path, false, |w| {
            crate::io::csv::write_matrix(w, Some(&tasks), rows, coef.as_ref())
        })
        .unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "feature,y0,y1\nx0,1.5,-0\nx1,0,2e-300\n"
        );
    }

    #[test]
    fn directories_are_written_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("stats");
        write_dir_atomic(&out, false, |d| {
            fs::write(d.join("a.csv"), "1\n").map_err(|e| io_error(d, e))
        })
        .unwrap();
        assert_eq!(listing(&out), vec!["a.csv"]);
        // No overwrite without force, and nothing written.
        let e = write_dir_atomic(&out, false, |_| panic!("not called")).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("refusing to overwrite existing directory; use --force")
        );
        // A failure leaves neither a partial nor a temporary directory.
        let e = write_dir_atomic(&dir.path().join("bad"), false, |d| {
            fs::write(d.join("half.csv"), "1\n").unwrap();
            Err(Error::EmptyInput("boom"))
        })
        .unwrap_err();
        assert!(matches!(e, Error::EmptyInput("boom")));
        assert_eq!(listing(dir.path()), vec!["stats"]);
        // With force the old directory is replaced as a whole.
        write_dir_atomic(&out, true, |d| {
            fs::write(d.join("b.csv"), "2\n").map_err(|e| io_error(d, e))
        })
        .unwrap();
        assert_eq!(listing(&out), vec!["b.csv"]);
        assert_eq!(listing(dir.path()), vec!["stats"]);
        // A file is never replaced by a directory.
        fs::write(dir.path().join("file"), "x").unwrap();
        assert!(write_dir_atomic(&dir.path().join("file"), true, |_| Ok(())).is_err());
    }

    #[test]
    fn temporary_directory_of_relative_targets() {
        assert_eq!(parent_dir(Path::new("out.csv")), Path::new("."));
        assert_eq!(parent_dir(Path::new("a/out.csv")), Path::new("a"));
        assert_eq!(parent_dir(Path::new("/out.csv")), Path::new("/"));
    }

    #[test]
    fn refuses_output_equal_to_an_input() {
        let dir = tempfile::tempdir().unwrap();
        let x = dir.path().join("X.csv");
        let y = dir.path().join("Y.csv");
        fs::write(&x, "1\n").unwrap();
        fs::write(&y, "2\n").unwrap();
        let sub = dir.path().join("sub");
        fs::create_dir(&sub).unwrap();

        let e = check_not_input(&x, &[&y, &x]).unwrap_err();
        assert!(e.is_user_error());
        assert!(
            e.to_string().contains("output file is the input file"),
            "{e}"
        );
        // Another spelling of the same path.
        let dotted = sub.join("..").join(".").join("X.csv");
        assert!(check_not_input(&dotted, &[&x]).is_err());
        // A hard link to an input.
        let linked = dir.path().join("link.csv");
        fs::hard_link(&x, &linked).unwrap();
        assert!(check_not_input(&linked, &[&x]).is_err());
        #[cfg(unix)]
        {
            let sym = dir.path().join("sym.csv");
            std::os::unix::fs::symlink(&y, &sym).unwrap();
            assert!(check_not_input(&sym, &[&x, &y]).is_err());
        }
        // Distinct files, and outputs that do not exist yet, are fine.
        check_not_input(&y, &[&x]).unwrap();
        check_not_input(&dir.path().join("new.csv"), &[&x, &y]).unwrap();
        check_not_input(&x, &[]).unwrap();
        check_not_input(&x, &[&dir.path().join("missing.csv")]).unwrap();
    }
}

//! Output groups: all of a command's outputs, checked before the work starts
//! and written as one unit (all or nothing).
//!
//! A command declares every output first ([`Outputs::file`],
//! [`Outputs::dir`]); each is checked at once against the file system and
//! the inputs, so a refused output costs no computation and leaves nothing
//! behind. After the work, each output is staged ([`Outputs::write`],
//! [`Outputs::write_dir`]): written to a hidden temporary next to its target
//! (same directory, hence same file system), creating missing parent
//! directories. [`Outputs::commit`] then moves every staged output into place:
//!
//! 1. under an exclusive lock of each target directory (`flock` on Unix), so
//!    that two concurrent runs writing the same outputs commit one after the
//!    other and the outputs of one run are never mixed with the other's;
//! 2. existing targets (only with `force`) are kept aside (a hard link, or a
//!    rename for directories) until every output is in place: a failure
//!    half-way puts them back and removes what was installed;
//! 3. a file replaces its target by `rename` (atomic: a reader sees the old
//!    file or the new one); without `force` it is linked in with `link`,
//!    which refuses a target that appeared meanwhile.
//!
//! Dropping an uncommitted group (an error, a panic) removes everything it
//! staged, parent directories it created included.
//!
//! # Signals
//!
//! Every staged path is registered in a process-wide list. A program that
//! handles SIGINT/SIGTERM (the `mtreg` CLI does) calls [`interrupted`] from
//! its handler thread: it removes every registered path, then exits. Staging
//! and committing hold the same lock, so an interrupted run leaves either no
//! output at all or all of them, and never a hidden temporary or an empty
//! directory.
//!
//! ```
//! use std::io::Write;
//! let dir = tempfile::tempdir().unwrap();
//! let input = dir.path().join("X.csv");
//! std::fs::write(&input, "1,2\n").unwrap();
//! let mut out = mtreg::io::Outputs::new(false, &[&input]);
//! let coef = out.file(dir.path().join("fit/coef.csv"))?;
//! let model = out.file(dir.path().join("fit/model.json"))?;
//! // ... the work ...
//! out.write(coef, |w| w.write_all(b"feature,y\n"))?;
//! out.write(model, |w| w.write_all(b"{}\n"))?;
//! out.commit()?;
//! assert!(dir.path().join("fit/model.json").exists());
//! # Ok::<(), mtreg::Error>(())
//! ```

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::error::{Error, InputError, Result};

// ----- the process-wide list of staged paths -----

/// A path to remove if the process is interrupted.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Staged {
    /// A temporary file.
    File(PathBuf),
    /// A temporary directory (removed with its contents).
    Tree(PathBuf),
    /// A directory created for an output (removed if empty).
    Created(PathBuf),
}

static STAGED: Mutex<Vec<(u64, Staged)>> = Mutex::new(Vec::new());
static NEXT: AtomicU64 = AtomicU64::new(0);

/// The staged list, locked (a panic elsewhere does not stop the cleanup).
fn staged() -> MutexGuard<'static, Vec<(u64, Staged)>> {
    STAGED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `make` (which creates `what` on disk) under the lock and registers
/// `what` if it succeeds: a signal sees the path either registered and
/// created, or neither.
fn register<T>(what: Staged, make: impl FnOnce() -> io::Result<T>) -> io::Result<(u64, T)> {
    let mut list = staged();
    let made = make()?;
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    list.push((id, what));
    Ok((id, made))
}

fn deregister_in(list: &mut Vec<(u64, Staged)>, id: u64) {
    list.retain(|(k, _)| *k != id);
}

/// Removes a staged path from the disk (best effort).
fn remove(what: &Staged) {
    let _ = match what {
        Staged::File(p) => fs::remove_file(p),
        Staged::Tree(p) => fs::remove_dir_all(p),
        Staged::Created(p) => fs::remove_dir(p),
    };
}

/// Removes everything staged by this process and exits with `code`: for the
/// handler of SIGINT/SIGTERM (the CLI exits 130 and 143, as a shell reports
/// a process killed by those signals).
///
/// The lock is held until the process ends, so no output is staged or
/// committed meanwhile: a commit in progress completes first.
pub fn interrupted(code: i32) -> ! {
    let list = staged();
    // Temporaries first, then the directories created for them, deepest
    // (latest) first.
    for (_, what) in list
        .iter()
        .filter(|(_, w)| !matches!(w, Staged::Created(_)))
    {
        remove(what);
    }
    for (_, what) in list.iter().rev() {
        if matches!(what, Staged::Created(_)) {
            remove(what);
        }
    }
    std::process::exit(code)
}

/// Registers a temporary file created elsewhere in `io` (see
/// [`super::atomic`]); the id is for [`forget`].
pub(crate) fn track_file(
    path: &Path,
    make: impl FnOnce() -> io::Result<File>,
) -> io::Result<(u64, File)> {
    register(Staged::File(path.to_path_buf()), make)
}

/// Runs `f` (a rename that ends a staging) under the lock and forgets `id`.
pub(crate) fn settle<T>(id: u64, f: impl FnOnce() -> T) -> T {
    let mut list = staged();
    let out = f();
    deregister_in(&mut list, id);
    out
}

/// Forgets a registered path (it was removed or moved into place).
pub(crate) fn forget(id: u64) {
    deregister_in(&mut staged(), id);
}

// ----- names and checks -----

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// `.<name>.<what>-<pid>-<counter>` next to `target`.
pub(crate) fn hidden_sibling(target: &Path, what: &str) -> PathBuf {
    let mut s = OsString::from(".");
    s.push(target.file_name().unwrap_or_default());
    s.push(format!(
        ".{what}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    parent_dir(target).join(s)
}

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Whether anything (even a dangling symbolic link) has this name.
pub(crate) fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// `path` made absolute with its longest existing prefix resolved (`..`,
/// `.`, symbolic links), for comparing paths that may not exist yet.
fn normalize(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let parts: Vec<Component<'_>> = abs.components().collect();
    for k in (1..=parts.len()).rev() {
        let prefix: PathBuf = parts[..k].iter().collect();
        if let Ok(mut out) = fs::canonicalize(&prefix) {
            for part in &parts[k..] {
                match part {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::CurDir => {}
                    other => out.push(other.as_os_str()),
                }
            }
            return out;
        }
    }
    abs
}

fn user(path: &Path, msg: impl Into<String>) -> Error {
    InputError::file(path.display().to_string(), msg).into()
}

fn io_error(path: &Path, source: io::Error) -> Error {
    Error::Io {
        context: format!("writing {}", path.display()),
        source,
    }
}

/// Refuses a target whose parent chain holds a file (`--out X.csv/C.csv`
/// with `X.csv` a file) instead of a directory.
fn check_ancestors(target: &Path) -> Result<()> {
    for a in target.ancestors().skip(1) {
        if a.as_os_str().is_empty() {
            break;
        }
        if let Ok(meta) = fs::metadata(a) {
            if meta.is_dir() {
                return Ok(());
            }
            return Err(user(
                target,
                format!(
                    "cannot create it: {} is a file, not a directory",
                    a.display()
                ),
            ));
        }
    }
    Ok(())
}

// ----- output groups -----

/// One declared output of an [`Outputs`] group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputId(usize);

#[derive(Debug)]
enum Kind {
    File,
    /// A directory replaced as a whole.
    Dir,
}

#[derive(Debug)]
struct Entry {
    target: PathBuf,
    normal: PathBuf,
    kind: Kind,
    /// The staged temporary and its registration.
    staged: Option<(PathBuf, u64)>,
}

/// The outputs of one command, checked up front and committed as one unit.
/// See the [module documentation](self).
#[derive(Debug)]
pub struct Outputs {
    force: bool,
    inputs: Vec<PathBuf>,
    entries: Vec<Entry>,
    /// Directories created for staging (in creation order) and their
    /// registrations.
    created: Vec<(PathBuf, u64)>,
    committed: bool,
}

impl Outputs {
    /// A group that never writes over `inputs` (files or directories) and
    /// replaces existing outputs only if `force`.
    pub fn new(force: bool, inputs: &[impl AsRef<Path>]) -> Self {
        Self {
            force,
            inputs: inputs.iter().map(|p| p.as_ref().to_path_buf()).collect(),
            entries: Vec::new(),
            created: Vec::new(),
            committed: false,
        }
    }

    /// Declares an output file and checks it now.
    ///
    /// # Errors
    /// [`Error::Input`] when `path` names no file, lies under a file, is a
    /// directory, exists and `force` is false ("refusing to overwrite
    /// existing file; use --force"), is one of the inputs, or is declared
    /// twice (or inside a declared directory).
    pub fn file(&mut self, path: impl AsRef<Path>) -> Result<OutputId> {
        let path = path.as_ref();
        if path.file_name().is_none() {
            return Err(user(path, "output path does not name a file"));
        }
        check_ancestors(path)?;
        if let Ok(meta) = fs::metadata(path)
            && meta.is_dir()
        {
            return Err(user(path, "output path is a directory"));
        }
        if !self.force && exists(path) {
            return Err(user(
                path,
                "refusing to overwrite existing file; use --force",
            ));
        }
        let inputs: Vec<&Path> = self.inputs.iter().map(PathBuf::as_path).collect();
        super::atomic::check_not_input(path, &inputs)?;
        self.add(path, Kind::File)
    }

    /// Declares an output directory replaced as a whole (its old contents go),
    /// and checks it now.
    ///
    /// # Errors
    /// [`Error::Input`] when `path` names no directory, lies under a file, is
    /// an existing non-directory, exists and `force` is false ("refusing to
    /// overwrite existing directory; use --force"), is or holds one of the
    /// inputs (replacing it would delete them), or is declared twice.
    pub fn dir(&mut self, path: impl AsRef<Path>) -> Result<OutputId> {
        let path = path.as_ref();
        if path.file_name().is_none() {
            return Err(user(path, "output path does not name a directory"));
        }
        check_ancestors(path)?;
        if let Ok(meta) = fs::symlink_metadata(path)
            && !meta.is_dir()
        {
            return Err(user(path, "output path exists and is not a directory"));
        }
        let normal = normalize(path);
        for input in &self.inputs {
            let inp = normalize(input);
            if inp == normal {
                return Err(user(
                    path,
                    format!(
                        "is one of the inputs ({}); choose another output directory",
                        input.display()
                    ),
                ));
            }
            if inp.starts_with(&normal) {
                return Err(user(
                    path,
                    format!(
                        "holds the input {}, which replacing the directory would delete; \
                         choose another output directory",
                        input.display()
                    ),
                ));
            }
        }
        if !self.force && exists(path) {
            return Err(user(
                path,
                "refusing to overwrite existing directory; use --force",
            ));
        }
        self.add(path, Kind::Dir)
    }

    fn add(&mut self, path: &Path, kind: Kind) -> Result<OutputId> {
        let normal = normalize(path);
        for e in &self.entries {
            let nested = |outer: &Entry, inner: &Path| {
                matches!(outer.kind, Kind::Dir) && inner.starts_with(&outer.normal)
            };
            let clash = e.normal == normal
                || nested(e, &normal)
                || (matches!(kind, Kind::Dir) && e.normal.starts_with(&normal));
            if clash {
                return Err(user(
                    path,
                    format!(
                        "is named as two outputs (also {}); choose different paths",
                        e.target.display()
                    ),
                ));
            }
        }
        self.entries.push(Entry {
            target: path.to_path_buf(),
            normal,
            kind,
            staged: None,
        });
        Ok(OutputId(self.entries.len() - 1))
    }

    /// The path of a declared output.
    pub fn path(&self, id: OutputId) -> &Path {
        &self.entries[id.0].target
    }

    /// Creates the missing directories above `target`, registered.
    fn make_parents(&mut self, target: &Path) -> Result<()> {
        let dir = parent_dir(target);
        let missing: Vec<&Path> = dir
            .ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && !exists(a))
            .collect();
        for d in missing.into_iter().rev() {
            let made = register(Staged::Created(d.to_path_buf()), || fs::create_dir(d));
            match made {
                Ok((id, ())) => self.created.push((d.to_path_buf(), id)),
                // Made meanwhile by someone else: theirs, not ours to remove.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_error(target, e)),
            }
        }
        Ok(())
    }

    /// Stages the output file `id`: `f` writes it into a temporary next to
    /// its target (replacing what an earlier call staged).
    ///
    /// # Errors
    /// [`Error::Io`] with context `"writing <path>"` when `f` or the file
    /// system fails (the temporary is then removed).
    ///
    /// # Panics
    /// If `id` is a directory output.
    pub fn write(
        &mut self,
        id: OutputId,
        f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<()> {
        let target = self.entries[id.0].target.clone();
        assert!(
            matches!(self.entries[id.0].kind, Kind::File),
            "a file output"
        );
        self.unstage(id);
        self.make_parents(&target)?;
        let temp = hidden_sibling(&target, "tmp");
        let (reg, file) = register(Staged::File(temp.clone()), || {
            OpenOptions::new().write(true).create_new(true).open(&temp)
        })
        .map_err(|e| io_error(&target, e))?;
        self.entries[id.0].staged = Some((temp, reg));
        let mut w = BufWriter::with_capacity(1 << 16, file);
        let done = f(&mut w).and_then(|()| w.flush());
        drop(w);
        if let Err(e) = done {
            self.unstage(id);
            return Err(io_error(&target, e));
        }
        Ok(())
    }

    /// Stages the output directory `id`: `f` fills a fresh temporary
    /// directory next to its target.
    ///
    /// # Errors
    /// [`Error::Io`] when the file system fails; whatever `f` returns (the
    /// temporary directory is then removed).
    ///
    /// # Panics
    /// If `id` is a file output.
    pub fn write_dir(&mut self, id: OutputId, f: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
        let target = self.entries[id.0].target.clone();
        assert!(
            matches!(self.entries[id.0].kind, Kind::Dir),
            "a directory output"
        );
        self.unstage(id);
        self.make_parents(&target)?;
        let temp = hidden_sibling(&target, "tmp");
        let (reg, ()) = register(Staged::Tree(temp.clone()), || fs::create_dir(&temp))
            .map_err(|e| io_error(&target, e))?;
        self.entries[id.0].staged = Some((temp.clone(), reg));
        if let Err(e) = f(&temp) {
            self.unstage(id);
            return Err(e);
        }
        Ok(())
    }

    /// Removes what was staged for `id`.
    fn unstage(&mut self, id: OutputId) {
        if let Some((temp, reg)) = self.entries[id.0].staged.take() {
            let what = match self.entries[id.0].kind {
                Kind::File => Staged::File(temp),
                Kind::Dir => Staged::Tree(temp),
            };
            let mut list = staged();
            remove(&what);
            deregister_in(&mut list, reg);
        }
    }

    /// Moves every staged output into place, as one unit (see the
    /// [module documentation](self)). Outputs declared but never staged are
    /// left alone.
    ///
    /// # Errors
    /// [`Error::Input`] when, without `force`, a target appeared since it was
    /// declared; [`Error::Io`] when the file system fails. In every error
    /// case nothing of the group is left in place and the old targets are
    /// restored.
    pub fn commit(mut self) -> Result<()> {
        let mut list = staged();
        // Lock the target directories (sorted: no deadlock between runs).
        let mut dirs: Vec<PathBuf> = self
            .entries
            .iter()
            .filter(|e| e.staged.is_some())
            .map(|e| normalize(parent_dir(&e.target)))
            .collect();
        dirs.sort();
        dirs.dedup();
        let _locks: Vec<DirLock> = dirs.iter().filter_map(|d| DirLock::new(d)).collect();
        let result = self.install();
        // Success or not, nothing staged remains registered: installed
        // outputs are in place, the rest was removed.
        for e in &mut self.entries {
            if let Some((_, reg)) = e.staged.take() {
                deregister_in(&mut list, reg);
            }
        }
        if result.is_ok() {
            for (_, reg) in self.created.drain(..) {
                deregister_in(&mut list, reg);
            }
            self.committed = true;
        } else {
            // The created directories are removed by `drop`, after the lock.
        }
        drop(list);
        result
    }

    /// The renames of [`commit`](Self::commit), undone on failure.
    fn install(&mut self) -> Result<()> {
        let force = self.force;
        let staged: Vec<usize> = (0..self.entries.len())
            .filter(|&i| self.entries[i].staged.is_some())
            .collect();
        if !force && let Some(&i) = staged.iter().find(|&&i| exists(&self.entries[i].target)) {
            let e = &self.entries[i];
            let what = match e.kind {
                Kind::File => "refusing to overwrite existing file; use --force",
                Kind::Dir => "refusing to overwrite existing directory; use --force",
            };
            let err = user(&e.target, what);
            self.discard(&staged);
            return Err(err);
        }
        // Old targets kept aside until the end: (entry, backup).
        let mut kept: Vec<(usize, PathBuf)> = Vec::new();
        // Entries installed so far.
        let mut done: Vec<usize> = Vec::new();
        let mut failure = None;
        for &i in &staged {
            let e = &self.entries[i];
            let (temp, _) = e.staged.as_ref().expect("staged");
            let step = (|| -> io::Result<()> {
                match e.kind {
                    Kind::File => {
                        if force && exists(&e.target) {
                            let backup = hidden_sibling(&e.target, "old");
                            if fs::hard_link(&e.target, &backup).is_ok() {
                                kept.push((i, backup));
                            }
                            fs::rename(temp, &e.target)
                        } else {
                            link_new(temp, &e.target)
                        }
                    }
                    Kind::Dir => {
                        if exists(&e.target) {
                            let backup = hidden_sibling(&e.target, "old");
                            fs::rename(&e.target, &backup)?;
                            kept.push((i, backup));
                        }
                        fs::rename(temp, &e.target)
                    }
                }
            })();
            match step {
                Ok(()) => done.push(i),
                Err(err) => {
                    failure = Some(if err.kind() == io::ErrorKind::AlreadyExists {
                        user(
                            &e.target,
                            "refusing to overwrite existing file; use --force",
                        )
                    } else {
                        io_error(&e.target, err)
                    });
                    break;
                }
            }
        }
        let Some(err) = failure else {
            for (_, backup) in kept {
                let _ = fs::remove_file(&backup).or_else(|_| fs::remove_dir_all(&backup));
            }
            return Ok(());
        };
        // Undo: remove what was installed, put the old targets back.
        for &i in done.iter().rev() {
            let e = &self.entries[i];
            let _ = match e.kind {
                Kind::File => fs::remove_file(&e.target),
                Kind::Dir => fs::remove_dir_all(&e.target),
            };
        }
        for (i, backup) in kept {
            let _ = fs::rename(&backup, &self.entries[i].target);
        }
        self.discard(&staged);
        Err(err)
    }

    /// Removes the temporaries of `which` still on disk.
    fn discard(&self, which: &[usize]) {
        for &i in which {
            let e = &self.entries[i];
            if let Some((temp, _)) = &e.staged {
                let _ = match e.kind {
                    Kind::File => fs::remove_file(temp),
                    Kind::Dir => fs::remove_dir_all(temp),
                };
            }
        }
    }
}

/// `link(temp, target)` then removes `temp`: fails with `AlreadyExists` if
/// `target` exists, unlike `rename`. File systems without hard links: a check,
/// then a rename.
fn link_new(temp: &Path, target: &Path) -> io::Result<()> {
    match fs::hard_link(temp, target) {
        Ok(()) => {
            let _ = fs::remove_file(temp);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) if exists(target) => Err(io::ErrorKind::AlreadyExists.into()),
        Err(_) => fs::rename(temp, target),
    }
}

impl Drop for Outputs {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        for i in 0..self.entries.len() {
            self.unstage(OutputId(i));
        }
        let mut list = staged();
        for (dir, reg) in self.created.drain(..).rev() {
            let _ = fs::remove_dir(&dir);
            deregister_in(&mut list, reg);
        }
    }
}

/// An exclusive advisory lock of a directory, held while committing (Unix:
/// `flock`; elsewhere nothing).
struct DirLock(#[allow(dead_code)] Option<File>);

impl DirLock {
    fn new(dir: &Path) -> Option<Self> {
        #[cfg(unix)]
        {
            let f = File::open(dir).ok()?;
            rustix::fs::flock(&f, rustix::fs::FlockOperation::LockExclusive).ok()?;
            Some(DirLock(Some(f)))
        }
        #[cfg(not(unix))]
        {
            let _ = dir;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut out = Outputs::new(false, &[] as &[&Path]);
        let a = out.file(d.join("sub/a.csv")).unwrap();
        let b = out.file(d.join("sub/deeper/b.csv")).unwrap();
        out.write(a, |w| w.write_all(b"a")).unwrap();
        assert!(!d.join("sub/a.csv").exists());
        let e = out
            .write(b, |w| {
                w.write_all(b"partial")?;
                Err(io::Error::other("boom"))
            })
            .unwrap_err();
        assert!(matches!(e, Error::Io { .. }));
        drop(out);
        assert!(listing(d).is_empty(), "{:?}", listing(d));

        let mut out = Outputs::new(false, &[] as &[&Path]);
        let a = out.file(d.join("sub/a.csv")).unwrap();
        let b = out.file(d.join("sub/deeper/b.csv")).unwrap();
        out.write(a, |w| w.write_all(b"a")).unwrap();
        out.write(b, |w| w.write_all(b"b")).unwrap();
        out.commit().unwrap();
        assert_eq!(listing(&d.join("sub")), ["a.csv", "deeper"]);
        assert_eq!(fs::read_to_string(d.join("sub/deeper/b.csv")).unwrap(), "b");
    }

    #[test]
    fn checks_come_first() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("x.csv"), "1\n").unwrap();
        fs::write(d.join("old.csv"), "old").unwrap();
        let inputs = [d.join("x.csv")];
        let mut out = Outputs::new(false, &inputs);
        let e = out.file(d.join("old.csv")).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("refusing to overwrite existing file; use --force")
        );
        let e = out.file(d.join("x.csv/c.csv")).unwrap_err();
        assert!(e.is_user_error());
        assert!(
            e.to_string().contains("x.csv is a file, not a directory"),
            "{e}"
        );
        let mut out = Outputs::new(true, &inputs);
        let e = out.file(d.join("x.csv")).unwrap_err();
        assert!(e.to_string().contains("is the input file"), "{e}");
        out.file(d.join("c.csv")).unwrap();
        let e = out.file(d.join(".").join("c.csv")).unwrap_err();
        assert!(e.to_string().contains("two outputs"), "{e}");
        let e = out.dir(d).unwrap_err();
        assert!(e.to_string().contains("holds the input"), "{e}");
        let e = out.file(d).unwrap_err();
        assert!(e.to_string().ends_with("is a directory"), "{e}");
        assert_eq!(listing(d), ["old.csv", "x.csv"]);
    }

    #[test]
    fn force_replaces_every_output_and_a_failure_restores_them() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("a.csv"), "old a").unwrap();
        fs::create_dir(d.join("s")).unwrap();
        fs::write(d.join("s/f"), "old s").unwrap();
        let mut out = Outputs::new(true, &[] as &[&Path]);
        let a = out.file(d.join("a.csv")).unwrap();
        let s = out.dir(d.join("s")).unwrap();
        out.write(a, |w| w.write_all(b"new a")).unwrap();
        out.write_dir(s, |t| {
            fs::write(t.join("g"), "new s").map_err(|e| io_error(t, e))
        })
        .unwrap();
        out.commit().unwrap();
        assert_eq!(fs::read_to_string(d.join("a.csv")).unwrap(), "new a");
        assert_eq!(listing(&d.join("s")), ["g"]);
        assert_eq!(listing(d), ["a.csv", "s"]);

        // A target that cannot be replaced (a directory where a file goes)
        // fails the commit: the output committed before it is undone.
        let mut out = Outputs::new(true, &[] as &[&Path]);
        let a = out.file(d.join("a.csv")).unwrap();
        let b = out.file(d.join("b.csv")).unwrap();
        out.write(a, |w| w.write_all(b"newer a")).unwrap();
        out.write(b, |w| w.write_all(b"b")).unwrap();
        fs::create_dir(d.join("b.csv")).unwrap();
        fs::write(d.join("b.csv/keep"), "x").unwrap();
        assert!(out.commit().is_err());
        assert_eq!(fs::read_to_string(d.join("a.csv")).unwrap(), "new a");
        assert_eq!(listing(d), ["a.csv", "b.csv", "s"]);
    }

    #[test]
    fn without_force_a_target_appearing_meanwhile_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut out = Outputs::new(false, &[] as &[&Path]);
        let a = out.file(d.join("a.csv")).unwrap();
        let b = out.file(d.join("b.csv")).unwrap();
        out.write(a, |w| w.write_all(b"a")).unwrap();
        out.write(b, |w| w.write_all(b"b")).unwrap();
        fs::write(d.join("b.csv"), "theirs").unwrap();
        let e = out.commit().unwrap_err();
        assert!(e.to_string().contains("refusing to overwrite"), "{e}");
        assert_eq!(listing(d), ["b.csv"]);
        assert_eq!(fs::read_to_string(d.join("b.csv")).unwrap(), "theirs");
    }

    #[test]
    fn normalize_resolves_dots_and_missing_tails() {
        let dir = tempfile::tempdir().unwrap();
        let d = fs::canonicalize(dir.path()).unwrap();
        assert_eq!(normalize(&d.join("a/./b/../c")), d.join("a/c"));
        assert_eq!(normalize(&d.join(".")), d);
    }
}

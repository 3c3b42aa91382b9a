//! Per-task data in "long" format: one CSV row per sample, tagged with its task.
//!
//! In multi-task regression with separate designs, task `t` has its own
//! `n_t x p` matrix `X_t` and targets `y_t`, all tasks sharing the same `p`
//! features. The long format stores them in a single file:
//!
//! ```text
//! task,age,dose,y
//! paris,31,0.5,1.25
//! lyon,45,1.0,0.75
//! paris,52,0.25,2.0
//! ```
//!
//! * A header row is required: it names the task column
//!   ([`LongOptions::task_column`], `task` by default), the target column
//!   ([`LongOptions::target_column`], `y` by default), and the features. Every
//!   column other than the task and target columns is a numeric feature, in
//!   file order. The columns may come in any order.
//! * Task values are arbitrary text (`0`, `paris`, `t1`), trimmed of spaces and
//!   tabs; an empty one is an error. Tasks are numbered in order of first
//!   appearance. The rows of a task need not be contiguous: each task keeps
//!   its rows in file order.
//! * Lexical rules are those of [`read_matrix`](super::csv::read_matrix): a
//!   UTF-8 byte-order mark is skipped, `\r\n` line endings, blank lines,
//!   quoted cells and spaces around numbers are accepted, and feature and
//!   target cells must be finite numbers (no empty cells, `NaN` or `inf`).
//!
//! Every problem is an [`Error::Input`] naming the file, the 1-based line and,
//! where there is one, the 1-based column and its name, with the same messages
//! as [`read_matrix`](super::csv::read_matrix) for the cells they share.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use faer::Mat;

use super::csv::HeaderMode;
use super::record::{RowSink, cannot_read, open_records, read_head};
use crate::error::{Error, InputError, Result};

/// How to read a long-format file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongOptions {
    /// Name of the column holding the task of each row (`"task"` by default).
    pub task_column: String,
    /// Name of the column holding the target (`"y"` by default).
    pub target_column: String,
    /// Field delimiter, an ASCII byte (`b','` by default).
    pub delimiter: u8,
}

impl Default for LongOptions {
    fn default() -> Self {
        Self {
            task_column: "task".to_owned(),
            target_column: "y".to_owned(),
            delimiter: b',',
        }
    }
}

/// The samples of one task.
#[derive(Debug, Clone)]
pub struct TaskData {
    /// The design, `n_t x p`, rows in file order. As with any faer matrix,
    /// use the matrix API rather than assuming a packed buffer.
    pub x: Mat<f64>,
    /// The targets, one per row of `x`.
    pub y: Vec<f64>,
}

/// A long-format file split into per-task designs and targets.
#[derive(Debug, Clone)]
pub struct LongData {
    /// The feature names, in file order (one per column of every `x`).
    pub feature_names: Vec<String>,
    /// The task names, in order of first appearance (one per task).
    pub task_names: Vec<String>,
    /// The tasks, in the order of [`task_names`](Self::task_names).
    pub tasks: Vec<TaskData>,
}

impl LongData {
    /// Number of features `p`.
    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    /// Number of tasks `T`.
    pub fn n_tasks(&self) -> usize {
        self.tasks.len()
    }

    /// Total number of samples over all tasks.
    pub fn n_samples(&self) -> usize {
        self.tasks.iter().map(|t| t.y.len()).sum()
    }
}

/// Reads a long-format file (see the [module documentation](self)).
///
/// # Memory
///
/// The file is streamed one record at a time; its text is never held. The
/// values of each task go to growable per-column buffers, since neither the
/// number of tasks nor their sizes are known before the end of the file (a
/// first counting pass could not size per-task buffers without a task
/// look-up per row, i.e. half the parse). At the end each task's matrix is
/// assembled column by column, each buffer being freed as soon as it is
/// copied, so no second copy of the data is ever held. What remains is the
/// buffers' doubling slack: peak memory stays below about twice the values
/// (1.6 times for 500,000 rows of 32 features spread over 50 interleaved
/// tasks).
///
/// # Errors
///
/// [`Error::Input`] for an unreadable, empty or malformed file: no header row
/// or no data rows, a missing task or target column, the same column named for
/// both, no feature column, duplicate or empty column names, an empty task
/// cell, a feature or target cell that is empty or not a finite number, a row
/// with the wrong number of fields.
pub fn read_long(path: &Path, opts: &LongOptions) -> Result<LongData> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| cannot_read(&name, &e))?;
    read_long_from_reader(file, &name, opts)
}

/// [`read_long`] on any reader (standard input, memory, ...); `source` names
/// the input in error messages (a path, or `"<stdin>"`).
///
/// # Errors
///
/// As [`read_long`].
pub fn read_long_from_reader<R: Read>(
    reader: R,
    source: &str,
    opts: &LongOptions,
) -> Result<LongData> {
    let mut src = open_records(reader, source, opts.delimiter)?;
    let head = read_head(&mut src, source, opts.delimiter, HeaderMode::Present)?;
    let header = head.names.as_deref().unwrap_or_default();
    let layout = Layout::new(header, opts, source, head.header_line)
        .map_err(|e| head.parser(source).fail(e))?;
    head.require_data(source)?;
    let parser = head.parser(source);

    let p = layout.feature_names.len();
    let mut task_names: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut growing: Vec<Growing> = Vec::new();
    let mut row = LongRow {
        roles: &layout.roles,
        x: vec![0.0f64; p],
        y: 0.0,
    };
    // Rows of a task often come together: look the previous one up first.
    let mut last: Option<usize> = None;
    loop {
        // The line is computed only for errors: it costs a scan of the record.
        parser.parse(&src.rec, || src.line(), &mut row)?;
        // Checked by `LongRow::text` (UTF-8, not empty).
        let task = std::str::from_utf8(src.rec[layout.task].trim_ascii()).unwrap_or_default();
        let t = match last {
            Some(t) if task_names[t] == task => t,
            _ => match index.get(task) {
                Some(&t) => t,
                None => {
                    let t = task_names.len();
                    task_names.push(task.to_owned());
                    index.insert(task.to_owned(), t);
                    growing.push(Growing::new(p));
                    t
                }
            },
        };
        last = Some(t);
        growing[t]
            .push(&row.x, row.y)
            .map_err(|()| too_large(source))?;
        if !src.advance()? {
            break;
        }
    }
    drop(index);

    let mut tasks = Vec::with_capacity(growing.len());
    for g in growing {
        tasks.push(g.finish(p).map_err(|()| too_large(source))?);
    }
    Ok(LongData {
        feature_names: layout.feature_names,
        task_names,
        tasks,
    })
}

/// One row of a long file: the features, the target, a checked task cell.
struct LongRow<'a> {
    roles: &'a [Role],
    x: Vec<f64>,
    y: f64,
}

impl RowSink for LongRow<'_> {
    #[inline]
    fn number(&mut self, j: usize, v: f64) {
        match self.roles[j] {
            Role::Feature(k) => self.x[k] = v,
            _ => self.y = v,
        }
    }

    #[inline]
    fn is_text(&self, j: usize) -> bool {
        self.roles[j] == Role::Task
    }

    fn text(&mut self, _: usize, raw: &[u8]) -> std::result::Result<(), String> {
        task_cell(raw).map(|_| ())
    }
}

/// What a file column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Task,
    Target,
    /// The feature with this 0-based index.
    Feature(usize),
}

/// The roles of the columns of a header, checked against the options.
struct Layout {
    roles: Vec<Role>,
    feature_names: Vec<String>,
    /// The task column.
    task: usize,
}

/// How many column names a "no such column" message lists at most.
const LISTED_COLUMNS: usize = 20;

impl Layout {
    fn new(
        header: &[String],
        opts: &LongOptions,
        source: &str,
        line: usize,
    ) -> std::result::Result<Self, InputError> {
        let task_name = opts.task_column.trim_ascii();
        let target_name = opts.target_column.trim_ascii();
        let find = |name: &str| header.iter().position(|h| h == name);
        let at_column = |j: usize| Some((j + 1, Some(header[j].clone())));
        if task_name == target_name {
            return Err(InputError::at(
                source,
                line,
                find(task_name).and_then(at_column),
                format!(
                    "the task column and the target column are both {task_name:?} \
                     (use --task-column and --target-column to name two different columns)"
                ),
            ));
        }
        let locate = |name: &str, flag: &str| {
            find(name).ok_or_else(|| {
                InputError::at(
                    source,
                    line,
                    None,
                    format!(
                        "no column {name:?} (use {flag}); columns are: {}",
                        list_columns(header)
                    ),
                )
            })
        };
        let task = locate(task_name, "--task-column")?;
        let target = locate(target_name, "--target-column")?;
        if header.len() == 2 {
            return Err(InputError::at(
                source,
                line,
                None,
                format!(
                    "no feature columns: the header has only the task column {task_name:?} \
                     and the target column {target_name:?}"
                ),
            ));
        }
        let mut feature_names = Vec::with_capacity(header.len() - 2);
        let roles = header
            .iter()
            .enumerate()
            .map(|(j, name)| {
                if j == task {
                    Role::Task
                } else if j == target {
                    Role::Target
                } else {
                    feature_names.push(name.clone());
                    Role::Feature(feature_names.len() - 1)
                }
            })
            .collect();
        Ok(Self {
            roles,
            feature_names,
            task,
        })
    }
}

/// The header names, quoted, for a message; long headers are cut short.
fn list_columns(header: &[String]) -> String {
    let mut list: Vec<String> = header
        .iter()
        .take(LISTED_COLUMNS)
        .map(|h| format!("{h:?}"))
        .collect();
    if header.len() > LISTED_COLUMNS {
        list.push(format!("... ({} more)", header.len() - LISTED_COLUMNS));
    }
    list.join(", ")
}

/// A task cell: trimmed, non-empty UTF-8 text.
fn task_cell(raw: &[u8]) -> std::result::Result<&str, String> {
    let t = raw.trim_ascii();
    if t.is_empty() {
        return Err("missing task name (empty cell)".to_owned());
    }
    std::str::from_utf8(t).map_err(|_| {
        format!(
            "task name is not valid UTF-8: {:?}",
            String::from_utf8_lossy(t)
        )
    })
}

fn too_large(source: &str) -> Error {
    InputError::file(
        source,
        "file too large: cannot allocate memory for its values",
    )
    .into()
}

/// The rows of one task while the file is read, one buffer per feature.
///
/// Column buffers (rather than one row-major buffer) let [`Growing::finish`]
/// build the column-major matrix while freeing the input as it goes, and a
/// large `Vec` grows in place (`realloc`), so a task never needs twice its
/// size at once.
struct Growing {
    columns: Vec<Vec<f64>>,
    y: Vec<f64>,
}

impl Growing {
    fn new(p: usize) -> Self {
        Self {
            columns: vec![Vec::new(); p],
            y: Vec::new(),
        }
    }

    /// Appends one row; `Err` when memory runs out.
    fn push(&mut self, row: &[f64], y: f64) -> std::result::Result<(), ()> {
        push_value(&mut self.y, y)?;
        for (c, &v) in self.columns.iter_mut().zip(row) {
            push_value(c, v)?;
        }
        Ok(())
    }

    /// The task's matrix, built column by column.
    fn finish(self, p: usize) -> std::result::Result<TaskData, ()> {
        let n = self.y.len();
        let mut x = Mat::<f64>::new();
        x.try_reserve(n, p).map_err(|_| ())?;
        for (k, column) in self.columns.into_iter().enumerate() {
            x.resize_with(n, k + 1, |i, _| column[i]);
        }
        Ok(TaskData { x, y: self.y })
    }
}

/// `v.push(x)`, reporting an allocation failure instead of aborting. The
/// growth is `Vec`'s own amortized doubling.
#[inline]
fn push_value(v: &mut Vec<f64>, x: f64) -> std::result::Result<(), ()> {
    if v.len() == v.capacity() {
        v.try_reserve(1).map_err(|_| ())?;
    }
    v.push(x);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::PathBuf;

    /// Writes `content` to `long.csv` in a fresh temporary directory.
    fn file_with(content: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.csv");
        std::fs::write(&path, content).unwrap();
        (dir, path)
    }

    fn read_with(content: &str, opts: &LongOptions) -> Result<LongData> {
        let (_dir, path) = file_with(content.as_bytes());
        read_long(&path, opts)
    }

    fn read(content: &str) -> LongData {
        read_with(content, &LongOptions::default()).unwrap()
    }

    fn err_with(content: &str, opts: &LongOptions) -> InputError {
        match read_with(content, opts) {
            Err(Error::Input(e)) => e,
            other => panic!("expected an input error for {content:?}, got {other:?}"),
        }
    }

    fn err(content: &str) -> InputError {
        err_with(content, &LongOptions::default())
    }

    fn col(j: usize, name: &str) -> Option<(usize, Option<String>)> {
        Some((j, Some(name.to_owned())))
    }

    fn rows(x: &Mat<f64>) -> Vec<Vec<f64>> {
        (0..x.nrows())
            .map(|i| (0..x.ncols()).map(|j| x[(i, j)]).collect())
            .collect()
    }

    fn strs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }

    // ----- accepted inputs -----

    #[test]
    fn three_tasks_non_contiguous_unequal_sizes() {
        let d = read(
            "task,a,b,y\n\
             t1,1,2,10\n\
             t2,3,4,20\n\
             t1,5,6,11\n\
             t3,7,8,30\n\
             t2,9,10,21\n\
             t1,11,12,12\n",
        );
        assert_eq!(strs(&d.feature_names), ["a", "b"]);
        assert_eq!(strs(&d.task_names), ["t1", "t2", "t3"]);
        assert_eq!((d.n_features(), d.n_tasks(), d.n_samples()), (2, 3, 6));
        let t = &d.tasks;
        assert_eq!(
            rows(&t[0].x),
            [[1.0, 2.0], [5.0, 6.0], [11.0, 12.0]].map(Vec::from)
        );
        assert_eq!(t[0].y, [10.0, 11.0, 12.0]);
        assert_eq!(rows(&t[1].x), [[3.0, 4.0], [9.0, 10.0]].map(Vec::from));
        assert_eq!(t[1].y, [20.0, 21.0]);
        assert_eq!(rows(&t[2].x), [[7.0, 8.0]].map(Vec::from));
        assert_eq!(t[2].y, [30.0]);
        for task in t {
            assert_eq!(task.x.ncols(), 2);
            assert_eq!(task.x.nrows(), task.y.len());
        }
    }

    #[test]
    fn custom_column_names_and_delimiter() {
        let opts = LongOptions {
            task_column: "city".to_owned(),
            target_column: "price".to_owned(),
            delimiter: b';',
        };
        let d = read_with(
            "price;city;rooms;area\n1.5;paris;2;40\n2.5;lyon;3;60\n3.5;paris;4;80\n",
            &opts,
        )
        .unwrap();
        assert_eq!(strs(&d.feature_names), ["rooms", "area"]);
        assert_eq!(strs(&d.task_names), ["paris", "lyon"]);
        assert_eq!(
            rows(&d.tasks[0].x),
            [[2.0, 40.0], [4.0, 80.0]].map(Vec::from)
        );
        assert_eq!(d.tasks[0].y, [1.5, 3.5]);
        assert_eq!(rows(&d.tasks[1].x), [[3.0, 60.0]].map(Vec::from));
        assert_eq!(d.tasks[1].y, [2.5]);
        // With the default names, the same file has no "task" column.
        let e = err_with(
            "price,city,rooms\n1,paris,2\n",
            &LongOptions {
                task_column: "city".to_owned(),
                ..LongOptions::default()
            },
        );
        assert!(e.message.starts_with("no column \"y\""), "{}", e.message);
    }

    #[test]
    fn task_column_in_the_middle() {
        let d = read("x1,y,task,x2,x3\n1,0.5,0,2,3\n4,1.5,1,5,6\n7,2.5,0,8,9\n");
        assert_eq!(strs(&d.feature_names), ["x1", "x2", "x3"]);
        assert_eq!(strs(&d.task_names), ["0", "1"]);
        assert_eq!(
            rows(&d.tasks[0].x),
            [[1.0, 2.0, 3.0], [7.0, 8.0, 9.0]].map(Vec::from)
        );
        assert_eq!(d.tasks[0].y, [0.5, 2.5]);
        assert_eq!(rows(&d.tasks[1].x), [[4.0, 5.0, 6.0]].map(Vec::from));
        assert_eq!(d.tasks[1].y, [1.5]);
    }

    #[test]
    fn bom_crlf_quotes_blank_lines_and_trimmed_task_names() {
        let d = read(
            "\u{feff}\"task\",x,\"y\"\r\n\
             \" a \",\"1.5\", 2 \r\n\
             \r\n\
             \t\r\n\
             b,  -1e-3 ,\"3\"\r\n\
             a ,.5,+4",
        );
        assert_eq!(strs(&d.task_names), ["a", "b"]);
        assert_eq!(strs(&d.feature_names), ["x"]);
        assert_eq!(rows(&d.tasks[0].x), [[1.5], [0.5]].map(Vec::from));
        assert_eq!(d.tasks[0].y, [2.0, 4.0]);
        assert_eq!(rows(&d.tasks[1].x), [[-1e-3]].map(Vec::from));
        assert_eq!(d.tasks[1].y, [3.0]);
        // A quoted task name may hold the delimiter.
        let d = read("task,x,y\n\"a,b\",1,2\n");
        assert_eq!(strs(&d.task_names), ["a,b"]);
    }

    #[test]
    fn many_interleaved_rows_grow_every_buffer() {
        let mut s = String::from("task,f0,f1,y\n");
        for i in 0..2000 {
            s.push_str(&format!("k{},{i},{},{}\n", i % 7, -i, i * 3));
        }
        let d = read(&s);
        assert_eq!((d.n_tasks(), d.n_samples()), (7, 2000));
        for (t, task) in d.tasks.iter().enumerate() {
            assert_eq!(d.task_names[t], format!("k{t}"));
            for (r, &y) in task.y.iter().enumerate() {
                let i = (t + 7 * r) as f64;
                assert_eq!([task.x[(r, 0)], task.x[(r, 1)], y], [i, -i, 3.0 * i]);
            }
        }
    }

    #[test]
    fn from_reader_names_the_source() {
        let d = read_long_from_reader(
            &b"task,x,y\nA,1,2\n"[..],
            "<stdin>",
            &LongOptions::default(),
        )
        .unwrap();
        assert_eq!(d.n_samples(), 1);
        let e = read_long_from_reader(
            &b"task,x,y\nA,1,zz\n"[..],
            "<stdin>",
            &LongOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "<stdin>, line 2, column 3 (\"y\"): not a number: \"zz\""
        );
    }

    // ----- rejected inputs -----

    #[test]
    fn missing_task_column() {
        let (_dir, path) = file_with(b"group,x,y\n1,2,3\n");
        let e = read_long(&path, &LongOptions::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}, line 1: no column \"task\" (use --task-column); \
                 columns are: \"group\", \"x\", \"y\"",
                path.display()
            )
        );
        assert!(e.is_user_error());
    }

    #[test]
    fn missing_target_column() {
        let e = err("\n\ntask,x,target\nA,2,3\n");
        assert_eq!((e.line, e.column), (Some(3), None));
        assert_eq!(
            e.message,
            "no column \"y\" (use --target-column); columns are: \"task\", \"x\", \"target\""
        );
    }

    #[test]
    fn long_headers_are_listed_in_short() {
        let names: Vec<String> = (0..30).map(|j| format!("c{j}")).collect();
        let e = err(&format!("{}\n", names.join(",")));
        assert!(
            e.message.ends_with("\"c18\", \"c19\", ... (10 more)"),
            "{}",
            e.message
        );
    }

    #[test]
    fn task_and_target_the_same_column() {
        let opts = LongOptions {
            target_column: "task".to_owned(),
            ..LongOptions::default()
        };
        let e = err_with("x,task,z\n1,2,3\n", &opts);
        assert_eq!((e.line, e.column), (Some(1), col(2, "task")));
        assert!(
            e.message
                .starts_with("the task column and the target column are both \"task\""),
            "{}",
            e.message
        );
        // Not even in the file: still the clearer of the two errors.
        let e = err_with("x,y,z\n1,2,3\n", &opts);
        assert_eq!((e.line, e.column), (Some(1), None));
        assert!(e.message.contains("both \"task\""), "{}", e.message);
    }

    #[test]
    fn no_feature_columns() {
        let e = err("y,task\n1,a\n");
        assert_eq!((e.line, e.column), (Some(1), None));
        assert_eq!(
            e.message,
            "no feature columns: the header has only the task column \"task\" \
             and the target column \"y\""
        );
    }

    #[test]
    fn empty_task_cell() {
        let e = err("x,task,y\n1,a,2\n3,  ,4\n");
        assert_eq!((e.line, e.column), (Some(3), col(2, "task")));
        assert_eq!(e.message, "missing task name (empty cell)");
        let e = err("x,task,y\n1,\"\",2\n");
        assert_eq!((e.line, e.column), (Some(2), col(2, "task")));
    }

    #[test]
    fn task_name_not_utf8() {
        let (_dir, path) = file_with(b"task,x,y\na\xff,1,2\n");
        match read_long(&path, &LongOptions::default()) {
            Err(Error::Input(e)) => {
                assert_eq!((e.line, e.column), (Some(2), col(1, "task")));
                assert!(e.message.starts_with("task name is not valid UTF-8"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn numeric_cell_errors_match_read_matrix() {
        for (content, line, column, message) in [
            (
                "task,a,y\nt,1,2\nt,abc,3\n",
                3,
                (2, "a"),
                "not a number: \"abc\"",
            ),
            ("task,a,y\nt,1,x\n", 2, (3, "y"), "not a number: \"x\""),
            (
                "task,a,y\nt,NaN,2\n",
                2,
                (2, "a"),
                "missing value \"NaN\"; MISSING",
            ),
            (
                "task,a,y\nt,1, -inf \n",
                2,
                (3, "y"),
                "non-finite value: \"-inf\"",
            ),
            (
                "task,a,y\nt,1e400,2\n",
                2,
                (2, "a"),
                "non-finite value: \"1e400\"",
            ),
            (
                "task,a,y\nt,,2\n",
                2,
                (2, "a"),
                "missing value (empty cell); MISSING",
            ),
            (
                "task,a,y\n\nt,1,\n",
                3,
                (3, "y"),
                "missing value (empty cell); MISSING",
            ),
            ("a,y,task\nt,1,u\n", 2, (1, "a"), "not a number: \"t\""),
        ] {
            let e = err(content);
            assert_eq!(
                (e.line, e.column),
                (Some(line), col(column.0, column.1)),
                "{content:?}"
            );
            let message = message.replace("MISSING", crate::io::record::MISSING_HINT);
            assert_eq!(e.message, message, "{content:?}");
        }
    }

    #[test]
    fn first_bad_cell_in_file_order_is_reported() {
        // The task cell comes after a bad feature cell: the feature is named.
        let e = err("a,task,y\nx,,2\n");
        assert_eq!((e.line, e.column), (Some(2), col(1, "a")));
    }

    #[test]
    fn ragged_rows() {
        let e = err("task,a,y\nt,1,2\nt,1\n");
        assert_eq!((e.line, e.column.clone()), (Some(3), None));
        assert_eq!(e.message, "wrong number of fields: expected 3, found 2");
        let e = err("task,a,y\r\n\r\nt,1,2,3\r\n");
        assert_eq!(e.line, Some(3));
        assert_eq!(e.message, "wrong number of fields: expected 3, found 4");
    }

    #[test]
    fn duplicate_column_names() {
        let e = err("task,a,y,a\nt,1,2,3\n");
        assert_eq!((e.line, e.column), (Some(1), col(4, "a")));
        assert_eq!(e.message, "duplicate column name \"a\" (also column 2)");
        let e = err("task,x,task,y\nt,1,u,2\n");
        assert_eq!((e.line, e.column), (Some(1), col(3, "task")));
    }

    #[test]
    fn empty_file_and_header_only() {
        for content in ["", "\u{feff}", "\n\n", "\r\n \r\n"] {
            let e = err(content);
            assert_eq!((e.line, e.message.as_str()), (None, "file is empty"));
        }
        for content in ["task,x,y\n", "task,x,y", "task,x,y\r\n\r\n"] {
            let e = err(content);
            assert_eq!(
                (e.line, e.message.as_str()),
                (None, "no data rows (the file has only a header line)")
            );
        }
    }

    #[test]
    fn wrong_delimiter_gets_a_hint() {
        let e = err("task;x;y\nt;1;2\n");
        assert_eq!(e.line, Some(1));
        assert!(
            e.message
                .ends_with("file looks semicolon-separated (use --delimiter ';')"),
            "{}",
            e.message
        );
    }

    #[test]
    fn missing_file_and_invalid_delimiter() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_long(&dir.path().join("none.csv"), &LongOptions::default()).unwrap_err();
        assert!(e.to_string().contains("cannot read file"), "{e}");
        let e = read_long(dir.path(), &LongOptions::default()).unwrap_err();
        assert!(e.to_string().contains("cannot read file"), "{e}");
        let e = err_with(
            "task,x,y\n",
            &LongOptions {
                delimiter: b'\n',
                ..LongOptions::default()
            },
        );
        assert!(e.message.starts_with("invalid delimiter"), "{}", e.message);
    }

    proptest! {
        // Persist failing cases under tests/ (the crate's top level stays as
        // requested); they are replayed first on every run.
        #![proptest_config(ProptestConfig {
            failure_persistence: Some(Box::new(
                proptest::test_runner::FileFailurePersistence::Direct(
                    "tests/proptest-regressions/io-long.txt",
                ),
            )),
            ..ProptestConfig::default()
        })]
        #[test]
        fn random_bytes_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
            delimiter in prop_oneof![Just(b','), Just(b';'), Just(b'\t')],
        ) {
            let opts = LongOptions { delimiter, ..LongOptions::default() };
            let (_dir, path) = file_with(&bytes);
            check_invariants(read_long(&path, &opts))?;
        }

        #[test]
        fn mutated_long_csv_never_panics(
            edits in proptest::collection::vec(
                (0usize..1000, 0usize..3, proptest::sample::select(
                    &b",;\t\n\r\" e-+.0123456789aNtasky\xef\xbb\xbf\xff"[..])),
                1..8,
            ),
        ) {
            let mut bytes =
                b"x1,task,y,x2\r\n1.5,a,-2e3,\"3\"\n\n4,b, 5 ,6e-7\n7,a,8,9\n0,t,1,2".to_vec();
            for (pos, op, byte) in edits {
                let at = pos % (bytes.len() + 1);
                match op {
                    0 => bytes.insert(at, byte),
                    1 if at < bytes.len() => { bytes.remove(at); }
                    _ if at < bytes.len() => bytes[at] = byte,
                    _ => bytes.push(byte),
                }
            }
            let (_dir, path) = file_with(&bytes);
            check_invariants(read_long(&path, &LongOptions::default()))?;
        }
    }

    /// On success the data are consistent; on failure the error is located.
    fn check_invariants(res: Result<LongData>) -> std::result::Result<(), TestCaseError> {
        match res {
            Ok(d) => {
                prop_assert!(d.n_features() > 0 && d.n_tasks() > 0);
                prop_assert_eq!(d.task_names.len(), d.tasks.len());
                let mut names = d.task_names.clone();
                names.sort();
                names.dedup();
                prop_assert_eq!(names.len(), d.n_tasks());
                for (name, t) in d.task_names.iter().zip(&d.tasks) {
                    prop_assert!(!name.is_empty() && name.trim_ascii() == name);
                    prop_assert!(!t.y.is_empty());
                    prop_assert_eq!(t.x.nrows(), t.y.len());
                    prop_assert_eq!(t.x.ncols(), d.n_features());
                    prop_assert!(t.y.iter().all(|v| v.is_finite()));
                    for j in 0..t.x.ncols() {
                        prop_assert!(t.x.col_as_slice(j).iter().all(|v| v.is_finite()));
                    }
                }
            }
            Err(Error::Input(e)) => {
                prop_assert!(e.line.is_none_or(|l| l >= 1));
                prop_assert!(!e.message.is_empty());
            }
            Err(other) => prop_assert!(false, "unexpected error kind: {other}"),
        }
        Ok(())
    }
}

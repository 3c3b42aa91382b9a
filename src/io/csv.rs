//! Reading numeric CSV matrices and small text tables (the reader API).
//!
//! # Format rules for numeric matrices ([`read_matrix`])
//!
//! * Fields are separated by [`ReadOptions::delimiter`] (`,` by default) and
//!   records by `\n`; a `\r` before the `\n` (Windows line endings) is
//!   accepted. A UTF-8 byte-order mark at the start of the file is skipped.
//! * Empty lines and lines made only of spaces/tabs are skipped wherever they
//!   are, so trailing empty lines are fine. Line numbers in error messages
//!   still count them, exactly as a text editor does (header line included).
//! * The first record is a header when [`HeaderMode::Present`] is given, or
//!   with [`HeaderMode::Auto`] when at least one of its cells is non-empty and
//!   does not parse as a number. Header names are trimmed, must be valid UTF-8,
//!   non-empty and distinct.
//! * Every data cell is a finite decimal number in Rust's `f64` syntax
//!   (`-1.5`, `+2`, `.5`, `1e-3`, `2.5E+10`), possibly quoted (`"1.5"`) and
//!   possibly surrounded by spaces or tabs. Empty cells ("missing value") and
//!   `NaN`/`inf`/overflowing literals ("non-finite value") are rejected: this
//!   reader never invents or drops data.
//! * Every record has the same number of fields as the first one.
//!
//! Every problem is an [`Error::Input`] whose [`InputError`] names the file,
//! the 1-based line and, for cell problems, the 1-based column and its name.
//! When the delimiter seems wrong (the first line yields one column but
//! contains `;`, a tab or `,`), or the lines end with a lone `\r` (old Mac
//! files, which then read as a single line), the message says so.
//!
//! # Small text tables ([`read_records`])
//!
//! Edge lists (`source,target,weight`) and task-weight files (`task,weight`)
//! follow the same lexical rules but always have a header, and their cells are
//! returned as trimmed strings with the line they came from, for the caller to
//! interpret.
//!
//! # Layers
//!
//! The lexical rules, the head of a file (header detection and names) and
//! the row parser live in the record layer (`io/record.rs`), shared with the
//! chunked and long-format readers; regular files without quotes take the
//! fast path (`io/fast.rs`, a byte scan on several threads) with the same
//! results and errors. Writing is in [`super::write`] ([`write_matrix`] is
//! re-exported here).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use faer::Mat;

use super::fast;
use super::record::{Head, RowSink, cannot_read, open_records, read_head, text_cell};
use crate::error::{Error, InputError, Result};

pub use super::write::write_matrix;

/// A numeric matrix read from a file, with optional column names.
#[derive(Debug, Clone)]
pub struct Table {
    /// Column names from the header, if the file had one (one per column).
    pub names: Option<Vec<String>>,
    /// The values, `n_rows x n_columns`, column-major. As with any faer
    /// matrix, the column stride may exceed the number of rows (spare row
    /// capacity); use the matrix API rather than assuming a packed buffer.
    pub data: Mat<f64>,
}

/// Whether the first record of a file is a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderMode {
    /// A header is present when any non-empty cell of the first record is not
    /// a number.
    #[default]
    Auto,
    /// The first record is always a header, even if it looks numeric.
    Present,
    /// There is no header: the first record is data.
    Absent,
}

/// How to read a delimited file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Header detection.
    pub header: HeaderMode,
    /// Field delimiter, an ASCII byte (`b','` by default).
    pub delimiter: u8,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            header: HeaderMode::Auto,
            delimiter: b',',
        }
    }
}

/// First row capacity when the number of rows cannot be bounded in advance.
const INITIAL_ROWS: usize = 256;

/// Reads a numeric matrix from a delimited text file.
///
/// See the [module documentation](self) for the accepted format.
///
/// # Memory
///
/// The values are parsed straight into the column-major [`Mat`]; no second
/// copy of the data is ever held. For a regular file a first, cheap pass
/// counts line breaks (a byte scan, no parsing): with the width `p` of the
/// first record this bounds the number of rows by
/// `min(lines, (bytes + 1) / 2p)` (a valid row needs at least `2p` bytes), so
/// the matrix is allocated once and only the pages actually filled become
/// resident. Peak memory is therefore the matrix itself plus one 256 KiB read
/// buffer per reading thread and one record (a line longer than the buffer
/// grows it to hold the line). faer stores each column in a multiple of 8
/// rows (64-byte alignment), so a file of fewer than 8 rows costs up to 8
/// times its values. Pipes and other non-regular files cannot be rewound;
/// they are read with a doubling row capacity, as
/// [`read_matrix_from_reader`] does.
///
/// # Speed
///
/// A regular file with no quote character (`"`) at all, the usual case for
/// numeric data, is split into fields with a plain byte scan instead of the
/// general CSV state machine, and a large one is cut at line breaks into up
/// to one part per available core (at most 8, one per MiB of input), parsed
/// in parallel (rayon) into their own rows of the matrix. Results and errors
/// are exactly those of a sequential read; when several parts are malformed,
/// the error reported is the first one in the file.
///
/// # Errors
///
/// [`Error::Input`] for an unreadable, empty or malformed file (see the module
/// documentation); the error carries the path, the 1-based line and column.
pub fn read_matrix(path: &Path, opts: &ReadOptions) -> Result<Table> {
    read_matrix_in(path, opts, None)
}

/// [`read_matrix`] with `threads` parts for a regular file, or as many as
/// [`fast::default_threads`] gives.
pub(crate) fn read_matrix_in(
    path: &Path,
    opts: &ReadOptions,
    threads: Option<usize>,
) -> Result<Table> {
    let name = path.display().to_string();
    let mut file = File::open(path).map_err(|e| cannot_read(&name, &e))?;
    let len = match file.metadata() {
        Ok(m) if m.is_file() => m.len(),
        _ => return parse_matrix(file, &name, opts, None),
    };
    let threads = if fast::POSITIONAL_READS {
        threads.unwrap_or_else(|| fast::default_threads(len)).max(1)
    } else {
        1
    };
    let scan = fast::scan_file(&file, len, threads).map_err(|e| cannot_read(&name, &e))?;
    if scan.quotes || scan.two_boms {
        let (bytes, lines) = scan.totals();
        file.seek(SeekFrom::Start(0))
            .map_err(|e| cannot_read(&name, &e))?;
        return parse_matrix(file, &name, opts, Some((bytes, lines)));
    }
    fast::read_plain(&file, &name, opts, &scan)
}

/// Reads a numeric matrix from any reader (standard input, memory, ...).
///
/// `source` names the input in error messages (a path, or `"<stdin>"`). The
/// format is the same as for [`read_matrix`]; since the input cannot be
/// scanned twice, rows are appended with a doubling capacity, so peak memory
/// can reach about three times the matrix while it grows.
///
/// # Errors
///
/// As [`read_matrix`].
pub fn read_matrix_from_reader<R: Read>(
    reader: R,
    source: &str,
    opts: &ReadOptions,
) -> Result<Table> {
    parse_matrix(reader, source, opts, None)
}

/// Reads a small delimited text table that must have a header: edge lists
/// (`source,target,weight`), task-weight files (`task,weight`), ...
///
/// Returns the header names and, for each data record, its 1-based line number
/// and its cells, trimmed of surrounding spaces and tabs. Lexical rules (BOM,
/// CRLF, quoting, blank lines) are those of [`read_matrix`]. `opts.header` is
/// ignored: the first record is always the header. A header with no data rows
/// gives an empty list of records.
///
/// # Errors
///
/// [`Error::Input`] for an unreadable or empty file, an invalid header (empty
/// or duplicate names), a record whose number of fields differs from the
/// header, or a cell that is not valid UTF-8.
pub fn read_records(path: &Path, opts: &ReadOptions) -> Result<(Vec<String>, Vec<RecordLine>)> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| cannot_read(&name, &e))?;
    read_records_from_reader(file, &name, opts)
}

/// One data record of [`read_records`]: its 1-based line and its cells.
pub type RecordLine = (usize, Vec<String>);

/// Text cells of a record, trimmed (a [`RowSink`] taking every column as text).
struct TextRow(Vec<String>);

impl RowSink for TextRow {
    fn number(&mut self, _: usize, _: f64) {}

    fn is_text(&self, _: usize) -> bool {
        true
    }

    fn text(&mut self, _: usize, raw: &[u8]) -> std::result::Result<(), String> {
        self.0.push(text_cell(raw)?.to_owned());
        Ok(())
    }
}

/// [`read_records`] on any reader; `source` names the input in error messages.
///
/// # Errors
///
/// As [`read_records`].
pub fn read_records_from_reader<R: Read>(
    reader: R,
    source: &str,
    opts: &ReadOptions,
) -> Result<(Vec<String>, Vec<RecordLine>)> {
    let mut src = open_records(reader, source, opts.delimiter)?;
    let head = read_head(&mut src, source, opts.delimiter, HeaderMode::Present)?;
    let parser = head.parser(source);
    let mut rows = Vec::new();
    let mut more = head.data;
    while more {
        let mut row = TextRow(Vec::with_capacity(parser.width()));
        parser.parse(&src.rec, || src.line(), &mut row)?;
        rows.push((src.line(), row.0));
        more = src.advance()?;
    }
    let Head { names, .. } = head;
    Ok((names.unwrap_or_default(), rows))
}

/// A numeric table with some named text columns (a sample ID, a task name),
/// as `mtreg predict` reads new data: see [`read_labelled`].
#[derive(Debug, Clone)]
pub struct Labelled {
    /// Names of the numeric columns, in file order.
    pub names: Vec<String>,
    /// The numeric columns: one row per data record.
    pub data: Mat<f64>,
    /// The cells of each requested text column (in the order requested), one
    /// per data record, trimmed.
    pub text: Vec<Vec<String>>,
    /// The 1-based line of each data record (as an editor counts).
    pub lines: Vec<usize>,
}

/// Reads a table with a header whose columns named in `text_columns` hold
/// text and every other column numbers (the rules of [`read_matrix`], with
/// the same located errors). `opts.header` is ignored: the first record is
/// always the header.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("mtreg-labelled-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("new.csv");
/// std::fs::write(&path, "id,a,b\ns1,1,2\ns2,3,4\n").unwrap();
/// let t = mtreg::io::csv::read_labelled(&path, &Default::default(), &["id"])?;
/// assert_eq!(t.names, ["a", "b"]);
/// assert_eq!(t.text[0], ["s1", "s2"]);
/// assert_eq!(t.data[(1, 0)], 3.0);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// Ok::<(), mtreg::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::Input`] as [`read_matrix`], and for a requested column the header
/// does not have (naming the columns it has).
pub fn read_labelled(path: &Path, opts: &ReadOptions, text_columns: &[&str]) -> Result<Labelled> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| cannot_read(&name, &e))?;
    let mut src = open_records(file, &name, opts.delimiter)?;
    let head = read_head(&mut src, &name, opts.delimiter, HeaderMode::Present)?;
    head.require_data(&name)?;
    let header = head.names.clone().unwrap_or_default();
    // column j of the file -> Some(k): the k-th requested text column
    let mut text_of = vec![None; header.len()];
    for (k, wanted) in text_columns.iter().enumerate() {
        let Some(j) = header.iter().position(|h| h == wanted) else {
            let shown: Vec<&str> = header.iter().take(8).map(String::as_str).collect();
            return Err(InputError::at(
                &name,
                head.header_line,
                None,
                format!(
                    "no column {wanted:?}; the header has {}{}",
                    shown.join(", "),
                    if header.len() > 8 { ", ..." } else { "" }
                ),
            )
            .into());
        };
        text_of[j] = Some(k);
    }
    let names: Vec<String> = header
        .iter()
        .zip(&text_of)
        .filter(|(_, t)| t.is_none())
        .map(|(h, _)| h.clone())
        .collect();
    let parser = head.parser(&name);
    let mut row = LabelledRow {
        text_of: &text_of,
        numbers: Vec::new(),
        text: vec![Vec::new(); text_columns.len()],
    };
    let mut more = head.data;
    let mut lines = Vec::new();
    while more {
        parser.parse(&src.rec, || src.line(), &mut row)?;
        lines.push(src.line());
        more = src.advance()?;
    }
    let (rows, m) = (lines.len(), names.len());
    let numbers = row.numbers;
    Ok(Labelled {
        names,
        data: Mat::from_fn(rows, m, |i, j| numbers[i * m + j]),
        text: row.text,
        lines,
    })
}

/// A record of [`read_labelled`]: numbers in file order, text cells by column.
struct LabelledRow<'a> {
    text_of: &'a [Option<usize>],
    numbers: Vec<f64>,
    text: Vec<Vec<String>>,
}

impl RowSink for LabelledRow<'_> {
    fn number(&mut self, _: usize, v: f64) {
        self.numbers.push(v);
    }

    fn is_text(&self, j: usize) -> bool {
        self.text_of[j].is_some()
    }

    fn text(&mut self, j: usize, raw: &[u8]) -> std::result::Result<(), String> {
        let k = self.text_of[j].expect("is_text");
        self.text[k].push(text_cell(raw)?.to_owned());
        Ok(())
    }
}

/// The general matrix reader (the csv crate's state machine). `bound` is
/// `(bytes, line feeds)` of the input when known in advance.
pub(crate) fn parse_matrix<R: Read>(
    reader: R,
    source: &str,
    opts: &ReadOptions,
    bound: Option<(u64, u64)>,
) -> Result<Table> {
    let mut src = open_records(reader, source, opts.delimiter)?;
    let head = read_head(&mut src, source, opts.delimiter, opts.header)?;
    head.require_data(source)?;
    let parser = head.parser(source);
    let p = head.width;

    let mut cap = match bound {
        Some((bytes, lines)) => {
            let by_size = (bytes + 1) / (2 * p as u64) + 1;
            usize::try_from((lines + 1).min(by_size)).unwrap_or(usize::MAX)
        }
        None => INITIAL_ROWS,
    };
    let mut data = Mat::<f64>::new();
    reserve(&mut data, cap, p, source)?;
    let mut row = vec![0.0f64; p];
    let mut n = 0usize;
    loop {
        // The line is computed only for errors: it costs a scan of the record.
        parser.parse(&src.rec, || src.line(), &mut row[..])?;
        if n == cap {
            cap = cap.saturating_mul(2).max(INITIAL_ROWS);
            reserve(&mut data, cap, p, source)?;
        }
        n += 1;
        data.resize_with(n, p, |_, j| row[j]);
        if !src.advance()? {
            break;
        }
    }
    Ok(Table {
        names: head.names,
        data,
    })
}

/// Reserves room for `rows x cols` values, or says the file is too large.
pub(crate) fn reserve(data: &mut Mat<f64>, rows: usize, cols: usize, source: &str) -> Result<()> {
    data.try_reserve(rows, cols)
        .map_err(|_| too_large(source, rows, cols))
}

/// "file too large" for a `rows x cols` matrix.
pub(crate) fn too_large(source: &str, rows: usize, cols: usize) -> Error {
    InputError::file(
        source,
        format!("file too large: cannot allocate a {rows} x {cols} matrix"),
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::fast::{count_lines_and_quotes, find_either, scan_file};
    use crate::io::record::{READ_BUFFER, parse_header};
    use crate::io::write::format_f64;
    use ::csv::ByteRecord;
    use faer::MatRef;
    use proptest::prelude::*;
    use std::io;
    use std::path::PathBuf;

    /// Writes `content` to `X.csv` in a fresh temporary directory.
    fn file_with(content: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("X.csv");
        std::fs::write(&path, content).unwrap();
        (dir, path)
    }

    fn read_with(content: &str, opts: &ReadOptions) -> Result<Table> {
        let (_dir, path) = file_with(content.as_bytes());
        read_matrix(&path, opts)
    }

    fn read(content: &str) -> Table {
        read_with(content, &ReadOptions::default()).unwrap()
    }

    /// The matrix as rows, for easy comparisons.
    fn rows(t: &Table) -> Vec<Vec<f64>> {
        (0..t.data.nrows())
            .map(|i| (0..t.data.ncols()).map(|j| t.data[(i, j)]).collect())
            .collect()
    }

    fn names(t: &Table) -> Option<Vec<&str>> {
        t.names
            .as_ref()
            .map(|n| n.iter().map(String::as_str).collect())
    }

    fn err_with(content: &str, opts: &ReadOptions) -> InputError {
        match read_with(content, opts) {
            Err(Error::Input(e)) => e,
            other => panic!("expected an input error for {content:?}, got {other:?}"),
        }
    }

    fn err(content: &str) -> InputError {
        err_with(content, &ReadOptions::default())
    }

    fn col(j: usize, name: Option<&str>) -> Option<(usize, Option<String>)> {
        Some((j, name.map(str::to_owned)))
    }

    fn opts(header: HeaderMode) -> ReadOptions {
        ReadOptions {
            header,
            ..ReadOptions::default()
        }
    }

    // ----- accepted inputs -----

    #[test]
    fn reads_header_and_column_major_data() {
        let t = read("a,b,c\n1,2,3\n4,5,6\n");
        assert_eq!(names(&t), Some(vec!["a", "b", "c"]));
        assert_eq!(rows(&t), vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]);
        assert_eq!(t.data.col_as_slice(1), &[2.0, 5.0]);
    }

    #[test]
    fn reads_headerless_numeric_file() {
        let t = read("1,2\n3,4\n");
        assert_eq!(t.names, None);
        assert_eq!(rows(&t), vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
    }

    #[test]
    fn skips_utf8_bom() {
        let t = read("\u{feff}x,y\n1,2\n");
        assert_eq!(names(&t), Some(vec!["x", "y"]));
        let t = read("\u{feff}1,2\n3,4\n");
        assert_eq!(t.names, None);
        assert_eq!(rows(&t), vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
        let t = read("\u{feff}\"q\",y\n1,2\n");
        assert_eq!(names(&t), Some(vec!["q", "y"]));
    }

    #[test]
    fn accepts_crlf_line_endings() {
        let t = read("a,b\r\n1,2\r\n3,4\r\n");
        assert_eq!(names(&t), Some(vec!["a", "b"]));
        assert_eq!(rows(&t), vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
        let t = read("\"a\",\"b\"\r\n\"1\",\"2\"\r\n");
        assert_eq!(names(&t), Some(vec!["a", "b"]));
        assert_eq!(rows(&t), vec![vec![1.0, 2.0]]);
    }

    #[test]
    fn accepts_trailing_and_interior_blank_lines() {
        let t = read("a,b\n1,2\n\n\n");
        assert_eq!(rows(&t), vec![vec![1.0, 2.0]]);
        let t = read("a,b\r\n1,2\r\n\r\n  \r\n3,4\r\n\r\n");
        assert_eq!(rows(&t), vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
        let t = read("\n\n1\n\n2");
        assert_eq!(rows(&t), vec![vec![1.0], vec![2.0]]);
    }

    #[test]
    fn accepts_missing_final_newline() {
        let t = read("a,b\n1,2\n3,4");
        assert_eq!(rows(&t), vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
    }

    #[test]
    fn accepts_quoted_numbers_scientific_notation_and_spaces() {
        let t = read("a,b,c\n\"1.5\",1e-3,2.5E+10\n  -7 ,\" 3 \",\t.5\t\n+2,-1.5e-300,1E5\n");
        assert_eq!(
            rows(&t),
            vec![
                vec![1.5, 1e-3, 2.5e10],
                vec![-7.0, 3.0, 0.5],
                vec![2.0, -1.5e-300, 1e5]
            ]
        );
    }

    #[test]
    fn trims_header_names_and_accepts_quoted_ones() {
        let t = read(" a ,\"b,c\" \n1,2\n");
        assert_eq!(names(&t), Some(vec!["a", "b,c"]));
    }

    #[test]
    fn legitimate_single_column_files() {
        let t = read("y\n1\n2.5\n");
        assert_eq!(names(&t), Some(vec!["y"]));
        assert_eq!(rows(&t), vec![vec![1.0], vec![2.5]]);
        let t = read("1\n2\n");
        assert_eq!(t.names, None);
        assert_eq!(t.data.nrows(), 2);
        // A semicolon in a lone column name is not an error when the data fit.
        let t = read("y;z\n1\n");
        assert_eq!(names(&t), Some(vec!["y;z"]));
    }

    #[test]
    fn other_delimiters() {
        let semi = ReadOptions {
            delimiter: b';',
            ..ReadOptions::default()
        };
        let t = read_with("a;b\n1,5;2\n", &semi);
        assert!(matches!(t, Err(Error::Input(_))), "1,5 is not a number");
        let t = read_with("a;b\n1.5;2\n", &semi).unwrap();
        assert_eq!(rows(&t), vec![vec![1.5, 2.0]]);
        let tab = ReadOptions {
            delimiter: b'\t',
            ..ReadOptions::default()
        };
        let t = read_with("a\tb\n1\t2\n", &tab).unwrap();
        assert_eq!(names(&t), Some(vec!["a", "b"]));
        assert_eq!(rows(&t), vec![vec![1.0, 2.0]]);
    }

    #[test]
    fn header_detection_table() {
        use HeaderMode::*;
        #[allow(clippy::type_complexity)]
        let cases: &[(&str, HeaderMode, Option<&[&str]>, usize)] = &[
            ("1,2\n3,4\n", Auto, None, 2),
            ("1e3,-2\n3,4\n", Auto, None, 2),
            ("x,2\n3,4\n", Auto, Some(&["x", "2"]), 1),
            ("1,y\n3,4\n", Auto, Some(&["1", "y"]), 1),
            ("\"a\",\"b\"\n3,4\n", Auto, Some(&["a", "b"]), 1),
            ("1,2\n3,4\n", Present, Some(&["1", "2"]), 1),
            ("a,b\n3,4\n", Present, Some(&["a", "b"]), 1),
            ("1,2\n3,4\n", Absent, None, 2),
        ];
        for &(content, mode, expected, n) in cases {
            let t = read_with(content, &opts(mode)).unwrap();
            assert_eq!(names(&t).as_deref(), expected, "{content:?} with {mode:?}");
            assert_eq!(t.data.nrows(), n, "{content:?} with {mode:?}");
        }
    }

    #[test]
    fn absent_header_rejects_text_first_row() {
        let e = err_with("a,b\n1,2\n", &opts(HeaderMode::Absent));
        assert_eq!(e.line, Some(1));
        assert_eq!(e.column, col(1, None));
        assert_eq!(e.message, "not a number: \"a\"");
    }

    #[test]
    fn first_row_with_numbers_and_empty_cells_is_data() {
        let e = err("1,,3\n4,5,6\n");
        assert_eq!((e.line, e.column), (Some(1), col(2, None)));
        assert!(e.message.contains("missing value"), "{}", e.message);
    }

    #[test]
    fn first_row_with_nan_is_data_and_rejected() {
        let e = err("1,NaN\n4,5\n");
        assert_eq!((e.line, e.column), (Some(1), col(2, None)));
        assert!(
            e.message
                .starts_with("missing value \"NaN\"; missing values are not supported"),
            "{}",
            e.message
        );
    }

    #[test]
    fn large_matrix_fills_every_cell() {
        let mut s = String::from("a,b,c\n");
        for i in 0..1000 {
            s.push_str(&format!("{i},{},{}\n", -i, i * 2));
        }
        let t = read(&s);
        assert_eq!(t.data.nrows(), 1000);
        for i in 0..1000 {
            let x = i as f64;
            assert_eq!(
                [t.data[(i, 0)], t.data[(i, 1)], t.data[(i, 2)]],
                [x, -x, 2.0 * x]
            );
        }
    }

    #[test]
    fn from_reader_grows_beyond_initial_capacity() {
        let n = INITIAL_ROWS * 5 + 3;
        let s: String = (0..n).map(|i| format!("{i},{}\n", i + 1)).collect();
        let t = read_matrix_from_reader(s.as_bytes(), "<mem>", &ReadOptions::default()).unwrap();
        assert_eq!(t.data.nrows(), n);
        for i in 0..n {
            assert_eq!(t.data[(i, 0)], i as f64);
            assert_eq!(t.data[(i, 1)], (i + 1) as f64);
        }
    }

    /// A reader that hands out one byte per call, like a slow pipe.
    struct OneByte<'a>(&'a [u8]);

    impl Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((&b, rest)), Some(slot)) => {
                    *slot = b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn from_reader_strips_bom_delivered_byte_by_byte() {
        let bytes = "\u{feff}a,b\r\n1,2\r\n".as_bytes();
        let t =
            read_matrix_from_reader(OneByte(bytes), "<stdin>", &ReadOptions::default()).unwrap();
        assert_eq!(names(&t), Some(vec!["a", "b"]));
        assert_eq!(rows(&t), vec![vec![1.0, 2.0]]);
        let t = read_matrix_from_reader(OneByte(b"7"), "<stdin>", &ReadOptions::default()).unwrap();
        assert_eq!(rows(&t), vec![vec![7.0]]);
        let e = read_matrix_from_reader(OneByte(b"a\nx\n"), "<stdin>", &ReadOptions::default())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "<stdin>, line 2, column 1 (\"a\"): not a number: \"x\""
        );
    }

    // ----- rejected inputs -----

    #[test]
    fn missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.csv");
        match read_matrix(&path, &ReadOptions::default()) {
            Err(Error::Input(e)) => {
                assert_eq!(e.path, path.display().to_string());
                assert_eq!(e.line, None);
                assert!(e.message.starts_with("cannot read file"), "{}", e.message);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn directory_is_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_matrix(dir.path(), &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, Error::Input(ie) if ie.message.starts_with("cannot read file")),
            "{e}"
        );
    }

    #[test]
    fn empty_files() {
        for content in ["", "\u{feff}", "\n\n", "\r\n \r\n\t\n"] {
            let e = err(content);
            assert_eq!(e.line, None, "{content:?}");
            assert_eq!(e.message, "file is empty", "{content:?}");
        }
    }

    #[test]
    fn header_only() {
        for content in ["a,b\n", "a,b", "a,b\r\n\r\n"] {
            let e = err(content);
            assert_eq!(e.message, "no data rows (the file has only a header line)");
        }
    }

    #[test]
    fn ragged_rows() {
        let e = err("a,b,c\n1,2,3\n4,5\n");
        assert_eq!((e.line, e.column.clone()), (Some(3), None));
        assert_eq!(e.message, "wrong number of fields: expected 3, found 2");
        let e = err("1,2\n3,4,5\n");
        assert_eq!(e.line, Some(2));
        assert_eq!(e.message, "wrong number of fields: expected 2, found 3");
    }

    #[test]
    fn non_numeric_cell_with_line_column_and_name() {
        let (_dir, path) = file_with(b"a,b\n1,2\n3,abc\n");
        let e = read_matrix(&path, &ReadOptions::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}, line 3, column 2 (\"b\"): not a number: \"abc\"",
                path.display()
            )
        );
        assert!(e.is_user_error());
    }

    #[test]
    fn non_finite_values() {
        for cell in ["NaN", "nan", "NA", "n/a", "null"] {
            let e = err(&format!("a,b\n1,2\n3,{cell}\n"));
            assert_eq!((e.line, e.column), (Some(3), col(2, Some("b"))), "{cell}");
            assert_eq!(
                e.message,
                format!(
                    "missing value {cell:?}; {}",
                    crate::io::record::MISSING_HINT
                )
            );
        }
        for (cell, shown) in [
            ("inf", "inf"),
            ("-inf", "-inf"),
            ("+Infinity", "+Infinity"),
            (" 1e400 ", "1e400"),
        ] {
            let e = err(&format!("a,b\n1,2\n3,{cell}\n"));
            assert_eq!((e.line, e.column), (Some(3), col(2, Some("b"))), "{cell}");
            assert_eq!(e.message, format!("non-finite value: {shown:?}"));
        }
    }

    #[test]
    fn missing_values() {
        let e = err("a,b,c\n1,,3\n");
        assert_eq!((e.line, e.column), (Some(2), col(2, Some("b"))));
        assert!(
            e.message
                .starts_with("missing value (empty cell); missing values are not supported"),
            "{}",
            e.message
        );
        let e = err("a,b,c\n1,2,3\n4,5,\n");
        assert_eq!((e.line, e.column), (Some(3), col(3, Some("c"))));
        let e = err("a,b\n1,2\n\"\",  \n");
        assert_eq!((e.line, e.column), (Some(3), col(1, Some("a"))));
    }

    #[test]
    fn duplicate_and_empty_column_names() {
        let e = err("a,b,a\n1,2,3\n");
        assert_eq!((e.line, e.column), (Some(1), col(3, Some("a"))));
        assert_eq!(e.message, "duplicate column name \"a\" (also column 1)");
        let e = err("\n\nx, y ,y\n1,2,3\n");
        assert_eq!((e.line, e.column), (Some(3), col(3, Some("y"))));
        let e = err(",a,b\n0,1,2\n");
        assert_eq!((e.line, e.column), (Some(1), col(1, None)));
        assert!(e.message.starts_with("empty column name"), "{}", e.message);
        let e = err("a,,b\n0,1,2\n");
        assert_eq!((e.line, e.column), (Some(1), col(2, None)));
    }

    #[test]
    fn zero_columns_is_rejected() {
        // CSV text always yields at least one field per record; the check
        // guards records built some other way.
        let e = parse_header(&ByteRecord::new(), "X.csv", 4).unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (Some(4), "no columns"));
    }

    #[test]
    fn delimiter_hints() {
        let e = err("a;b\n1;2\n");
        assert_eq!((e.line, e.column), (Some(2), col(1, Some("a;b"))));
        assert_eq!(
            e.message,
            "not a number: \"1;2\"; file looks semicolon-separated (use --delimiter ';')"
        );
        let e = err("1;2\n3;4\n");
        assert!(
            e.message
                .ends_with("file looks semicolon-separated (use --delimiter ';')")
        );
        let e = err("a\tb\n1\t2\n");
        assert!(
            e.message
                .ends_with("file looks tab-separated (use --delimiter '\\t')"),
            "{}",
            e.message
        );
        let e = err("a;b\n");
        assert!(e.message.contains("semicolon-separated"), "{}", e.message);
        // Several columns: no hint even with a semicolon around.
        let e = err("a,b\n1;2,x\n");
        assert_eq!(e.message, "not a number: \"1;2\"");
        let semi = ReadOptions {
            delimiter: b';',
            ..ReadOptions::default()
        };
        let e = err_with("a,b\n1,2\n", &semi);
        assert!(
            e.message
                .ends_with("file looks comma-separated (use --delimiter ',')"),
            "{}",
            e.message
        );
    }

    #[test]
    fn line_numbers_count_blank_lines_crlf_and_quoted_newlines() {
        let e = err("a,b\n1,2\n\n\n3,x\n");
        assert_eq!((e.line, e.column), (Some(5), col(2, Some("b"))));
        let e = err("a,b\r\n1,2\r\n\r\n3,x\r\n");
        assert_eq!(e.line, Some(4));
        let e = err("\"a\nA\",b\n1,2\n3,x\n");
        assert_eq!(e.line, Some(4));
        let e = err("a,b\n1,2\n  \n3,\"x\ny\"\n5,6\n");
        assert_eq!(e.line, Some(4));
        let e = err("\u{feff}a,b\r\n1,2\r\n3,x");
        assert_eq!(e.line, Some(3));
        let e = err("1,2\n3\n");
        assert_eq!(e.line, Some(2));
        // A quote left open swallows the rest of the file into one cell.
        let e = err("a,b\n1,\"2\n3,4\n");
        assert_eq!((e.line, e.column), (Some(2), col(2, Some("b"))));
    }

    #[test]
    fn cr_only_line_endings_get_a_hint() {
        let e = err("1,2\r3,4\r");
        assert!(
            e.message
                .ends_with("CR-only line endings; convert them to LF"),
            "{}",
            e.message
        );
        let e = err("a,b\r1,2\r");
        assert!(
            e.message
                .ends_with("CR-only line endings; convert them to LF"),
            "{}",
            e.message
        );
        // An embedded CRLF in a quoted name is not taken for one.
        let e = err("\"a\r\nA\",b\r\n1,x\r\n");
        assert_eq!(e.message, "not a number: \"x\"");
    }

    #[test]
    fn invalid_delimiter() {
        let e = err_with(
            "1\n",
            &ReadOptions {
                delimiter: b'"',
                ..ReadOptions::default()
            },
        );
        assert!(e.message.starts_with("invalid delimiter"), "{}", e.message);
    }

    // ----- read_records -----

    fn records(content: &[u8]) -> Result<(Vec<String>, Vec<RecordLine>)> {
        let (_dir, path) = file_with(content);
        read_records(&path, &ReadOptions::default())
    }

    fn owned(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn records_with_header_lines_and_trimming() {
        let (h, r) = records(
            "\u{feff}source,target,weight\r\n a , b ,1.5\r\n\r\n\"c,d\",e,2\r\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(h, owned(&["source", "target", "weight"]));
        assert_eq!(
            r,
            vec![
                (2, owned(&["a", "b", "1.5"])),
                (4, owned(&["c,d", "e", "2"]))
            ]
        );
    }

    #[test]
    fn records_header_only_is_empty_list() {
        let (h, r) = records(b"task,weight\n").unwrap();
        assert_eq!(h, owned(&["task", "weight"]));
        assert!(r.is_empty());
    }

    #[test]
    fn records_errors() {
        let ie = |res: Result<(Vec<String>, Vec<RecordLine>)>| match res {
            Err(Error::Input(e)) => e,
            other => panic!("{other:?}"),
        };
        let e = ie(records(b""));
        assert_eq!(e.message, "file is empty");
        let e = ie(records(b"task,weight\nt1,1\nt2\n"));
        assert_eq!(
            (e.line, e.message.as_str()),
            (Some(3), "wrong number of fields: expected 2, found 1")
        );
        let e = ie(records(b"task,task\n"));
        assert_eq!(e.column, col(2, Some("task")));
        let e = ie(records(b"task,weight\nt\xff,1\n"));
        assert_eq!((e.line, e.column), (Some(2), col(1, Some("task"))));
        let e = ie(records(b"task;weight\nt1,x;1\n"));
        assert!(
            e.message.ends_with("(use --delimiter ';')"),
            "{}",
            e.message
        );
        let dir = tempfile::tempdir().unwrap();
        let e = read_records(&dir.path().join("none.csv"), &ReadOptions::default()).unwrap_err();
        assert!(e.to_string().contains("cannot read file"), "{e}");
    }

    // ----- writing -----

    fn written(
        names: Option<&[String]>,
        row_names: Option<(&str, &[String])>,
        data: MatRef<'_, f64>,
    ) -> String {
        let mut out = Vec::new();
        write_matrix(&mut out, names, row_names, data).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn writes_header_row_labels_and_short_numbers() {
        let data = faer::mat![
            [1.0, -0.0, 0.1],
            [1e-7, 1e300, -2.5e-10],
            [123456789.0, 0.0, 1.0 / 3.0]
        ];
        let names = owned(&["t1", "t 2", "t,3"]);
        let features = owned(&["x1", "x2", "x\"3"]);
        let s = written(Some(&names), Some(("feature", &features)), data.as_ref());
        assert_eq!(
            s,
            "feature,t1,t 2,\"t,3\"\n\
             x1,1,-0,0.1\n\
             x2,1e-7,1e300,-2.5e-10\n\
             \"x\"\"3\",123456789,0,0.3333333333333333\n"
        );
        let s = written(None, None, data.as_ref());
        assert!(s.starts_with("1,-0,0.1\n"), "{s}");
        let s = written(None, Some(("feature", &features)), data.as_ref());
        assert!(s.starts_with("x1,1,-0,0.1\n"), "{s}");
    }

    #[test]
    fn number_formatting_thresholds() {
        let mut buf = String::new();
        for (v, shown) in [
            (0.0, "0"),
            (-0.0, "-0"),
            (3.0, "3"),
            (-42.0, "-42"),
            (0.0001, "0.0001"),
            (0.00009, "9e-5"),
            (9999999999999998.0, "9999999999999998"),
            (1e16, "1e16"),
            (-1.5e17, "-1.5e17"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e308"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(format_f64(v, &mut buf), shown);
        }
    }

    #[test]
    fn write_rejects_mismatched_labels() {
        let data = Mat::<f64>::zeros(2, 2);
        let mut out = Vec::new();
        let e = write_matrix(&mut out, Some(&owned(&["a"])), None, data.as_ref()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        let e =
            write_matrix(&mut out, None, Some(("f", &owned(&["r"]))), data.as_ref()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn write_then_read_with_row_labels() {
        // A labelled table is not a numeric matrix, but read_records reads it.
        let data = faer::mat![[1.5, 2.0], [3.0, 4.0]];
        let s = written(
            Some(&owned(&["t1", "t2"])),
            Some(("feature", &owned(&["a", "b"]))),
            data.as_ref(),
        );
        let (h, r) = records(s.as_bytes()).unwrap();
        assert_eq!(h, owned(&["feature", "t1", "t2"]));
        assert_eq!(r[1], (3, owned(&["b", "3", "4"])));
    }

    fn finite_f64() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<u64>()
                .prop_map(f64::from_bits)
                .prop_filter("finite", |v| v.is_finite()),
            any::<f64>().prop_filter("finite", |v| v.is_finite()),
            (-1e6f64..1e6).prop_map(|v| v.round()),
            Just(0.0),
            Just(-0.0),
            Just(f64::MIN_POSITIVE),
            Just(-f64::MIN_POSITIVE / 3.0),
            Just(f64::from_bits(1)),
            Just(f64::MAX),
            Just(f64::MIN),
        ]
    }

    fn matrix() -> impl Strategy<Value = Mat<f64>> {
        (1usize..6, 1usize..5).prop_flat_map(|(n, p)| {
            proptest::collection::vec(finite_f64(), n * p)
                .prop_map(move |v| Mat::from_fn(n, p, |i, j| v[i + n * j]))
        })
    }

    /// Failing cases persist under tests/ (the crate's top level stays as
    /// requested) and are replayed first on every run.
    fn persisted() -> ProptestConfig {
        ProptestConfig {
            failure_persistence: Some(Box::new(
                proptest::test_runner::FileFailurePersistence::Direct(
                    "tests/proptest-regressions/io-csv.txt",
                ),
            )),
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(persisted())]
        #[test]
        fn write_read_round_trip_is_bit_exact(data in matrix(), with_names in any::<bool>()) {
            let names: Vec<String> = (0..data.ncols()).map(|j| format!("c{j}")).collect();
            let mut out = Vec::new();
            write_matrix(&mut out, with_names.then_some(&names[..]), None, data.as_ref()).unwrap();
            let (_dir, path) = file_with(&out);
            let t = read_matrix(&path, &ReadOptions::default()).unwrap();
            prop_assert_eq!(t.names.is_some(), with_names);
            prop_assert_eq!(t.data.nrows(), data.nrows());
            prop_assert_eq!(t.data.ncols(), data.ncols());
            for j in 0..data.ncols() {
                for i in 0..data.nrows() {
                    prop_assert_eq!(t.data[(i, j)].to_bits(), data[(i, j)].to_bits());
                }
            }
        }

        #[test]
        fn random_bytes_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
            mode in 0usize..3,
            delimiter in prop_oneof![Just(b','), Just(b';'), Just(b'\t')],
        ) {
            let header = [HeaderMode::Auto, HeaderMode::Present, HeaderMode::Absent][mode];
            let opts = ReadOptions { header, delimiter };
            let (_dir, path) = file_with(&bytes);
            check_invariants(read_matrix(&path, &opts))?;
            let _ = read_records(&path, &opts);
        }

        #[test]
        fn mutated_csv_never_panics(
            edits in proptest::collection::vec(
                (0usize..1000, 0usize..3, proptest::sample::select(&b",;\t\n\r\" e-+.0123456789aN\xef\xbb\xbf\xff"[..])),
                1..8,
            ),
            mode in 0usize..3,
        ) {
            let mut bytes = b"a,b,c\r\n1.5,-2e3,\"3\"\n\n4, 5 ,6e-7\n7,8,9".to_vec();
            for (pos, op, byte) in edits {
                let at = pos % (bytes.len() + 1);
                match op {
                    0 => bytes.insert(at, byte),
                    1 if at < bytes.len() => { bytes.remove(at); }
                    _ if at < bytes.len() => bytes[at] = byte,
                    _ => bytes.push(byte),
                }
            }
            let header = [HeaderMode::Auto, HeaderMode::Present, HeaderMode::Absent][mode];
            let opts = ReadOptions { header, ..ReadOptions::default() };
            let (_dir, path) = file_with(&bytes);
            check_invariants(read_matrix(&path, &opts))?;
            let _ = read_records(&path, &opts);
        }
    }

    // ----- plain (quote-free) path and threads vs the general CSV path -----

    /// The general (csv crate) reader on the same file.
    fn read_general(path: &Path, opts: &ReadOptions) -> Result<Table> {
        let name = path.display().to_string();
        parse_matrix(File::open(path).unwrap(), &name, opts, None)
    }

    /// Same names, shape and bits, or the same error.
    fn same(a: &Result<Table>, b: &Result<Table>) -> std::result::Result<(), TestCaseError> {
        match (a, b) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(&a.names, &b.names);
                prop_assert_eq!(a.data.nrows(), b.data.nrows());
                prop_assert_eq!(a.data.ncols(), b.data.ncols());
                for j in 0..a.data.ncols() {
                    for i in 0..a.data.nrows() {
                        prop_assert_eq!(a.data[(i, j)].to_bits(), b.data[(i, j)].to_bits());
                    }
                }
            }
            (Err(Error::Input(a)), Err(Error::Input(b))) => prop_assert_eq!(a, b),
            _ => prop_assert!(false, "{a:?} vs {b:?}"),
        }
        Ok(())
    }

    /// Reads `content` with 1 to 4 threads and with the general path.
    fn check_plain(content: &[u8], opts: &ReadOptions) -> std::result::Result<(), TestCaseError> {
        let (_dir, path) = file_with(content);
        let expected = read_general(&path, opts);
        for threads in 1..=4 {
            same(&read_matrix_in(&path, opts, Some(threads)), &expected)?;
        }
        same(&read_matrix(&path, opts), &expected)
    }

    fn cell_text() -> impl Strategy<Value = String> {
        prop_oneof![
            12 => finite_f64().prop_map(|v| format!("{v:?}")),
            6 => (-1000i32..1000).prop_map(|i| i.to_string()),
            1 => Just(String::new()),
            1 => Just(" 2.5 ".to_owned()),
            1 => Just("\t-3e2\r".to_owned()),
            1 => Just("abc".to_owned()),
            1 => Just("NaN".to_owned()),
            1 => Just("1e400".to_owned()),
            1 => Just("\u{e9}".to_owned()),
        ]
    }

    /// Quote-free CSV text: optional BOM and header, LF or CRLF, final line
    /// feed or not, mostly numeric rows with blank lines, ragged rows and bad
    /// cells here and there.
    fn plain_csv() -> impl Strategy<Value = (Vec<u8>, u8)> {
        let delimiter = prop_oneof![Just(b','), Just(b';'), Just(b'\t'), Just(b' ')];
        (1usize..5, delimiter).prop_flat_map(|(w, d)| {
            let blank = prop_oneof![Just(""), Just(" "), Just("\t"), Just("\r"), Just(" \r")];
            let row = prop_oneof![
                30 => proptest::collection::vec(cell_text(), w),
                1 => proptest::collection::vec(cell_text(), 1..6),
                3 => blank.prop_map(|s| vec![s.to_owned()]),
            ];
            let flags = (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>());
            (flags, proptest::collection::vec(row, 0..60)).prop_map(
                move |((bom, header, crlf, last), rows)| {
                    let mut s = String::new();
                    if bom {
                        s.push('\u{feff}');
                    }
                    let sep = char::from(d).to_string();
                    let mut lines: Vec<String> = rows.iter().map(|r| r.join(&sep)).collect();
                    if header {
                        lines.insert(
                            0,
                            (0..w)
                                .map(|j| format!("c{j}"))
                                .collect::<Vec<_>>()
                                .join(&sep),
                        );
                    }
                    s.push_str(&lines.join(if crlf { "\r\n" } else { "\n" }));
                    if last && !lines.is_empty() {
                        s.push_str(if crlf { "\r\n" } else { "\n" });
                    }
                    (s.into_bytes(), d)
                },
            )
        })
    }

    proptest! {
        #![proptest_config(persisted())]
        #[test]
        fn plain_path_matches_general_path((content, delimiter) in plain_csv(), mode in 0usize..3) {
            let header = [HeaderMode::Auto, HeaderMode::Present, HeaderMode::Absent][mode];
            check_plain(&content, &ReadOptions { header, delimiter })?;
        }

        #[test]
        fn plain_path_matches_general_path_on_random_bytes(
            bytes in proptest::collection::vec(
                proptest::sample::select(&b",;\t\n\r\x0c\0 e-+.0123456789aNinf\xef\xbb\xbf\xff"[..]),
                0..300,
            ),
            mode in 0usize..3,
            delimiter in prop_oneof![Just(b','), Just(b';'), Just(b'\t'), Just(b' '), Just(b'"')],
        ) {
            let header = [HeaderMode::Auto, HeaderMode::Present, HeaderMode::Absent][mode];
            check_plain(&bytes, &ReadOptions { header, delimiter })?;
        }

        #[test]
        fn find_either_finds_the_first_match(
            s in proptest::collection::vec(proptest::sample::select(&b",\n.0a\x80\xff"[..]), 0..80),
        ) {
            let naive = s.iter().position(|&c| c == b',' || c == b'\n').unwrap_or(s.len());
            prop_assert_eq!(find_either(&s, b',', b'\n'), naive);
            let naive = s.iter().position(|&c| c == 0x80 || c == b'a').unwrap_or(s.len());
            prop_assert_eq!(find_either(&s, 0x80, b'a'), naive);
        }

        #[test]
        fn counts_lines_and_quotes(
            s in proptest::collection::vec(proptest::sample::select(&b"\n\n\"aaaaaaaa"[..]), 0..20000),
            quote_free in any::<bool>(),
        ) {
            let s: Vec<u8> = if quote_free { s.into_iter().filter(|&c| c != b'"').collect() } else { s };
            let lines = s.iter().filter(|&&c| c == b'\n').count() as u64;
            prop_assert_eq!(count_lines_and_quotes(&s), (lines, s.contains(&b'"')));
        }
    }

    /// A header and `n` rows `i,2i,3i` (the `i`-th on line `i + 2`).
    fn numbered_rows(n: usize) -> String {
        let mut s = String::from("a,b,c\n");
        for i in 0..n {
            s.push_str(&format!("{i},{},{}\n", 2 * i, 3 * i));
        }
        s
    }

    #[test]
    fn threads_split_the_file_and_fill_every_row() {
        let (_dir, path) = file_with(numbered_rows(5000).as_bytes());
        let file = File::open(&path).unwrap();
        let len = file.metadata().unwrap().len();
        let scan = scan_file(&file, len, 3).unwrap();
        assert_eq!(scan.bounds.len(), 4);
        assert_eq!(scan.counts.iter().map(|c| c.1).sum::<u64>(), 5001);
        assert!(!scan.quotes && !scan.bom);
        for threads in [1, 2, 3, 7] {
            let t = read_matrix_in(&path, &ReadOptions::default(), Some(threads)).unwrap();
            assert_eq!(names(&t), Some(vec!["a", "b", "c"]));
            assert_eq!(t.data.nrows(), 5000);
            for i in 0..5000 {
                let x = i as f64;
                assert_eq!(
                    [t.data[(i, 0)], t.data[(i, 1)], t.data[(i, 2)]],
                    [x, 2.0 * x, 3.0 * x]
                );
            }
        }
    }

    #[test]
    fn threads_report_errors_in_later_parts_at_the_right_line() {
        let with = |bad: &[(usize, &str)]| {
            let mut lines: Vec<String> = numbered_rows(4000).lines().map(str::to_owned).collect();
            for &(i, row) in bad {
                lines[i + 1] = row.to_owned();
            }
            lines.join("\n") + "\n"
        };
        let read_in = |content: &str, threads| {
            let (_dir, path) = file_with(content.as_bytes());
            match read_matrix_in(&path, &ReadOptions::default(), Some(threads)) {
                Err(Error::Input(e)) => e,
                other => panic!("{other:?}"),
            }
        };
        for threads in [2, 3, 4] {
            // A bad cell in the second half.
            let e = read_in(&with(&[(3000, "1,x,3")]), threads);
            assert_eq!((e.line, e.column), (Some(3002), col(2, Some("b"))));
            assert_eq!(e.message, "not a number: \"x\"");
            // A ragged row near the end, a missing value, a non-finite one.
            let e = read_in(&with(&[(3999, "1,2")]), threads);
            assert_eq!((e.line, e.column.clone()), (Some(4001), None));
            assert_eq!(e.message, "wrong number of fields: expected 3, found 2");
            let e = read_in(&with(&[(2500, "1,2, ")]), threads);
            assert_eq!((e.line, e.column), (Some(2502), col(3, Some("c"))));
            let e = read_in(&with(&[(3500, "inf,2,3")]), threads);
            assert_eq!((e.line, e.column), (Some(3502), col(1, Some("a"))));
            // Errors in several parts: the first one in the file wins.
            let e = read_in(&with(&[(100, "1,2,z"), (3000, "1,x,3")]), threads);
            assert_eq!((e.line, e.column), (Some(102), col(3, Some("c"))));
            let e = read_in(&with(&[(3999, "9"), (2100, "1,2,3,4")]), threads);
            assert_eq!(e.line, Some(2102));
        }
    }

    #[test]
    fn threads_with_blank_lines_crlf_bom_and_no_final_newline() {
        // Blank lines make the parts reserve more rows than they fill: the
        // rows are then moved together.
        let mut s = String::from("\u{feff}\r\nx,y\r\n");
        for i in 0..3000 {
            if i % 7 == 0 || i < 500 {
                s.push_str(if i % 2 == 0 { "\r\n" } else { "  \t\r\n" });
            }
            s.push_str(&format!(" {i} ,{}\r\n", -(i as f64) / 8.0));
        }
        s.push_str("\r\n\r\n3000,1e-300");
        let (_dir, path) = file_with(s.as_bytes());
        for threads in [1, 2, 3, 5] {
            let t = read_matrix_in(&path, &ReadOptions::default(), Some(threads)).unwrap();
            assert_eq!(names(&t), Some(vec!["x", "y"]));
            assert_eq!(t.data.nrows(), 3001);
            for i in 0..3000 {
                assert_eq!(t.data[(i, 0)], i as f64);
                assert_eq!(t.data[(i, 1)], -(i as f64) / 8.0);
            }
            assert_eq!((t.data[(3000, 0)], t.data[(3000, 1)]), (3000.0, 1e-300));
        }
        check_plain(s.as_bytes(), &ReadOptions::default()).unwrap();
        let bad = s.replace("2999 ,", "2999 ,x");
        let line = bad[..bad.find("2999 ,x").unwrap()].matches('\n').count() + 1;
        let (_dir, path) = file_with(bad.as_bytes());
        match read_matrix_in(&path, &ReadOptions::default(), Some(2)) {
            Err(Error::Input(e)) => {
                assert_eq!((e.line, e.column), (Some(line), col(2, Some("y"))));
                assert_eq!(e.message, "not a number: \"x-374.875\"");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn files_with_quotes_take_the_general_path() {
        let mut s = numbered_rows(3000);
        s.push_str("\"7\",\"8\",\"9\"\n");
        let (_dir, path) = file_with(s.as_bytes());
        let t = read_matrix_in(&path, &ReadOptions::default(), Some(2)).unwrap();
        assert_eq!(t.data.nrows(), 3001);
        assert_eq!((t.data[(3000, 0)], t.data[(3000, 2)]), (7.0, 9.0));
        let mut s = String::from("\"a\nA\",b\n");
        for i in 0..2000 {
            s.push_str(&format!("{i},{i}\n"));
        }
        s.push_str("1,x\n");
        let (_dir, path) = file_with(s.as_bytes());
        match read_matrix_in(&path, &ReadOptions::default(), Some(2)) {
            Err(Error::Input(e)) => assert_eq!(e.line, Some(2003)),
            other => panic!("{other:?}"),
        }
        // A second BOM is stripped by the CSV reader too: same result.
        for content in ["\u{feff}\u{feff}1,2\n3,4\n", "\u{feff}\u{feff}a,b\n1,2\n"] {
            check_plain(content.as_bytes(), &ReadOptions::default()).unwrap();
        }
    }

    #[test]
    fn lines_longer_than_the_read_buffer() {
        let p = READ_BUFFER / 3;
        let row = |v: usize| vec![v.to_string(); p].join(",");
        let s = format!("{}\n{}\n\n{}", row(1), row(2), row(3));
        let (_dir, path) = file_with(s.as_bytes());
        for threads in [1, 2, 3] {
            let t = read_matrix_in(&path, &ReadOptions::default(), Some(threads)).unwrap();
            assert_eq!((t.data.nrows(), t.data.ncols()), (3, p));
            for j in [0, p / 2, p - 1] {
                assert_eq!(
                    [t.data[(0, j)], t.data[(1, j)], t.data[(2, j)]],
                    [1.0, 2.0, 3.0]
                );
            }
        }
        let s = format!("{}\n{},3\n", row(1), row(2));
        let e = err(&s);
        assert_eq!(e.line, Some(2));
        assert_eq!(
            e.message,
            format!("wrong number of fields: expected {p}, found {}", p + 1)
        );
    }

    /// On success the table is consistent; on failure the error is located.
    fn check_invariants(res: Result<Table>) -> std::result::Result<(), TestCaseError> {
        match res {
            Ok(t) => {
                prop_assert!(t.data.nrows() > 0 && t.data.ncols() > 0);
                if let Some(names) = &t.names {
                    prop_assert_eq!(names.len(), t.data.ncols());
                }
                for j in 0..t.data.ncols() {
                    prop_assert!(t.data.col_as_slice(j).iter().all(|v| v.is_finite()));
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

//! Reading numeric CSV matrices and small text tables; writing matrices.
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
//! # Writing ([`write_matrix`])
//!
//! Numbers are written with the fewest digits that read back to the identical
//! `f64`: integers as `3`, negative zero as `-0`, magnitudes below `1e-4` or
//! from `1e16` on in exponent form (`1e-7`, `2.5e300`) as Python's `repr`
//! does. Lines end with `\n`; names are quoted only when they need it.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use ::csv::{ByteRecord, ReaderBuilder, Terminator, WriterBuilder};
use faer::{Mat, MatRef};

use crate::error::{Error, InputError, Result};

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

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];
/// Capacity of the CSV reader's input buffer.
const READ_BUFFER: usize = 1 << 18;
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
/// resident. Peak memory is therefore the matrix itself plus the 256 KiB read
/// buffer and one record. (A single pass into a row-major buffer followed by a
/// transpose would need twice the matrix.) Pipes and other non-regular files
/// cannot be rewound; they are read with a doubling row capacity, as
/// [`read_matrix_from_reader`] does.
///
/// # Errors
///
/// [`Error::Input`] for an unreadable, empty or malformed file (see the module
/// documentation); the error carries the path, the 1-based line and column.
pub fn read_matrix(path: &Path, opts: &ReadOptions) -> Result<Table> {
    let name = path.display().to_string();
    let mut file = File::open(path).map_err(|e| cannot_read(&name, &e))?;
    let is_file = file.metadata().map(|m| m.is_file()).unwrap_or(false);
    let bound = if is_file {
        Some(count_lines(&mut file).map_err(|e| cannot_read(&name, &e))?)
    } else {
        None
    };
    parse_matrix(file, &name, opts, bound)
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
    if !src.advance()? {
        return Err(InputError::file(source, "file is empty").into());
    }
    let hint = format_hint(&src.rec, opts.delimiter);
    let fail = |e: InputError| -> Error { with_hint(e, hint).into() };
    let header = parse_header(&src.rec, source, src.line()).map_err(fail)?;
    let width = header.len();
    let mut rows = Vec::new();
    while src.advance()? {
        let line = src.line();
        if src.rec.len() != width {
            return Err(fail(ragged(source, line, width, src.rec.len())));
        }
        let mut cells = Vec::with_capacity(width);
        for (j, raw) in src.rec.iter().enumerate() {
            let cell = std::str::from_utf8(raw.trim_ascii()).map_err(|_| {
                fail(InputError::at(
                    source,
                    line,
                    Some((j + 1, Some(header[j].clone()))),
                    format!("not valid UTF-8: {:?}", String::from_utf8_lossy(raw)),
                ))
            })?;
            cells.push(cell.to_owned());
        }
        rows.push((line, cells));
    }
    Ok((header, rows))
}

/// Writes a matrix as CSV.
///
/// * `names`: when given, a header row with one name per column of `data`.
/// * `row_names`: when given, a first column of row labels, one per row of
///   `data`; its `&str` is the header cell of that column (written only when
///   `names` is given), e.g. `("feature", &features)` for a coefficient table
///   `feature,<task names>`.
///
/// Numbers use the shortest representation that parses back to the very same
/// `f64` (see the module documentation). Non-finite values are written as
/// `NaN`, `inf`, `-inf`, which [`read_matrix`] rejects. Lines end with `\n`.
///
/// # Errors
///
/// [`io::ErrorKind::InvalidInput`] when `names` or the row labels do not
/// match the shape of `data`; otherwise the writer's errors.
pub fn write_matrix<W: io::Write>(
    w: W,
    names: Option<&[String]>,
    row_names: Option<(&str, &[String])>,
    data: MatRef<'_, f64>,
) -> io::Result<()> {
    let (n, p) = (data.nrows(), data.ncols());
    if let Some(names) = names {
        if names.len() != p {
            return Err(invalid_input(format!(
                "{} column names for a matrix with {p} columns",
                names.len()
            )));
        }
    }
    if let Some((_, labels)) = row_names {
        if labels.len() != n {
            return Err(invalid_input(format!(
                "{} row labels for a matrix with {n} rows",
                labels.len()
            )));
        }
    }
    let mut wtr = WriterBuilder::new()
        .terminator(Terminator::Any(b'\n'))
        .buffer_capacity(1 << 16)
        .from_writer(w);
    let mut rec = ByteRecord::new();
    if let Some(names) = names {
        if let Some((corner, _)) = row_names {
            rec.push_field(corner.as_bytes());
        }
        for name in names {
            rec.push_field(name.as_bytes());
        }
        wtr.write_byte_record(&rec)?;
    }
    let mut buf = String::new();
    for i in 0..n {
        rec.clear();
        if let Some((_, labels)) = row_names {
            rec.push_field(labels[i].as_bytes());
        }
        for j in 0..p {
            rec.push_field(format_f64(data[(i, j)], &mut buf).as_bytes());
        }
        wtr.write_byte_record(&rec)?;
    }
    wtr.flush()
}

/// Formats `v` as Python's `repr` would choose: plain notation for zero and
/// magnitudes in `[1e-4, 1e16)`, exponent notation (`1e-7`, `2.5e300`)
/// outside. Both of Rust's notations print the shortest digit string that
/// parses back to exactly `v`, so the choice only affects readability.
fn format_f64(v: f64, buf: &mut String) -> &str {
    buf.clear();
    let a = v.abs();
    // Writing to a String cannot fail.
    let _ = if a == 0.0 || (1e-4..1e16).contains(&a) || !a.is_finite() {
        write!(buf, "{v}")
    } else {
        write!(buf, "{v:e}")
    };
    buf
}

fn invalid_input(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

pub(crate) fn cannot_read(name: &str, e: &io::Error) -> Error {
    InputError::file(name, format!("cannot read file: {e}")).into()
}

/// Counts the bytes and line feeds of a regular file, then rewinds it.
fn count_lines(file: &mut File) -> io::Result<(u64, u64)> {
    let mut buf = vec![0u8; 1 << 16];
    let (mut bytes, mut lines) = (0u64, 0u64);
    loop {
        let k = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        bytes += k as u64;
        lines += buf[..k].iter().filter(|&&b| b == b'\n').count() as u64;
    }
    file.seek(SeekFrom::Start(0))?;
    Ok((bytes, lines))
}

/// Skips a leading UTF-8 BOM and appends a final `\n`, so that every record,
/// the last one included, ends with a line feed (see [`Records::line`]).
fn prepare<R: Read>(mut r: R) -> io::Result<impl Read> {
    let mut head = [0u8; 3];
    let mut n = 0;
    while n < head.len() {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    let skip = if n == 3 && head == BOM { 3 } else { 0 };
    let mut start = Cursor::new(head);
    start.set_position(skip as u64);
    Ok(start.take((n - skip) as u64).chain(r).chain(&b"\n"[..]))
}

/// A record reader that skips blank records and knows the exact line on which
/// each record starts.
pub(crate) struct Records<R: Read> {
    rdr: ::csv::Reader<R>,
    pub(crate) rec: ByteRecord,
    source: String,
    /// Line of the first byte not yet consumed before the current record.
    before: u64,
    /// Same, after the current record (its final `\n` included).
    after: u64,
}

/// Opens a [`Records`] reader over `reader` (see [`prepare`]).
pub(crate) fn open_records<R: Read>(
    reader: R,
    source: &str,
    delimiter: u8,
) -> Result<Records<impl Read + use<R>>> {
    if matches!(delimiter, b'\n' | b'\r' | b'"') || !delimiter.is_ascii() {
        return Err(InputError::file(
            source,
            format!("invalid delimiter {:?}", char::from(delimiter)),
        )
        .into());
    }
    let reader = prepare(reader).map_err(|e| cannot_read(source, &e))?;
    // Records end at `\n` only: a `\r` before it stays at the end of the
    // last field and is trimmed like any other white space. Since the
    // terminator is then always consumed with its record, csv's line
    // counter gives exact record lines (its own per-record positions are
    // off after blank lines and with CRLF).
    let rdr = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .terminator(Terminator::Any(b'\n'))
        .buffer_capacity(READ_BUFFER)
        .from_reader(reader);
    Ok(Records {
        rdr,
        rec: ByteRecord::new(),
        source: source.to_owned(),
        before: 1,
        after: 1,
    })
}

impl<R: Read> Records<R> {
    /// Reads the next non-blank record; false at the end of the input.
    pub(crate) fn advance(&mut self) -> Result<bool> {
        loop {
            self.before = self.rdr.position().line();
            match self.rdr.read_byte_record(&mut self.rec) {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(e) => return Err(cannot_read(&self.source, &io::Error::from(e))),
            }
            self.after = self.rdr.position().line();
            let blank = self.rec.iter().all(|f| f.trim_ascii().is_empty());
            if !(blank && self.rec.len() <= 1) {
                return Ok(true);
            }
        }
    }

    /// The 1-based line on which the current record starts.
    ///
    /// The record's own `\n` and those inside its quoted fields were consumed
    /// with it; what remains are the skipped blank lines before it. Only a
    /// quoted field left open at the end of the file (where the appended `\n`
    /// is field content) could make this one too small: hence the clamp.
    pub(crate) fn line(&self) -> usize {
        let inner = self.rec.as_slice().iter().filter(|&&b| b == b'\n').count() as u64;
        let line = self.after.saturating_sub(1 + inner).max(self.before);
        usize::try_from(line).unwrap_or(usize::MAX)
    }
}

/// A cell that is not a finite number.
pub(crate) enum CellError {
    Missing,
    NotNumber,
    NonFinite,
}

#[inline]
pub(crate) fn parse_cell(raw: &[u8]) -> std::result::Result<f64, CellError> {
    let t = raw.trim_ascii();
    if t.is_empty() {
        return Err(CellError::Missing);
    }
    let s = std::str::from_utf8(t).map_err(|_| CellError::NotNumber)?;
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(CellError::NonFinite),
        Err(_) => Err(CellError::NotNumber),
    }
}

/// Auto header detection: any non-empty cell that is not a number (NaN and
/// infinities count as numbers here, and are then rejected as data).
fn looks_like_header(rec: &ByteRecord) -> bool {
    rec.iter().any(|raw| {
        let t = raw.trim_ascii();
        !t.is_empty()
            && std::str::from_utf8(t)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .is_none()
    })
}

/// Validates and returns the header names of `rec`, found at `line`.
pub(crate) fn parse_header(
    rec: &ByteRecord,
    source: &str,
    line: usize,
) -> std::result::Result<Vec<String>, InputError> {
    if rec.is_empty() {
        return Err(InputError::at(source, line, None, "no columns"));
    }
    let mut names = Vec::with_capacity(rec.len());
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(rec.len());
    for (j, raw) in rec.iter().enumerate() {
        let col = j + 1;
        let name = std::str::from_utf8(raw.trim_ascii()).map_err(|_| {
            InputError::at(
                source,
                line,
                Some((col, None)),
                format!(
                    "column name is not valid UTF-8: {:?}",
                    String::from_utf8_lossy(raw)
                ),
            )
        })?;
        if name.is_empty() {
            let msg = if col == 1 {
                "empty column name (is the first column a row index? remove it)"
            } else {
                "empty column name"
            };
            return Err(InputError::at(source, line, Some((col, None)), msg));
        }
        if let Some(first) = seen.insert(name.to_owned(), col) {
            return Err(InputError::at(
                source,
                line,
                Some((col, Some(name.to_owned()))),
                format!("duplicate column name {name:?} (also column {first})"),
            ));
        }
        names.push(name.to_owned());
    }
    Ok(names)
}

pub(crate) fn ragged(source: &str, line: usize, expected: usize, found: usize) -> InputError {
    InputError::at(
        source,
        line,
        None,
        format!("wrong number of fields: expected {expected}, found {found}"),
    )
}

/// A hint about the file's format, from its first record, to append to any
/// error: a single column whose text contains another usual delimiter, or
/// line breaks that are lone `\r` (the whole file then reads as one line).
pub(crate) fn format_hint(first: &ByteRecord, delimiter: u8) -> Option<&'static str> {
    let bytes = first.as_slice();
    let lone_cr = bytes
        .trim_ascii()
        .windows(2)
        .any(|w| w[0] == b'\r' && w[1] != b'\n');
    if lone_cr {
        return Some("the file seems to use CR-only line endings; convert them to LF");
    }
    if first.len() != 1 {
        return None;
    }
    [
        (b';', "file looks semicolon-separated (use --delimiter ';')"),
        (b'\t', "file looks tab-separated (use --delimiter '\\t')"),
        (b',', "file looks comma-separated (use --delimiter ',')"),
    ]
    .into_iter()
    .find(|&(d, _)| d != delimiter && bytes.contains(&d))
    .map(|(_, hint)| hint)
}

pub(crate) fn with_hint(mut e: InputError, hint: Option<&str>) -> InputError {
    if let Some(hint) = hint {
        e.message = format!("{}; {hint}", e.message);
    }
    e
}

/// The matrix reader proper. `bound` is `(bytes, line feeds)` of the input
/// when known in advance.
fn parse_matrix<R: Read>(
    reader: R,
    source: &str,
    opts: &ReadOptions,
    bound: Option<(u64, u64)>,
) -> Result<Table> {
    let mut src = open_records(reader, source, opts.delimiter)?;
    if !src.advance()? {
        return Err(InputError::file(source, "file is empty").into());
    }
    let p = src.rec.len();
    let hint = format_hint(&src.rec, opts.delimiter);
    let fail = |e: InputError| -> Error { with_hint(e, hint).into() };
    if p == 0 {
        return Err(fail(InputError::at(source, src.line(), None, "no columns")));
    }
    let has_header = match opts.header {
        HeaderMode::Present => true,
        HeaderMode::Absent => false,
        HeaderMode::Auto => looks_like_header(&src.rec),
    };
    let names = if has_header {
        let names = parse_header(&src.rec, source, src.line()).map_err(fail)?;
        if !src.advance()? {
            return Err(fail(InputError::file(
                source,
                "no data rows (the file has only a header line)",
            )));
        }
        Some(names)
    } else {
        None
    };

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
        if src.rec.len() != p {
            return Err(fail(ragged(source, src.line(), p, src.rec.len())));
        }
        for (j, raw) in src.rec.iter().enumerate() {
            row[j] = match parse_cell(raw) {
                Ok(v) => v,
                Err(kind) => {
                    let line = src.line();
                    return Err(fail(cell_error(source, line, j, &names, raw, kind)));
                }
            };
        }
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
    Ok(Table { names, data })
}

fn reserve(data: &mut Mat<f64>, rows: usize, cols: usize, source: &str) -> Result<()> {
    data.try_reserve(rows, cols).map_err(|_| {
        InputError::file(
            source,
            format!("file too large: cannot allocate a {rows} x {cols} matrix"),
        )
        .into()
    })
}

pub(crate) fn cell_error(
    source: &str,
    line: usize,
    j: usize,
    names: &Option<Vec<String>>,
    raw: &[u8],
    kind: CellError,
) -> InputError {
    let text = String::from_utf8_lossy(raw.trim_ascii());
    let message = match kind {
        CellError::Missing => "missing value (empty cell)".to_owned(),
        CellError::NonFinite => format!("non-finite value: {text:?}"),
        CellError::NotNumber => format!("not a number: {text:?}"),
    };
    let name = names.as_ref().map(|names| names[j].clone());
    InputError::at(source, line, Some((j + 1, name)), message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
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
        assert_eq!(e.message, "non-finite value: \"NaN\"");
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
        for (cell, shown) in [
            ("NaN", "NaN"),
            ("nan", "nan"),
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
        assert_eq!(e.message, "missing value (empty cell)");
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

    proptest! {
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

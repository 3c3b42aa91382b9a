//! The record layer shared by every reader: lexical rules, the head of a
//! file, and one row parser.
//!
//! A delimited file is a sequence of records (`Records`): the csv crate's
//! state machine with records ending at `\n` only (a `\r` before it stays in
//! the last field and is trimmed with the other white space), a UTF-8
//! byte-order mark skipped, and blank records (at most one field, all ASCII
//! white space) skipped while their lines still count, so every record knows
//! the 1-based line on which it starts, as a text editor counts.
//!
//! On top of it, two pieces are written once for all readers (matrix, chunked,
//! long format, small tables, and the quote-free fast path):
//! * `read_head` reads the first record, decides whether it is a header
//!   (per [`HeaderMode`]), validates the names (trimmed, UTF-8, non-empty,
//!   distinct) and stops on the first data record;
//! * `RowParser` checks a record's width and turns its cells into numbers
//!   (or hands text cells to the caller), reporting the first bad cell in
//!   file order with its line, column and column name.
//!
//! Every message is built here, so that every reader reports the same
//! problem in the same words.

use std::collections::HashMap;
use std::io::{self, Cursor, Read};

use ::csv::{ByteRecord, ReaderBuilder, Terminator};

use super::csv::HeaderMode;
use crate::error::{Error, InputError, Result};

/// The UTF-8 byte-order mark.
pub(crate) const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];
/// Capacity of the input buffer of a record reader (and of each thread of
/// the fast path).
pub(crate) const READ_BUFFER: usize = 1 << 18;

/// "cannot read file: ..." for `name`.
pub(crate) fn cannot_read(name: &str, e: &io::Error) -> Error {
    InputError::file(name, format!("cannot read file: {e}")).into()
}

/// Rejects delimiters that cannot separate fields.
pub(crate) fn check_delimiter(source: &str, delimiter: u8) -> Result<()> {
    if matches!(delimiter, b'\n' | b'\r' | b'"') || !delimiter.is_ascii() {
        return Err(InputError::file(
            source,
            format!("invalid delimiter {:?}", char::from(delimiter)),
        )
        .into());
    }
    Ok(())
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

/// A record reader that skips blank records and knows the exact line on
/// which each record starts.
pub(crate) struct Records<R: Read> {
    rdr: ::csv::Reader<R>,
    /// The current record.
    pub(crate) rec: ByteRecord,
    source: String,
    /// Line of the first byte not yet consumed before the current record.
    before: u64,
    /// Same, after the current record (its final `\n` included).
    after: u64,
}

/// Opens a [`Records`] reader over `reader`.
pub(crate) fn open_records<R: Read>(
    reader: R,
    source: &str,
    delimiter: u8,
) -> Result<Records<impl Read + use<R>>> {
    check_delimiter(source, delimiter)?;
    let reader = prepare(reader).map_err(|e| cannot_read(source, &e))?;
    Ok(records_from(reader, source, delimiter))
}

/// [`open_records`] with the reader boxed, for a [`Records`] stored in a
/// struct or moved to another thread.
pub(crate) fn open_records_boxed<R: Read + Send + 'static>(
    reader: R,
    source: &str,
    delimiter: u8,
) -> Result<Records<Box<dyn Read + Send>>> {
    check_delimiter(source, delimiter)?;
    let reader = prepare(reader).map_err(|e| cannot_read(source, &e))?;
    Ok(records_from(Box::new(reader), source, delimiter))
}

/// The record reader over an already prepared input.
fn records_from<R: Read>(reader: R, source: &str, delimiter: u8) -> Records<R> {
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
    Records {
        rdr,
        rec: ByteRecord::new(),
        source: source.to_owned(),
        before: 1,
        after: 1,
    }
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

/// A cell as a finite number: trimmed of ASCII white space, Rust's `f64`
/// syntax.
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
pub(crate) fn looks_like_header(rec: &ByteRecord) -> bool {
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
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(rec.len());
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
        if let Some(first) = seen.insert(name, col) {
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

/// "wrong number of fields" at `line`.
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

/// Appends `hint` (if any) to the message of `e`.
pub(crate) fn with_hint(mut e: InputError, hint: Option<&str>) -> InputError {
    if let Some(hint) = hint {
        e.message = format!("{}; {hint}", e.message);
    }
    e
}

/// What to do about a missing value (appended to its message).
pub(crate) const MISSING_HINT: &str = "missing values are not supported: drop the rows that \
     have any (pandas: df.dropna(), R: na.omit) or fill them in before mtreg reads the file";

/// The usual spellings of a missing value in exported tables (`NA`, `NaN`,
/// `null`, ...), case-insensitively.
pub(crate) fn is_missing_marker(text: &str) -> bool {
    ["na", "n/a", "nan", "null", "none", "?", "#n/a"]
        .iter()
        .any(|m| text.eq_ignore_ascii_case(m))
}

/// The message for a cell that is not a finite number.
pub(crate) fn cell_error(
    source: &str,
    line: usize,
    j: usize,
    names: Option<&[String]>,
    raw: &[u8],
    kind: CellError,
) -> InputError {
    let text = String::from_utf8_lossy(raw.trim_ascii());
    let message = match kind {
        CellError::Missing => format!("missing value (empty cell); {MISSING_HINT}"),
        _ if is_missing_marker(&text) => format!("missing value {text:?}; {MISSING_HINT}"),
        CellError::NonFinite => format!("non-finite value: {text:?}"),
        CellError::NotNumber => format!("not a number: {text:?}"),
    };
    let name = names.map(|names| names[j].clone());
    InputError::at(source, line, Some((j + 1, name)), message)
}

/// The first record(s) of a file, as every reader needs them.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    /// Number of columns (of the first record).
    pub width: usize,
    /// A format hint appended to errors (e.g. "looks semicolon-separated").
    pub hint: Option<&'static str>,
    /// Column names, if the file has a header.
    pub names: Option<Vec<String>>,
    /// 1-based line of the first record.
    pub header_line: usize,
    /// Whether the reader holds a data record (false: a header only).
    pub data: bool,
}

impl Head {
    /// Refuses a file whose header has no data rows after it.
    pub(crate) fn require_data(&self, source: &str) -> Result<()> {
        if self.data {
            return Ok(());
        }
        Err(with_hint(
            InputError::file(source, "no data rows (the file has only a header line)"),
            self.hint,
        )
        .into())
    }

    /// The row parser for the data records after this head.
    pub(crate) fn parser(&self, source: &str) -> RowParser {
        RowParser {
            source: source.to_owned(),
            width: self.width,
            names: self.names.clone(),
            hint: self.hint,
        }
    }
}

/// Reads the first record, decides whether it is a header (per `mode`) and,
/// if so, moves on to the first data record, if any ([`Head::data`]).
///
/// # Errors
/// An empty file (nothing but blank lines), no columns, or a bad header
/// (names not UTF-8, empty or repeated).
pub(crate) fn read_head<R: Read>(
    src: &mut Records<R>,
    source: &str,
    delimiter: u8,
    mode: HeaderMode,
) -> Result<Head> {
    if !src.advance()? {
        return Err(InputError::file(source, "file is empty").into());
    }
    let width = src.rec.len();
    let hint = format_hint(&src.rec, delimiter);
    let fail = |e: InputError| -> Error { with_hint(e, hint).into() };
    let header_line = src.line();
    if width == 0 {
        return Err(fail(InputError::at(
            source,
            header_line,
            None,
            "no columns",
        )));
    }
    let has_header = match mode {
        HeaderMode::Present => true,
        HeaderMode::Absent => false,
        HeaderMode::Auto => looks_like_header(&src.rec),
    };
    let (names, data) = if has_header {
        let names = parse_header(&src.rec, source, header_line).map_err(fail)?;
        (Some(names), src.advance()?)
    } else {
        (None, true)
    };
    Ok(Head {
        width,
        hint,
        names,
        header_line,
        data,
    })
}

/// Where the cells of a record go: numbers by default; columns for which
/// [`is_text`](RowSink::is_text) is true are handed over as text.
pub(crate) trait RowSink {
    /// Stores the number of column `j`.
    fn number(&mut self, j: usize, v: f64);

    /// Whether column `j` holds text rather than a number.
    #[inline]
    fn is_text(&self, _j: usize) -> bool {
        false
    }

    /// Takes the raw text of column `j`; `Err` is the message of a bad cell.
    #[inline]
    fn text(&mut self, _j: usize, _raw: &[u8]) -> std::result::Result<(), String> {
        Ok(())
    }
}

/// A row buffer: column `j` goes to `row[j]`.
impl RowSink for [f64] {
    #[inline]
    fn number(&mut self, j: usize, v: f64) {
        self[j] = v;
    }
}

/// The one row parser: checks the width of a record and hands its cells,
/// in file order, to a [`RowSink`]; the first bad cell is reported with its
/// line, column and column name.
#[derive(Debug, Clone)]
pub(crate) struct RowParser {
    source: String,
    width: usize,
    names: Option<Vec<String>>,
    hint: Option<&'static str>,
}

impl RowParser {
    /// Number of fields of every record.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// The column names, if the file has a header.
    pub(crate) fn names(&self) -> Option<&[String]> {
        self.names.as_deref()
    }

    /// The name of the input, as used in errors.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Parses `rec`, found on the line `line()` gives (called for errors
    /// only: it may cost a scan of the record).
    #[inline]
    pub(crate) fn parse<S: RowSink + ?Sized>(
        &self,
        rec: &ByteRecord,
        line: impl Fn() -> usize,
        sink: &mut S,
    ) -> Result<()> {
        if rec.len() != self.width {
            return Err(self.fail(ragged(&self.source, line(), self.width, rec.len())));
        }
        for (j, raw) in rec.iter().enumerate() {
            if sink.is_text(j) {
                if let Err(msg) = sink.text(j, raw) {
                    return Err(self.text_error(line(), j, msg));
                }
            } else {
                match parse_cell(raw) {
                    Ok(v) => sink.number(j, v),
                    Err(kind) => return Err(self.cell_error(line(), j, raw, kind)),
                }
            }
        }
        Ok(())
    }

    /// `e` with the file's format hint.
    pub(crate) fn fail(&self, e: InputError) -> Error {
        with_hint(e, self.hint).into()
    }

    #[cold]
    fn cell_error(&self, line: usize, j: usize, raw: &[u8], kind: CellError) -> Error {
        self.fail(cell_error(
            &self.source,
            line,
            j,
            self.names.as_deref(),
            raw,
            kind,
        ))
    }

    #[cold]
    fn text_error(&self, line: usize, j: usize, msg: String) -> Error {
        let name = self.names.as_ref().map(|n| n[j].clone());
        self.fail(InputError::at(&self.source, line, Some((j + 1, name)), msg))
    }
}

/// A trimmed text cell that must be valid UTF-8.
pub(crate) fn text_cell(raw: &[u8]) -> std::result::Result<&str, String> {
    std::str::from_utf8(raw.trim_ascii())
        .map_err(|_| format!("not valid UTF-8: {:?}", String::from_utf8_lossy(raw)))
}

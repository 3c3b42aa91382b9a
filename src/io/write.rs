//! Writing CSV: every CSV file mtreg writes goes through here (and the csv
//! crate), so it is RFC 4180: fields holding the delimiter, a quote or a line
//! break are quoted, quotes doubled. Lines end with `\n` (RFC 4180 says
//! CRLF; every CSV reader accepts LF, and the files stay diff-friendly).
//!
//! Numbers are written with the fewest digits that read back to the
//! identical `f64`: integers as `3`, negative zero as `-0`, magnitudes below
//! `1e-4` or from `1e16` on in exponent form (`1e-7`, `2.5e300`) as Python's
//! `repr` does; non-finite values as `NaN`, `inf`, `-inf` (which the readers
//! refuse).
//!
//! * [`write_matrix`]: a numeric matrix with optional header and row labels
//!   (COEF.csv, X.csv, statistics files).
//! * [`CsvWriter`]: any table, a field at a time (tidy path files, CV
//!   curves, relations).
//!
//! ```
//! use mtreg::io::write::CsvWriter;
//! let mut out = Vec::new();
//! let mut w = CsvWriter::new(&mut out);
//! w.record(["alpha", "feature", "value"])?;
//! w.number(0.5).text("x,1").number(-1e-7).end_record()?;
//! w.finish()?;
//! assert_eq!(String::from_utf8(out).unwrap(), "alpha,feature,value\n0.5,\"x,1\",-1e-7\n");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fmt::Write as _;
use std::io;

use ::csv::{ByteRecord, Terminator, WriterBuilder};
use faer::MatRef;

/// Formats `v` as Python's `repr` would choose: plain notation for zero and
/// magnitudes in `[1e-4, 1e16)`, exponent notation (`1e-7`, `2.5e300`)
/// outside. Both of Rust's notations print the shortest digit string that
/// parses back to exactly `v`, so the choice only affects readability.
pub(crate) fn format_f64(v: f64, buf: &mut String) -> &str {
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

/// A CSV writer (RFC 4180 quoting, `\n` line ends, shortest round-trip
/// numbers) that builds each record a field at a time.
///
/// Fields are added with [`text`](Self::text), [`number`](Self::number) and
/// [`int`](Self::int), and the record is written by
/// [`end_record`](Self::end_record); [`record`](Self::record) writes a whole
/// record of text fields. Call [`finish`](Self::finish) to flush: errors are
/// reported there rather than lost in a drop.
pub struct CsvWriter<W: io::Write> {
    wtr: ::csv::Writer<W>,
    rec: ByteRecord,
    buf: String,
}

impl<W: io::Write> std::fmt::Debug for CsvWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvWriter").finish_non_exhaustive()
    }
}

impl<W: io::Write> CsvWriter<W> {
    /// A writer into `w` (buffered: 64 KiB).
    pub fn new(w: W) -> Self {
        Self {
            wtr: WriterBuilder::new()
                .terminator(Terminator::Any(b'\n'))
                .buffer_capacity(1 << 16)
                .from_writer(w),
            rec: ByteRecord::new(),
            buf: String::new(),
        }
    }

    /// Adds a text field to the current record.
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.rec.push_field(s.as_bytes());
        self
    }

    /// Adds a number, in the shortest form that reads back exactly.
    pub fn number(&mut self, v: f64) -> &mut Self {
        let s = format_f64(v, &mut self.buf);
        self.rec.push_field(s.as_bytes());
        self
    }

    /// Adds an integer.
    pub fn int(&mut self, v: u64) -> &mut Self {
        self.buf.clear();
        let _ = write!(self.buf, "{v}");
        self.rec.push_field(self.buf.as_bytes());
        self
    }

    /// Writes the current record and starts a new one.
    ///
    /// # Errors
    /// The underlying writer's.
    pub fn end_record(&mut self) -> io::Result<()> {
        self.wtr.write_byte_record(&self.rec)?;
        self.rec.clear();
        Ok(())
    }

    /// Writes a record of text fields (a header, typically).
    ///
    /// # Errors
    /// The underlying writer's.
    pub fn record<I, S>(&mut self, fields: I) -> io::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for f in fields {
            self.rec.push_field(f.as_ref().as_bytes());
        }
        self.end_record()
    }

    /// Flushes everything written.
    ///
    /// # Errors
    /// The underlying writer's.
    pub fn finish(mut self) -> io::Result<()> {
        self.wtr.flush()
    }
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
/// `NaN`, `inf`, `-inf`, which [`read_matrix`](super::read_matrix) rejects.
/// Lines end with `\n`; names are quoted only when they need it.
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
    if let Some(names) = names
        && names.len() != p
    {
        return Err(invalid_input(format!(
            "{} column names for a matrix with {p} columns",
            names.len()
        )));
    }
    if let Some((_, labels)) = row_names
        && labels.len() != n
    {
        return Err(invalid_input(format!(
            "{} row labels for a matrix with {n} rows",
            labels.len()
        )));
    }
    let mut wtr = CsvWriter::new(w);
    if let Some(names) = names {
        if let Some((corner, _)) = row_names {
            wtr.text(corner);
        }
        wtr.record(names)?;
    }
    for i in 0..n {
        if let Some((_, labels)) = row_names {
            wtr.text(&labels[i]);
        }
        for j in 0..p {
            wtr.number(data[(i, j)]);
        }
        wtr.end_record()?;
    }
    wtr.finish()
}

fn invalid_input(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::csv::{ReadOptions, read_records_from_reader};

    #[test]
    fn fields_that_need_it_are_quoted() {
        let mut out = Vec::new();
        let mut w = CsvWriter::new(&mut out);
        w.record(["a", "b,c", "d\"e", "f\ng", " h "]).unwrap();
        w.int(12).number(0.1).number(f64::NAN).text("").text("x");
        w.end_record().unwrap();
        w.finish().unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s, "a,\"b,c\",\"d\"\"e\",\"f\ng\", h \n12,0.1,NaN,,x\n");
        let (head, rows) =
            read_records_from_reader(s.as_bytes(), "t", &ReadOptions::default()).unwrap();
        assert_eq!(head, ["a", "b,c", "d\"e", "f\ng", "h"]);
        assert_eq!(
            rows,
            [(
                3,
                vec!["12", "0.1", "NaN", "", "x"]
                    .into_iter()
                    .map(String::from)
                    .collect::<Vec<_>>()
            )]
        );
    }
}

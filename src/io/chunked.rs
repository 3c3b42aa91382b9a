//! Reading a numeric CSV file a chunk of rows at a time, in bounded memory.
//!
//! [`ChunkReader`] accepts exactly the files [`read_matrix`](super::read_matrix)
//! accepts (same header detection, lexical rules and located errors: file,
//! 1-based line, column and column name) but hands the rows out in chunks
//! instead of building the whole matrix, so its memory is one read buffer
//! (256 KiB), one record and the caller's chunk, whatever the size of the
//! file. `mtreg stats` uses it to reduce files larger than memory to
//! [`SufficientStats`](crate::SufficientStats).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use faer::MatMut;

use super::csv::ReadOptions;
use super::record::{RowParser, RowSink, cannot_read, open_records_boxed, read_head};
use crate::error::{Error, Result};

/// A numeric CSV reader that yields chunks of rows.
///
/// ```
/// use mtreg::io::{ChunkReader, ReadOptions};
/// let text = "a,b\n1,2\n3,4\n5,6\n";
/// let mut r = ChunkReader::from_reader(text.as_bytes(), "<memory>", &ReadOptions::default())?;
/// assert_eq!(r.names().unwrap(), ["a", "b"]);
/// let mut chunk = faer::Mat::<f64>::zeros(2, 2);
/// assert_eq!(r.read_chunk(chunk.as_mut())?, 2);
/// assert_eq!(chunk[(1, 0)], 3.0);
/// assert_eq!(r.read_chunk(chunk.as_mut())?, 1);
/// assert_eq!(chunk[(0, 1)], 6.0);
/// assert_eq!(r.read_chunk(chunk.as_mut())?, 0);
/// assert_eq!(r.rows_read(), 3);
/// Ok::<(), mtreg::Error>(())
/// ```
pub struct ChunkReader {
    src: super::record::Records<Box<dyn Read + Send>>,
    parser: RowParser,
    header_line: usize,
    /// `src.rec` holds a data record not yet returned.
    pending: bool,
    rows: usize,
    /// Destination column of each column of the file.
    order: Vec<usize>,
}

impl std::fmt::Debug for ChunkReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkReader")
            .field("source", &self.parser.source())
            .field("names", &self.parser.names())
            .field("width", &self.parser.width())
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

/// Row `k` of a chunk, columns permuted by `order`.
struct ChunkRow<'a, 'b> {
    out: &'a mut MatMut<'b, f64>,
    k: usize,
    order: &'a [usize],
}

impl RowSink for ChunkRow<'_, '_> {
    #[inline]
    fn number(&mut self, j: usize, v: f64) {
        self.out[(self.k, self.order[j])] = v;
    }
}

impl ChunkReader {
    /// Opens a file and reads its first record (the header, if any).
    ///
    /// # Errors
    /// [`Error::Input`] for an unreadable or empty file, a bad header, or a
    /// header without data rows.
    pub fn open(path: &Path, opts: &ReadOptions) -> Result<Self> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| cannot_read(&name, &e))?;
        Self::from_reader(file, &name, opts)
    }

    /// [`open`](Self::open) on any reader; `source` names it in errors.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn from_reader<R: Read + Send + 'static>(
        reader: R,
        source: &str,
        opts: &ReadOptions,
    ) -> Result<Self> {
        let mut src = open_records_boxed(reader, source, opts.delimiter)?;
        let head = read_head(&mut src, source, opts.delimiter, opts.header)?;
        head.require_data(source)?;
        Ok(Self {
            src,
            parser: head.parser(source),
            header_line: head.header_line,
            pending: true,
            rows: 0,
            order: (0..head.width).collect(),
        })
    }

    /// The column names, when the file has a header.
    pub fn names(&self) -> Option<&[String]> {
        self.parser.names()
    }

    /// The 1-based line of the header (or of the first data row).
    pub fn header_line(&self) -> usize {
        self.header_line
    }

    /// The number of columns.
    pub fn n_columns(&self) -> usize {
        self.parser.width()
    }

    /// Data rows returned so far.
    pub fn rows_read(&self) -> usize {
        self.rows
    }

    /// The name of the input, as used in error messages.
    pub fn source(&self) -> &str {
        self.parser.source()
    }

    /// The 1-based line of the next data row, if any is left.
    pub fn next_line(&self) -> Option<usize> {
        self.pending.then(|| self.src.line())
    }

    /// Writes column j of the file into column `order[j]` of the chunks.
    ///
    /// # Errors
    /// `InvalidParameter` if `order` is not a permutation of the columns.
    pub fn set_column_order(&mut self, order: Vec<usize>) -> Result<()> {
        let width = self.parser.width();
        let mut seen = vec![false; width];
        let ok = order.len() == width
            && order
                .iter()
                .all(|&d| d < width && !std::mem::replace(&mut seen[d], true));
        if !ok {
            return Err(Error::InvalidParameter {
                name: "column order (a permutation of the columns)",
                value: order.len() as f64,
                expected: "each column exactly once",
            });
        }
        self.order = order;
        Ok(())
    }

    /// Reads the next rows into the rows of `out` (as many rows as `out`
    /// has, fewer at the end of the file); returns how many, 0 at the end.
    ///
    /// # Errors
    /// `ShapeMismatch` if `out` does not have one column per column of the
    /// file; [`Error::Input`] for a malformed row (wrong number of fields, a
    /// cell that is not a finite number), naming the line and column.
    pub fn read_chunk(&mut self, mut out: MatMut<'_, f64>) -> Result<usize> {
        if out.ncols() != self.parser.width() {
            return Err(Error::ShapeMismatch {
                what: "columns of the chunk vs columns of the file",
                expected: self.parser.width(),
                found: out.ncols(),
            });
        }
        let mut k = 0;
        while k < out.nrows() && self.pending {
            let src = &self.src;
            let mut row = ChunkRow {
                out: &mut out,
                k,
                order: &self.order,
            };
            self.parser.parse(&src.rec, || src.line(), &mut row)?;
            k += 1;
            self.rows += 1;
            self.pending = self.src.advance()?;
        }
        Ok(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::csv::read_matrix_from_reader;
    use faer::Mat;

    fn read_all(text: &str, chunk: usize) -> Result<(Option<Vec<String>>, Mat<f64>)> {
        let mut r = ChunkReader::from_reader(
            std::io::Cursor::new(text.as_bytes().to_vec()),
            "t.csv",
            &ReadOptions::default(),
        )?;
        let names = r.names().map(<[String]>::to_vec);
        let mut rows: Vec<Vec<f64>> = Vec::new();
        let mut buf = Mat::<f64>::zeros(chunk, r.n_columns());
        loop {
            let k = r.read_chunk(buf.as_mut())?;
            if k == 0 {
                break;
            }
            for i in 0..k {
                rows.push((0..buf.ncols()).map(|j| buf[(i, j)]).collect());
            }
        }
        let p = r.n_columns();
        Ok((names, Mat::from_fn(rows.len(), p, |i, j| rows[i][j])))
    }

    #[test]
    fn agrees_with_read_matrix_on_values_and_errors() {
        let cases = [
            "a,b\n1,2\n\n3,4\r\n  5 , \"6\"\n",
            "1,2\n3,4\n",
            "\u{feff}x;y\n1;2\n",
            "a,b\n1,2\n3\n",
            "a,b\n1,2\n3,x\n",
            "a,b\n1,2\n3,\n",
            "a,b\n1,2\n3,NaN\n",
            "a,b\n",
            "",
            "a,a\n1,2\n",
        ];
        for text in cases {
            for chunk in [1, 2, 7] {
                let want =
                    read_matrix_from_reader(text.as_bytes(), "t.csv", &ReadOptions::default());
                let got = read_all(text, chunk);
                match (want, got) {
                    (Ok(w), Ok((names, m))) => {
                        assert_eq!(w.names, names, "{text:?}");
                        assert_eq!(w.data, m, "{text:?}");
                    }
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text:?}"),
                    (a, b) => panic!("{text:?}: {a:?} vs {b:?}"),
                }
            }
        }
    }

    #[test]
    fn column_order_permutes_and_is_checked() {
        let mut r =
            ChunkReader::from_reader(&b"a,b,c\n1,2,3\n"[..], "t.csv", &ReadOptions::default())
                .unwrap();
        assert!(r.set_column_order(vec![0, 0, 1]).is_err());
        r.set_column_order(vec![2, 0, 1]).unwrap();
        let mut m = Mat::<f64>::zeros(4, 3);
        assert_eq!(r.read_chunk(m.as_mut()).unwrap(), 1);
        assert_eq!((m[(0, 0)], m[(0, 1)], m[(0, 2)]), (2.0, 3.0, 1.0));
        assert!(r.read_chunk(Mat::<f64>::zeros(1, 2).as_mut()).is_err());
    }
}

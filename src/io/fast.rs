//! The fast path of [`read_matrix`](super::read_matrix): regular files
//! without quote characters, split with a byte scan and parsed in parallel.
//!
//! Without any `"` in the file, the CSV grammar of the record layer (records
//! end at `\n`, fields at the delimiter, no escapes, no comments) reduces to
//! splitting lines at `\n` and fields at the delimiter; a record the record
//! layer skips is a line holding at most one field, all ASCII white space (a
//! `\r` included). This module implements exactly that:
//!
//! 1. a first pass ([`scan_file`]) cuts the file at line breaks into up to
//!    one part per core and counts the bytes and line feeds of each (and
//!    looks for quotes, which send the file to the general path);
//! 2. the head of the file is read by the shared head reader, over the same
//!    file, which gives the names and the offset and line of the first data
//!    row;
//! 3. each part is parsed (rayon) into its own block of rows of the matrix
//!    (see [`uninit`], the only `unsafe` code of `io`), lines that are not a
//!    plain row of numbers (blank lines, errors) going through the shared row
//!    parser, so results and messages are those of the general path. The
//!    tests check both paths against each other on random files.

use std::fs::File;
use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};

use ::csv::ByteRecord;
use rayon::prelude::*;

use super::csv::{ReadOptions, Table, too_large};
use super::record::{
    BOM, READ_BUFFER, RowParser, cannot_read, check_delimiter, open_records, read_head,
};
use crate::error::{Error, InputError, Result};

mod uninit;

use uninit::{Block, Filling};

/// Upper bound on the parts (and threads) of one read.
const MAX_THREADS: usize = 8;
/// Input size per part below which a part is not worth a thread.
const MIN_BYTES_PER_THREAD: u64 = 1 << 20;

/// Number of parts for a regular file of `len` bytes: one per available
/// core, at most [`MAX_THREADS`], at least one MiB each.
pub(crate) fn default_threads(len: u64) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let by_size = usize::try_from(len / MIN_BYTES_PER_THREAD).unwrap_or(usize::MAX);
    cores.min(MAX_THREADS).min(by_size).max(1)
}

/// What the first pass over a regular file learns.
pub(crate) struct Scan {
    /// Part boundaries: `0`, then increasing offsets each just after a line
    /// feed, then the file length.
    pub(crate) bounds: Vec<u64>,
    /// Bytes read and line feeds counted in each part.
    pub(crate) counts: Vec<(u64, u64)>,
    /// The file holds a quote character somewhere.
    pub(crate) quotes: bool,
    /// The file starts with a UTF-8 BOM.
    pub(crate) bom: bool,
    /// ... and with a second one right after it (which the CSV reader strips
    /// too: such files take the general path).
    pub(crate) two_boms: bool,
}

impl Scan {
    /// Bytes and line feeds of the whole file.
    pub(crate) fn totals(&self) -> (u64, u64) {
        self.counts
            .iter()
            .fold((0, 0), |(b, l), c| (b + c.0, l + c.1))
    }
}

/// Reads into `buf` until it is full or the input ends; returns the length.
fn read_full<R: Read>(mut r: R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Whether [`read_at`] leaves the file cursor alone, so that threads can
/// share one file handle.
pub(crate) const POSITIONAL_READS: bool = cfg!(any(unix, windows));

/// Reads from `offset` in `file`: a positional read where the platform has
/// one (it does not move the file cursor on Unix; on Windows it does, and
/// nothing relies on the cursor while parts are read).
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        std::os::windows::fs::FileExt::seek_read(file, buf, offset)
    }
    #[cfg(not(any(unix, windows)))]
    {
        use std::io::{Seek, SeekFrom};
        let mut file = file;
        file.seek(SeekFrom::Start(offset))?;
        file.read(buf)
    }
}

/// The bytes `[pos, end)` of a file shared between threads, as a reader.
struct At<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = usize::try_from(self.end.saturating_sub(self.pos)).unwrap_or(usize::MAX);
        let max = left.min(buf.len());
        if max == 0 {
            return Ok(0);
        }
        let k = read_at(self.file, &mut buf[..max], self.pos)?;
        self.pos += k as u64;
        Ok(k)
    }
}

/// The first pass: cuts the file into up to `parts` parts at line breaks,
/// then counts the bytes and line feeds of each part and looks for quotes,
/// the parts in parallel.
pub(crate) fn scan_file(file: &File, len: u64, parts: usize) -> io::Result<Scan> {
    let mut head = [0u8; 6];
    let n = read_full(
        At {
            file,
            pos: 0,
            end: len,
        },
        &mut head,
    )?;
    let bom = n >= 3 && head[..3] == BOM;
    let two_boms = bom && n == 6 && head[3..] == BOM;
    let mut bounds = vec![0u64];
    for i in 1..parts {
        let target = u64::try_from(u128::from(len) * i as u128 / parts as u128).unwrap_or(len);
        let last = bounds[bounds.len() - 1];
        if let Some(b) = next_line_start(file, target.max(last), len)?
            && b > last
            && b < len
        {
            bounds.push(b);
        }
    }
    bounds.push(len);
    let counts = bounds
        .par_windows(2)
        .map(|w| {
            scan_part(At {
                file,
                pos: w[0],
                end: w[1],
            })
        })
        .collect::<io::Result<Vec<_>>>()?;
    Ok(Scan {
        bounds,
        quotes: counts.iter().any(|c| c.2),
        counts: counts.iter().map(|c| (c.0, c.1)).collect(),
        bom,
        two_boms,
    })
}

/// The offset just after the first line feed at or after `from`, if any
/// before `len`.
fn next_line_start(file: &File, from: u64, len: u64) -> io::Result<Option<u64>> {
    let mut input = At {
        file,
        pos: from,
        end: len,
    };
    let mut buf = vec![0u8; 1 << 12];
    let mut at = from;
    loop {
        let k = read_full(&mut input, &mut buf)?;
        if k == 0 {
            return Ok(None);
        }
        if let Some(i) = buf[..k].iter().position(|&b| b == b'\n') {
            return Ok(Some(at + i as u64 + 1));
        }
        at += k as u64;
    }
}

/// The offset of the first byte of the 1-based `line` (after a BOM on line 1).
fn line_offset(file: &File, len: u64, line: u64, bom: bool) -> io::Result<u64> {
    if line <= 1 {
        return Ok(if bom { BOM.len() as u64 } else { 0 });
    }
    let mut input = At {
        file,
        pos: 0,
        end: len,
    };
    let mut buf = vec![0u8; 1 << 16];
    let (mut at, mut feeds) = (0u64, 0u64);
    loop {
        let k = read_full(&mut input, &mut buf)?;
        if k == 0 {
            return Ok(len);
        }
        for (i, _) in buf[..k].iter().enumerate().filter(|(_, b)| **b == b'\n') {
            feeds += 1;
            if feeds + 1 == line {
                return Ok(at + i as u64 + 1);
            }
        }
        at += k as u64;
    }
}

/// Bytes, line feeds and presence of a quote in a part of a file.
fn scan_part(mut part: At<'_>) -> io::Result<(u64, u64, bool)> {
    let mut buf = vec![0u8; READ_BUFFER];
    let (mut bytes, mut lines, mut quotes) = (0u64, 0u64, false);
    loop {
        let k = read_full(&mut part, &mut buf)?;
        if k == 0 {
            break;
        }
        bytes += k as u64;
        let (l, q) = count_lines_and_quotes(&buf[..k]);
        lines += l;
        quotes |= q;
    }
    Ok((bytes, lines, quotes))
}

/// The number of line feeds in `s`, and whether it holds a quote.
pub(crate) fn count_lines_and_quotes(s: &[u8]) -> (u64, bool) {
    // Byte-wide counters over 32-byte lanes (at most 255 steps before they
    // are summed), which compilers turn into vector compares.
    const LANES: usize = 32;
    let (mut lines, mut quotes) = (0u64, false);
    let mut blocks = s.chunks_exact(LANES * 255);
    for block in blocks.by_ref() {
        let mut nl = [0u8; LANES];
        let mut q = [0u8; LANES];
        for c in block.chunks_exact(LANES) {
            for i in 0..LANES {
                nl[i] += u8::from(c[i] == b'\n');
                q[i] |= u8::from(c[i] == b'"');
            }
        }
        lines += nl.iter().map(|&x| u64::from(x)).sum::<u64>();
        quotes |= q.iter().any(|&x| x != 0);
    }
    let rest = blocks.remainder();
    lines += rest.iter().filter(|&&b| b == b'\n').count() as u64;
    quotes |= rest.contains(&b'"');
    (lines, quotes)
}

/// A line (without its `\n`) that the record layer skips: one field at
/// most, blank.
fn is_blank(line: &[u8], delimiter: u8) -> bool {
    !line.contains(&delimiter) && line.trim_ascii().is_empty()
}

/// The fields of one line (without its `\n`) as a record.
fn split_record(line: &[u8], delimiter: u8) -> ByteRecord {
    let mut rec = ByteRecord::new();
    for field in line.split(|&b| b == delimiter) {
        rec.push_field(field);
    }
    rec
}

/// Converts a line number for an error message.
fn line_no(line: u64) -> usize {
    usize::try_from(line).unwrap_or(usize::MAX)
}

/// A contiguous part of the data lines, parsed by one thread.
struct Part {
    /// Byte range in the file; `start` is at the beginning of a line and
    /// `end` just after a line feed or at the end of the file.
    start: u64,
    end: u64,
    /// 1-based line number of the line at `start`.
    line: u64,
    /// Number of rows reserved: at least the rows the part can hold.
    cap: usize,
}

/// [`read_matrix`](super::read_matrix) for a regular file without quote
/// characters.
pub(crate) fn read_plain(
    file: &File,
    source: &str,
    opts: &ReadOptions,
    scan: &Scan,
) -> Result<Table> {
    check_delimiter(source, opts.delimiter)?;
    let len = scan.bounds[scan.bounds.len() - 1];

    // The head, by the shared head reader over the same bytes; it stops on
    // the first data row, whose line starts the data.
    let (head, data_line) = {
        let mut src = open_records(
            At {
                file,
                pos: 0,
                end: len,
            },
            source,
            opts.delimiter,
        )?;
        let head = read_head(&mut src, source, opts.delimiter, opts.header)?;
        head.require_data(source)?;
        (head, src.line() as u64)
    };
    let data_start =
        line_offset(file, len, data_line, scan.bom).map_err(|e| cannot_read(source, &e))?;
    let parser = head.parser(source);
    let p = head.width;

    // The parts of the data lines, with the rows each may fill.
    let mut parts = Vec::new();
    let mut total = 0usize;
    let mut feeds = 0u64;
    for (i, w) in scan.bounds.windows(2).enumerate() {
        let (lo, hi) = (w[0], w[1]);
        let feeds_before = feeds;
        feeds += scan.counts[i].1;
        if hi <= data_start {
            continue;
        }
        let (start, line) = if lo <= data_start {
            (data_start, data_line)
        } else {
            (lo, feeds_before + 1)
        };
        // A row needs `p` non-empty cells and `p - 1` delimiters, then a
        // line feed unless it ends the file.
        let last = i + 2 == scan.bounds.len();
        let by_lines = (feeds + 1).saturating_sub(line) + u64::from(last);
        let by_size = (hi - start + 1) / (2 * p as u64);
        let cap = usize::try_from(by_lines.min(by_size)).unwrap_or(usize::MAX);
        parts.push(Part {
            start,
            end: hi,
            line,
            cap,
        });
        total = total.saturating_add(cap);
    }

    let mut filling = Filling::new(total, p).map_err(|_| too_large(source, total, p))?;
    let blocks = filling.blocks(&parts.iter().map(|q| q.cap).collect::<Vec<_>>());
    // The index of the first part that failed: later parts stop early.
    let failed = AtomicUsize::new(usize::MAX);
    let results: Vec<Result<()>> = parts
        .par_iter()
        .zip(blocks)
        .enumerate()
        .map(|(i, (part, mut block))| {
            let res = parse_part(file, part, &parser, opts.delimiter, &mut block, || {
                failed.load(Ordering::Relaxed) < i
            });
            if res.is_err() {
                failed.fetch_min(i, Ordering::Relaxed);
            }
            res
        })
        .collect();
    // The first error in file order; parts after it may have stopped early.
    results.into_iter().collect::<Result<()>>()?;
    let data = filling.finish();
    if data.nrows() == 0 {
        return Err(parser.fail(InputError::file(
            source,
            "no data rows (the file has only a header line)",
        )));
    }
    Ok(Table {
        names: head.names,
        data,
    })
}

/// Parses the lines of `part` into `block`. `give_up` says an earlier part
/// has failed (the result of this one is then never looked at).
fn parse_part(
    file: &File,
    part: &Part,
    parser: &RowParser,
    delimiter: u8,
    block: &mut Block<'_>,
    give_up: impl Fn() -> bool,
) -> Result<()> {
    let cannot = |e: io::Error| cannot_read(parser.source(), &e);
    let mut input = At {
        file,
        pos: part.start,
        end: part.end,
    };
    let mut buf = vec![0u8; READ_BUFFER];
    let mut filled = 0;
    let mut lines = Lines {
        line: part.line,
        parser,
        delimiter,
    };
    loop {
        if give_up() {
            return Ok(());
        }
        let k = read_full(&mut input, &mut buf[filled..]).map_err(cannot)?;
        filled += k;
        let eof = filled < buf.len();
        // Whole lines only, but for the last line of the part.
        let complete = if eof {
            filled
        } else {
            match buf[..filled].iter().rposition(|&b| b == b'\n') {
                Some(i) => i + 1,
                None => {
                    // A line longer than the buffer.
                    buf.resize(buf.len() * 2, 0);
                    continue;
                }
            }
        };
        lines.parse(&buf[..complete], block)?;
        if eof {
            return Ok(());
        }
        buf.copy_within(complete..filled, 0);
        filled -= complete;
    }
}

/// The state of [`parse_part`].
struct Lines<'a> {
    /// 1-based line number of the next line.
    line: u64,
    parser: &'a RowParser,
    delimiter: u8,
}

impl Lines<'_> {
    /// Parses `block`, whole lines each ended by a line feed but for the last
    /// line of a part, into the next rows of `out`.
    fn parse(&mut self, block: &[u8], out: &mut Block<'_>) -> Result<()> {
        // Validating the whole block at once is much cheaper than cell by
        // cell; a block that is not UTF-8 is parsed cell by cell (and its
        // bad cells are reported by `slow_line`).
        match std::str::from_utf8(block) {
            Ok(text) => self.parse_with(block, out, |a, b| number(&text[a..b])),
            Err(_) => self.parse_with(block, out, |a, b| {
                super::record::parse_cell(&block[a..b]).ok()
            }),
        }
    }

    /// [`Self::parse`] with `cell(a, b)`, the finite number in
    /// `block[a..b]` (or `None`).
    #[inline(always)]
    fn parse_with(
        &mut self,
        block: &[u8],
        out: &mut Block<'_>,
        cell: impl Fn(usize, usize) -> Option<f64>,
    ) -> Result<()> {
        let d = self.delimiter;
        let mut pos = 0;
        while pos < block.len() {
            // Fast path: a row of numbers that fills a row of the block.
            let start = pos;
            let ok = loop {
                let e = pos + find_either(&block[pos..], d, b'\n');
                match cell(pos, e) {
                    Some(v) if out.push(v) => {}
                    _ => break false,
                }
                pos = e + 1;
                if e == block.len() || block[e] == b'\n' {
                    break out.end_row();
                }
            };
            if !ok {
                // Blank line, error, or (only if the file changed since the
                // first pass) no room left: decide on the whole line.
                out.discard_row();
                let len = block[start..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .unwrap_or(block.len() - start);
                self.slow_line(&block[start..start + len], out)?;
                pos = start + len + 1;
            }
            self.line += 1;
        }
        Ok(())
    }

    /// One line (without its line feed), as the record layer reads a record.
    #[cold]
    fn slow_line(&mut self, text: &[u8], out: &mut Block<'_>) -> Result<()> {
        if is_blank(text, self.delimiter) {
            return Ok(());
        }
        let rec = split_record(text, self.delimiter);
        let mut row = vec![0.0; self.parser.width()];
        self.parser
            .parse(&rec, || line_no(self.line), &mut row[..])?;
        if !out.has_room() {
            return Err(changed(self.parser.source()));
        }
        for v in row {
            out.push(v);
        }
        if !out.end_row() {
            return Err(changed(self.parser.source()));
        }
        Ok(())
    }
}

fn changed(source: &str) -> Error {
    InputError::file(source, "cannot read file: it changed while being read").into()
}

/// The finite number in a cell known to be UTF-8, when it is one.
#[inline]
fn number(cell: &str) -> Option<f64> {
    cell.trim_ascii()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// The index of the first byte of `s` equal to `a` or `b`, or `s.len()`.
///
/// Eight bytes at a time: in `x ^ splat(a)` the bytes equal to `a` are zero,
/// and `(y - 0x01..01) & !y & 0x80..80` sets the high bit of the first zero
/// byte of `y` (bits above it may be set too, never below).
#[inline]
pub(crate) fn find_either(s: &[u8], a: u8, b: u8) -> usize {
    const LO: u64 = u64::from_ne_bytes([0x01; 8]);
    const HI: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero = |y: u64| y.wrapping_sub(LO) & !y & HI;
    let (sa, sb) = (LO * u64::from(a), LO * u64::from(b));
    let mut words = s.chunks_exact(8);
    let mut at = 0;
    for w in words.by_ref() {
        let x = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        let m = zero(x ^ sa) | zero(x ^ sb);
        if m != 0 {
            return at + (m.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let tail = words.remainder();
    at + tail
        .iter()
        .position(|&c| c == a || c == b)
        .unwrap_or(tail.len())
}

//! Data input and output: numeric CSV matrices, small text tables, the
//! statistics directory, and safe (atomic, all-or-nothing) writing of result
//! files.
//!
//! Split by concern:
//!
//! | module | concern |
//! |---|---|
//! | [`csv`] | the reader API: [`read_matrix`], [`read_records`], their options and format rules |
//! | [`chunked`] | [`ChunkReader`]: the same files a chunk of rows at a time, in bounded memory |
//! | [`long`] | per-task designs and targets from one "long" CSV file |
//! | `record` (private) | the record layer every reader shares: lexical rules, the head of a file (header detection, names) and the one row parser, so every reader reports a problem in the same words |
//! | `fast` (private) | the fast path of [`read_matrix`] for quote-free regular files (byte scan, parts parsed in parallel with rayon); its `uninit` child holds the only `unsafe` code of `io` |
//! | [`write`](mod@write) | every CSV the crate writes (RFC 4180 through the csv crate, shortest round-trip numbers) |
//! | [`output`] | output groups: a command's outputs checked before the work and written as one unit, and their cleanup on signals |
//! | [`atomic`] | one file (or directory) written through a temporary and a rename; refusing to overwrite inputs |
//! | [`summary`] | safe column summaries and the overflow rule shared by `inspect` and the fits |
//! | [`stats`] | the statistics directory and the streaming reduction of CSV files to it |
//! | [`model`] | `MODEL.json` |
//!
//! Malformed input is reported as [`crate::Error::Input`] with the file, the
//! 1-based line and the 1-based column (and its name) of the problem;
//! file-system failures while writing are [`crate::Error::Io`].

#![deny(unsafe_code)]

pub mod atomic;
pub mod chunked;
pub mod csv;
mod fast;
pub mod long;
pub mod model;
pub mod output;
mod record;
pub mod stats;
pub mod summary;
pub mod write;

pub use self::atomic::{AtomicFile, check_not_input, write_atomic, write_dir_atomic};
pub use self::chunked::ChunkReader;
pub use self::csv::{
    HeaderMode, ReadOptions, RecordLine, Table, read_matrix, read_matrix_from_reader, read_records,
    read_records_from_reader,
};
pub use self::output::Outputs;
pub use self::write::{CsvWriter, write_matrix};

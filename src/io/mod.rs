//! Data input and output: numeric CSV matrices, small text tables, and safe
//! (atomic) writing of result files.
//!
//! * [`csv`] reads a numeric CSV file straight into a column-major
//!   [`faer::Mat`] ([`read_matrix`]), reads small mixed text tables such as
//!   edge lists and task weights ([`read_records`]), and writes matrices with
//!   full round-trip precision ([`write_matrix`]). Its module documentation
//!   states the accepted format.
//! * [`atomic`] writes an output file through a temporary file in the same
//!   directory renamed over the target on success ([`write_atomic`],
//!   [`AtomicFile`]), so a failed run never leaves a partial file, and refuses
//!   to clobber existing files or the program's own inputs
//!   ([`check_not_input`]).
//! * [`long`] reads per-task designs and targets from one "long" CSV file.
//! * [`model`] reads and writes `MODEL.json`, a fitted model with its
//!   parameters, certificate and names.
//!
//! Malformed input is reported as [`crate::Error::Input`] with the file, the
//! 1-based line and the 1-based column (and its name) of the problem;
//! file-system failures while writing are [`crate::Error::Io`].

pub mod atomic;
pub mod chunked;
pub mod csv;
pub mod long;
pub mod model;
pub mod stats;

pub use self::atomic::{AtomicFile, check_not_input, write_atomic, write_dir_atomic};
pub use self::chunked::ChunkReader;
pub use self::csv::{
    HeaderMode, ReadOptions, RecordLine, Table, read_matrix, read_matrix_from_reader, read_records,
    read_records_from_reader, write_matrix,
};

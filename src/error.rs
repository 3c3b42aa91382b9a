//! The crate's error type.
//!
//! Every fallible public function returns [`Result`]. User data never makes the
//! library panic: shapes, parameter ranges and finiteness are validated up front
//! and reported with structured payloads that name what was wrong.

use std::fmt;

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in mtreg.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A hyper-parameter is outside its valid range.
    #[error("{name} must be {expected}, got {value}")]
    InvalidParameter {
        /// Parameter name, as in the API (`alpha`, `l1_ratio`, ...).
        name: &'static str,
        /// The offending value.
        value: f64,
        /// The valid range, in words (`"in (0, 1]"`).
        expected: &'static str,
    },
    /// Two inputs disagree in size.
    #[error("shape mismatch in {what}: expected {expected}, found {found}")]
    ShapeMismatch {
        /// Which dimension (`"rows of Y vs rows of X"`).
        what: &'static str,
        /// Expected size.
        expected: usize,
        /// Size found.
        found: usize,
    },
    /// A NaN or infinite value in the input (0-based row and column).
    #[error("non-finite value in {what} at row {row}, column {col} (0-based)")]
    NonFinite {
        /// Which matrix (`"X"`, `"Y"`).
        what: &'static str,
        /// 0-based row.
        row: usize,
        /// 0-based column.
        col: usize,
    },
    /// An input with no rows or no columns where some are needed.
    #[error("empty input: {0}")]
    EmptyInput(&'static str),
    /// Values whose squares overflow f64 (the loss would be infinite).
    #[error("{what} is too large: its squared norm overflows f64; rescale the data")]
    Overflow {
        /// Which matrix.
        what: &'static str,
    },
    /// Two inputs that must describe the same problem do not (sufficient
    /// statistics with other feature or task names, ...).
    #[error("incompatible inputs: {0}")]
    Incompatible(String),
    /// A malformed input file (path, 1-based line, column).
    #[error(transparent)]
    Input(#[from] InputError),
    /// A dense linear-algebra routine failed.
    #[error("linear algebra failure: {0}")]
    Linalg(String),
    /// File-system error outside parsing (cannot create, rename ...).
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// True when the error is caused by the caller's data or parameters (exit code 2
    /// in the CLI), false for internal failures (exit code 1).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, Error::Linalg(_) | Error::Io { .. })
    }
}

/// A problem in an input file, located as a text editor would show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file.
    pub path: String,
    /// 1-based line number, if the problem is on a line.
    pub line: Option<usize>,
    /// Column: its 1-based index and, when the file has a header, its name.
    pub column: Option<(usize, Option<String>)>,
    /// What is wrong.
    pub message: String,
}

impl InputError {
    /// A problem with the file as a whole.
    pub fn file(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// A problem at a 1-based line and (optionally) a 1-based column.
    pub fn at(
        path: impl Into<String>,
        line: usize,
        column: Option<(usize, Option<String>)>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            line: Some(line),
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some((col, name)) = &self.column {
            write!(f, ", column {col}")?;
            if let Some(name) = name {
                write!(f, " ({name:?})")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_error_names_file_line_and_column() {
        let e = InputError::at(
            "X.csv",
            7,
            Some((3, Some("age".into()))),
            "not a number: \"abc\"",
        );
        assert_eq!(
            e.to_string(),
            "X.csv, line 7, column 3 (\"age\"): not a number: \"abc\""
        );
        assert!(Error::from(e).is_user_error());
        assert!(!Error::Linalg("x".into()).is_user_error());
    }

    #[test]
    fn parameter_error_reads_well() {
        let e = Error::InvalidParameter {
            name: "l1_ratio",
            value: 0.0,
            expected: "in (0, 1]",
        };
        assert_eq!(e.to_string(), "l1_ratio must be in (0, 1], got 0");
    }
}

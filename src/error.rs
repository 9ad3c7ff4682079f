//! Typed errors and the exit status each one maps to.
//!
//! The library returns [`Error`]; only the binary wraps it for printing. Every
//! input error names the file, the column and an example value, and says what
//! to do about it, because the reader is usually a data engineer looking at a
//! failed scheduled run.

use std::fmt;
use std::path::PathBuf;

/// Exit statuses, documented once here and in the README.
pub mod exit {
    /// The run succeeded.
    pub const OK: u8 = 0;
    /// Bad input, config or arguments: nothing was written.
    pub const BAD_INPUT: u8 = 2;
    /// The run succeeded and a check asked for with a `--fail-on-…` flag failed.
    pub const CHECK_FAILED: u8 = 3;
    /// An internal error: a bug.
    pub const INTERNAL: u8 = 70;
}

/// What was being done to a file when an I/O error struck. Reading an
/// input is the user's to fix (exit status 2); failing to write is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IoOp {
    Reading,
    ReadingConfig,
    ReadingDirectory,
    Writing,
    Creating,
    CreatingOutputParent,
    MovingAside,
    RenamingIntoPlace,
}

impl IoOp {
    /// Whether the file was an input being read.
    pub fn is_read(self) -> bool {
        matches!(
            self,
            IoOp::Reading | IoOp::ReadingConfig | IoOp::ReadingDirectory
        )
    }
}

impl fmt::Display for IoOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IoOp::Reading => "reading",
            IoOp::ReadingConfig => "reading config",
            IoOp::ReadingDirectory => "reading directory",
            IoOp::Writing => "writing",
            IoOp::Creating => "creating",
            IoOp::CreatingOutputParent => "creating output parent",
            IoOp::MovingAside => "moving aside",
            IoOp::RenamingIntoPlace => "renaming into place",
        })
    }
}

/// Where in the input a problem was found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub file: Option<PathBuf>,
    pub column: Option<String>,
    pub value: Option<String>,
}

impl Location {
    pub fn file(file: impl Into<PathBuf>) -> Self {
        Location {
            file: Some(file.into()),
            ..Default::default()
        }
    }

    pub fn column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }

    pub fn value(mut self, value: impl fmt::Display) -> Self {
        let mut v = value.to_string();
        if v.chars().count() > 60 {
            v = v.chars().take(57).collect::<String>() + "...";
        }
        self.value = Some(v);
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(file) = &self.file {
            parts.push(format!("file {}", file.display()));
        }
        if let Some(column) = &self.column {
            parts.push(format!("column '{column}'"));
        }
        if let Some(value) = &self.value {
            parts.push(format!("example value '{value}'"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// Everything the pipeline can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input data breaks the data contract.
    #[error("{message} ({at})\n  hint: {hint}")]
    Input {
        message: String,
        at: Location,
        hint: String,
    },
    /// The config file or a flag is wrong.
    #[error("{message}\n  hint: {hint}")]
    Config { message: String, hint: String },
    /// A file could not be read or written.
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: IoOp,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A check requested with a `--fail-on-…` flag failed; the run itself succeeded.
    #[error("{0}")]
    CheckFailed(String),
    /// A bug: a state the pipeline should never reach.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn input(message: impl Into<String>, at: Location, hint: impl Into<String>) -> Self {
        Error::Input {
            message: message.into(),
            at,
            hint: hint.into(),
        }
    }

    pub fn config(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn io(what: IoOp, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            what,
            path: path.into(),
            source,
        }
    }

    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input { .. } | Error::Config { .. } => exit::BAD_INPUT,
            // A missing or unreadable input is the user's to fix, like bad input.
            Error::Io { what, .. } if what.is_read() => exit::BAD_INPUT,
            Error::Io { .. } => exit::INTERNAL,
            Error::CheckFailed(_) => exit::CHECK_FAILED,
            Error::Internal(_) => exit::INTERNAL,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Polars errors raised while reading a file are input errors about that file.
pub fn polars_input(file: &std::path::Path, err: polars::prelude::PolarsError) -> Error {
    Error::input(
        format!("could not read the table: {err}"),
        Location::file(file),
        "check that the file is a complete Parquet file or a CSV with a header row",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_follows_the_kind_of_io_not_its_wording() {
        let e = || std::io::Error::from(std::io::ErrorKind::NotFound);
        for op in [IoOp::Reading, IoOp::ReadingConfig, IoOp::ReadingDirectory] {
            assert_eq!(Error::io(op, "f", e()).exit_code(), exit::BAD_INPUT, "{op}");
        }
        for op in [
            IoOp::Writing,
            IoOp::Creating,
            IoOp::CreatingOutputParent,
            IoOp::MovingAside,
            IoOp::RenamingIntoPlace,
        ] {
            assert_eq!(Error::io(op, "f", e()).exit_code(), exit::INTERNAL, "{op}");
        }
        assert_eq!(
            Error::io(IoOp::ReadingConfig, "a.toml", e()).to_string(),
            "reading config a.toml: entity not found"
        );
    }
}

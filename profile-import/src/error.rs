//! Errors: every refusal names the file, where in it (a line for text formats, a table for SQLite),
//! what is wrong and what to do, on one line.

use std::fmt;
use std::path::{Path, PathBuf};

/// What kind of problem stopped an import (for callers that branch on it; the message says more).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file could not be opened or read.
    Io,
    /// The file, or something it declares or expands to, is larger than [`crate::Limits`] allow.
    TooLarge,
    /// A count or a size of the content (kernel names, launches, fields) passes a limit.
    Limit,
    /// Not a file of any format this crate reads.
    UnknownFormat,
    /// A file of a known format whose content is broken, truncated or inconsistent.
    Malformed,
    /// A well-formed capture without a single kernel record.
    NoKernels,
}

/// A refused import. Displayed as one line: `FILE:LINE: what is wrong; what to do` (text formats),
/// `FILE: table T: ...` (SQLite) or `FILE: ...` (where no place applies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub path: PathBuf,
    /// 1-based line of a text file where the problem is (for JSON, where the parser stopped).
    pub line: Option<u64>,
    /// SQLite table the problem is in.
    pub table: Option<String>,
    pub kind: ErrorKind,
    /// What is wrong.
    pub problem: String,
    /// What to do about it.
    pub remedy: String,
}

impl ImportError {
    pub(crate) fn new(path: &Path, p: Problem) -> Self {
        let (line, table) = match p.at {
            At::Nowhere => (None, None),
            At::Line(line) => (Some(line), None),
            At::Table(table) => (None, Some(table)),
        };
        ImportError { path: path.to_owned(), line, table, kind: p.kind, problem: p.problem, remedy: p.remedy }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(table) = &self.table {
            write!(f, ": table {table}")?;
        }
        // Messages may quote file content: keep the error on one line whatever it holds.
        write!(f, ": {}; {}", one_line(&self.problem), one_line(&self.remedy))
    }
}

impl std::error::Error for ImportError {}

fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Where in the file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum At {
    Nowhere,
    Line(u64),
    Table(String),
}

/// A problem found by a reader, before the file path is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub at: At,
    pub kind: ErrorKind,
    pub problem: String,
    pub remedy: String,
}

impl Problem {
    pub fn new(at: At, kind: ErrorKind, problem: impl Into<String>, remedy: impl Into<String>) -> Self {
        Problem { at, kind, problem: problem.into(), remedy: remedy.into() }
    }

    pub fn malformed(at: At, problem: impl Into<String>, remedy: impl Into<String>) -> Self {
        Problem::new(at, ErrorKind::Malformed, problem, remedy)
    }

    pub fn limit(at: At, problem: impl Into<String>, remedy: impl Into<String>) -> Self {
        Problem::new(at, ErrorKind::Limit, problem, remedy)
    }

    pub fn io(at: At, err: &std::io::Error) -> Self {
        Problem::new(at, ErrorKind::Io, format!("read error: {err}"), "check that the file is readable and complete")
    }

    pub fn no_kernels(at: At, remedy: impl Into<String>) -> Self {
        Problem::new(at, ErrorKind::NoKernels, "no kernel records: was the capture taken with CUDA tracing on?", remedy)
    }
}

/// A quoted excerpt of file content for a message: at most `max` characters, controls escaped.
pub(crate) fn excerpt(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).flat_map(char::escape_debug).collect();
    if s.chars().nth(max).is_some() {
        out.push('…');
    }
    format!("\"{out}\"")
}

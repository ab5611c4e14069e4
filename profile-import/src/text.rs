//! Bounded reading of the CSV the Nsight tools print: lines never longer than
//! [`Limits::max_record_bytes`] are held, fields are split the RFC 4180 way (`"` quoting, `""`
//! escapes, line breaks inside quotes), and every record knows the 1-based line it starts on.
//!
//! Why not the `csv` crate: it grows a record without bound (one 100 MB field is 100 MB held),
//! and the Nsight outputs mix free text (`==PROF==` lines, `Processing [...]`) with CSV, which
//! needs per-line decisions before CSV parsing starts.

use std::io::BufRead;

use crate::Limits;
use crate::error::{At, Problem};

/// Most fields a record may have (a line of commas must not become millions of strings).
const MAX_FIELDS: usize = 65_536;

pub(crate) struct Record {
    /// 1-based line the record starts on.
    pub line: u64,
    pub fields: Vec<String>,
}

impl Record {
    pub fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| f.trim().is_empty())
    }
}

pub(crate) struct CsvLines<R> {
    inner: R,
    /// Lines consumed so far.
    line: u64,
    max: usize,
}

impl<R: BufRead> CsvLines<R> {
    pub fn new(inner: R, limits: &Limits) -> Self {
        CsvLines { inner, line: 0, max: limits.max_record_bytes }
    }

    /// The next physical line without its line break, and its 1-based number.
    fn physical_line(&mut self, into: &mut Vec<u8>, record_start: u64) -> Result<bool, Problem> {
        let start_len = into.len();
        let mut any = false;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Problem::io(At::Line(self.line + 1), &e)),
            };
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if into.len() + take > self.max {
                return Err(Problem::limit(
                    At::Line(record_start),
                    format!("a line longer than {} bytes", self.max),
                    "this is not profiler CSV output, or it was corrupted: export it again",
                ));
            }
            into.extend_from_slice(&chunk[..take]);
            self.inner.consume(take);
            if done {
                break;
            }
        }
        if !any {
            return Ok(false);
        }
        self.line += 1;
        if into.last() == Some(&b'\n') {
            into.pop();
        }
        if into.last() == Some(&b'\r') {
            into.pop();
        }
        if self.line == 1 && into[start_len..].starts_with("\u{feff}".as_bytes()) {
            into.drain(start_len..start_len + 3);
        }
        Ok(true)
    }

    /// The next record: one line, or several when a quoted field holds line breaks. Lines for
    /// which `skip` says so (tool chatter such as `==PROF==`) are passed over when they start a
    /// record.
    pub fn next_record(&mut self, skip: impl Fn(&str) -> bool) -> Result<Option<Record>, Problem> {
        loop {
            let mut bytes = Vec::new();
            let start = self.line + 1;
            if !self.physical_line(&mut bytes, start)? {
                return Ok(None);
            }
            if std::str::from_utf8(&bytes).is_ok_and(&skip) {
                continue;
            }
            // Quote parity, counted on each new line only: a record of many short lines stays linear.
            let mut odd = bytes.iter().filter(|&&b| b == b'"').count() % 2 == 1;
            while odd {
                bytes.push(b'\n');
                let from = bytes.len();
                if !self.physical_line(&mut bytes, start)? {
                    return Err(Problem::malformed(
                        At::Line(start),
                        "a quoted field is not closed before the end of the file",
                        "the file is truncated: export it again",
                    ));
                }
                odd ^= bytes[from..].iter().filter(|&&b| b == b'"').count() % 2 == 1;
            }
            let text = String::from_utf8(bytes).map_err(|e| {
                Problem::malformed(
                    At::Line(start),
                    format!("not UTF-8 text (invalid byte at offset {} of the record)", e.utf8_error().valid_up_to()),
                    "profiler CSV is UTF-8: export it again rather than converting it",
                )
            })?;
            let fields = split_fields(&text).map_err(|what| {
                Problem::malformed(At::Line(start), what, "the CSV is damaged: export it again from the profiler")
            })?;
            return Ok(Some(Record { line: start, fields }));
        }
    }
}

/// Splits one CSV record (commas, `"` quoting with `""` escapes; text around quotes is kept).
pub(crate) fn split_fields(record: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = record.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => in_quotes = false,
            ('"', false) if field.trim().is_empty() => {
                field.clear();
                in_quotes = true;
            }
            (',', false) => {
                fields.push(std::mem::take(&mut field));
                if fields.len() >= MAX_FIELDS {
                    return Err(format!("more than {MAX_FIELDS} fields in one record"));
                }
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err("a quoted field is not closed".into());
    }
    fields.push(field);
    Ok(fields)
}

/// Header names normalised for matching: lower-case, spaces removed, and a trailing `(unit)`
/// split off (`"Total Time (ns)"` → `("totaltime", "ns")`).
pub(crate) fn header_key(name: &str) -> (String, String) {
    let t = name.trim();
    let (stem, unit) = match (t.rfind('('), t.ends_with(')')) {
        (Some(open), true) => (&t[..open], &t[open + 1..t.len() - 1]),
        _ => (t, ""),
    };
    (stem.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase(), unit.trim().to_lowercase())
}

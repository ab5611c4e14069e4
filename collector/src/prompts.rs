//! Prompt sets: the built-in set, external files, and the chain-of-thought trigger.
//!
//! # What is measured
//!
//! The paper's protocol submits each prompt zero-shot with the chain-of-thought (CoT) trigger
//! appended: [`Prompt::with_cot`] is `question + "\n" + COT_TRIGGER`, the text given to the model
//! before any chat template, and the text whose sha256 is stored as `generations.prompt_sha256`.
//! Outputs are later scored against each prompt's step-by-step `reference`
//! (`generations.relevance`).
//!
//! # The built-in set
//!
//! [`builtin`] is `collector/prompts/builtin.jsonl`, compiled into the binary: 50 multi-step
//! reasoning questions (arithmetic, rates and percentages, unit conversion, algebra, logic,
//! dates and times, commonsense multi-hop, probability and counting), each with a reference
//! rationale of a few plain sentences ending with `The answer is X.`. They were written for
//! edgebench rather than taken from a public CoT dataset, so the set is under the repository's
//! licence with no third-party terms, can be redistributed with the dataset, and cannot have
//! leaked into the training data of the models being measured through that dataset. See
//! `collector/prompts/README.md`.
//!
//! # External files (`--prompts PATH`)
//!
//! A file is either JSONL (one JSON object per line; blank lines are allowed) or one JSON array
//! of objects, told apart by its first non-whitespace character (`[` means an array). Files over
//! [`MAX_FILE_BYTES`] are refused before they are read. Three record formats map onto a
//! [`Prompt`]; unknown extra keys are ignored:
//!
//! | format | keys | `id` | `question` | `reference` |
//! |---|---|---|---|---|
//! | `edgebench` | `id`, `question`, `reference` (optional) | `id` | `question` | `reference` |
//! | `alpaca` | `instruction`, `input` (optional), `output` | `<stem>-<i>` | `instruction`, plus `"\n\n" + input` when `input` is not empty | `output` |
//! | `gsm8k` | `question`, `answer` | `<stem>-<i>` | `question` | `answer` with its `#### X` line replaced by `The answer is X.` and calculator annotations (`<<48/2=24>>`) removed |
//!
//! `<stem>` is the file name without its extension and `<i>` the record's 0-based position in
//! the file (the same number as `generations.prompt_index` when the whole set is run). Questions
//! and references are trimmed of surrounding whitespace; an empty or `null` reference means the
//! prompt has none. When no format is given, the keys of the first record decide: `instruction`
//! (without `question`/`answer`) is Alpaca, `question` with `answer` is GSM8K, `question` without
//! `answer` is edgebench; anything else is refused with the keys found, asking for
//! `--prompts-format`.
//!
//! Nothing is skipped silently: a line that is not JSON, a record that is not an object, a
//! missing or mistyped field, an empty question, a duplicate id or a file without prompts is an
//! error naming the file and the line (for a JSON array, the line where the element starts, and
//! the element's index).
//!
//! # The set's sha256
//!
//! [`PromptSet::sha256`] identifies the prompts as loaded, whatever the file's format or name:
//! the sha256 of the canonical JSONL form of the set, which is, for each prompt in order, the
//! compact JSON object `{"id":…,"question":…,"reference":…}` (keys in that order, `reference`
//! `null` when absent, no whitespace between tokens, strings with JSON's minimal escaping and
//! non-ASCII characters written as UTF-8, as `serde_json` writes them) followed by one `\n`.
//! An Alpaca file as JSONL or as a JSON array, or an edgebench file that yields the same ids,
//! questions and references, therefore has the same sha256. The set's name is not part of it,
//! and [`PromptSet::first`] recomputes it over the prompts kept.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use edgebench_dataset::schema::Sha256Hex;
use serde::Serialize;
use serde_json::{Map, Value};

/// Appended to every question (after a newline) to elicit zero-shot chain-of-thought reasoning.
pub const COT_TRIGGER: &str = "Let's think step by step.";

/// Largest prompt file accepted, in bytes (64 MiB).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Longest prompt id accepted, in bytes (the dataset's label limit).
pub const MAX_ID_BYTES: usize = 1024;

const BUILTIN_JSONL: &str = include_str!("../prompts/builtin.jsonl");

/// One prompt of a set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prompt {
    /// Identifier, unique within its set.
    pub id: String,
    /// The question, without the CoT trigger.
    pub question: String,
    /// Reference step-by-step answer, when the set has one.
    pub reference: Option<String>,
}

impl Prompt {
    /// The text submitted to the model (before any chat template): the question, a newline and
    /// [`COT_TRIGGER`].
    pub fn with_cot(&self) -> String {
        format!("{}\n{}", self.question, COT_TRIGGER)
    }
}

/// An ordered set of prompts, as loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptSet {
    /// `builtin`, or the file name of an external set.
    pub name: String,
    /// sha256 of the canonical JSONL form of `prompts` (see the module documentation).
    pub sha256: Sha256Hex,
    pub prompts: Vec<Prompt>,
}

impl PromptSet {
    /// A set named `name` holding `prompts`, with its sha256 computed.
    pub fn new(name: impl Into<String>, prompts: Vec<Prompt>) -> PromptSet {
        let sha256 = canonical_sha256(&prompts);
        PromptSet { name: name.into(), sha256, prompts }
    }

    /// The first `n` prompts, as a set of the same name with its own sha256.
    pub fn first(&self, n: usize) -> Result<PromptSet, PromptError> {
        if n == 0 || n > self.prompts.len() {
            return Err(PromptError::Count { name: self.name.clone(), requested: n, available: self.prompts.len() });
        }
        Ok(PromptSet::new(self.name.clone(), self.prompts[..n].to_vec()))
    }

    /// The canonical JSONL form the sha256 is computed over.
    pub fn canonical_jsonl(&self) -> String {
        canonical_jsonl(&self.prompts)
    }
}

fn canonical_jsonl(prompts: &[Prompt]) -> String {
    let mut out = String::new();
    for p in prompts {
        // Field order of `Prompt` is the canonical key order: id, question, reference.
        out.push_str(&serde_json::to_string(p).expect("a prompt always serialises"));
        out.push('\n');
    }
    out
}

fn canonical_sha256(prompts: &[Prompt]) -> Sha256Hex {
    Sha256Hex::of(canonical_jsonl(prompts).as_bytes())
}

/// The record format of a prompt file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromptFormat {
    /// `{"id", "question", "reference"?}`
    Edgebench,
    /// `{"instruction", "input"?, "output"}`
    Alpaca,
    /// `{"question", "answer"}`, the final answer after `#### `.
    Gsm8k,
}

impl PromptFormat {
    pub const ALL: [PromptFormat; 3] = [PromptFormat::Edgebench, PromptFormat::Alpaca, PromptFormat::Gsm8k];

    pub fn as_str(self) -> &'static str {
        match self {
            PromptFormat::Edgebench => "edgebench",
            PromptFormat::Alpaca => "alpaca",
            PromptFormat::Gsm8k => "gsm8k",
        }
    }
}

impl fmt::Display for PromptFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PromptFormat {
    type Err = PromptError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PromptFormat::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| PromptError::UnknownFormat(s.to_owned()))
    }
}

/// Where a record sits in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// 1-based line (for a JSON array element, the line where it starts).
    pub line: usize,
    /// 0-based index of the element, for a JSON array.
    pub element: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(i) = self.element {
            write!(f, " (array element {i})")?;
        }
        Ok(())
    }
}

/// Why a prompt set could not be loaded or cut.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("cannot read the prompt file {}: {source}; check the path, or use `--prompts builtin`", path.display())]
    Io { path: PathBuf, source: std::io::Error },

    #[error(
        "the prompt file {} is {size} bytes, over the {} MiB limit; use a smaller file (e.g. only the prompts you measure)",
        path.display(),
        MAX_FILE_BYTES / (1024 * 1024)
    )]
    TooLarge { path: PathBuf, size: u64 },

    #[error("{}, line {line}: the file is not valid UTF-8; save it as UTF-8 text", path.display())]
    NotUtf8 { path: PathBuf, line: usize },

    #[error("{}, line {line}, column {column}: invalid JSON: {message}; {hint}", path.display())]
    Json { path: PathBuf, line: usize, column: usize, message: String, hint: &'static str },

    #[error("{}, {at}: {problem}; {fix}", path.display())]
    Record { path: PathBuf, at: Location, problem: String, fix: String },

    #[error(
        "{}, {at}: cannot tell the prompt format from the keys of the first record ({keys}); \
         pass `--prompts-format edgebench` (id, question, reference), `alpaca` (instruction, input, output) \
         or `gsm8k` (question, answer)",
        path.display()
    )]
    Undetectable { path: PathBuf, at: Location, keys: String },

    #[error("{}, line {line}: reached the end of the file with no prompts; add at least one prompt record", path.display())]
    Empty { path: PathBuf, line: usize },

    #[error("unknown prompt format `{0}`; expected `edgebench`, `alpaca` or `gsm8k`")]
    UnknownFormat(String),

    #[error(
        "cannot take the first {requested} prompt(s) of the set `{name}`, which has {available}; \
         pass `--n-prompts` from 1 to {available}"
    )]
    Count { name: String, requested: usize, available: usize },
}

/// The built-in set: 50 reasoning questions with reference answers, written for edgebench.
pub fn builtin() -> PromptSet {
    static SET: OnceLock<PromptSet> = OnceLock::new();
    SET.get_or_init(|| {
        let prompts = parse(BUILTIN_JSONL, Path::new("collector/prompts/builtin.jsonl"), "builtin", Some(PromptFormat::Edgebench))
            .unwrap_or_else(|e| panic!("the built-in prompt set is invalid: {e}"));
        PromptSet::new("builtin", prompts)
    })
    .clone()
}

/// Loads a prompt file (JSONL or a JSON array) in `format`, or in the format its first record's
/// keys indicate when `format` is `None`. The set's name is the file name.
pub fn load(path: &Path, format: Option<PromptFormat>) -> Result<PromptSet, PromptError> {
    let io = |source| PromptError::Io { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::new(std::io::ErrorKind::IsADirectory, "it is a directory, not a file")));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(PromptError::TooLarge { path: path.to_owned(), size: meta.len() });
    }
    // The size can lie (special files, a file growing): never read more than the limit.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(PromptError::TooLarge { path: path.to_owned(), size: bytes.len() as u64 });
    }
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = line_of(&bytes[..e.valid_up_to()]);
            return Err(PromptError::NotUtf8 { path: path.to_owned(), line });
        }
    };
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "prompts".into());
    let name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
    let prompts = parse(text, path, &stem, format)?;
    Ok(PromptSet::new(name, prompts))
}

/// 1-based line number of the position just after `prefix`.
fn line_of(prefix: &[u8]) -> usize {
    1 + prefix.iter().filter(|&&b| b == b'\n').count()
}

const JSONL_HINT: &str = "each non-blank line must hold one complete JSON object (JSONL), or the whole file must be one JSON array of objects";
const ARRAY_HINT: &str = "a file starting with `[` must be one JSON array of objects";

/// Parses the whole text into prompts (records, format, checks).
fn parse(text: &str, path: &Path, stem: &str, format: Option<PromptFormat>) -> Result<Vec<Prompt>, PromptError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let records = if text.trim_start().starts_with('[') { array_records(text, path)? } else { jsonl_records(text, path)? };
    if records.is_empty() {
        return Err(PromptError::Empty { path: path.to_owned(), line: line_of(text.as_bytes()) });
    }
    let format = match format {
        Some(f) => f,
        None => detect(&records[0].1, path, records[0].0)?,
    };
    let mut prompts = Vec::with_capacity(records.len());
    let mut seen: HashMap<String, Location> = HashMap::new();
    for (index, (at, value)) in records.into_iter().enumerate() {
        let prompt = convert(value, format, index, stem, path, at)?;
        if let Some(first) = seen.get(&prompt.id) {
            return Err(record_error(
                path,
                at,
                format!("duplicate id `{}` (first used at {first})", truncate(&prompt.id, 80)),
                "give every prompt its own id",
            ));
        }
        seen.insert(prompt.id.clone(), at);
        prompts.push(prompt);
    }
    Ok(prompts)
}

fn json_error(path: &Path, e: &serde_json::Error, line: usize, column: usize, hint: &'static str) -> PromptError {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    PromptError::Json { path: path.to_owned(), line, column, message, hint }
}

fn jsonl_records(text: &str, path: &Path) -> Result<Vec<(Location, Value)>, PromptError> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = Location { line: i + 1, element: None };
        let value: Value = serde_json::from_str(line).map_err(|e| json_error(path, &e, at.line, e.column(), JSONL_HINT))?;
        out.push((at, value));
    }
    Ok(out)
}

fn array_records(text: &str, path: &Path) -> Result<Vec<(Location, Value)>, PromptError> {
    let value: Value = serde_json::from_str(text).map_err(|e| json_error(path, &e, e.line(), e.column(), ARRAY_HINT))?;
    let Value::Array(items) = value else {
        unreachable!("text starting with `[` parses to an array")
    };
    let offsets = array_element_offsets(text);
    let lines: Vec<usize> = if offsets.len() == items.len() {
        let mut lines = Vec::with_capacity(offsets.len());
        let (mut line, mut pos) = (1, 0);
        for off in offsets {
            line += text.as_bytes()[pos..off].iter().filter(|&&b| b == b'\n').count();
            pos = off;
            lines.push(line);
        }
        lines
    } else {
        vec![1; items.len()]
    };
    Ok(items.into_iter().enumerate().map(|(i, v)| (Location { line: lines[i], element: Some(i) }, v)).collect())
}

/// Byte offsets where the elements of the top-level array start, for text that is valid JSON.
fn array_element_offsets(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let (mut depth, mut in_string, mut escaped, mut expect_element) = (0usize, false, false, false);
    for (i, &c) in text.as_bytes().iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
            continue;
        }
        if expect_element && !c.is_ascii_whitespace() {
            expect_element = false;
            if c != b']' {
                out.push(i);
            }
        }
        match c {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth == 1 {
                    expect_element = true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => expect_element = true,
            _ => {}
        }
    }
    out
}

fn record_error(path: &Path, at: Location, problem: impl Into<String>, fix: impl Into<String>) -> PromptError {
    PromptError::Record { path: path.to_owned(), at, problem: problem.into(), fix: fix.into() }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_owned() } else { format!("{}…", s.chars().take(max).collect::<String>()) }
}

fn key_list(obj: &Map<String, Value>) -> String {
    if obj.is_empty() {
        return "no keys".into();
    }
    let mut keys: Vec<String> = obj.keys().take(20).map(|k| format!("`{}`", truncate(k, 40))).collect();
    if obj.len() > 20 {
        keys.push(format!("and {} more", obj.len() - 20));
    }
    format!("keys {}", keys.join(", "))
}

fn not_an_object(path: &Path, at: Location, v: &Value) -> PromptError {
    record_error(path, at, format!("expected a JSON object, found {}", kind(v)), "make every record an object such as {\"id\": …, \"question\": …}")
}

fn detect(first: &Value, path: &Path, at: Location) -> Result<PromptFormat, PromptError> {
    let Value::Object(obj) = first else {
        return Err(not_an_object(path, at, first));
    };
    let has = |k: &str| obj.contains_key(k);
    let format = if has("instruction") && !has("question") && !has("answer") {
        Some(PromptFormat::Alpaca)
    } else if has("question") && has("answer") && !has("instruction") && !has("reference") {
        Some(PromptFormat::Gsm8k)
    } else if has("question") && !has("answer") && !has("instruction") {
        Some(PromptFormat::Edgebench)
    } else {
        None
    };
    format.ok_or_else(|| PromptError::Undetectable { path: path.to_owned(), at, keys: key_list(obj) })
}

/// A required, non-empty string field.
fn required(obj: &Map<String, Value>, key: &str, format: PromptFormat, path: &Path, at: Location) -> Result<String, PromptError> {
    match obj.get(key) {
        None => Err(record_error(
            path,
            at,
            format!("missing required field `{key}` (the record has {})", key_list(obj)),
            format!("add `{key}` to every record, or pass the right `--prompts-format` (read as {format})"),
        )),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(record_error(path, at, format!("`{key}` is empty"), format!("give every record a non-empty `{key}`, or remove the record")))
        }
        Some(Value::String(s)) => Ok(s.trim().to_owned()),
        Some(other) => Err(record_error(path, at, format!("`{key}` must be a string, found {}", kind(other)), format!("write `{key}` as a JSON string"))),
    }
}

/// An optional string field: absent, `null` or blank is `None`.
fn optional(obj: &Map<String, Value>, key: &str, path: &Path, at: Location) -> Result<Option<String>, PromptError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(other) => Err(record_error(
            path,
            at,
            format!("`{key}` must be a string or null, found {}", kind(other)),
            format!("write `{key}` as a JSON string, or leave it out"),
        )),
    }
}

fn convert(value: Value, format: PromptFormat, index: usize, stem: &str, path: &Path, at: Location) -> Result<Prompt, PromptError> {
    let Value::Object(obj) = &value else {
        return Err(not_an_object(path, at, &value));
    };
    let generated_id = || format!("{stem}-{index}");
    match format {
        PromptFormat::Edgebench => {
            let id = required(obj, "id", format, path, at)?;
            if id.len() > MAX_ID_BYTES {
                return Err(record_error(path, at, format!("`id` is {} bytes long, over {MAX_ID_BYTES}", id.len()), "use a shorter id"));
            }
            let question = required(obj, "question", format, path, at)?;
            let reference = optional(obj, "reference", path, at)?;
            Ok(Prompt { id, question, reference })
        }
        PromptFormat::Alpaca => {
            let instruction = required(obj, "instruction", format, path, at)?;
            let input = optional(obj, "input", path, at)?;
            let output = match obj.get("output") {
                Some(Value::Null) => None,
                _ => Some(required(obj, "output", format, path, at)?),
            };
            let question = match input {
                Some(input) => format!("{instruction}\n\n{input}"),
                None => instruction,
            };
            Ok(Prompt { id: generated_id(), question, reference: output })
        }
        PromptFormat::Gsm8k => {
            let question = required(obj, "question", format, path, at)?;
            let answer = required(obj, "answer", format, path, at)?;
            let reference = gsm8k_reference(&answer).ok_or_else(|| {
                record_error(
                    path,
                    at,
                    "`answer` has no final-answer line `#### X`",
                    "end every GSM8K answer with a line `#### <final answer>`, or pass `--prompts-format edgebench` with a `reference`",
                )
            })?;
            Ok(Prompt { id: generated_id(), question, reference: Some(reference) })
        }
    }
}

/// A GSM8K answer as a reference: calculator annotations removed, each `#### X` line replaced by
/// `The answer is X.`. `None` when no line carries a non-empty final answer.
pub fn gsm8k_reference(answer: &str) -> Option<String> {
    let cleaned = strip_calculator_annotations(answer);
    let mut found = false;
    let lines: Vec<String> = cleaned
        .lines()
        .map(|line| match line.trim().strip_prefix("####") {
            Some(rest) if !rest.trim().is_empty() => {
                found = true;
                let x = rest.trim();
                if x.ends_with('.') { format!("The answer is {x}") } else { format!("The answer is {x}.") }
            }
            _ => line.trim_end().to_owned(),
        })
        .collect();
    found.then(|| lines.join("\n").trim().to_owned())
}

/// Removes every `<<…>>` (GSM8K's calculator annotations, e.g. `<<48/2=24>>`); an unclosed `<<` is
/// kept as it is.
pub fn strip_calculator_annotations(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("<<") {
        match rest[start + 2..].find(">>") {
            Some(len) => {
                out.push_str(&rest[..start]);
                rest = &rest[start + 2 + len + 2..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

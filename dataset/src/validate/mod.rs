//! `dataset validate`: every check a contribution must pass, one line per problem.
//!
//! What is checked, in order: the directory layout (`v1/`, partitions, file names); the manifest
//! (parseable, every entry well-formed, every listed shard present, no shard unlisted); each
//! shard's bytes (hash = file name = manifest entry, size, declared row count), its footer
//! (declared sizes within [`Limits`], `edgebench.*` entries consistent with the rows), its schema
//! version (one this tool knows, the same in the footer, the manifest entry and every row) and its
//! columns (exactly those of that version: order, types, nullability); then every row, decoded
//! into the current row struct (columns added after the shard's version are null): column
//! constraints, its id,
//! its partition, the plausibility rules of [`rules`], duplicates across shards, and references
//! between tables (a generation's run exists and agrees with it). When the dataset has a model
//! registry (`models.jsonl`), it is checked too ([`crate::model_registry`]), and every run of a
//! file it lists must agree with it (weight type, weights origin, preset).
//!
//! Layout: this file walks the directory and the manifest and holds what is kept across shards
//! (row ids, run summaries: duplicates and references); `shard_file.rs` checks one shard file,
//! from its bytes to its rows; `schema.rs` a shard's version and columns, [`columns`] the column
//! constraints of a batch, [`rules`] the plausibility rules of a row.
//!
//! The validator never panics on any input (a panic inside a reader is caught and reported as a
//! problem with that file) and keeps memory bounded: files are read one at a time and only after
//! their size is checked, rows are decoded a batch at a time, and what is kept across files is one
//! 32-byte key per row id plus a small summary per run.

pub mod columns;
pub mod rules;
mod schema;
mod shard_file;

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use crate::manifest::{MANIFEST_FILE, Manifest, ShardEntry};
use crate::model_registry::ModelRegistry;
use crate::schema::v1::{self, Backend, Generation, Kernel, Microbench, Published, Run, VERSION_DIR, VERSIONS, version_rank};
use crate::schema::Sha256Hex;
use crate::shard::Limits;
use crate::store::{JOURNAL_PREFIX, LOCK_FILE, ShardPath, relative, walk_files};
use crate::table::Table;
use crate::fsutil::TMP_MARKER;

/// Problems listed per shard before the rest are only counted.
const MAX_PROBLEMS_PER_SHARD: usize = 100;

/// One problem: where it is, what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub file: String,
    /// 0-based row within the shard.
    pub row: Option<u64>,
    pub column: Option<String>,
    pub message: String,
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(row) = self.row {
            write!(f, ": row {row}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ": column {column}")?;
        }
        // One line per problem, whatever the data holds.
        let message = self.message.replace(['\n', '\r'], " ");
        write!(f, ": {message} (fix: {})", self.fix)
    }
}

/// What `validate` found.
#[derive(Debug, Default)]
pub struct Report {
    pub problems: Vec<Problem>,
    pub shards_checked: usize,
    pub rows_checked: u64,
}

impl Report {
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The directory given is not something that can be validated (exit code 2 in the CLI).
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("{}: no such directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("{}: not an edgebench dataset (no {VERSION_DIR}/ directory inside; give the directory that holds {VERSION_DIR}/{MANIFEST_FILE})", .0.display())]
    NotADataset(PathBuf),
}

/// Validates the dataset at `root` (the directory holding `v1/`).
pub fn validate(root: &Path, limits: &Limits) -> Result<Report, UsageError> {
    if !root.is_dir() {
        return Err(UsageError::NotADirectory(root.to_owned()));
    }
    let version_dir = root.join(VERSION_DIR);
    if !version_dir.is_dir() {
        return Err(UsageError::NotADataset(root.to_owned()));
    }
    let mut v = Validator {
        version_dir,
        limits: *limits,
        report: Report::default(),
        files: Vec::new(),
        ids: HashMap::new(),
        runs: HashMap::new(),
        runs_incomplete: false,
        unresolved_run_refs: 0,
        registry: ModelRegistry::load(root).ok().flatten(),
    };
    v.report.problems.extend(crate::model_registry::validate_problems(root));
    v.check_other_versions(root);
    v.run();
    Ok(v.report)
}

/// What a generation must agree with in its run.
struct RunSummary {
    device_label: String,
    backend: Backend,
    power_mode: Option<String>,
    model_name: String,
    model_sha256: Sha256Hex,
    max_output_tokens: u32,
}

struct Validator {
    version_dir: PathBuf,
    limits: Limits,
    report: Report,
    /// Display names of checked shards (indexed by the locations below).
    files: Vec<String>,
    /// Per table: row id → (file index, row).
    ids: HashMap<&'static str, HashMap<[u8; 32], (u32, u64)>>,
    runs: HashMap<[u8; 32], RunSummary>,
    /// Some runs shard could not be read in full: a missing run is then probably in it.
    runs_incomplete: bool,
    /// References to missing runs in the current shard, when `runs_incomplete`.
    unresolved_run_refs: u64,
    /// The dataset's model registry, when it has a valid one: runs of the files it lists must
    /// agree with it.
    registry: Option<ModelRegistry>,
}

/// Problems of one shard, capped.
struct Sink<'a> {
    file: &'a str,
    problems: &'a mut Vec<Problem>,
    count: usize,
}

impl Sink<'_> {
    fn add(&mut self, row: Option<u64>, column: Option<&str>, message: impl Into<String>, fix: impl Into<String>) {
        self.count += 1;
        if self.count <= MAX_PROBLEMS_PER_SHARD {
            self.problems.push(Problem {
                file: self.file.to_owned(),
                row,
                column: column.map(str::to_owned),
                message: message.into(),
                fix: fix.into(),
            });
        }
    }

    fn finish(self) {
        if self.count > MAX_PROBLEMS_PER_SHARD {
            self.problems.push(Problem {
                file: self.file.to_owned(),
                row: None,
                column: None,
                message: format!("{} more problems in this shard were not listed", self.count - MAX_PROBLEMS_PER_SHARD),
                fix: "fix the listed ones and validate again".into(),
            });
        }
    }
}

fn key(id: &Sha256Hex) -> [u8; 32] {
    let mut out = [0u8; 32];
    let hex = id.as_str().as_bytes();
    let nibble = |c: u8| if c.is_ascii_digit() { c - b'0' } else { c - b'a' + 10 };
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = (nibble(hex[2 * i]) << 4) | nibble(hex[2 * i + 1]);
    }
    out
}

fn table_rank(name: &str) -> usize {
    v1::TABLES.iter().position(|t| t.name == name).unwrap_or(usize::MAX)
}

impl Validator {
    fn display(&self, rel: &str) -> String {
        self.version_dir.join(rel).display().to_string()
    }

    fn problem(&mut self, file: String, message: impl Into<String>, fix: impl Into<String>) {
        self.report.problems.push(Problem { file, row: None, column: None, message: message.into(), fix: fix.into() });
    }

    fn check_other_versions(&mut self, root: &Path) {
        let Ok(entries) = fs::read_dir(root) else { return };
        let mut names: Vec<String> = entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
        names.sort();
        for name in names {
            let is_version = name.len() > 1 && name.starts_with('v') && name[1..].bytes().all(|b| b.is_ascii_digit());
            if is_version && name != VERSION_DIR {
                self.problem(
                    root.join(&name).display().to_string(),
                    format!("schema version directory `{name}` is not known to this tool (it knows {VERSION_DIR})"),
                    "upgrade edgebench, or remove the directory",
                );
            }
        }
    }

    fn run(&mut self) {
        let manifest_path = self.version_dir.join(MANIFEST_FILE);
        let manifest = match Manifest::load(&manifest_path) {
            Ok(m) => Some(m),
            Err(e) => {
                let fix = if manifest_path.exists() {
                    "repair the JSON by hand or run `dataset repair` to rebuild the listing"
                } else {
                    "run `dataset repair` to create it from the shards present"
                };
                let message = match &e {
                    crate::Error::Io { source, .. } => source.to_string(),
                    crate::Error::Format { message, .. } => message.clone(),
                    other => other.to_string(),
                };
                self.problem(manifest_path.display().to_string(), message, fix);
                None
            }
        };
        let listed = manifest.as_ref().map(|m| self.check_manifest(m)).unwrap_or_default();

        let mut files = Vec::new();
        if let Err(e) = walk_files(&self.version_dir, &mut files) {
            self.problem(self.version_dir.display().to_string(), format!("cannot list the directory: {e}"), "check permissions");
        }
        let mut shards: Vec<(ShardPath, String)> = Vec::new();
        let mut on_disk = std::collections::HashSet::new();
        for path in files {
            let Some(rel) = relative(&self.version_dir, &path) else {
                self.problem(path.display().to_string(), "file name is not valid UTF-8", "rename or delete the file");
                continue;
            };
            if rel == MANIFEST_FILE || rel == LOCK_FILE {
                continue;
            }
            let file = self.display(&rel);
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.contains(TMP_MARKER) {
                self.problem(file, "temporary file left by an interrupted write", "delete it, or run `dataset repair`");
                continue;
            }
            if name.starts_with(JOURNAL_PREFIX) {
                self.problem(file, "journal of an interrupted commit", "run `dataset repair` to finish or undo the commit");
                continue;
            }
            match ShardPath::parse(&rel) {
                Err(e) => self.problem(file, format!("unexpected file: {e}"), "move it out of the dataset directory or delete it"),
                Ok(sp) if v1::table(&sp.table).is_none() => self.problem(
                    file,
                    format!("unknown table `{}` (v1 has: {})", sp.table, v1::TABLES.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")),
                    "move the shard under the right table directory",
                ),
                Ok(sp) => {
                    on_disk.insert(rel.clone());
                    if manifest.is_some() && !listed.contains_key(&rel) {
                        self.problem(
                            file,
                            "shard is not listed in MANIFEST.json",
                            "run `dataset repair` to list complete shards, or delete the file",
                        );
                    }
                    shards.push((sp, rel));
                }
            }
        }
        for rel in listed.keys() {
            if !on_disk.contains(rel) {
                self.problem(
                    self.display(rel),
                    "listed in MANIFEST.json but the file is missing",
                    "add the shard file, or remove its entry from MANIFEST.json",
                );
            }
        }
        shards.sort_by(|a, b| table_rank(&a.0.table).cmp(&table_rank(&b.0.table)).then(a.1.cmp(&b.1)));
        for (sp, rel) in shards {
            let entry = listed.get(&rel).cloned();
            let file = self.display(&rel);
            let outcome = catch_unwind(AssertUnwindSafe(|| match sp.table.as_str() {
                "runs" => self.check_shard::<Run>(&sp, &rel, entry.as_ref()),
                "generations" => self.check_shard::<Generation>(&sp, &rel, entry.as_ref()),
                "kernels" => self.check_shard::<Kernel>(&sp, &rel, entry.as_ref()),
                "microbench" => self.check_shard::<Microbench>(&sp, &rel, entry.as_ref()),
                _ => self.check_shard::<Published>(&sp, &rel, entry.as_ref()),
            }));
            if let Err(panic) = outcome {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                self.problem(file, format!("the Parquet reader failed on this file ({what})"), "the file is corrupt: regenerate it");
            }
        }
    }

    /// Checks manifest entries; returns the well-formed ones by path.
    fn check_manifest(&mut self, m: &Manifest) -> BTreeMap<String, ShardEntry> {
        let file = self.version_dir.join(MANIFEST_FILE).display().to_string();
        // The manifest's own version promises that a reader knowing it can read every shard.
        match version_rank(&m.schema_version) {
            None => self.problem(
                file.clone(),
                format!("schema_version is `{}`, which this tool does not know (it knows {})", crate::schema::truncate(&m.schema_version, 40), v1::known_versions()),
                "set it to the newest schema version of the shards it lists",
            ),
            Some(own) => {
                if let Some(newest) = m.shards.iter().filter_map(|e| version_rank(&e.schema_version)).max()
                    && newest > own
                {
                    let newest = VERSIONS[newest].version;
                    self.problem(
                        file.clone(),
                        format!("schema_version is `{}` but it lists shards of version {newest}", m.schema_version),
                        format!("set it to `{newest}`, the newest version of the shards it lists"),
                    );
                }
            }
        }
        let mut listed = BTreeMap::new();
        for (i, e) in m.shards.iter().enumerate() {
            let at = format!("shards[{i}] (`{}`)", crate::schema::truncate(&e.path, 120));
            let fix = "regenerate the entry with `dataset repair`";
            match ShardPath::parse(&e.path) {
                Err(msg) => self.problem(file.clone(), format!("{at}: {msg}"), fix),
                Ok(sp) => {
                    if sp.table != e.table {
                        self.problem(file.clone(), format!("{at}: table is `{}` but the path is under `{}`", e.table, sp.table), fix);
                    }
                    if sp.sha256 != e.sha256.as_str() {
                        self.problem(file.clone(), format!("{at}: sha256 differs from the file name"), fix);
                    }
                    if version_rank(&e.schema_version).is_none() {
                        self.problem(
                            file.clone(),
                            format!("{at}: schema_version `{}` is not a version this tool knows ({})", crate::schema::truncate(&e.schema_version, 40), v1::known_versions()),
                            "set it to the version the shard's footer names",
                        );
                    }
                    if listed.insert(e.path.clone(), e.clone()).is_some() {
                        self.problem(file.clone(), format!("{at}: listed twice"), "remove the duplicate entry");
                    }
                }
            }
        }
        listed
    }

    fn check_row<T: Table>(&mut self, row: &T, sp: &ShardPath, file_index: u32, at: u64, sink: &mut Sink) {
        let schema = T::schema();
        let expected = row.compute_id();
        if *row.id() != expected {
            let fields: Vec<&str> = row.identity().iter().map(|(n, _)| *n).collect();
            sink.add(Some(at), Some(schema.id_column), format!("is not the sha256 of the identifying fields ({}); expected {expected}", fields.join(", ")), "recompute ids with the dataset writer; never edit identifying fields by hand");
        }
        let mut issues = Vec::new();
        row.check(&mut issues);
        for issue in issues {
            sink.add(Some(at), Some(issue.column), issue.message, issue.fix);
        }
        let (device, model) = row.partition();
        if device != sp.device || model != sp.model {
            sink.add(Some(at), Some(schema.partition.device_column), format!("row belongs in device={device}/model={model} but the shard is in device={}/model={}", sp.device, sp.model), "write rows with the dataset writer, which partitions them");
        }
        let ids = self.ids.entry(schema.name).or_default();
        if let Some(&(other_file, other_row)) = ids.get(&key(row.id())) {
            let other = self.files.get(other_file as usize).cloned().unwrap_or_default();
            sink.add(Some(at), Some(schema.id_column), format!("duplicate id {}: also {other} row {other_row}", row.id()), "the same measurement was contributed twice: drop one of the shards");
        } else {
            ids.insert(key(row.id()), (file_index, at));
        }
        self.check_references(row as &dyn Any, at, sink);
    }

    fn check_references(&mut self, row: &dyn Any, at: u64, sink: &mut Sink) {
        if let Some(r) = row.downcast_ref::<Run>() {
            for issue in self.registry.as_ref().map(|reg| reg.disagreements(r)).unwrap_or_default() {
                sink.add(Some(at), Some(issue.column), issue.message, issue.fix);
            }
            self.runs.insert(key(&r.run_id), RunSummary {
                device_label: r.device_label.clone(),
                backend: r.backend,
                power_mode: r.power_mode.clone(),
                model_name: r.model_name.clone(),
                model_sha256: r.model_sha256.clone(),
                max_output_tokens: r.max_output_tokens,
            });
        } else if let Some(g) = row.downcast_ref::<Generation>() {
            let Some(run) = self.runs.get(&key(&g.run_id)) else {
                if self.runs_incomplete {
                    self.unresolved_run_refs += 1;
                    return;
                }
                sink.add(Some(at), Some("run_id"), format!("run {} is not in the runs table", g.run_id), "contribute the run's row together with its generations");
                return;
            };
            let mismatches = [
                ("device_label", g.device_label != run.device_label),
                ("backend", g.backend != run.backend),
                ("power_mode", g.power_mode != run.power_mode),
                ("model_name", g.model_name != run.model_name),
                ("model_sha256", g.model_sha256 != run.model_sha256),
            ];
            for (column, differs) in mismatches {
                if differs {
                    sink.add(Some(at), Some(column), "differs from the same column of its run", "copy the run's value");
                }
            }
            if let Some(n) = g.output_tokens
                && n > run.max_output_tokens
            {
                sink.add(Some(at), Some("output_tokens"), format!("{n} tokens exceeds the run's max_output_tokens ({})", run.max_output_tokens), "check the token count");
            }
        } else if let Some(k) = row.downcast_ref::<Kernel>()
            && let Some(run_id) = &k.run_id
            && !self.runs.contains_key(&key(run_id))
        {
            sink.add(Some(at), Some("run_id"), format!("run {run_id} is not in the runs table"), "contribute the run, or leave run_id null for a stand-alone capture");
        }
    }
}

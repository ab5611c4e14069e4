//! The model registry: one canonical name per model, the files known to hold it, and the names
//! other sources use for it, kept as data in the dataset directory (`models.jsonl`).
//!
//! Rows name a model by whatever their writer knew: GGUF files carry an internal
//! `general.name` ("Smollm2 135M 8k Lc100K Mix1 Ep2" for SmolLM2-135M-Instruct), papers their own
//! short names ("Qwen-1.5B"). Rows are never rewritten, so the dataset cannot be renamed; instead
//! the registry maps what rows do carry to the name people use — the Hugging Face repository's
//! name — by the file's sha256 (`runs.model_sha256`), by the `collect synth` preset of a file with
//! synthetic weights (`runs.synthetic_preset`, whatever its type or seed), and by
//! `(published.citation_key, published.model_name)`. The collector names new rows with it
//! (`collect run`), the report labels cells with it, and the schema docs' join query reads it.
//!
//! One JSON object per line (JSON Lines, so that DuckDB's `read_json` reads it as a table and a
//! pull request's diff is one line per model):
//!
//! ```text
//! {"name":"Qwen2.5-1.5B-Instruct","repo":"Qwen/Qwen2.5-1.5B-Instruct",
//!  "aliases":[{"citation_key":"liu2026edge","name":"Qwen-1.5B"}],
//!  "synthetic_presets":["qwen2.5-1.5b"],
//!  "files":[{"sha256":"1b4f…","file_name":"qwen2.5-1.5b.Q8_0.seed0.synthetic.gguf",
//!            "weight_type":"Q8_0","weights":"synthetic","source":"collect synth --preset …"}]}
//! ```
//!
//! Every way in must lead to one model, so the checks are about ambiguity: names unique (as
//! partition slugs, since rows named after them share directories otherwise), a sha256 in one
//! entry, a preset in one entry, an alias naming one model and never another model's name.
//! Problems name the file and line, like the `published` sources.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ids::slug;
use crate::schema::v1::{Run, WeightsOrigin};
use crate::schema::{Logical, is_sha256_hex};
use crate::validate::rules::Issue;

/// The registry's file name, in a dataset directory (beside `v1/`).
pub const REGISTRY_FILE: &str = "models.jsonl";

/// Largest registry read, in bytes: a line per model, not a download list.
pub const MAX_REGISTRY_BYTES: u64 = 4 << 20;

/// What `collect synth` appends to a synthetic file's `general.name`, and what the collector
/// appends to the registry's name for rows of a synthetic file: a row's name always says that
/// its weights are not the model's.
pub const SYNTHETIC_NAME_SUFFIX: &str = " (synthetic weights)";

/// One model: its canonical name and every way rows refer to it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisteredModel {
    /// The name people use: the Hugging Face repository's name where there is one.
    pub name: String,
    /// `owner/name` on Hugging Face; its name part is [`RegisteredModel::name`].
    #[serde(default)]
    pub repo: Option<String>,
    /// Anything a reader needs to know about the identity (a model with no repository, say).
    #[serde(default)]
    pub note: Option<String>,
    /// Names that papers (the `published` table) give the model.
    #[serde(default)]
    pub aliases: Vec<Alias>,
    /// `collect synth` presets with this model's architecture: their files' runs are this model's
    /// architecture (never its weights).
    #[serde(default)]
    pub synthetic_presets: Vec<String>,
    /// Files known to hold the model (or, for synthetic files, its architecture).
    #[serde(default)]
    pub files: Vec<KnownFile>,
    /// 1-based line of the registry this entry is on (set by the parser).
    #[serde(skip)]
    pub line: usize,
}

/// A name a paper uses: `published.citation_key` and `published.model_name`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alias {
    pub citation_key: String,
    pub name: String,
}

/// A GGUF file of a model.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownFile {
    /// sha256 of the whole file, as `runs.model_sha256` records it.
    pub sha256: String,
    /// The file's usual name.
    pub file_name: String,
    /// Weight type as `runs.model_file_type` records it (`Q4_1`, `Q8_0`, `BF16`...).
    pub weight_type: String,
    /// Trained weights, or `collect synth`'s generated ones.
    pub weights: WeightsOrigin,
    /// Where the file comes from: a download, or the command that writes it again.
    pub source: String,
}

/// One thing wrong with one line of the registry.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryProblem {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
    pub fix: String,
}

/// Why a registry could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{}: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },
    #[error("{}", render(path, problems))]
    Invalid { path: PathBuf, problems: Vec<RegistryProblem> },
}

fn render(path: &Path, problems: &[RegistryProblem]) -> String {
    problems.iter().map(|p| format!("{}:{}: {}; {}", path.display(), p.line, p.message, p.fix)).collect::<Vec<_>>().join("\n")
}

/// A checked registry, indexed every way rows refer to a model.
#[derive(Debug, Clone, Default)]
pub struct ModelRegistry {
    models: Vec<RegisteredModel>,
    by_sha256: BTreeMap<String, (usize, usize)>,
    by_preset: BTreeMap<String, usize>,
    by_alias: BTreeMap<(String, String), usize>,
}

impl ModelRegistry {
    /// The registry of the dataset at `root`; `None` when it has none (every name then falls back
    /// to what rows carry).
    pub fn load(root: &Path) -> Result<Option<ModelRegistry>, RegistryError> {
        let path = root.join(REGISTRY_FILE);
        if !path.exists() {
            return Ok(None);
        }
        ModelRegistry::read(&path).map(Some)
    }

    /// Reads and checks the registry file at `path`.
    pub fn read(path: &Path) -> Result<ModelRegistry, RegistryError> {
        let unreadable = |message: String| RegistryError::Unreadable { path: path.to_owned(), message };
        let bytes = crate::fsutil::read_limited(path, MAX_REGISTRY_BYTES).map_err(|e| {
            let text = e.to_string();
            let prefix = format!("{}: ", path.display());
            unreadable(text.strip_prefix(&prefix).unwrap_or(&text).to_owned())
        })?;
        let text = String::from_utf8(bytes)
            .map_err(|e| unreadable(format!("is not UTF-8 (byte {}); save the file as UTF-8", e.utf8_error().valid_up_to())))?;
        ModelRegistry::parse(&text).map_err(|problems| RegistryError::Invalid { path: path.to_owned(), problems })
    }

    /// Parses a registry's text. Returns the registry, or every problem on every line.
    pub fn parse(text: &str) -> Result<ModelRegistry, Vec<RegistryProblem>> {
        let mut problems = Vec::new();
        let mut models = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            if raw.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<RegisteredModel>(raw) {
                Ok(mut model) => {
                    model.line = line;
                    problems.extend(check_entry(&model).into_iter().map(|(message, fix)| RegistryProblem { line, message, fix }));
                    models.push(model);
                }
                Err(e) => problems.push(RegistryProblem { line, message: json_message(&e), fix: json_fix(&e.to_string()) }),
            }
        }
        let registry = ModelRegistry::index(models, &mut problems);
        if problems.is_empty() {
            Ok(registry)
        } else {
            problems.sort_by_key(|p| p.line);
            Err(problems)
        }
    }

    /// Indexes the entries, reporting every key that leads to two models.
    fn index(models: Vec<RegisteredModel>, problems: &mut Vec<RegistryProblem>) -> ModelRegistry {
        let mut r = ModelRegistry { models, ..Default::default() };
        let mut by_slug: BTreeMap<String, usize> = BTreeMap::new();
        for (i, m) in r.models.iter().enumerate() {
            let mut clash = |message: String, fix: &str| problems.push(RegistryProblem { line: m.line, message, fix: fix.to_owned() });
            if let Some(&other) = by_slug.get(&slug(&m.name)) {
                let o = &r.models[other];
                clash(
                    format!("name `{}` has the partition slug `{}` of `{}` (line {}): rows of the two would share directories", m.name, slug(&m.name), o.name, o.line),
                    "merge the two entries, or tell the names apart",
                );
            } else {
                by_slug.insert(slug(&m.name), i);
            }
            for (j, f) in m.files.iter().enumerate() {
                if let Some(&(other, _)) = r.by_sha256.get(&f.sha256) {
                    let o = &r.models[other];
                    let place = if other == i { "earlier in this entry".to_owned() } else { format!("under `{}` (line {})", o.name, o.line) };
                    clash(format!("file sha256 {} is listed {place}: a file holds one model", f.sha256), "keep the file under the one model it holds");
                } else {
                    r.by_sha256.insert(f.sha256.clone(), (i, j));
                }
            }
            for p in &m.synthetic_presets {
                if let Some(&other) = r.by_preset.get(p) {
                    let o = &r.models[other];
                    clash(format!("preset `{p}` is also listed under `{}` (line {})", o.name, o.line), "list each preset under the one model whose architecture it has");
                } else {
                    r.by_preset.insert(p.clone(), i);
                }
            }
            for a in &m.aliases {
                let key = (a.citation_key.clone(), a.name.clone());
                if let Some(&other) = r.by_alias.get(&key) {
                    let o = &r.models[other];
                    clash(format!("alias `{}` of {} is also listed under `{}` (line {})", a.name, a.citation_key, o.name, o.line), "an alias names one model: keep it under the model the paper means");
                } else {
                    r.by_alias.insert(key, i);
                }
            }
        }
        // An alias that is another model's canonical name would make a name mean two models.
        for m in &r.models {
            for a in &m.aliases {
                if let Some(&other) = by_slug.get(&slug(&a.name))
                    && r.models[other].name != m.name
                {
                    let o = &r.models[other];
                    problems.push(RegistryProblem {
                        line: m.line,
                        message: format!("alias `{}` of {} is (as a slug) the name of `{}` (line {})", a.name, a.citation_key, o.name, o.line),
                        fix: "an alias must not be another model's name: check which model the paper means".into(),
                    });
                }
            }
        }
        r
    }

    /// Every model, in file order.
    pub fn models(&self) -> &[RegisteredModel] {
        &self.models
    }

    /// The model a file holds, and the file's entry.
    pub fn file(&self, sha256: &str) -> Option<(&RegisteredModel, &KnownFile)> {
        let &(m, f) = self.by_sha256.get(sha256)?;
        Some((&self.models[m], &self.models[m].files[f]))
    }

    /// The model whose architecture a `collect synth` preset has (presets compare in any case, as
    /// `collect synth` takes them).
    pub fn preset(&self, preset: &str) -> Option<&RegisteredModel> {
        self.by_preset.get(&preset.to_ascii_lowercase()).map(|&i| &self.models[i])
    }

    /// The model a paper names `name`.
    pub fn alias(&self, citation_key: &str, name: &str) -> Option<&RegisteredModel> {
        self.by_alias.get(&(citation_key.to_owned(), name.to_owned())).map(|&i| &self.models[i])
    }

    /// The canonical name of the model of a file: by its sha256, else by its `collect synth`
    /// preset. `None` when the registry knows neither.
    pub fn canonical_name(&self, sha256: &str, preset: Option<&str>) -> Option<&str> {
        self.file(sha256).map(|(m, _)| m).or_else(|| preset.and_then(|p| self.preset(p))).map(|m| m.name.as_str())
    }

    /// What a runs row says about a file the registry lists, where the two disagree. The rows are
    /// measurements and never change, so the registry is what a disagreement asks to correct.
    pub fn disagreements(&self, run: &Run) -> Vec<Issue> {
        let Some((model, file)) = self.file(run.model_sha256.as_str()) else { return Vec::new() };
        let at = format!("{REGISTRY_FILE} line {} (`{}`)", model.line, model.name);
        let mut out = Vec::new();
        if let Some(t) = run.model_file_type.as_deref().filter(|t| *t != file.weight_type) {
            out.push(Issue {
                column: "model_file_type",
                message: format!("is {t}, but {at} gives this file (sha256 {}) weight_type {}", file.sha256, file.weight_type),
                fix: format!("correct weight_type in {REGISTRY_FILE}"),
            });
        }
        let weights = run.weights_origin.unwrap_or(WeightsOrigin::Trained);
        if weights != file.weights {
            out.push(Issue {
                column: "weights_origin",
                message: format!("is {weights}, but {at} gives this file (sha256 {}) weights {}", file.sha256, file.weights),
                fix: format!("correct weights in {REGISTRY_FILE}"),
            });
        }
        if let Some(p) = run.synthetic_preset.as_deref()
            && let Some(other) = self.preset(p).filter(|o| o.name != model.name)
        {
            out.push(Issue {
                column: "synthetic_preset",
                message: format!("is {p}, listed under `{}` (line {}), but {at} lists this file (sha256 {})", other.name, other.line, file.sha256),
                fix: format!("list the file under the model of its preset in {REGISTRY_FILE}"),
            });
        }
        out
    }
}

/// The name rows of a file get: `name`, with [`SYNTHETIC_NAME_SUFFIX`] when the file's weights
/// are synthetic and the name does not say so yet.
pub fn row_name(name: &str, synthetic: bool) -> String {
    let name = name.trim();
    if synthetic && !name.ends_with(SYNTHETIC_NAME_SUFFIX) { format!("{name}{SYNTHETIC_NAME_SUFFIX}") } else { name.to_owned() }
}

/// The registry's problems as `dataset validate` lists them (file, then `line N: ...`), or
/// nothing when the dataset has no registry or a valid one.
pub fn validate_problems(root: &Path) -> Vec<crate::validate::Problem> {
    let file = root.join(REGISTRY_FILE).display().to_string();
    let problem = |message: String, fix: String| crate::validate::Problem { file: file.clone(), row: None, column: None, message, fix };
    match ModelRegistry::load(root) {
        Ok(_) => Vec::new(),
        Err(RegistryError::Unreadable { message, .. }) => vec![problem(message, "make it a readable UTF-8 JSON Lines file".into())],
        Err(RegistryError::Invalid { problems, .. }) => problems.into_iter().map(|p| problem(format!("line {}: {}", p.line, p.message), p.fix)).collect(),
    }
}

/// The rules of one entry on its own: `(message, fix)` per problem.
fn check_entry(m: &RegisteredModel) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut text = |what: &str, value: &str, fix: &str| {
        if let Some(problem) = label_problem(value) {
            out.push((format!("{what} {problem}"), fix.to_owned()));
        }
    };
    text("name", &m.name, "give the model's name as people write it (its Hugging Face repository's name)");
    for a in &m.aliases {
        text("alias citation_key", &a.citation_key, "give the paper's citation_key as in the published table");
        text("alias name", &a.name, "give the model's name as the paper prints it");
    }
    for f in &m.files {
        text("file_name", &f.file_name, "give the file's usual name");
        text("weight_type", &f.weight_type, "give the weight type as runs.model_file_type records it (Q4_1, Q8_0, BF16...)");
        text("source", &f.source, "say where the file comes from, or the command that writes it");
    }
    if m.name.ends_with(SYNTHETIC_NAME_SUFFIX) {
        out.push((format!("name ends with `{SYNTHETIC_NAME_SUFFIX}`"), "name the model; the collector adds the suffix to rows of synthetic files".into()));
    }
    if let Some(repo) = &m.repo {
        let parts: Vec<&str> = repo.split('/').collect();
        let well_formed = parts.len() == 2 && parts.iter().all(|p| !p.is_empty() && !p.contains(char::is_whitespace));
        if !well_formed {
            out.push((format!("repo `{repo}` is not `owner/name`"), "give the Hugging Face repository as owner/name, or leave repo out".into()));
        } else if parts[1] != m.name {
            out.push((format!("name `{}` is not the name of its repo `{repo}`", m.name), format!("name the model `{}`, as its repository does", parts[1])));
        }
    }
    for p in &m.synthetic_presets {
        if p.is_empty() || *p != p.to_ascii_lowercase() || p.contains(char::is_whitespace) {
            out.push((format!("preset `{p}` is not a preset name"), "give the preset as `collect synth --preset` takes it, in lower case".into()));
        }
    }
    for f in &m.files {
        if !is_sha256_hex(&f.sha256) {
            out.push((format!("file sha256 `{}` is not 64 lower-case hex characters", f.sha256), "give the file's sha256 as `sha256sum` prints it".into()));
        }
    }
    if m.files.is_empty() && m.synthetic_presets.is_empty() && m.aliases.is_empty() {
        out.push(("lists no file, preset or alias: no row could be named by it".into(), "add the files, presets or aliases that refer to the model, or remove the line".into()));
    }
    out
}

/// Why `value` cannot be a one-line label of the dataset, if it cannot.
fn label_problem(value: &str) -> Option<String> {
    let max = Logical::Label.max_len().unwrap_or(usize::MAX);
    if value.trim().is_empty() {
        Some("is empty".into())
    } else if value.trim() != value {
        Some(format!("`{value}` has spaces at its start or end"))
    } else if value.chars().any(char::is_control) {
        Some(format!("`{}` contains control characters", value.escape_debug()))
    } else if value.len() > max {
        Some(format!("is {} bytes long, over the {max}-byte limit of labels", value.len()))
    } else {
        None
    }
}

/// serde_json's message without "at line 1 column N" (the file's line is reported already).
fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(at) if e.column() > 0 => format!("not a valid entry: {} (column {})", &full[..at], e.column()),
        Some(at) => format!("not a valid entry: {}", &full[..at]),
        None => format!("not a valid entry: {full}"),
    }
}

fn json_fix(message: &str) -> String {
    if message.starts_with("unknown field") {
        "use only the keys name, repo, note, aliases, synthetic_presets, files (and in files: sha256, file_name, weight_type, weights, source; in aliases: citation_key, name)".into()
    } else if message.starts_with("missing field") {
        "give every required key: name; each file's sha256, file_name, weight_type, weights and source; each alias's citation_key and name".into()
    } else if message.starts_with("unknown variant") {
        "weights is `trained` or `synthetic`".into()
    } else {
        "write one JSON object per line (JSON Lines)".into()
    }
}

#[cfg(test)]
mod tests;

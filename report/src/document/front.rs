//! The front page: what this report is and whether to trust it, before any figure.
//!
//! It names the paper regenerated (its full citation, from the `published` rows), the exact data
//! (release, manifest hash, git commit), the software the rows were measured with (every
//! collector and llama.cpp build present, with its run count), what each protocol in the data
//! asked of the models, then the decided findings with their numbers and the undecided ones
//! condensed into one table that says what data would decide each. All of it is counted from the
//! data; only the protocols' definitions are fixed text, the collector's own, and the last line
//! names the code that drew the report (its version and the commit it was built from).

use serde::Serialize;

use edgebench_dataset::schema::v1::Protocol;

use super::KeyValue;
use crate::analysis::{Analysis, ProtocolUse, WeightsOrigin};
use crate::findings::{Finding, Verdict};
use crate::format;

/// Everything the front page shows.
#[derive(Debug, Clone, Serialize)]
pub struct FrontPage {
    /// The papers the report regenerates (key, full citation); empty without published rows.
    pub papers: Vec<PaperDoc>,
    /// Dataset, manifest, commit, software, contents: one line each.
    pub provenance: Vec<KeyValue>,
    pub protocols: Vec<ProtocolDoc>,
    /// Supported and contradicted findings, one line of numbers each.
    pub decided: Vec<DecidedDoc>,
    /// Findings without a decisive comparison, condensed.
    pub undecided: Vec<UndecidedDoc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PaperDoc {
    pub key: String,
    pub citation: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProtocolDoc {
    pub name: String,
    /// What the protocol asks for, as the collector defines it.
    pub meaning: &'static str,
    /// What the dataset's runs under it actually used.
    pub in_data: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecidedDoc {
    pub id: &'static str,
    pub section: &'static str,
    pub verdict: Verdict,
    /// The finding's headline: what it says, the comparison that carries the verdict with its
    /// numbers, and the counts behind it.
    pub headline: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct UndecidedDoc {
    pub id: &'static str,
    pub section: &'static str,
    pub claim: String,
    /// Why nothing decides it now, in a few words (the Findings section has the details).
    pub why: String,
    /// What data would decide it.
    pub decided_by: String,
}

/// At most this many decisive comparisons are quoted per decided finding without a headline; the
/// Findings section has them all.
const QUOTED_COMPARISONS: usize = 2;

pub(super) fn front_page(analysis: &Analysis, findings: &[Finding]) -> FrontPage {
    let p = &analysis.provenance;
    let papers = p.papers.iter().map(|(key, citation)| PaperDoc { key: key.clone(), citation: citation.clone() }).collect();
    FrontPage {
        papers,
        provenance: provenance_lines(analysis),
        protocols: p.protocols.iter().map(protocol_doc).collect(),
        decided: findings
            .iter()
            .filter(|f| f.verdict != Verdict::InsufficientData)
            .map(|f| DecidedDoc {
                id: f.id,
                section: f.section,
                verdict: f.verdict,
                headline: if f.headline.is_empty() { format!("{} — {}", f.claim, decided_numbers(f)) } else { f.headline.clone() },
            })
            .collect(),
        undecided: findings
            .iter()
            .filter(|f| f.verdict == Verdict::InsufficientData)
            .map(|f| UndecidedDoc {
                id: f.id,
                section: f.section,
                claim: f.claim.clone(),
                why: undecided_status(f),
                decided_by: f.decided_by.clone(),
            })
            .collect(),
    }
}

fn provenance_lines(analysis: &Analysis) -> Vec<KeyValue> {
    let kv = |k: &str, v: String| KeyValue { key: k.to_owned(), value: v };
    let p = &analysis.provenance;
    let d = &p.dataset;
    let release = match (&d.dataset_version, &d.release_date) {
        (Some(v), Some(date)) => format!("release {v} of {date}"),
        (Some(v), None) => format!("release {v}"),
        _ => "no release recorded in the manifest".to_owned(),
    };
    let mut lines = vec![
        kv("Dataset", format!("{release}; schema {}; {} shards", d.schema_version, d.shards)),
        kv("Manifest sha256", d.manifest_sha256.clone()),
        kv("Git commit", p.git_words()),
        kv(
            "Newest measurement",
            analysis.latest_timestamp_us.map(format::date).unwrap_or_else(|| "none: the dataset holds no measurement".to_owned()),
        ),
    ];
    let builds: Vec<String> = p
        .run_software
        .iter()
        .map(|b| {
            let commits: Vec<String> = b.collector_git_commits.iter().map(|c| short_commit(c)).collect();
            format!(
                "edgebench collector {} ({} {}) with llama-cpp-sys-2 {} (llama.cpp {}): {}",
                b.collector_version,
                if commits.len() == 1 { "commit" } else { "commits" },
                commits.join(", "),
                b.llama_cpp_sys_version,
                b.llama_cpp_commit,
                plural(b.runs, "run")
            )
        })
        .collect();
    lines.push(kv("Runs measured with", if builds.is_empty() { "no runs".to_owned() } else { builds.join("; ") }));
    if !p.other_collectors.is_empty() {
        let other: Vec<String> = p
            .other_collectors
            .iter()
            .map(|(v, table, n)| format!("collector {v}: {} {table} rows", n))
            .collect();
        lines.push(kv("Profiles and micro-benchmarks from", other.join("; ")));
    }
    let runs_ok: usize = analysis.cells.iter().map(|c| c.runs_ok).sum();
    let runs_failed: usize = analysis.cells.iter().map(|c| c.runs_failed).sum();
    let synthetic = analysis.cells.iter().filter(|c| c.key.weights == WeightsOrigin::Synthetic).count();
    // Machines, not platforms: a platform also splits by back-end, power mode, protocol and
    // page-cache state, which a reader counting the data's machines would not expect.
    let devices: std::collections::BTreeSet<&str> = analysis.cells.iter().map(|c| c.key.device.as_str()).collect();
    lines.push(kv(
        "Contents",
        format!(
            "{} ({synthetic} with synthetic weights), {}, {}, {} completed and {runs_failed} failed",
            plural(analysis.cells.len(), "cell"),
            plural(analysis.model_keys().len(), "model"),
            plural(devices.len(), "device"),
            plural(runs_ok, "run"),
        ),
    ));
    lines.push(kv("Report", report_build_words(env!("CARGO_PKG_VERSION"), env!("EDGEBENCH_GIT_COMMIT"))));
    lines
}

/// Which code drew this report: the report's version and the commit it was built from
/// (`EDGEBENCH_GIT_COMMIT` from `report/build.rs`: a commit, `<commit>-dirty`, or empty outside a
/// git checkout). It is fixed per binary, so two builds by one binary stay byte-identical.
fn report_build_words(version: &str, commit: &str) -> String {
    let source = match commit.strip_suffix("-dirty") {
        _ if commit.is_empty() => "not built from a git checkout".to_owned(),
        Some(hash) => format!("commit {hash}, with uncommitted changes"),
        None => format!("commit {commit}"),
    };
    format!("built by edgebench report {version} ({source})")
}

/// The collector's definition of each named protocol (`collect run --protocol`).
fn protocol_meaning(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Paper => {
            "the paper's: the 50 built-in prompts, each followed by the zero-shot chain-of-thought trigger \"Let's think step by step.\", greedy decoding, batch 1, at most 256 output tokens, 15 runs per cell, each run a fresh process that loads the model"
        }
        Protocol::Quick => {
            "a smoke test: the first 3 built-in prompts, at most 32 output tokens, 2 runs by default; for checking a set-up, not for comparing with the paper"
        }
        Protocol::Custom => "any other prompt set or output-token cap: what was used is listed here",
    }
}

fn protocol_doc(p: &ProtocolUse) -> ProtocolDoc {
    let sets: Vec<String> =
        p.prompt_sets.iter().map(|((name, n), runs)| format!("{name} × {n} prompts ({})", plural(*runs, "run"))).collect();
    let caps: Vec<String> = p.max_output_tokens.iter().map(|(cap, runs)| format!("{cap} ({})", plural(*runs, "run"))).collect();
    let (with, without, unknown) = p.chat_template;
    let mut template = format!("chat template applied in {with}, not in {without}");
    if unknown > 0 {
        template.push_str(&format!(", unknown in {unknown}"));
    }
    ProtocolDoc {
        name: p.protocol.to_string(),
        meaning: protocol_meaning(p.protocol),
        in_data: format!(
            "{}: prompt set {}; output-token cap {}; {template}",
            plural(p.runs, "run"),
            sets.join(", "),
            caps.join(", ")
        ),
    }
}

fn decided_numbers(f: &Finding) -> String {
    let decisive: Vec<String> = f
        .evidence
        .iter()
        .filter(|e| !e.context && e.agrees.is_some())
        // The comparisons that carry the verdict first: for a contradicted claim, the ones that
        // go against it.
        .filter(|e| e.agrees == Some(f.verdict == Verdict::Supported))
        .take(QUOTED_COMPARISONS)
        .map(|e| format!("{}: {}", e.subject, e.result))
        .collect();
    if decisive.is_empty() { f.summary.clone() } else { format!("{} ({})", decisive.join("; "), f.summary) }
}

/// Why an undecided finding is undecided, briefly: no comparison at all, or comparisons whose
/// intervals straddle the threshold, or that mix what the claim does not intend.
fn undecided_status(f: &Finding) -> String {
    let comparisons: Vec<_> = f.evidence.iter().filter(|e| !e.context).collect();
    if comparisons.is_empty() {
        return "no comparison in the data".to_owned();
    }
    let confounded = comparisons.iter().filter(|e| !e.confounds.is_empty()).count();
    let mut status = format!("{}, none decisive", plural(comparisons.len(), "comparison"));
    if confounded > 0 {
        status.push_str(&format!(": {confounded} mixing what the claim does not intend"));
    }
    status
}

fn short_commit(commit: &str) -> String {
    let (hash, dirty) = commit.strip_suffix("-dirty").map(|h| (h, "-dirty")).unwrap_or((commit, ""));
    format!("{}{dirty}", hash.get(..10).unwrap_or(hash))
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

#[cfg(test)]
mod tests {
    use super::report_build_words;

    #[test]
    fn the_report_line_names_the_commit_or_says_why_there_is_none() {
        let hash = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(report_build_words("0.1.0", hash), format!("built by edgebench report 0.1.0 (commit {hash})"));
        assert_eq!(
            report_build_words("0.1.0", &format!("{hash}-dirty")),
            format!("built by edgebench report 0.1.0 (commit {hash}, with uncommitted changes)")
        );
        assert_eq!(report_build_words("0.1.0", ""), "built by edgebench report 0.1.0 (not built from a git checkout)");
    }
}

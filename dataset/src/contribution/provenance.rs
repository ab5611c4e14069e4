//! Provenance of new rows, traced through git: the collector commit each row names must be in
//! the repository's history and clean, and the versions the row states must be those that commit
//! builds.

use std::collections::BTreeMap;

use super::cells::cell;
use super::git::Repo;
use super::rows::Snapshot;
use super::{Finding, Severity, finding};

/// Tables whose rows the collector writes, with its commit and version.
const MEASURED: [&str; 3] = ["runs", "kernels", "microbench"];

/// One line per (shard, problem), naming the rows it concerns.
pub fn check_new_rows(base: &Snapshot, head: &Snapshot, repo: &mut Repo, at: &dyn Fn(&str) -> String, out: &mut Vec<Finding>) {
    // (shard, column, message, fix) → rows.
    let mut problems: BTreeMap<(String, &'static str, String, &'static str), Vec<u64>> = BTreeMap::new();
    for table in MEASURED {
        let Some(rows) = head.table(table) else { continue };
        let base_rows = base.table(table);
        for (id, stored) in &rows.by_id {
            if base_rows.is_some_and(|b| b.by_id.contains_key(id)) {
                continue;
            }
            for s in stored {
                let commit = cell(table, s, "collector_git_commit").unwrap_or("");
                let version = cell(table, s, "collector_version").unwrap_or("");
                let llama = if table == "runs" { cell(table, s, "llama_cpp_sys_version") } else { None };
                for (column, message, fix) in trace(repo, commit, version, llama) {
                    problems.entry((s.shard.clone(), column, message, fix)).or_default().push(s.row);
                }
            }
        }
    }
    for ((shard, column, message, fix), mut rows) in problems {
        rows.sort_unstable();
        let which = if rows.len() == 1 {
            format!("row {}", rows[0])
        } else {
            format!("{} rows ({}–{})", rows.len(), rows[0], rows[rows.len() - 1])
        };
        out.push(finding(Severity::Error, at(&shard), None, Some(column), format!("{which}: {message}"), fix));
    }
}

/// What is wrong with one row's provenance: (column, message, fix).
fn trace(repo: &mut Repo, commit: &str, version: &str, llama: Option<&str>) -> Vec<(&'static str, String, &'static str)> {
    const REBUILD: &str = "measure with a collector built from a commit of this repository's history (`git log` shows it), with no uncommitted changes";
    let mut found = Vec::new();
    if commit.ends_with("-dirty") {
        found.push(("collector_git_commit", format!("`{commit}` was built with uncommitted changes, which no one can rebuild"), REBUILD));
        return found;
    }
    let facts = repo.commit_facts(commit);
    if !facts.in_history {
        found.push(("collector_git_commit", format!("`{commit}` is not a commit in this repository's history"), REBUILD));
        return found;
    }
    match facts.collector_version {
        Some(v) if v == version => {}
        Some(v) => found.push((
            "collector_version",
            format!("`{version}`, but commit {} builds collector {v}", super::compare::short(commit)),
            "the rows' provenance must be what the collector wrote: do not edit it",
        )),
        None => found.push((
            "collector_version",
            format!("commit {} has no collector/Cargo.toml version to confirm `{version}`", super::compare::short(commit)),
            REBUILD,
        )),
    }
    if let Some(llama) = llama {
        match facts.llama_cpp_sys_version {
            Some(v) if v == llama => {}
            Some(v) => found.push((
                "llama_cpp_sys_version",
                format!("`{llama}`, but Cargo.lock at commit {} locks llama-cpp-sys-2 {v}", super::compare::short(commit)),
                "the rows' provenance must be what the collector wrote: do not edit it",
            )),
            None => found.push((
                "llama_cpp_sys_version",
                format!("Cargo.lock at commit {} does not lock llama-cpp-sys-2, so `{llama}` cannot be confirmed", super::compare::short(commit)),
                REBUILD,
            )),
        }
    }
    found
}

//! What the report was built from, for its front page: the dataset's identity (release, manifest
//! hash, git commit), the software versions its rows were measured with, the protocols its runs
//! followed, and the papers it quotes.
//!
//! Everything here is counted from the rows, never assumed: a dataset measured with two
//! collector versions lists both, with how many runs each gave.

use std::collections::BTreeMap;

use serde::Serialize;

use edgebench_dataset::schema::v1::Protocol;

use crate::load::{Dataset, DatasetProvenance, GitState};

/// The provenance the front page states.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    #[serde(skip)]
    pub dataset: DatasetProvenance,
    /// One line per collector version × llama.cpp build among the runs, most runs first.
    pub run_software: Vec<SoftwareBuild>,
    /// Collector versions of the profile (`kernels`) and micro-benchmark rows, with row counts.
    pub other_collectors: Vec<(String, &'static str, usize)>,
    /// What each protocol in the runs asked of the models.
    pub protocols: Vec<ProtocolUse>,
    /// The papers quoted by the `published` table: key and full citation.
    pub papers: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SoftwareBuild {
    pub collector_version: String,
    /// The collector commits of this version that measured runs, in order.
    pub collector_git_commits: Vec<String>,
    pub llama_cpp_sys_version: String,
    pub llama_cpp_commit: String,
    pub runs: usize,
}

/// One protocol as the runs used it.
#[derive(Debug, Clone, Serialize)]
pub struct ProtocolUse {
    pub protocol: Protocol,
    pub runs: usize,
    /// Prompt sets used (name, prompts per run), each with its run count.
    pub prompt_sets: Vec<((String, u32), usize)>,
    /// Output-token caps used, each with its run count.
    pub max_output_tokens: Vec<(u32, usize)>,
    /// Runs with the model's chat template applied, without, and not known (failed early).
    pub chat_template: (usize, usize, usize),
}

impl Provenance {
    pub fn of(data: &Dataset) -> Provenance {
        // Grouped by version: a dataset gathered over weeks has many collector commits of one
        // version, and the front page names the versions (commits listed, not repeated).
        let mut builds: BTreeMap<(&str, &str, &str), (std::collections::BTreeSet<&str>, usize)> = BTreeMap::new();
        for r in &data.runs {
            let b = builds.entry((&r.collector_version, &r.llama_cpp_sys_version, &r.llama_cpp_commit)).or_default();
            b.0.insert(&r.collector_git_commit);
            b.1 += 1;
        }
        let mut run_software: Vec<SoftwareBuild> = builds
            .into_iter()
            .map(|((cv, lv, lc), (commits, runs))| SoftwareBuild {
                collector_version: cv.to_owned(),
                collector_git_commits: commits.into_iter().map(str::to_owned).collect(),
                llama_cpp_sys_version: lv.to_owned(),
                llama_cpp_commit: lc.to_owned(),
                runs,
            })
            .collect();
        // Most runs first; ties in the map's (version) order, so the list is deterministic.
        run_software.sort_by_key(|b| std::cmp::Reverse(b.runs));

        let mut other: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
        for k in &data.kernels {
            *other.entry((k.collector_version.clone(), "kernels")).or_default() += 1;
        }
        for m in &data.microbench {
            *other.entry((m.collector_version.clone(), "microbench")).or_default() += 1;
        }

        let mut protocols: BTreeMap<Protocol, ProtocolUse> = BTreeMap::new();
        for r in &data.runs {
            let p = protocols.entry(r.protocol).or_insert_with(|| ProtocolUse {
                protocol: r.protocol,
                runs: 0,
                prompt_sets: Vec::new(),
                max_output_tokens: Vec::new(),
                chat_template: (0, 0, 0),
            });
            p.runs += 1;
            bump(&mut p.prompt_sets, (r.prompt_set_name.clone(), r.n_prompts));
            bump(&mut p.max_output_tokens, r.max_output_tokens);
            match r.chat_template_applied {
                Some(true) => p.chat_template.0 += 1,
                Some(false) => p.chat_template.1 += 1,
                None => p.chat_template.2 += 1,
            }
        }

        // Every distinct citation, even under one key: rows that disagree on a key's citation are
        // shown as they are rather than one chosen silently.
        let papers: std::collections::BTreeSet<(String, String)> =
            data.published.iter().map(|p| (p.citation_key.clone(), p.citation.0.clone())).collect();
        Provenance {
            dataset: data.provenance.clone(),
            run_software,
            other_collectors: other.into_iter().map(|((v, table), n)| (v, table, n)).collect(),
            protocols: protocols.into_values().collect(),
            papers: papers.into_iter().collect(),
        }
    }

    /// The git commit in words: `abc123… (clean)`, or why none is known.
    pub fn git_words(&self) -> String {
        match &self.dataset.git {
            GitState::Commit { commit, modified: false } => format!("{commit} (the dataset directory matches it)"),
            GitState::Commit { commit, modified: true } => {
                format!("{commit}, with uncommitted changes in the dataset directory (these numbers are not that commit's)")
            }
            GitState::Unknown(why) => format!("unknown: {why}"),
        }
    }
}

/// Counts `value` in a small sorted list of (value, count).
fn bump<T: Ord>(counts: &mut Vec<(T, usize)>, value: T) {
    match counts.binary_search_by(|(v, _)| v.cmp(&value)) {
        Ok(i) => counts[i].1 += 1,
        Err(i) => counts.insert(i, (value, 1)),
    }
}

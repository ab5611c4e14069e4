//! `collect score`: fills in the relevance of stored generations, after measurement.
//!
//! Relevance is the cosine similarity between the all-MiniLM-L6-v2 sentence embeddings of a
//! generation's output and of its prompt's reference answer ([`edgebench_scorer`] says how each
//! embedding is made). It is computed here, as a separate step over the dataset, never inside a
//! run: embedding text costs CPU time and memory that would disturb the timings and the
//! telemetry of the run being measured.
//!
//! Generations store the sha256 of their reference answer, not its text, so the texts come from
//! the prompt sets: the builtin set always, and any `--prompts` file a campaign used. A generation
//! whose reference is in none of them keeps a null relevance, and the summary counts it.
//!
//! Each generations shard that gains scores is replaced through [`Store::rewrite`] (journal, new
//! shard, manifest swap, old file deleted), one shard per transaction: a crash loses at most the
//! shard being scored, and running the command again scores what is still missing. Rows already
//! scored are left as they are, whatever scorer made them.

use std::collections::HashMap;
use std::path::Path;

use edgebench_dataset::Store;
use edgebench_dataset::schema::v1::{Generation, GenerationStatus};
use edgebench_dataset::schema::Sha256Hex;
use edgebench_scorer::{Scorer, cosine};
use serde::Serialize;

use crate::prompts::PromptSet;

/// What `collect score` did.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct ScoreSummary {
    pub shards_rewritten: usize,
    pub generations_scored: usize,
    pub already_scored: usize,
    /// Completed generations whose reference answer is in none of the prompt sets given.
    pub unknown_reference: usize,
    /// Generations with nothing to score: failed, no output, or a prompt without a reference.
    pub not_scorable: usize,
    pub scorer_id: String,
    pub weights_sha256: String,
}

/// The reference answers of `sets`, by the sha256 that generations store.
pub fn references(sets: &[PromptSet]) -> HashMap<Sha256Hex, String> {
    sets.iter()
        .flat_map(|s| s.prompts.iter())
        .filter_map(|p| p.reference.as_ref())
        .map(|r| (Sha256Hex::of(r.as_bytes()), r.clone()))
        .collect()
}

/// Scores every generation of the dataset at `root` that lacks a relevance and can be scored.
/// `progress` is told how many generations each finished shard scored.
pub fn score_dataset(
    root: &Path,
    scorer: &Scorer,
    references: &HashMap<Sha256Hex, String>,
    progress: &mut dyn FnMut(usize),
) -> Result<ScoreSummary, String> {
    let (mut store, _recovery) = Store::open(root).map_err(|e| e.to_string())?;
    let shards: Vec<_> = store.manifest().shards.iter().filter(|e| e.table == "generations").cloned().collect();
    let mut summary = ScoreSummary {
        scorer_id: scorer.scorer_id().to_owned(),
        weights_sha256: scorer.weights_sha256().to_owned(),
        ..Default::default()
    };
    let weights = Sha256Hex::parse(scorer.weights_sha256()).map_err(|e| format!("scorer weights hash: {e}"))?;
    // Reference embeddings are shared by every run of a prompt: embed each once.
    let mut reference_embeddings: HashMap<Sha256Hex, Vec<f32>> = HashMap::new();
    for entry in shards {
        let mut rows: Vec<Generation> = store.read_shard(&entry).map_err(|e| e.to_string())?;
        let mut todo = Vec::new();
        for (i, g) in rows.iter().enumerate() {
            if g.relevance.is_some() {
                summary.already_scored += 1;
                continue;
            }
            if g.relevance_null_reason.is_some() {
                // Null on purpose (synthetic weights): not a generation to score.
                continue;
            }
            match (&g.status, &g.output_text, &g.reference_sha256) {
                (GenerationStatus::Ok, Some(_), Some(reference)) if references.contains_key(reference) => todo.push(i),
                (GenerationStatus::Ok, Some(_), Some(_)) => summary.unknown_reference += 1,
                _ => summary.not_scorable += 1,
            }
        }
        if todo.is_empty() {
            continue;
        }
        let missing: Vec<Sha256Hex> = {
            let mut m: Vec<Sha256Hex> = todo
                .iter()
                .filter_map(|&i| rows[i].reference_sha256.clone())
                .filter(|r| !reference_embeddings.contains_key(r))
                .collect();
            m.sort();
            m.dedup();
            m
        };
        if !missing.is_empty() {
            let texts: Vec<&str> = missing.iter().map(|r| references[r].as_str()).collect();
            let embedded = scorer.embed(&texts).map_err(|e| format!("embedding reference answers: {e}"))?;
            reference_embeddings.extend(missing.into_iter().zip(embedded));
        }
        let outputs: Vec<&str> = todo.iter().map(|&i| rows[i].output_text.as_ref().map_or("", |t| t.0.as_str())).collect();
        let embedded = scorer.embed(&outputs).map_err(|e| format!("{}: embedding outputs: {e}", entry.path))?;
        for (&i, output) in todo.iter().zip(embedded) {
            let g = &mut rows[i];
            let reference = &reference_embeddings[g.reference_sha256.as_ref().expect("filtered above")];
            g.relevance = Some(cosine(&output, reference));
            g.relevance_model = Some(scorer.scorer_id().to_owned());
            g.relevance_model_sha256 = Some(weights.clone());
        }
        store.rewrite(&entry, rows).map_err(|e| format!("{}: {e}", entry.path))?;
        summary.shards_rewritten += 1;
        summary.generations_scored += todo.len();
        progress(todo.len());
    }
    Ok(summary)
}

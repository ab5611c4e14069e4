//! `v1/MANIFEST.json`: the list of every shard, with its hash, size and row count.
//!
//! The manifest is what makes a contribution reviewable: a pull request adds shard files and the
//! lines that list them. It is written sorted and pretty-printed so diffs are small and stable.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fsutil;
use crate::schema::Sha256Hex;
use crate::schema::v1::{SCHEMA_VERSION, VERSIONS, version_rank};

pub const MANIFEST_FILE: &str = "MANIFEST.json";
pub const MANIFEST_FORMAT: &str = "edgebench-manifest/1";
/// Largest manifest the tools will read (about 300 000 shards).
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always `edgebench-manifest/1`.
    pub format: String,
    /// The newest schema version among the shards listed (or, in a manifest listing none, the
    /// version it was created under): a reader that knows it can read every shard. Each shard's own
    /// version is in its entry.
    pub schema_version: String,
    /// Version of the dataset's release (`major.minor.patch`), set when a release is cut; absent in
    /// manifests written before releases were recorded and in datasets never released. The
    /// package files (`croissant.json`, the card, `CITATION.cff`) carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_version: Option<String>,
    /// Day of that release, `YYYY-MM-DD` (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_date: Option<String>,
    pub shards: Vec<ShardEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardEntry {
    /// Path relative to the manifest's directory: `<table>/device=<slug>/model=<slug>/<sha256>.parquet`.
    pub path: String,
    pub table: String,
    /// sha256 of the file's bytes (also its file name).
    pub sha256: Sha256Hex,
    pub rows: u64,
    pub bytes: u64,
    /// The shard's schema version, as its footer names it.
    pub schema_version: String,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            format: MANIFEST_FORMAT.into(),
            schema_version: SCHEMA_VERSION.into(),
            dataset_version: None,
            release_date: None,
            shards: vec![],
        }
    }
}

impl Manifest {
    /// Reads and parses a manifest, refusing oversized files. Parse errors name line and column.
    pub fn load(path: &Path) -> Result<Manifest> {
        let bytes = fsutil::read_limited(path, MAX_MANIFEST_BYTES)?;
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
            // serde_json's message ends with the position (`... at line 1 column 2`).
            Error::format(path, format!("not valid JSON: {e}"))
        })?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(Error::format(
                path,
                format!("format is `{}`, expected `{MANIFEST_FORMAT}`", manifest.format),
            ));
        }
        if let Some(problem) = manifest.release_problem() {
            return Err(Error::format(path, problem));
        }
        Ok(manifest)
    }

    /// The canonical text: shards sorted by path, two-space indentation, final newline.
    pub fn to_canonical_json(&self) -> String {
        let mut sorted = self.clone();
        sorted.shards.sort_by(|a, b| a.path.cmp(&b.path));
        let mut text = serde_json::to_string_pretty(&sorted).expect("manifest serialises");
        text.push('\n');
        text
    }

    /// Writes atomically: a crash leaves either the old or the new manifest, never a mix.
    pub fn save(&self, path: &Path) -> Result<()> {
        fsutil::write_atomic(path, self.to_canonical_json().as_bytes())
    }

    /// Raises `schema_version` to the newest known version of the listed shards, so that it keeps
    /// its promise after shards were added. Never lowers it; unknown versions are left for the
    /// validator to report.
    pub fn raise_version(&mut self) {
        let newest = self.shards.iter().filter_map(|e| version_rank(&e.schema_version)).max();
        if let (Some(newest), Some(own)) = (newest, version_rank(&self.schema_version))
            && newest > own
        {
            self.schema_version = VERSIONS[newest].version.to_owned();
        }
    }

    /// What is wrong with the release fields, if anything: each is well-formed, and both or
    /// neither are set (a version without its day cannot be cited).
    pub fn release_problem(&self) -> Option<String> {
        match (&self.dataset_version, &self.release_date) {
            (None, None) => None,
            (Some(v), Some(_)) if !is_release_version(v) => {
                Some(format!("dataset_version `{}` is not `major.minor.patch` (for example `1.0.0`)", crate::schema::truncate(v, 40)))
            }
            (Some(_), Some(d)) if !is_iso_date(d) => {
                Some(format!("release_date `{}` is not a date `YYYY-MM-DD`", crate::schema::truncate(d, 40)))
            }
            (Some(_), Some(_)) => None,
            _ => Some("dataset_version and release_date go together: set both or neither".into()),
        }
    }

    pub fn contains_path(&self, path: &str) -> bool {
        self.shards.iter().any(|s| s.path == path)
    }
}

/// `major.minor.patch`, each a number without leading zeros (semantic versioning's core).
pub fn is_release_version(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()) && (p.len() == 1 || !p.starts_with('0')))
}

/// A calendar date `YYYY-MM-DD` (proleptic Gregorian, years 1000–9999).
pub fn is_iso_date(d: &str) -> bool {
    let b = d.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| d.get(r).filter(|s| s.bytes().all(|c| c.is_ascii_digit())).and_then(|s| s.parse::<u32>().ok());
    let (Some(y), Some(m), Some(day)) = (num(0..4), num(5..7), num(8..10)) else { return false };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1000 && (1..=days).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_fields_are_checked_and_optional() {
        let old = r#"{"format":"edgebench-manifest/1","schema_version":"1.0","shards":[]}"#;
        let m: Manifest = serde_json::from_str(old).unwrap();
        assert_eq!((m.dataset_version.as_deref(), m.release_problem()), (None, None));
        // A manifest without a release is written as before, byte for byte.
        assert!(!m.to_canonical_json().contains("dataset_version"));
        let mut m = Manifest { dataset_version: Some("1.0.0".into()), release_date: Some("2026-02-29".into()), ..m };
        assert!(m.release_problem().is_some_and(|p| p.contains("release_date")));
        m.release_date = Some("2028-02-29".into());
        assert_eq!(m.release_problem(), None);
        assert!(m.to_canonical_json().contains("\"dataset_version\": \"1.0.0\",\n  \"release_date\": \"2028-02-29\""));
        for bad in ["1.0", "01.0.0", "1.0.0-rc1", "v1.0.0", "1..0"] {
            assert!(!is_release_version(bad), "{bad}");
        }
        m.release_date = None;
        assert!(m.release_problem().is_some_and(|p| p.contains("together")));
    }
}

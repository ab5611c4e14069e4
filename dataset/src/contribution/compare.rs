//! The base's rows against the working tree's: kept, moved, filled in, edited or deleted; and
//! what is new.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::rows::{Snapshot, StoredRow};
use super::{Caps, FILLED_LATER, Outcome, Severity, finding};
use crate::schema::v1::TABLES;

/// Changed cells listed per table before the rest are only counted.
const MAX_CHANGES_LISTED: usize = 20;

const RESTORE: &str = "rows of the base never change: restore the base's shard and manifest entry (`git checkout <base> -- dataset/v1`), and add new runs instead";

/// Every row of `base` must be in `head` with the same values, up to what the store's own
/// transactions do (see the module doc of `contribution`).
pub fn base_rows_kept(base: &Snapshot, head: &Snapshot, at: &dyn Fn(&str) -> String, out: &mut Outcome) {
    // A base shard still listed but unreadable was edited in place: one line for the shard, not
    // one per row it holds.
    let mut edited_in_place: HashSet<&str> = HashSet::new();
    for (path, why) in &head.unreadable {
        if base.entry(path).is_some() {
            edited_in_place.insert(path);
            out.findings.push(finding(Severity::Error, at(path), None, None, format!("this shard of the base was changed in place ({why})"), RESTORE));
        }
    }
    let head_paths: HashSet<&str> = head.manifest.shards.iter().map(|s| s.path.as_str()).collect();
    let base_paths: HashSet<&str> = base.manifest.shards.iter().map(|s| s.path.as_str()).collect();
    out.replaced_shards = base_paths.difference(&head_paths).count();
    let mut replacing: BTreeSet<&str> = BTreeSet::new();
    let mut kinds: BTreeSet<&'static str> = BTreeSet::new();
    for schema in TABLES {
        let (Some(base_rows), Some(head_rows)) = (base.table(schema.name), head.table(schema.name)) else { continue };
        let filled_later: &[&str] = FILLED_LATER.iter().find(|(t, _)| *t == schema.name).map(|(_, c)| *c).unwrap_or(&[]);
        let mut deleted: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        let mut changes = 0usize;
        let mut ids: Vec<&String> = base_rows.by_id.keys().collect();
        ids.sort();
        for id in ids {
            let was = &base_rows.by_id[id][0];
            if edited_in_place.contains(was.shard.as_str()) {
                continue;
            }
            let Some(now_all) = head_rows.by_id.get(id) else {
                deleted.entry(&was.shard).or_default().push(was.row);
                continue;
            };
            let now = now_all.iter().find(|n| n.shard == was.shard).unwrap_or(&now_all[0]);
            if now.shard != was.shard {
                replacing.insert(&now.shard);
                kinds.insert("moved unchanged (compaction)");
            }
            for (i, column) in schema.columns.iter().enumerate() {
                let (old, new) = (&was.cells[i], &now.cells[i]);
                if old == new || column.name == "schema_version" {
                    continue;
                }
                if old.is_none() && filled_later.contains(&column.name) {
                    kinds.insert("relevance filled in (scoring)");
                    continue;
                }
                changes += 1;
                if changes <= MAX_CHANGES_LISTED {
                    let message = format!(
                        "row {} of the base ({} row {}) changed: was {}, now {}",
                        short(id), at(&was.shard), was.row, shown(old), shown(new)
                    );
                    out.findings.push(finding(Severity::Error, at(&now.shard), Some(now.row), Some(column.name), message, RESTORE));
                }
            }
        }
        if changes > MAX_CHANGES_LISTED {
            let message = format!("{} more changed cells of base rows in `{}` not listed", changes - MAX_CHANGES_LISTED, schema.name);
            out.findings.push(finding(Severity::Error, at(schema.name), None, None, message, RESTORE));
        }
        for (shard, rows) in deleted {
            let listed: Vec<String> = rows.iter().take(10).map(u64::to_string).collect();
            let more = if rows.len() > 10 { ", …" } else { "" };
            let message = format!(
                "{} row(s) of this base shard are gone from the dataset (rows {}{more}): a pull request may add rows, never delete them",
                rows.len(),
                listed.join(", ")
            );
            out.findings.push(finding(Severity::Error, at(shard), None, None, message, RESTORE));
        }
    }
    out.replacing_shards = replacing.len();
    out.replacement_kinds = kinds.into_iter().collect();
}

/// Counts what the pull request adds and checks it against the caps.
pub fn additions(base: &Snapshot, head: &Snapshot, caps: &Caps, at: &dyn Fn(&str) -> String, out: &mut Outcome) {
    let base_paths: HashSet<&str> = base.manifest.shards.iter().map(|s| s.path.as_str()).collect();
    let mut shards_with_new_rows: BTreeSet<&str> = BTreeSet::new();
    for schema in TABLES {
        let (Some(head_rows), base_rows) = (head.table(schema.name), base.table(schema.name)) else { continue };
        let mut new_rows = 0u64;
        for (id, stored) in &head_rows.by_id {
            if base_rows.is_some_and(|b| b.by_id.contains_key(id)) {
                continue;
            }
            new_rows += stored.len() as u64;
            for s in stored.iter().filter(|s: &&StoredRow| !base_paths.contains(s.shard.as_str())) {
                shards_with_new_rows.insert(&s.shard);
            }
        }
        if new_rows > 0 {
            out.added_rows.insert(schema.name, new_rows);
        }
    }
    out.added_shards = shards_with_new_rows.len();
    out.added_bytes = shards_with_new_rows.iter().filter_map(|p| head.entry(p)).map(|e| e.bytes).sum();
    let added_rows: u64 = out.added_rows.values().sum();
    let split = "split the contribution into several pull requests (and run `dataset compact` so each campaign is one shard per table and partition)";
    let checks = [
        (out.added_bytes > caps.max_added_bytes, format!("this pull request adds {} bytes of shards; the cap is {}", out.added_bytes, caps.max_added_bytes)),
        (out.added_shards > caps.max_added_shards, format!("this pull request adds {} shards; the cap is {}", out.added_shards, caps.max_added_shards)),
        (added_rows > caps.max_added_rows, format!("this pull request adds {added_rows} rows; the cap is {}", caps.max_added_rows)),
    ];
    for (over, message) in checks {
        if over {
            out.findings.push(finding(Severity::Error, at(crate::manifest::MANIFEST_FILE), None, None, message, split));
        }
    }
}

/// The first 12 hex digits of an id, enough to find it.
pub fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

fn shown(v: &Option<String>) -> String {
    match v {
        None => "null".into(),
        Some(s) => format!("`{}`", crate::schema::truncate(s, 60)),
    }
}

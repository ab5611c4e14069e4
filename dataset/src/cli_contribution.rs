//! The `check-contribution` and `summary` subcommands (a module of the `dataset` binary).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use edgebench_dataset::contribution::{self, Caps, Repo, Snapshot, summary};
use edgebench_dataset::shard::Limits;

use crate::{INVALID, USAGE, VALID};

pub fn check_contribution(dir: &Path, base: &str, caps: &Caps, limits: &Limits) -> ExitCode {
    // A panic inside a reader is reported as a problem with that file (as in `validate`).
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = match contribution::check(dir, base, caps, limits) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("dataset check-contribution: {e}");
            return ExitCode::from(USAGE);
        }
    };
    let mut out = std::io::stdout().lock();
    for f in &outcome.findings {
        let _ = writeln!(out, "{f}");
    }
    let rows: Vec<String> = outcome.added_rows.iter().map(|(t, n)| format!("{n} {t}")).collect();
    let added = if rows.is_empty() { "no rows".to_owned() } else { rows.join(", ") };
    let mut summary = format!(
        "adds {added} in {} shard(s) ({} bytes) on top of {}",
        outcome.added_shards,
        outcome.added_bytes,
        &outcome.base_commit[..12]
    );
    if outcome.replaced_shards > 0 || outcome.replacing_shards > 0 {
        let kinds = if outcome.replacement_kinds.is_empty() { "rows unchanged".to_owned() } else { outcome.replacement_kinds.join(", ") };
        summary += &format!("; replaces {} base shard(s) by {} ({kinds})", outcome.replaced_shards, outcome.replacing_shards);
    }
    summary += &format!("; {} error(s), {} warning(s)", outcome.errors(), outcome.warnings());
    if outcome.errors() == 0 {
        eprintln!("dataset check-contribution: {} is acceptable: {summary}", dir.display());
        ExitCode::from(VALID)
    } else {
        eprintln!("dataset check-contribution: {} is NOT acceptable: {summary}", dir.display());
        ExitCode::from(INVALID)
    }
}

pub fn summary(dir: &Path, base: Option<&str>, limits: &Limits) -> ExitCode {
    let result = (|| -> Result<String, String> {
        let head = Snapshot::read(dir, limits).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(match base {
            Some(rev) => {
                let repo = Repo::discover(dir)?;
                let (commit, base) = contribution::read_base(&repo, rev, limits)?;
                summary::markdown(&base, &head, Some(&format!("{rev} ({})", &commit[..12])))
            }
            None => summary::markdown(&Snapshot::empty(), &head, None),
        })
    })();
    match result {
        Ok(md) => {
            print!("{md}");
            ExitCode::from(VALID)
        }
        Err(e) => {
            eprintln!("dataset summary: {e}");
            ExitCode::from(USAGE)
        }
    }
}

//! `dataset`: inspect, validate and document the edgebench dataset.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use edgebench_dataset::contribution::Caps;
use edgebench_dataset::published_source::{self, ImportError};
use edgebench_dataset::{listing, shard::Limits, store::Store, validate};

mod cli_contribution;
mod cli_package;

/// Exit codes of `dataset validate` (and of every subcommand).
pub(crate) const VALID: u8 = 0;
pub(crate) const INVALID: u8 = 1;
pub(crate) const USAGE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "dataset",
    version,
    about = "Inspect, validate and document the edgebench dataset",
    long_about = "Inspect, validate and document the edgebench dataset.\n\n\
        A dataset directory holds v1/MANIFEST.json and the Parquet shards it lists, under \
        v1/<table>/device=<slug>/model=<slug>/<sha256>.parquet. Run from the repository root, \
        every command defaults to the committed dataset in `dataset/`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check every shard against schema v1 (at the version its footer names), the manifest,
    /// provenance and plausibility rules.
    ///
    /// Prints one line per problem: file, row (0-based), column, what is wrong and how to fix it.
    /// Exit status: 0 when the dataset is valid, 1 when problems were found, 2 on usage errors
    /// (no such directory, not a dataset).
    Validate {
        /// Dataset directory (the one holding v1/).
        #[arg(default_value = "dataset")]
        dir: PathBuf,
        /// Largest shard file accepted, in bytes.
        #[arg(long, default_value_t = Limits::default().max_file_bytes)]
        max_shard_bytes: u64,
    },
    /// Check the dataset in a git work tree as a pull request on top of a base commit.
    ///
    /// A pull request may add shards and their manifest entries; it may replace a shard only as
    /// the store's own transactions do (compaction moves rows unchanged; relevance scoring fills
    /// relevance columns that were null); it may never change or delete a row of the base. The
    /// whole dataset must also pass `validate` (references of new rows included). New rows must
    /// name a collector commit of the repository's history (not `-dirty`) whose Cargo.toml and
    /// Cargo.lock give the versions the rows state. Size caps bound what one pull request adds.
    /// Cells whose new runs are far from the base's (3× the same cell's median, or 10× the same
    /// model's) get a warning with the numbers.
    ///
    /// Prints one line per problem (`error: ...` or `warning: ...`: file, row, column, what is
    /// wrong, how to fix it), then a summary on stderr. Exit status: 0 when acceptable (warnings
    /// allowed), 1 when errors were found, 2 on usage errors (not a dataset, not in a git work
    /// tree, no such revision).
    CheckContribution {
        /// Dataset directory (the one holding v1/), inside a git work tree.
        #[arg(default_value = "dataset")]
        dir: PathBuf,
        /// The commit the pull request would merge into (branch, tag or hash; in CI, the target
        /// branch: `origin/main`).
        #[arg(long)]
        base: String,
        /// Largest total size, in bytes, of the new shards holding new rows.
        #[arg(long, default_value_t = Caps::default().max_added_bytes)]
        max_added_bytes: u64,
        /// Most new shards holding new rows.
        #[arg(long, default_value_t = Caps::default().max_added_shards)]
        max_added_shards: usize,
        /// Most new rows, over all tables.
        #[arg(long, default_value_t = Caps::default().max_added_rows)]
        max_added_rows: u64,
    },
    /// Summarise what the dataset holds, or with --base what a pull request adds: rows per table,
    /// and per cell the added runs' medians (load, peak memory, TTFT, TPOT) beside the base's.
    ///
    /// Exit status: 0, or 2 when the dataset or the base cannot be read.
    Summary {
        /// Dataset directory (the one holding v1/).
        #[arg(default_value = "dataset")]
        dir: PathBuf,
        /// Compare with the dataset at this commit (branch, tag or hash).
        #[arg(long)]
        base: Option<String>,
        /// Print Markdown (the only format for now; for the CI job's summary page).
        #[arg(long, required = true)]
        markdown: bool,
    },
    /// List the device × back-end × power-mode × model cells with their run and generation counts.
    Ls {
        /// Dataset directory (the one holding v1/).
        #[arg(default_value = "dataset")]
        dir: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Generate the JSON Schema files and the data dictionary from the schema defined in code.
    ///
    /// Without flags, lists the generated files and whether they are up to date.
    ///
    /// Also generates the dataset's package files (croissant.json, the Hugging Face card
    /// README.md, LICENSE-DATA.md, CITATION.cff, schema/<table>.parquet) in the dataset directory,
    /// and gives each table without a shard its zero-row shard, so that every reader can load it.
    Schema {
        /// Directory the files go in (they are written under <dir>/v1/).
        #[arg(long, default_value = "schema")]
        dir: PathBuf,
        /// Dataset directory (the one holding v1/) whose package files are generated.
        #[arg(long, default_value = "dataset")]
        dataset_dir: PathBuf,
        /// Write the files.
        #[arg(long, conflicts_with = "check")]
        write: bool,
        /// Exit 1 when the files on disk differ from what the code generates.
        #[arg(long)]
        check: bool,
    },
    /// Finish interrupted writes: complete or undo interrupted commits, delete temporary files,
    /// and list complete but unlisted shards in the manifest (after checking that each file's
    /// hash matches its name and its columns are those of a known v1 version; for example after a
    /// merge lost manifest lines). Gives each table without a shard its zero-row shard, so that
    /// every reader can load it.
    Repair {
        /// Dataset directory (the one holding v1/).
        #[arg(default_value = "dataset")]
        dir: PathBuf,
    },
    /// Merge the shards of each partition (table × device × model) into one shard, or a few when
    /// one would pass the shard size limit, in one transaction.
    ///
    /// Rows are unchanged (ids and values; rows of older schema versions are written at the
    /// current one, the columns their version lacks null). The merged shards depend on the rows
    /// alone, so compacting two copies gives byte-identical files, and compacting a compacted
    /// dataset writes nothing. Every replaced shard and every new one are named in one journal and
    /// swapped in one manifest write: interrupted at any point, the dataset is as it was or wholly
    /// compacted once reopened (`dataset repair`). Prints, per table, the shard count before and
    /// after. Exit status: 0 when compacted (or nothing to do), 1 when the dataset refused it
    /// (a row fails its checks, another writer holds the lock, a file is unreadable: nothing is
    /// changed), 2 on usage errors (no such directory, not a dataset).
    Compact {
        /// Dataset directory (the one holding v1/).
        #[arg(default_value = "dataset")]
        dir: PathBuf,
        /// Plan and print what would change, write no shard (opening the dataset still finishes
        /// an interrupted write, as every writer does).
        #[arg(long)]
        dry_run: bool,
        /// Largest merged shard, in bytes (a partition whose rows make a larger file is cut into
        /// several, in row-id order).
        #[arg(long, default_value_t = Limits::default().max_file_bytes)]
        max_shard_bytes: u64,
    },
    /// Import the numbers a paper quotes into the `published` table from a JSON Lines source file
    /// (for example dataset/sources/liu2026edge.published.jsonl).
    ///
    /// Each line is one JSON object with the columns of `published` except published_id and
    /// schema_version, which are filled in. Every row is checked (one line per problem: file,
    /// line, what is wrong, what to do); rows the dataset already holds are skipped, so importing
    /// a file twice adds nothing; the new rows are committed in one transaction. Exit status: 0
    /// when the rows were imported (or were all present), 1 when a line is invalid, conflicts with
    /// a stored row or the dataset refused the write (nothing is written), 2 on usage errors
    /// (unreadable file, no such dataset directory).
    ImportPublished {
        /// The JSON Lines source file.
        file: PathBuf,
        /// Dataset directory (the one holding v1/).
        #[arg(long, default_value = "dataset")]
        root: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { dir, max_shard_bytes } => validate_dataset(&dir, max_shard_bytes),
        Command::CheckContribution { dir, base, max_added_bytes, max_added_shards, max_added_rows } => {
            let caps = Caps { max_added_bytes, max_added_shards, max_added_rows };
            cli_contribution::check_contribution(&dir, &base, &caps, &Limits::default())
        }
        Command::Summary { dir, base, markdown: _ } => cli_contribution::summary(&dir, base.as_deref(), &Limits::default()),
        Command::Ls { dir, json } => ls(&dir, json),
        Command::Schema { dir, dataset_dir, write, check } => cli_package::schema(&dir, &dataset_dir, write, check),
        Command::Repair { dir } => repair(&dir),
        Command::Compact { dir, dry_run, max_shard_bytes } => compact(&dir, dry_run, max_shard_bytes),
        Command::ImportPublished { file, root } => import_published(&file, &root),
    }
}

/// `dataset validate`: prints one line per problem on stdout and the verdict on stderr.
fn validate_dataset(dir: &Path, max_shard_bytes: u64) -> ExitCode {
    // A panic inside a reader is reported as a problem with that file; keep the default
    // hook from printing a backtrace over the report.
    std::panic::set_hook(Box::new(|_| {}));
    let limits = Limits { max_file_bytes: max_shard_bytes, ..Limits::default() };
    match validate::validate(dir, &limits) {
        Err(e) => {
            eprintln!("dataset validate: {e}");
            ExitCode::from(USAGE)
        }
        Ok(report) => {
            let mut out = std::io::stdout().lock();
            for p in &report.problems {
                let _ = writeln!(out, "{p}");
            }
            let summary = format!(
                "{} problem(s) in {} shard(s), {} row(s) checked",
                report.problems.len(),
                report.shards_checked,
                report.rows_checked
            );
            if report.is_valid() {
                eprintln!("dataset validate: {} is valid: {summary}", dir.display());
                ExitCode::from(VALID)
            } else {
                eprintln!("dataset validate: {} is NOT valid: {summary}", dir.display());
                ExitCode::from(INVALID)
            }
        }
    }
}

/// `dataset ls`: the cells of the dataset, as a text table or JSON.
fn ls(dir: &Path, json: bool) -> ExitCode {
    match listing::list(dir) {
        Err(e) => {
            eprintln!("dataset ls: {e}");
            ExitCode::from(INVALID)
        }
        Ok(l) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&l).expect("listing serialises"));
            } else {
                print!("{}", listing::render_text(&l));
            }
            ExitCode::from(VALID)
        }
    }
}

/// `dataset repair`: finishes interrupted writes, lists unlisted shards, gives empty tables their
/// zero-row shard, and prints what it did.
fn repair(dir: &Path) -> ExitCode {
    if !dir.is_dir() {
        eprintln!("dataset repair: {}: no such directory", dir.display());
        return ExitCode::from(USAGE);
    }
    let repaired = Store::open(dir).and_then(|(mut store, mut recovery)| {
        recovery.adopted_shards = store.adopt_unlisted()?;
        let empty = store.add_empty_shards()?;
        Ok((recovery, empty))
    });
    match repaired {
        Err(e) => {
            eprintln!("dataset repair: {e}");
            ExitCode::from(INVALID)
        }
        Ok((recovery, empty)) => {
            for s in &recovery.rolled_forward {
                println!("completed interrupted commit: listed {s}");
            }
            for s in &recovery.rolled_back {
                println!("undid interrupted commit: deleted incomplete {s}");
            }
            for s in &recovery.replaced {
                println!("completed interrupted rewrite: deleted replaced {s}");
            }
            for p in &recovery.removed_temporaries {
                println!("deleted temporary file {}", p.display());
            }
            for s in &recovery.adopted_shards {
                println!("listed unlisted shard {s} in the manifest");
            }
            for e in &empty {
                println!("gave table {} without rows its zero-row shard {}", e.table, e.path);
            }
            if recovery.is_empty() && empty.is_empty() {
                println!("nothing to repair");
            }
            ExitCode::from(VALID)
        }
    }
}

/// `dataset import-published`: imports a JSON Lines source into the `published` table, in one
/// transaction.
fn import_published(file: &Path, root: &Path) -> ExitCode {
    if !root.is_dir() {
        eprintln!("dataset import-published: {}: no such directory; give the dataset directory with --root", root.display());
        return ExitCode::from(USAGE);
    }
    match published_source::import_file(root, file) {
        Ok(summary) => {
            for shard in &summary.shards {
                println!("wrote {} ({} row(s))", shard.path, shard.rows);
            }
            eprintln!(
                "dataset import-published: {} new row(s) imported into {}, {} already present",
                summary.imported,
                root.display(),
                summary.already_present
            );
            ExitCode::from(VALID)
        }
        Err(e @ ImportError::Unreadable { .. }) => {
            eprintln!("dataset import-published: {e}");
            ExitCode::from(USAGE)
        }
        Err(e) => {
            println!("{e}");
            eprintln!("dataset import-published: nothing imported from {}", file.display());
            ExitCode::from(INVALID)
        }
    }
}

/// `dataset compact`: plans every partition's merge, prints it per table, commits it as one
/// transaction unless `dry_run`.
fn compact(dir: &Path, dry_run: bool, max_shard_bytes: u64) -> ExitCode {
    // Opening a store creates an empty dataset where there is none: refuse a wrong path first.
    let manifest = dir.join(edgebench_dataset::schema::v1::VERSION_DIR).join(edgebench_dataset::manifest::MANIFEST_FILE);
    if !manifest.is_file() {
        eprintln!("dataset compact: {}: not a dataset (no {}); give the directory holding v1/", dir.display(), manifest.display());
        return ExitCode::from(USAGE);
    }
    let limits = Limits { max_file_bytes: max_shard_bytes, ..Limits::default() };
    let planned = Store::open(dir).and_then(|(mut store, recovery)| {
        if !recovery.is_empty() {
            eprintln!(
                "dataset compact: finished an interrupted write first ({} shard(s) rolled forward, {} rolled back, {} replaced, {} temporary file(s) deleted)",
                recovery.rolled_forward.len(),
                recovery.rolled_back.len(),
                recovery.replaced.len(),
                recovery.removed_temporaries.len()
            );
        }
        let plan = store.plan_compaction(edgebench_dataset::store::CompactScope::All, &limits)?;
        if dry_run { Ok(plan.summary().clone()) } else { store.commit_compaction(plan) }
    });
    let summary = match planned {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!("dataset compact: {e}");
            eprintln!("dataset compact: nothing changed in {}", dir.display());
            return ExitCode::from(INVALID);
        }
    };
    let verb = if dry_run { "would become" } else { "→" };
    for t in &summary.tables {
        println!(
            "{}: {} shards {verb} {} ({} rows, {} partitions merged)",
            t.table, t.shards_before, t.shards_after, t.rows, t.partitions_merged
        );
    }
    let (before, after) = (summary.shards_before(), summary.shards_after());
    if summary.is_empty() {
        eprintln!("dataset compact: {}: nothing to merge ({before} shards)", dir.display());
    } else if dry_run {
        eprintln!(
            "dataset compact: {}: dry run, nothing written; {before} shards would become {after} ({} replaced by {} in one transaction)",
            dir.display(),
            summary.removed.len(),
            summary.added.len()
        );
    } else {
        eprintln!(
            "dataset compact: {}: {before} shards → {after} in one transaction ({} replaced by {}); run `dataset validate`",
            dir.display(),
            summary.removed.len(),
            summary.added.len()
        );
    }
    ExitCode::from(VALID)
}

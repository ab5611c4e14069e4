//! `dataset`: inspect, validate and document the edgebench dataset.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use edgebench_dataset::published_source::{self, ImportError};
use edgebench_dataset::{dictionary, listing, shard::Limits, store::Store, validate};

/// Exit codes of `dataset validate` (and of every subcommand).
const VALID: u8 = 0;
const INVALID: u8 = 1;
const USAGE: u8 = 2;

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
    Schema {
        /// Directory the files go in (they are written under <dir>/v1/).
        #[arg(long, default_value = "schema")]
        dir: PathBuf,
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
    /// merge lost manifest lines).
    Repair {
        /// Dataset directory (the one holding v1/).
        #[arg(default_value = "dataset")]
        dir: PathBuf,
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
        Command::Validate { dir, max_shard_bytes } => {
            // A panic inside a reader is reported as a problem with that file; keep the default
            // hook from printing a backtrace over the report.
            std::panic::set_hook(Box::new(|_| {}));
            let limits = Limits { max_file_bytes: max_shard_bytes, ..Limits::default() };
            match validate::validate(&dir, &limits) {
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
        Command::Ls { dir, json } => match listing::list(&dir) {
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
        },
        Command::Schema { dir, write, check } => {
            if write {
                return match dictionary::write(&dir) {
                    Ok(files) => {
                        for f in files {
                            println!("wrote {f}");
                        }
                        ExitCode::from(VALID)
                    }
                    Err(e) => {
                        eprintln!("dataset schema: {}", dictionary::write_error(&dir, e));
                        ExitCode::from(INVALID)
                    }
                };
            }
            let stale = dictionary::stale_files(&dir);
            for (rel, _) in dictionary::generated_files() {
                let path = dir.join(&rel).display().to_string();
                let state = if stale.contains(&path) { "STALE" } else { "up to date" };
                println!("{path}: {state}");
            }
            if !stale.is_empty() {
                eprintln!("dataset schema: {} file(s) differ from the schema in code; run `dataset schema --write`", stale.len());
                if check {
                    return ExitCode::from(INVALID);
                }
            }
            ExitCode::from(VALID)
        }
        Command::Repair { dir } => {
            if !dir.is_dir() {
                eprintln!("dataset repair: {}: no such directory", dir.display());
                return ExitCode::from(USAGE);
            }
            let repaired = Store::open(&dir).and_then(|(mut store, mut recovery)| {
                recovery.adopted_shards = store.adopt_unlisted()?;
                Ok(recovery)
            });
            match repaired {
                Err(e) => {
                    eprintln!("dataset repair: {e}");
                    ExitCode::from(INVALID)
                }
                Ok(recovery) => {
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
                    if recovery.is_empty() {
                        println!("nothing to repair");
                    }
                    ExitCode::from(VALID)
                }
            }
        }
        Command::ImportPublished { file, root } => {
            if !root.is_dir() {
                eprintln!("dataset import-published: {}: no such directory; give the dataset directory with --root", root.display());
                return ExitCode::from(USAGE);
            }
            match published_source::import_file(&root, &file) {
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
    }
}

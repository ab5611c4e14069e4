//! `dataset schema`: the schema documents (under `schema/`) and the dataset's package files
//! (beside `v1/` in the dataset directory), written or checked together.

use std::path::Path;
use std::process::ExitCode;

use edgebench_dataset::{dictionary, package};

use crate::{INVALID, VALID};

pub(crate) fn schema(dir: &Path, dataset_dir: &Path, write: bool, check: bool) -> ExitCode {
    if write {
        let written = dictionary::write(dir)
            .map_err(|e| dictionary::write_error(dir, e))
            .and_then(|mut files| {
                files.extend(package::write(dataset_dir).map_err(|e| package::write_error(dataset_dir, e))?);
                Ok(files)
            });
        return match written {
            Ok(files) => {
                for f in files {
                    println!("wrote {f}");
                }
                ExitCode::from(VALID)
            }
            Err(e) => {
                eprintln!("dataset schema: {e}");
                ExitCode::from(INVALID)
            }
        };
    }
    let stale = dictionary::stale_files(dir);
    for (rel, _) in dictionary::generated_files() {
        let path = dir.join(&rel).display().to_string();
        let state = if stale.contains(&path) { "STALE" } else { "up to date" };
        println!("{path}: {state}");
    }
    let stale_package = package::stale(dataset_dir);
    for (rel, _) in package::generated_files(None) {
        let path = dataset_dir.join(&rel).display().to_string();
        if !stale_package.contains(&path) {
            println!("{path}: up to date");
        }
    }
    for s in &stale_package {
        println!("{s}: STALE");
    }
    let n = stale.len() + stale_package.len();
    if n > 0 {
        eprintln!("dataset schema: {n} file(s) differ from the schema in code; run `dataset schema --write`");
        if check {
            return ExitCode::from(INVALID);
        }
    }
    ExitCode::from(VALID)
}

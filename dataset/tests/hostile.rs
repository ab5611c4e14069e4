//! Hostile and huge input: the validator never panics and keeps memory bounded.

mod common;

use std::path::Path;
use std::sync::Arc;

use arrow_array::{RecordBatch, StringArray};
use common::*;
use edgebench_dataset::fixtures;
use edgebench_dataset::shard::Limits;
use edgebench_dataset::validate;

/// Address space the validator may use in these tests: a hard bound, enforced by the kernel
/// (`RLIMIT_AS`), far below what decoding the bomb would take.
const ADDRESS_SPACE_LIMIT: u64 = 256 << 20;

/// Runs `dataset validate DIR` with its address space capped at [`ADDRESS_SPACE_LIMIT`].
fn validate_capped(dir: &Path) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_dataset"));
    cmd.arg("validate").arg(dir);
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: ADDRESS_SPACE_LIMIT, rlim_max: ADDRESS_SPACE_LIMIT };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().unwrap()
}

/// A generations shard whose output texts decompress to `total_mib` MiB from a few hundred KiB of
/// zstd (long runs of one letter): a decompression bomb with an honest footer.
fn bomb(root: &Path, total_mib: usize) -> String {
    let per_value = 512 * 1024;
    let rows = total_mib * 2;
    let template = fixtures::generation(&a_run(), 0);
    let batch = batch_of(&vec![template; rows]);
    let texts: StringArray = (0..rows).map(|i| Some(format!("{i:08}{}", "a".repeat(per_value)))).collect();
    let schema = batch.schema();
    let mut columns = batch.columns().to_vec();
    columns[schema.index_of("output_text").unwrap()] = Arc::new(texts);
    let batch = RecordBatch::try_new(schema, columns).unwrap();
    let bytes = parquet_bytes(&batch, writer_footer("generations", &batch));
    assert!(bytes.len() < 4 << 20, "the bomb should be small on disk ({} bytes)", bytes.len());
    place(root, "generations", "jetson-orin-nx", "smollm2-135m", &bytes, true)
}

#[test]
fn decompression_bomb_is_refused_before_it_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    write_sample(dir.path());
    // Positive control: the capped validator has room for honest work.
    let control = validate_capped(dir.path());
    assert_eq!(control.status.code(), Some(0), "{}", String::from_utf8_lossy(&control.stderr));
    // 600 MiB of text once decompressed: decoding it under a 256 MiB cap would abort the process.
    let rel = bomb(dir.path(), 600);
    let out = validate_capped(dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "validator must finish normally, found problems: {stdout}");
    assert!(stdout.contains(&rel) && stdout.contains("decompression bomb"), "{stdout}");
}

#[test]
fn tight_limits_refuse_oversized_files_row_groups_and_rows() {
    let dir = tempfile::tempdir().unwrap();
    write_sample(dir.path());
    let strict = |limits: Limits, expected: &str| {
        let report = validate::validate(dir.path(), &limits).unwrap();
        assert!(report.problems.iter().any(|p| p.to_string().contains(expected)), "{expected}: {:?}", report.problems);
    };
    strict(Limits { max_file_bytes: 1000, ..Limits::default() }, "over the 1000-byte limit");
    strict(Limits { max_rows: 2, ..Limits::default() }, "rows, outside 0..=2");
    strict(Limits { max_row_groups: 0, ..Limits::default() }, "row groups, over the limit of 0");
    strict(Limits { max_column_chunk_bytes: 100, ..Limits::default() }, "declared uncompressed size");
}

#[test]
fn corrupted_bytes_anywhere_never_crash_the_validator() {
    let dir = tempfile::tempdir().unwrap();
    write_sample(dir.path());
    let rel = first_shard(dir.path(), "generations");
    let path = dir.path().join("v1").join(&rel);
    let original = std::fs::read(&path).unwrap();
    // Deterministic pseudo-random positions over the whole file, footer included, plus every
    // truncation length near the end where the footer lives.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut cases: Vec<Vec<u8>> = Vec::new();
    for _ in 0..150 {
        let mut bytes = original.clone();
        let at = (next() % bytes.len() as u64) as usize;
        bytes[at] ^= (next() % 255 + 1) as u8;
        cases.push(bytes);
    }
    for cut in (original.len().saturating_sub(600)..original.len()).step_by(7) {
        cases.push(original[..cut].to_vec());
    }
    for bytes in cases {
        std::fs::write(&path, &bytes).unwrap();
        let report = validate::validate(dir.path(), &Limits::default()).unwrap();
        assert!(!report.is_valid(), "a modified shard must never pass");
        assert!(report.problems.iter().all(|p| !p.to_string().contains('\n')));
    }
}

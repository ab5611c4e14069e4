//! Deterministic mutation fuzzing of every reader: the valid fixtures of each format, mutated by
//! byte flips, truncations, insertions of format-relevant tokens, deletions, duplications and
//! splices with the other fixtures. No input may panic, and every accepted capture must hold the
//! invariants the dataset relies on.
//!
//! `EDGEBENCH_FUZZ_ITERS` sets the iterations per format (default 3000), and
//! `EDGEBENCH_FUZZ_SEED` the seed (default fixed), so that a failure is reproduced exactly.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use common::*;
use edgebench_profile_import::{ImportedCapture, Limits, Sha256Hex, import_with_limits};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Tokens that steer parsers into their rarer paths.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b",",
    b"\n",
    b"\r\n",
    b"\"\"",
    b"[",
    b"]",
    b"{",
    b"}",
    b":",
    b"-",
    b"-1",
    b"1e308",
    b"1e400",
    b"NaN",
    b"n/a",
    b"9999999999999999999999",
    b"0",
    b"\xff",
    b"\xc3",
    b"\0",
    b"==PROF== ",
    b"\"kernel\"",
    b"\"X\"",
    b"\"dur\":",
    b"\"name\":",
    b"\"traceEvents\":",
    b"\"Duration\"",
    b"\"usecond\"",
    b"\"msecond\"",
    b"\"ID\"",
    b"\"Kernel Name\"",
    b"\"Total Time (ns)\"",
    b"\"Instances\"",
    b"\"Name\"",
    b"\xef\xbb\xbf",
    b"SQLite format 3\0",
    b"\x1f\x8b",
    b"<",
    b">",
    b"(",
    b")",
    b"::",
];

fn mutate(rng: &mut XorShift, base: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut b = base.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = b.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                b[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                b[i] = rng.next() as u8;
            }
            2 => b.truncate(rng.below(len + 1)),
            3 => {
                let tok = TOKENS[rng.below(TOKENS.len())];
                let at = rng.below(len + 1);
                b.splice(at..at, tok.iter().copied());
            }
            4 if len > 0 => {
                let at = rng.below(len);
                let end = (at + 1 + rng.below(64)).min(len);
                b.drain(at..end);
            }
            5 if len > 0 => {
                let at = rng.below(len);
                let end = (at + 1 + rng.below(256)).min(len);
                let copy = b[at..end].to_vec();
                let to = rng.below(b.len() + 1);
                b.splice(to..to, copy);
            }
            6 => {
                let other = &others[rng.below(others.len())];
                let cut = rng.below(b.len() + 1);
                let from = rng.below(other.len() + 1);
                b.truncate(cut);
                b.extend_from_slice(&other[from..]);
            }
            _ if len > 0 => {
                // Numbers are where the checks are: overwrite a digit run with an extreme.
                let at = rng.below(len);
                if let Some(start) = b[at..].iter().position(u8::is_ascii_digit).map(|p| p + at) {
                    let end = b[start..].iter().position(|c| !c.is_ascii_digit()).map_or(b.len(), |p| p + start);
                    let tok: &[u8] =
                        [&b"0"[..], b"-7", b"1e16", b"99999999999999999999", b"0.0000001", b"3.5e-300"][rng.below(6)];
                    b.splice(start..end, tok.iter().copied());
                }
            }
            _ => {}
        }
    }
    b
}

fn check(c: &ImportedCapture, bytes: &[u8]) -> Result<(), String> {
    if c.capture_id != Sha256Hex::of(bytes) {
        return Err("capture_id is not the sha256 of the bytes".into());
    }
    if c.kernels.is_empty() {
        return Err("an accepted capture without kernels".into());
    }
    for k in &c.kernels {
        let times = [Some(k.total_ns), Some(k.avg_ns), k.min_ns, k.max_ns, k.median_ns, k.stddev_ns];
        if k.calls < 1 {
            return Err(format!("{}: 0 calls", k.name));
        }
        if times.iter().flatten().any(|t| !t.is_finite() || *t < 0.0) {
            return Err(format!("{}: a time that is negative or not finite: {times:?}", k.name));
        }
        let expected = k.avg_ns * k.calls as f64;
        if (expected - k.total_ns).abs() > 1e-6 * expected.max(k.total_ns) + 1e-6 {
            return Err(format!("{}: total {} ≠ avg {} × calls {}", k.name, k.total_ns, k.avg_ns, k.calls));
        }
        if let (Some(min), Some(max)) = (k.min_ns, k.max_ns)
            && min > max
        {
            return Err(format!("{}: min above max", k.name));
        }
        if k.name.trim().is_empty() || k.base_name.is_empty() {
            return Err("empty name".into());
        }
    }
    Ok(())
}

/// A non-zero xorshift state from the seed and the format's label (each bit of both matters).
fn mix(seed: u64, label: &str) -> u64 {
    let h = label.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    (seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ h) | 1
}

fn iterations() -> usize {
    std::env::var("EDGEBENCH_FUZZ_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(3000)
}

fn seed() -> u64 {
    std::env::var("EDGEBENCH_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x9e37_79b9_7f4a_7c15)
}

/// Fuzzes one format: `base` is its valid fixture, `others` the splice material.
fn fuzz(label: &str, base: &[u8], others: &[Vec<u8>], dir: &Path) {
    // Small caps keep each iteration cheap and reach the limit paths too.
    let limits = Limits { max_decompressed_bytes: 1 << 20, max_record_bytes: 1 << 20, ..Limits::default() };
    let path = dir.join(format!("fuzz-{label}"));
    let mut rng = XorShift(mix(seed(), label));
    let start = std::time::Instant::now();
    let (mut accepted, mut refused) = (0, 0);
    for i in 0..iterations() {
        // A SQLite file whose length changes fails the header check; most of its mutations keep
        // the length so that they reach SQLite's own page and record decoding.
        let bytes = if label.ends_with("sqlite") && rng.below(4) != 0 {
            let mut b = base.to_vec();
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(b.len());
                b[i] = if rng.below(2) == 0 { b[i] ^ (1 << rng.below(8)) } else { rng.next() as u8 };
            }
            b
        } else {
            mutate(&mut rng, base, others)
        };
        std::fs::write(&path, &bytes).unwrap();
        match catch_unwind(AssertUnwindSafe(|| import_with_limits(&path, &limits))) {
            Err(_) => {
                let keep = dir.join(format!("panic-{label}-{i}"));
                std::fs::copy(&path, &keep).unwrap();
                panic!("{label}: iteration {i} (seed {}) panicked; input kept at {}", seed(), keep.display());
            }
            Ok(Ok(c)) => {
                accepted += 1;
                if let Err(why) = check(&c, &bytes) {
                    panic!("{label}: iteration {i} (seed {}) accepted an inconsistent capture: {why}", seed());
                }
            }
            Ok(Err(e)) => {
                refused += 1;
                let msg = e.to_string();
                assert!(
                    msg.starts_with(&path.display().to_string()) && !msg.contains('\n'),
                    "{label}: iteration {i}: {msg}"
                );
            }
        }
    }
    // Whatever the bytes said, SQLite created nothing beside the file (no journal, -wal, -shm).
    let stray: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("fuzz-") && !n.starts_with("built"))
        .collect();
    assert!(stray.is_empty(), "{label}: files appeared beside the input: {stray:?}");
    eprintln!("{label}: {} iterations, {accepted} accepted, {refused} refused, {:?}", iterations(), start.elapsed());
}

fn corpus(dir: &Path) -> Vec<(&'static str, Vec<u8>)> {
    let trace = data_bytes("torch_trace.json");
    vec![
        ("nsys_sqlite", nsys_sqlite_bytes(dir, false)),
        ("nsys_csv", data_bytes("nsys_cuda_gpu_kern_sum.csv")),
        ("nsys_csv_old", data_bytes("nsys_gpukernsum_old.csv")),
        ("ncu_raw", data_bytes("ncu_raw.csv")),
        ("ncu_details", data_bytes("ncu_details.csv")),
        ("torch_json", trace.clone()),
        ("torch_gzip", gzip(&trace)),
    ]
}

fn fuzz_one(label: &str) {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path());
    let others: Vec<Vec<u8>> = corpus.iter().map(|(_, b)| b.clone()).collect();
    let base = &corpus.iter().find(|(l, _)| *l == label).expect("a fixture").1;
    fuzz(label, base, &others, dir.path());
}

#[test]
fn fuzz_nsys_sqlite() {
    fuzz_one("nsys_sqlite");
}

#[test]
fn fuzz_nsys_csv() {
    fuzz_one("nsys_csv");
    fuzz_one("nsys_csv_old");
}

#[test]
fn fuzz_ncu_raw_csv() {
    fuzz_one("ncu_raw");
}

#[test]
fn fuzz_ncu_details_csv() {
    fuzz_one("ncu_details");
}

#[test]
fn fuzz_torch_trace_json() {
    fuzz_one("torch_json");
}

/// Compressed bytes mutated (mostly gzip errors), and mutated JSON compressed (the JSON reader
/// behind the decompressor).
#[test]
fn fuzz_torch_trace_gzip() {
    fuzz_one("torch_gzip");
    let dir = tempfile::tempdir().unwrap();
    let trace = data_bytes("torch_trace.json");
    let others = vec![trace.clone()];
    let limits = Limits { max_decompressed_bytes: 1 << 20, ..Limits::default() };
    let path = dir.path().join("fuzz-gz-inner");
    let mut rng = XorShift(mix(seed(), "gzip inner"));
    for i in 0..iterations() / 3 {
        let bytes = gzip(&mutate(&mut rng, &trace, &others));
        std::fs::write(&path, &bytes).unwrap();
        match catch_unwind(AssertUnwindSafe(|| import_with_limits(&path, &limits))) {
            Err(_) => panic!("gzip inner: iteration {i} (seed {}) panicked", seed()),
            Ok(Ok(c)) => check(&c, &bytes).unwrap_or_else(|why| panic!("gzip inner: iteration {i}: {why}")),
            Ok(Err(_)) => {}
        }
    }
}

//! Fixtures shared by the tests: the committed text files under `tests/data/`, and builders for
//! the binary formats (an Nsight Systems SQLite export made with the documented DDL, gzip).
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

pub fn data_bytes(name: &str) -> Vec<u8> {
    std::fs::read(data(name)).unwrap_or_else(|e| panic!("reading fixture {name}: {e}"))
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// `CUPTI_ACTIVITY_KIND_KERNEL` as the Nsight Systems SQLite export schema documents it (recent
/// exports; `greenContextId`, `graphNodeId`, `sharedMemoryLimitConfig` are newer columns).
pub const KERNEL_DDL: &str = r#"
CREATE TABLE StringIds (
    id INTEGER NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL (
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    deviceId INTEGER NOT NULL,
    contextId INTEGER NOT NULL,
    greenContextId INTEGER,
    streamId INTEGER NOT NULL,
    correlationId INTEGER,
    globalPid INTEGER,
    demangledName INTEGER NOT NULL REFERENCES StringIds(id),
    shortName INTEGER NOT NULL REFERENCES StringIds(id),
    mangledName INTEGER REFERENCES StringIds(id),
    launchType INTEGER,
    cacheConfig INTEGER,
    registersPerThread INTEGER NOT NULL,
    gridX INTEGER NOT NULL,
    gridY INTEGER NOT NULL,
    gridZ INTEGER NOT NULL,
    blockX INTEGER NOT NULL,
    blockY INTEGER NOT NULL,
    blockZ INTEGER NOT NULL,
    staticSharedMemory INTEGER NOT NULL,
    dynamicSharedMemory INTEGER NOT NULL,
    localMemoryPerThread INTEGER NOT NULL,
    localMemoryTotal INTEGER NOT NULL,
    gridId INTEGER NOT NULL,
    sharedMemoryExecuted INTEGER,
    graphNodeId INTEGER,
    sharedMemoryLimitConfig INTEGER
);
CREATE TABLE META_DATA_EXPORT (name TEXT, value TEXT);
CREATE TABLE CUPTI_ACTIVITY_KIND_RUNTIME (start INTEGER NOT NULL, end INTEGER NOT NULL, eventClass INTEGER NOT NULL, globalTid INTEGER, correlationId INTEGER, nameId INTEGER NOT NULL REFERENCES StringIds(id), returnValue INTEGER NOT NULL, callchainId INTEGER);
"#;

/// An older export: no green contexts, graph nodes, shared-memory configuration, mangled names,
/// no demangled names either (only `shortName`), and no metadata table.
pub const OLD_KERNEL_DDL: &str = r#"
CREATE TABLE StringIds (id INTEGER NOT NULL PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL (
    start INTEGER NOT NULL, end INTEGER NOT NULL, deviceId INTEGER NOT NULL, contextId INTEGER NOT NULL,
    streamId INTEGER NOT NULL, correlationId INTEGER, globalPid INTEGER, shortName INTEGER NOT NULL,
    registersPerThread INTEGER NOT NULL, gridX INTEGER NOT NULL, gridY INTEGER NOT NULL, gridZ INTEGER NOT NULL,
    blockX INTEGER NOT NULL, blockY INTEGER NOT NULL, blockZ INTEGER NOT NULL,
    staticSharedMemory INTEGER NOT NULL, dynamicSharedMemory INTEGER NOT NULL,
    localMemoryPerThread INTEGER NOT NULL, localMemoryTotal INTEGER NOT NULL, gridId INTEGER NOT NULL
);
"#;

/// (demangled name, short name, launch durations in ns) of the SQLite fixture: real llama.cpp
/// kernels of a Q4_K decode step, a cuBLAS GEMM, and an argmax.
pub const SQLITE_KERNELS: &[(&str, &str, &[i64])] = &[
    (
        "void mul_mat_q<(ggml_type)12, (int)64, (bool)0>(const char *, const int *, const int *, const int *, float *, float *, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int)",
        "mul_mat_q",
        &[30_000, 35_000, 31_000, 32_000],
    ),
    (
        "void mul_mat_vec_q<(ggml_type)12, (int)1, (bool)0>(const void *, const void *, const int *, float *, unsigned int, unsigned int, unsigned int, unsigned int, unsigned int, unsigned int, unsigned int, unsigned int, unsigned int)",
        "mul_mat_vec_q",
        &[8_000, 8_200, 8_100],
    ),
    (
        "void rope_neox<(bool)1, (bool)0, float, float>(const float *, float *, int, int, int, int, int, const int *, float, float, float, float, rope_corr_dims, const float *, mrope_sections, bool)",
        "rope_neox",
        &[1_500],
    ),
    (
        "void quantize_mmq_q8_1<(mmq_q8_1_ds_layout)1>(const float *, const int *, void *, long, long, long, long, long, long, int, int)",
        "quantize_mmq_q8_1",
        &[900, 1_100],
    ),
    (
        "void cpy_scalar<&cpy_1_scalar<float, __half>>(const char *, char *, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int)",
        "cpy_scalar",
        &[700],
    ),
    ("argmax_f32(const float *, int *, long)", "argmax_f32", &[4_000]),
    (
        "cutlass::Kernel2<cutlass_80_tensorop_s1688gemm_64x64_16x6_tn_align4>(cutlass_80_tensorop_s1688gemm_64x64_16x6_tn_align4::Params)",
        "Kernel2",
        &[20_000],
    ),
];

/// Builds an Nsight Systems export at `path` with [`KERNEL_DDL`] (or [`OLD_KERNEL_DDL`]).
pub fn nsys_sqlite(path: &Path, old: bool) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(if old { OLD_KERNEL_DDL } else { KERNEL_DDL }).unwrap();
    let mut next_id = 1i64;
    let mut string = |value: &str| {
        conn.execute("INSERT INTO StringIds (id, value) VALUES (?1, ?2)", rusqlite::params![next_id, value]).unwrap();
        next_id += 1;
        next_id - 1
    };
    let launch_api = string("cudaLaunchKernel_v7000");
    let mut t = 1_000_000i64;
    let mut correlation = 1;
    let mut launches = Vec::new();
    for (demangled, short, durations) in SQLITE_KERNELS {
        let (d, s) = (string(demangled), string(short));
        for dur in *durations {
            launches.push((t, t + dur, d, s, correlation));
            t += dur + 2_500;
            correlation += 1;
        }
    }
    // Launch order interleaves kernels, as a decode step does.
    launches.sort_by_key(|l| (l.4 * 7919) % 97);
    for (start, end, d, s, c) in launches {
        if old {
            conn.execute(
                "INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL VALUES (?1, ?2, 0, 1, 7, ?3, 281474976710656, ?4, 40, 1024, 1, 1, 32, 4, 1, 0, 0, 0, 0, ?3)",
                rusqlite::params![start, end, c, s],
            )
            .unwrap();
        } else {
            conn.execute(
                "INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL VALUES (?1, ?2, 0, 1, NULL, 7, ?3, 281474976710656, ?4, ?5, NULL, 0, 0, 40, 1024, 1, 1, 32, 4, 1, 0, 0, 0, 0, ?3, 0, NULL, 0)",
                rusqlite::params![start, end, c, d, s],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO CUPTI_ACTIVITY_KIND_RUNTIME VALUES (?1, ?2, 1, 281474976710656, ?3, ?4, 0, NULL)",
                rusqlite::params![start - 2_000, start - 1_000, c, launch_api],
            )
            .unwrap();
        }
    }
    if !old {
        conn.execute_batch(
            "INSERT INTO META_DATA_EXPORT VALUES ('EXPORT_SCHEMA_VERSION', '3.15.1'), ('EXPORT_PRODUCT_VERSION', '2024.5.1.113');",
        )
        .unwrap();
    }
}

pub fn nsys_sqlite_bytes(dir: &Path, old: bool) -> Vec<u8> {
    let path = dir.join(if old { "built-old.sqlite" } else { "built.sqlite" });
    nsys_sqlite(&path, old);
    std::fs::read(path).unwrap()
}

pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()) + 1e-9
}

#[track_caller]
pub fn assert_close(got: f64, want: f64, what: &str) {
    assert!(close(got, want), "{what}: got {got}, want {want}");
}

#[track_caller]
pub fn assert_opt(got: Option<f64>, want: Option<f64>, what: &str) {
    match (got, want) {
        (Some(g), Some(w)) => assert_close(g, w, what),
        (None, None) => {}
        _ => panic!("{what}: got {got:?}, want {want:?}"),
    }
}

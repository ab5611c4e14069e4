//! Helpers shared by the integration tests: a sample dataset, and ways to write shards that the
//! store itself would refuse (to test that the validator rejects them).
#![allow(dead_code)]

use std::path::Path;

use arrow_array::RecordBatch;
use arrow_schema::FieldRef;
use edgebench_dataset::fixtures;
use edgebench_dataset::manifest::{Manifest, ShardEntry};
use edgebench_dataset::schema::Sha256Hex;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::shard;
use edgebench_dataset::{Store, Table};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

/// A small dataset with every table: two devices, CPU and GPU, a failed run, kernels,
/// micro-benchmarks and published values.
/// One of every table, as written by [`write_sample`].
pub struct Sample {
    pub runs: Vec<Run>,
    pub generations: Vec<Generation>,
    pub kernels: Vec<Kernel>,
    pub microbench: Vec<Microbench>,
    pub published: Vec<Published>,
}

pub fn sample() -> Sample {
    let mut runs = Vec::new();
    for rep in 0..3 {
        runs.push(fixtures::run("Jetson Orin NX", Backend::Cpu, Some("MAXN"), "SmolLM2 135M", rep));
        runs.push(fixtures::run("Jetson Orin NX", Backend::Cuda, Some("MAXN"), "SmolLM2 135M", rep));
        runs.push(fixtures::run("MacBook Pro M4", Backend::Cpu, None, "gemma-3-270m", rep));
    }
    runs.push(fixtures::failed_run("MacBook Pro M4", "gemma-3-270m", 3));
    let generations = runs
        .iter()
        .filter(|r| r.status == RunStatus::Ok)
        .flat_map(|r| (0..3).map(move |i| fixtures::generation(r, i)))
        .collect();
    let kernels = vec![
        fixtures::kernel("Jetson Orin NX", "SmolLM2 135M", "mul_mat_q", OpClass::Gemm, 100, 5000.0),
        fixtures::kernel("Jetson Orin NX", "SmolLM2 135M", "mul_mat_vec_q", OpClass::Gemv, 3000, 800.0),
        fixtures::kernel("Jetson Orin NX", "SmolLM2 135M", "rms_norm_f32", OpClass::Norm, 3000, 40.0),
    ];
    let microbench = vec![
        fixtures::microbench("Jetson AGX Orin", FusionVariant::Unfused, 0, 1924.2),
        fixtures::microbench("Jetson AGX Orin", FusionVariant::Fused, 0, 1003.5),
    ];
    let published = vec![
        fixtures::published("Jetson Orin NX", Some("Qwen-1.5B"), "load_ms", 707.0, "ms", "from 707 ms on CPU to 2086 ms on GPU"),
        fixtures::published("Jetson AGX Orin", None, "fusion_time_us", 1924.2, "µs", "from 1,924.2 µs to 1,003.5 µs"),
    ];
    Sample { runs, generations, kernels, microbench, published }
}


/// Writes the sample into a fresh dataset at `root` through the store.
pub fn write_sample(root: &Path) {
    let Sample { runs, generations, kernels, microbench, published } = sample();
    let (mut store, _) = Store::open(root).unwrap();
    store.append(runs).unwrap();
    store.append(generations).unwrap();
    store.append(kernels).unwrap();
    store.append(microbench).unwrap();
    store.append(published).unwrap();
}

pub fn manifest_path(root: &Path) -> std::path::PathBuf {
    root.join("v1/MANIFEST.json")
}

pub fn load_manifest(root: &Path) -> Manifest {
    Manifest::load(&manifest_path(root)).unwrap()
}

/// Path (relative to v1/) of the first listed shard of `table`.
pub fn first_shard(root: &Path, table: &str) -> String {
    load_manifest(root).shards.iter().find(|s| s.table == table).unwrap().path.clone()
}

/// Rows as an Arrow batch with the table's v1 schema.
pub fn batch_of<T: Table>(rows: &[T]) -> RecordBatch {
    let fields: Vec<FieldRef> = T::schema().arrow_schema().fields().iter().cloned().collect();
    serde_arrow::to_record_batch(&fields, &rows).unwrap()
}

/// Parquet bytes of `batch` with the given footer entries (as the dataset writer would, minus
/// its checks).
pub fn parquet_bytes(batch: &RecordBatch, footer: Vec<KeyValue>) -> Vec<u8> {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap()))
        .set_key_value_metadata(Some(footer))
        .build();
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
    out
}

/// The footer the dataset writer would give `batch` as a `table` shard.
pub fn writer_footer(table: &str, batch: &RecordBatch) -> Vec<KeyValue> {
    shard::footer_metadata(edgebench_dataset::schema::v1::table(table).unwrap(), batch)
}

/// Places `bytes` as a shard of `table` in `device`/`model`, named by its hash, and lists it in
/// the manifest when `list` is true. Returns the path relative to v1/.
pub fn place(root: &Path, table: &str, device: &str, model: &str, bytes: &[u8], list: bool) -> String {
    let sha = Sha256Hex::of(bytes);
    let rel = format!("{table}/device={device}/model={model}/{sha}.parquet");
    let abs = root.join("v1").join(&rel);
    std::fs::create_dir_all(abs.parent().unwrap()).unwrap();
    std::fs::write(&abs, bytes).unwrap();
    if list {
        let mut m = load_manifest(root);
        m.shards.push(ShardEntry {
            path: rel.clone(),
            table: table.into(),
            sha256: sha,
            rows: 0,
            bytes: bytes.len() as u64,
            schema_version: SCHEMA_VERSION.into(),
        });
        // Row count and version from the footer, when there is one.
        if let Ok(o) = shard::OpenedShard::open(bytes.to_vec().into(), &shard::Limits::default()) {
            let entry = m.shards.last_mut().unwrap();
            entry.rows = o.num_rows();
            if let Some(version) = o.footer_version().filter(|v| VERSIONS.iter().any(|known| known.version == v)) {
                entry.schema_version = version;
            }
        }
        m.save(&manifest_path(root)).unwrap();
    }
    rel
}

/// Encodes rows as the writer of an older schema `version` did and places them in their
/// partition, listed under that version.
pub fn place_rows_at<T: Table>(root: &Path, rows: Vec<T>, version: &str) -> String {
    let mut rows = fixtures::as_of_version(rows, version);
    let (device, model) = rows[0].partition();
    let bytes = fixtures::encode_at_version(&mut rows, version).unwrap();
    place(root, T::schema().name, &device, &model, &bytes, true)
}

/// Kernel rows as a 1.0 capture had them: the columns 1.1 added are null.
pub fn kernels_of_1_0(device: &str) -> Vec<Kernel> {
    ["mul_mat_q", "soft_max_f32"]
        .iter()
        .map(|name| {
            let mut k = fixtures::kernel(device, "SmolLM2 135M", name, OpClass::Gemm, 10, 900.0);
            k.timing_source = None;
            k.schema_version = "1.0".into();
            k
        })
        .collect()
}

/// Kernel rows of a 1.1 ggml op profile: the columns 1.1 added are filled.
pub fn kernels_of_1_1(device: &str) -> Vec<Kernel> {
    ["MUL_MAT q4_1 [576,576] [576,1]", "ADD f32 [576,1]"]
        .iter()
        .map(|name| {
            let mut k = fixtures::kernel(device, "SmolLM2 135M", name, OpClass::Gemv, 30, 2000.0);
            k.tool = ProfileTool::GgmlOp;
            k.phase = Some(Phase::Decode);
            k.op_name = Some(name.split(' ').next().unwrap().into());
            k.weight_type = Some("q4_1".into());
            k.token_columns = Some(1);
            k.timing_source = Some(TimingSource::HostSynchronised);
            k.phase_wall_ns = Some(1.0e6);
            k.phase_tokens = Some(30);
            k.kernel_id = k.compute_id();
            k
        })
        .collect()
}

/// Encodes rows with the real encoder (no row checks) and places them in their partition.
pub fn place_rows<T: Table>(root: &Path, mut rows: Vec<T>) -> String {
    let (device, model) = rows[0].partition();
    let bytes = shard::encode(&mut rows).unwrap();
    place(root, T::schema().name, &device, &model, &bytes, true)
}

/// The sample's first successful CPU run and one of its generations.
pub fn a_run() -> Run {
    fixtures::run("Jetson Orin NX", Backend::Cpu, Some("MAXN"), "SmolLM2 135M", 0)
}

//! Fusion sweeps as `collect fusion` writes them (schema 1.2), with timings from a simple cost
//! model so that every number the report derives can be computed here independently:
//! unfused = 2 launches + 5 vectors of STREAM-counted traffic (7 with write-allocate) at the
//! device's bandwidth, fused = 1 launch + 3 vectors (4) at that bandwidth divided by
//! `fused_efficiency`. Vectors whose three-vector working set fits the last-level cache run at
//! `cache_gb_s`, larger ones at `memory_gb_s`.

use std::path::Path;

use edgebench_dataset::fixtures;
use edgebench_dataset::schema::Sha256Hex;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::{Store, Table};

#[derive(Clone)]
pub struct Sweep {
    pub device: &'static str,
    pub backend: Backend,
    pub write_allocate: Option<bool>,
    pub llc_bytes: Option<u64>,
    pub dtypes: &'static [&'static str],
    /// log2 of the element counts measured.
    pub exponents: std::ops::RangeInclusive<u32>,
    pub launch_us: f64,
    pub cache_gb_s: f64,
    pub memory_gb_s: f64,
    /// The fused kernel's bandwidth over the unfused kernels' (1: as good; below 1 it saves less
    /// than the traffic it removes).
    pub fused_efficiency: f64,
    pub reps: u32,
    /// Fill the schema 1.2 columns (bound, cache, STREAM bandwidth); `false` leaves them null.
    pub sweep_columns: bool,
}

/// The 2-vCPU VM's kind of sweep: CPU, write-allocate, 32 MiB cache, 16 KiB to 128 MiB vectors.
pub const CPU_VM: Sweep = Sweep {
    device: "VM (synthetic)",
    backend: Backend::Cpu,
    write_allocate: Some(true),
    llc_bytes: Some(32 << 20),
    dtypes: &["f32"],
    exponents: 12..=25,
    launch_us: 6.0,
    cache_gb_s: 40.0,
    memory_gb_s: 10.0,
    fused_efficiency: 0.95,
    reps: 8,
    sweep_columns: true,
};

/// An H200's kind of sweep: CUDA, no write-allocate, 50 MiB L2, f32 and f16, up to 1 GiB vectors.
pub const GPU: Sweep = Sweep {
    device: "GPU (synthetic)",
    backend: Backend::Cuda,
    write_allocate: Some(false),
    llc_bytes: Some(50 << 20),
    dtypes: &["f32", "f16"],
    exponents: 16..=28,
    launch_us: 4.0,
    cache_gb_s: 8000.0,
    memory_gb_s: 4000.0,
    fused_efficiency: 0.96,
    reps: 8,
    sweep_columns: true,
};

pub fn element_bytes(dtype: &str) -> u64 {
    match dtype {
        "f16" => 2,
        _ => 4,
    }
}

/// Repetition `rep`'s time is the model's × this: 8 repetitions have medians 1.0035 × the model.
pub fn jitter(rep: u32) -> f64 {
    1.0 + 0.001 * f64::from(rep)
}

impl Sweep {
    /// Bytes of actual traffic per vector of STREAM counting, and the bandwidth (bytes/µs) at a
    /// vector size.
    fn bandwidth_bytes_per_us(&self, vector_bytes: u64) -> f64 {
        let in_cache = self.llc_bytes.is_some_and(|llc| 3 * vector_bytes <= llc);
        (if in_cache {
            self.cache_gb_s
        } else {
            self.memory_gb_s
        }) * 1e3
    }

    fn traffic_vectors(&self) -> (f64, f64) {
        if self.write_allocate == Some(true) {
            (4.0, 7.0)
        } else {
            (3.0, 5.0)
        }
    }

    /// The model's time (µs) of a variant at `elements` of `dtype`, before jitter.
    pub fn model_us(&self, variant: FusionVariant, dtype: &str, elements: u64) -> f64 {
        let v = elements * element_bytes(dtype);
        let bw = self.bandwidth_bytes_per_us(v);
        let (fused, unfused) = self.traffic_vectors();
        match variant {
            FusionVariant::Unfused => 2.0 * self.launch_us + unfused * v as f64 / bw,
            FusionVariant::Fused => {
                self.launch_us + fused * v as f64 / (bw * self.fused_efficiency)
            }
        }
    }

    /// STREAM copy (2 vectors counted; 3 moved with write-allocate) and triad (3 counted, 4 moved)
    /// as the sweep would measure them, GB/s.
    pub fn stream_gb_s(&self, dtype: &str, elements: u64) -> (f64, f64) {
        let v = elements * element_bytes(dtype);
        let bw = self.bandwidth_bytes_per_us(v) / 1e3;
        let wa = if self.write_allocate == Some(true) {
            1.0
        } else {
            0.0
        };
        (bw * 2.0 / (2.0 + wa), bw * 3.0 / (3.0 + wa))
    }

    pub fn rows(&self) -> Vec<Microbench> {
        let mut out = Vec::new();
        for dtype in self.dtypes {
            for e in self.exponents.clone() {
                let elements = 1u64 << e;
                for rep in 0..self.reps {
                    for variant in [FusionVariant::Unfused, FusionVariant::Fused] {
                        out.push(self.row(
                            variant,
                            dtype,
                            elements,
                            rep,
                            self.model_us(variant, dtype, elements) * jitter(rep),
                        ));
                    }
                }
            }
        }
        out
    }

    pub fn row(
        &self,
        variant: FusionVariant,
        dtype: &str,
        elements: u64,
        rep: u32,
        elapsed_us: f64,
    ) -> Microbench {
        let mut m = fixtures::microbench(self.device, variant, rep, elapsed_us);
        m.backend = self.backend;
        m.dtype = dtype.to_owned();
        m.elements = elements;
        let vectors = match variant {
            FusionVariant::Unfused => 5,
            FusionVariant::Fused => 3,
        };
        m.bytes_moved = vectors * elements * element_bytes(dtype);
        if self.sweep_columns {
            let (copy, triad) = self.stream_gb_s(dtype, elements);
            m.sweep_id = Some(Sha256Hex::of(
                format!("sweep {} {}", self.device, self.backend).as_bytes(),
            ));
            m.threads = (self.backend == Backend::Cpu).then_some(2);
            m.launch_config_json = Some(
                match self.backend {
                    Backend::Cpu => r#"{"threads":2,"cores":[0,1],"partition":"contiguous","timer":"clock_monotonic"}"#,
                    _ => r#"{"device":"synthetic GPU","block":256,"grid":1056,"timer":"cuda_events"}"#,
                }
                .to_owned()
                .into(),
            );
            m.write_allocate = self.write_allocate;
            m.last_level_cache_bytes = self.llc_bytes;
            m.copy_bandwidth_gb_s = Some(copy);
            m.triad_bandwidth_gb_s = Some(triad);
            m.warmup_repetitions = Some(3);
        } else {
            m.sweep_id = None;
            m.threads = None;
            m.launch_config_json = None;
            m.write_allocate = None;
            m.last_level_cache_bytes = None;
            m.copy_bandwidth_gb_s = None;
            m.triad_bandwidth_gb_s = None;
            m.warmup_repetitions = None;
        }
        m.microbench_id = m.compute_id();
        m
    }
}

/// Median over `reps` repetitions of the model time × [`jitter`].
pub fn median_us(model_us: f64, reps: u32) -> f64 {
    let mut v: Vec<f64> = (0..reps).map(|r| model_us * jitter(r)).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Commits `rows` to the dataset under `root` (created if missing).
pub fn write_microbench(root: &Path, rows: Vec<Microbench>) {
    let (mut store, _) = Store::open(root).expect("open store");
    let mut batch = edgebench_dataset::store::WriteBatch::default();
    store.stage(&mut batch, rows).expect("stage microbench");
    store.commit(batch).expect("commit microbench");
}

/// Imports the paper's own published rows (Fig. 10 among them) into the dataset under `root`.
pub fn import_paper(root: &Path) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../dataset/sources/liu2026edge.published.jsonl");
    edgebench_dataset::published_source::import_file(root, &source)
        .expect("import the paper's published rows");
}

/// Writes `rows` as one shard of schema `version` (as an older collector wrote them) and has the
/// store adopt it, as `dataset repair` does.
pub fn write_old_shard(root: &Path, mut rows: Vec<Microbench>, version: &str) {
    drop(Store::open(root).expect("open store"));
    let (device, model) = rows[0].partition();
    let bytes = fixtures::encode_at_version(&mut rows, version).expect("encode an old shard");
    let rel = format!(
        "microbench/device={device}/model={model}/{}.parquet",
        Sha256Hex::of(&bytes)
    );
    let path = root.join("v1").join(&rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    let (mut store, _) = Store::open(root).expect("open store");
    assert_eq!(
        store.adopt_unlisted().expect("adopt the old shard"),
        vec![rel]
    );
}

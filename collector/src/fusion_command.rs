//! The command line of `collect fusion` (the measurement is `edgebench_collector::fusion`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use edgebench_collector::fusion::{self, Backends, FusionRequest};
use edgebench_collector::{device_state, host};
use edgebench_microbench::{Dtype, Protocol};

#[derive(Clone, Copy, ValueEnum)]
pub enum FusionBackendArg {
    /// The CPU, and CUDA too when an NVIDIA driver is present.
    Auto,
    /// CPU cores only.
    Cpu,
    /// The NVIDIA GPU only (an error where there is no driver).
    Cuda,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum DtypeArg {
    F32,
    F16,
}

#[derive(clap::Args)]
pub struct FusionArgs {
    /// How the device is named in the dataset (the same label as its runs).
    #[arg(long)]
    device_label: String,
    /// Which devices to measure.
    #[arg(long, value_enum, default_value = "auto")]
    backend: FusionBackendArg,
    /// Element types, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "f32,f16")]
    dtype: Vec<DtypeArg>,
    /// Smallest vector length (elements, a multiple of 64); lengths double from here.
    #[arg(long, default_value_t = 4096)]
    min_elements: u64,
    /// Largest vector length (a multiple of 64). Default: the first doubling whose vector is at
    /// least 4× the device's last-level cache, as read from the device (STREAM's rule).
    #[arg(long)]
    max_elements: Option<u64>,
    /// Timed repetitions of each kernel at each length (the report's 95% intervals of medians want
    /// 15 or more).
    #[arg(long, default_value_t = 30)]
    repetitions: u32,
    /// Untimed rounds of every kernel before the timed ones, at each length.
    #[arg(long, default_value_t = 5)]
    warmup: u32,
    /// CPU threads, one pinned per core (default: every core this process may use).
    #[arg(long)]
    threads: Option<usize>,
    /// CUDA device ordinal.
    #[arg(long, default_value_t = 0)]
    cuda_device: usize,
    /// Power mode to record (default: read from `nvpmodel -q` when present).
    #[arg(long)]
    power_mode: Option<String>,
    /// Dataset directory to write into.
    #[arg(long, default_value = "dataset")]
    out: PathBuf,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

pub fn fusion(args: FusionArgs) -> ExitCode {
    let power_mode = args.power_mode.or_else(|| device_state::read_state(&Default::default()).power_mode.map(|p| p.name));
    let request = FusionRequest {
        device_label: args.device_label,
        power_mode,
        backends: match args.backend {
            FusionBackendArg::Auto => Backends::Auto,
            FusionBackendArg::Cpu => Backends::Cpu,
            FusionBackendArg::Cuda => Backends::Cuda,
        },
        protocol: Protocol {
            dtypes: args
                .dtype
                .iter()
                .map(|d| match d {
                    DtypeArg::F32 => Dtype::F32,
                    DtypeArg::F16 => Dtype::F16,
                })
                .collect(),
            min_elements: args.min_elements,
            max_elements: args.max_elements,
            warmup: args.warmup,
            repetitions: args.repetitions,
        },
        threads: args.threads,
        cuda_device: args.cuda_device,
        out: args.out,
    };
    let host = host::fingerprint(&Default::default());
    let summary = match fusion::run(&request, &host, &mut |line| eprintln!("collect fusion: {line}")) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("collect fusion: {e}");
            return ExitCode::from(2);
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary).expect("summary serialises"));
    }
    for s in &summary.skipped {
        eprintln!("collect fusion: skipped {s}");
    }
    for l in &summary.largest {
        let bw = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:.1}"));
        eprintln!(
            "collect fusion: {} {} × {} on {}: unfused {:.1} µs, fused {:.1} µs, fused/unfused {:.3} (memory bound {:.3}, {}) | achieved unfused {:.1} GB/s, fused {:.1} GB/s; copy {} GB/s, triad {} GB/s",
            l.backend,
            l.dtype,
            l.elements,
            l.device,
            l.unfused_us,
            l.fused_us,
            l.ratio,
            l.bound,
            if l.write_allocate { "stores write-allocate" } else { "no write-allocate" },
            l.unfused_gb_s,
            l.fused_gb_s,
            bw(l.copy_gb_s),
            bw(l.triad_gb_s)
        );
    }
    eprintln!(
        "collect fusion: {} rows written ({} sizes failed; medians above, intervals in `report build`), into {}",
        summary.rows_written, summary.failed_sizes, summary.out
    );
    if summary.failed_sizes > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

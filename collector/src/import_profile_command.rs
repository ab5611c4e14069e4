//! The command line of `collect import-profile`: kernel rows from a profiler's export (the
//! import itself is `edgebench_collector::profile::import`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use edgebench_collector::host;
use edgebench_collector::model_file::{self, Sha256Cache};
use edgebench_dataset::schema::v1::Phase;

use crate::{BackendArg, backend_of, usage};

#[derive(Clone, Copy, ValueEnum)]
pub enum PhaseArg {
    /// The prompt's processing.
    Prefill,
    /// Token-by-token generation.
    Decode,
}

#[derive(clap::Args)]
pub struct ImportProfileArgs {
    /// Profiler files to import.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// How the profiled device is named in the dataset (the same label as its runs).
    #[arg(long)]
    device_label: String,
    /// The GGUF file that was profiled: its name and sha256 go into the rows.
    #[arg(long, value_name = "PATH", required_unless_present = "model_name", conflicts_with = "model_name")]
    model: Option<PathBuf>,
    /// The profiled model's name, when its GGUF file is not at hand (no sha256 is recorded then).
    #[arg(long)]
    model_name: Option<String>,
    /// Back-end the profiled program ran on.
    #[arg(long, value_enum, default_value = "cuda")]
    backend: BackendArg,
    /// Power mode during the capture.
    #[arg(long)]
    power_mode: Option<String>,
    /// The phase the capture covers, when it covers one only (e.g. a capture of the decode loop).
    #[arg(long, value_enum)]
    phase: Option<PhaseArg>,
    /// Dataset directory to write into.
    #[arg(long, default_value = "dataset")]
    out: PathBuf,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

pub fn import_profile(args: ImportProfileArgs) -> ExitCode {
    let (model_name, model_sha256) = match (&args.model, args.model_name) {
        (Some(path), _) => match model_file::inspect(path, &Sha256Cache::default_location()) {
            Ok(mut m) => {
                // Named as `collect run` names the same file, so the profile meets its runs.
                if let Err(e) = model_file::name_models(std::slice::from_mut(&mut m), &[], &args.out) {
                    return usage("import-profile", e);
                }
                (m.model_name(), Some(m.sha256))
            }
            Err(e) => return usage("import-profile", e),
        },
        (None, Some(name)) if !name.trim().is_empty() => (name.trim().to_owned(), None),
        (None, _) => return usage("import-profile", "give the profiled model with --model FILE.gguf or --model-name NAME".into()),
    };
    let target = edgebench_collector::profile::import::ImportTarget {
        device_label: args.device_label,
        backend: backend_of(args.backend),
        power_mode: args.power_mode,
        model_name,
        model_sha256,
        phase: args.phase.map(|p| match p {
            PhaseArg::Prefill => Phase::Prefill,
            PhaseArg::Decode => Phase::Decode,
        }),
        out: args.out,
    };
    let host = host::fingerprint(&Default::default());
    match edgebench_collector::profile::import::import_files(&args.files, &target, &host) {
        Err(e) => usage("import-profile", e),
        Ok(outcomes) => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&outcomes).expect("summary serialises"));
            }
            for o in &outcomes {
                let what = if o.already_stored { "already in the dataset, nothing added".to_owned() } else { format!("{} kernel rows added", o.rows_added) };
                let other = if o.unclassified > 0 { format!("; {} kernel names match no class rule (stored as `other`)", o.unclassified) } else { String::new() };
                eprintln!("collect import-profile: {} ({}, {}): {what}{other}", o.file, o.format, o.tool);
            }
            ExitCode::SUCCESS
        }
    }
}


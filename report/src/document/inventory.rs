//! What was measured: the coverage matrix, the models (the paper's Table II) and the devices (its
//! Table III).

use super::{MISSING, RowDoc, TableDoc, synthetic_note};
use crate::analysis::{Analysis, ModelInfo, WeightsOrigin};
use crate::format;
use crate::stats::{LEVEL, min_runs_for_interval};

pub(super) fn coverage_table(analysis: &Analysis) -> TableDoc {
    let models = analysis.model_keys();
    let mut columns = vec!["Device · back-end · mode".to_owned()];
    columns.extend(models.iter().map(|m| m.label()));
    let rows = analysis
        .platforms()
        .into_iter()
        .map(|platform| {
            let mut cells = vec![platform.label()];
            for model in &models {
                let cell = analysis.cells.iter().find(|c| c.key.platform() == platform && &c.key.model_key() == model);
                cells.push(match cell {
                    None => MISSING.to_owned(),
                    Some(c) if c.runs_failed == 0 => format!("{} ok", c.runs_ok),
                    Some(c) => {
                        let how: Vec<String> = c.failures.iter().map(|(s, n)| format!("{n} {s}")).collect();
                        format!("{} ok, {}", c.runs_ok, how.join(", "))
                    }
                });
            }
            RowDoc { cells, published: false }
        })
        .collect();
    TableDoc {
        id: "coverage".to_owned(),
        title: "Coverage: runs per cell".to_owned(),
        caption: format!(
            "Completed and failed runs of each platform (rows) and model (columns); {MISSING} marks a cell with no run. A median has a confidence interval from {} completed runs.{}",
            min_runs_for_interval(LEVEL),
            synthetic_note(analysis.has_synthetic())
        ),
        columns,
        rows,
        empty_message: "The dataset holds no runs yet.".to_owned(),
        group_columns: 0,
        repeats: Vec::new(),
    }
}

/// Where a model's weights come from: `trained`, or `synthetic` with what the generator copied
/// (a `collect synth` preset, or another file's shapes) and its seed, enough to write the same
/// file again.
fn weights_text(m: &ModelInfo) -> String {
    match m.key.weights {
        WeightsOrigin::Trained => "trained".to_owned(),
        WeightsOrigin::Synthetic => {
            let mut parts = Vec::new();
            if let Some(preset) = &m.synthetic_preset {
                parts.push(format!("preset {preset}"));
            }
            if let Some(source) = &m.synthetic_source_sha256 {
                parts.push(format!("shapes of {}", source.chars().take(12).collect::<String>()));
            }
            if let Some(seed) = m.synthetic_seed {
                parts.push(format!("seed {seed}"));
            }
            if parts.is_empty() { "synthetic".to_owned() } else { format!("synthetic: {}", parts.join(", ")) }
        }
    }
}

pub(super) fn models_table(analysis: &Analysis) -> TableDoc {
    let rows = analysis
        .models
        .iter()
        .map(|m| RowDoc {
            cells: vec![
                m.key.name_label(),
                m.key.name.clone(),
                weights_text(m),
                m.architecture.clone().unwrap_or_else(|| MISSING.to_owned()),
                m.n_params.map(format::params).unwrap_or_else(|| MISSING.to_owned()),
                m.key.quantization.clone().unwrap_or_else(|| MISSING.to_owned()),
                format::bytes(m.size_bytes),
                m.sha256.chars().take(12).collect(),
                m.file_name.clone(),
            ],
            published: false,
        })
        .collect();
    let synthetic = analysis.models.iter().any(|m| m.key.weights == WeightsOrigin::Synthetic);
    TableDoc {
        id: "models".to_owned(),
        title: "Models".to_owned(),
        caption: format!(
            "Models measured, from their GGUF metadata (cf. the paper's Table II). Model: the name of the dataset's model registry for the file (by sha256, or by its collect synth preset), else the name in the rows; name in rows: runs.model_name, what the file or the collector named it. Weights: trained (the published weights), or synthetic (collect synth: the named model's architecture, tensor shapes and weight type with generated values, from a preset or another file's shapes, with the generator's seed).{}",
            synthetic_note(synthetic)
        ),
        columns: ["Model", "Name in rows", "Weights", "Architecture", "Parameters", "Quantisation", "Size", "sha256", "File"].map(String::from).to_vec(),
        rows,
        empty_message: "No model has been measured yet.".to_owned(),
        group_columns: 0,
        repeats: Vec::new(),
    }
}

pub(super) fn devices_table(analysis: &Analysis) -> TableDoc {
    let rows = analysis
        .devices
        .iter()
        .map(|d| RowDoc {
            cells: vec![
                d.labels.iter().cloned().collect::<Vec<_>>().join(", "),
                d.cpu_model.clone(),
                match d.cpu_physical_cores {
                    Some(p) => format!("{p} cores / {} threads", d.cpu_logical_cores),
                    None => format!("{} threads", d.cpu_logical_cores),
                },
                format::bytes(d.ram_bytes),
                d.gpu_name.clone().unwrap_or_else(|| MISSING.to_owned()),
                format!("{} ({})", d.os, d.arch),
                d.fingerprint.chars().take(12).collect(),
            ],
            published: false,
        })
        .collect();
    TableDoc {
        id: "devices".to_owned(),
        title: "Devices".to_owned(),
        caption: "Machines measured, from their host fingerprints (cf. the paper's Table III).".to_owned(),
        columns: ["Device", "CPU", "Cores", "RAM", "GPU", "OS", "Host sha256"].map(String::from).to_vec(),
        rows,
        empty_message: "No device has been measured yet.".to_owned(),
        group_columns: 0,
        repeats: Vec::new(),
    }
}

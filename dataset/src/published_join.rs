//! How a paper's number (`published`) meets a measured one: the `published.metric` vocabulary
//! mapped to the measured columns, and the one DuckDB query that puts the two side by side.
//!
//! `published` rows are quoted from papers and never rewritten, so their vocabulary stays as the
//! curator wrote it; where it names a column (`load_ms`, `tpot_ms`, `mean_power_w`) the mapping is
//! the identity, elsewhere ([`PUBLISHED_METRICS`]) it says which column, how a run's value is
//! formed, and the factor from the printed unit (GB) to the column's (bytes). Models meet through
//! the registry ([`crate::model_registry`]): a paper's name is an alias of a canonical name, and a
//! measured row gets its canonical name from its file's sha256 or its synthetic preset.
//!
//! The data dictionary prints the mapping and the query ([`markdown`]); the SQL is generated from
//! the mapping here, so the documented query is the one the tests run.

use crate::model_registry::REGISTRY_FILE;
use crate::schema::v1::{self, VERSION_DIR};

/// Where the dataset measures a `published` metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measured {
    /// A `runs` column: the run's own value.
    Run(&'static str),
    /// A `generations` column: its mean over the run's `ok` generations.
    GenerationMean(&'static str),
    /// Σ `generations.energy_j` / Σ `generations.output_tokens` over the run's `ok` generations
    /// that have both.
    EnergyPerOutputToken,
    /// Not one value per run (kernel profiles, the fusion micro-benchmark, comparisons between
    /// two cells): where and how, in words. The join query leaves these out.
    Elsewhere(&'static str),
}

/// One `published.metric` value and the measurement it corresponds to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PublishedMetric {
    /// The `published.metric` value.
    pub metric: &'static str,
    /// `published.unit` as the rows print it.
    pub unit: &'static str,
    /// Published value × factor = the value in the measured column's unit.
    pub factor: f64,
    pub measured: Measured,
    /// Only runs of trained weights measure it (what the outputs say: synthetic weights have no
    /// quality to score).
    pub trained_only: bool,
}

const fn per_run(metric: &'static str, unit: &'static str, factor: f64, measured: Measured) -> PublishedMetric {
    PublishedMetric { metric, unit, factor, measured, trained_only: false }
}

const fn elsewhere(metric: &'static str, unit: &'static str, how: &'static str) -> PublishedMetric {
    PublishedMetric { metric, unit, factor: 1.0, measured: Measured::Elsewhere(how), trained_only: false }
}

/// Every `published.metric` the dataset knows, with its measurement. The per-run ones are the
/// report's metrics (`report/src/metrics.rs`), whose keys are these names.
pub const PUBLISHED_METRICS: &[PublishedMetric] = &[
    per_run("load_ms", "ms", 1.0, Measured::Run("load_ms")),
    per_run("ttft_ms", "ms", 1.0, Measured::GenerationMean("ttft_ms")),
    per_run("tpot_ms", "ms/token", 1.0, Measured::GenerationMean("tpot_ms")),
    per_run("prefill_tokens_per_s", "tokens/s", 1.0, Measured::GenerationMean("prefill_tokens_per_s")),
    per_run("decode_tokens_per_s", "tokens/s", 1.0, Measured::GenerationMean("decode_tokens_per_s")),
    per_run("peak_cpu_memory", "GB", 1e9, Measured::Run("peak_rss_bytes")),
    per_run("peak_gpu_memory", "GB", 1e9, Measured::Run("peak_gpu_memory_bytes")),
    per_run("mean_power_w", "W", 1.0, Measured::Run("mean_power_w")),
    per_run("energy_per_output_token_j", "J/token", 1.0, Measured::EnergyPerOutputToken),
    PublishedMetric { trained_only: true, ..per_run("relevance", "score", 1.0, Measured::GenerationMean("relevance")) },
    elsewhere("kernel_class_share", "%", "`kernels`: Σ `total_ns` of the rows of one `op_class` over Σ `total_ns` of the capture, × 100"),
    elsewhere("theoretical_occupancy_pct", "%", "`kernels.theoretical_occupancy_pct` (Nsight Compute)"),
    elsewhere("achieved_occupancy_pct", "%", "`kernels.achieved_occupancy_pct` (Nsight Compute)"),
    elsewhere("active_warps_per_scheduler", "warps", "`kernels.active_warps_per_cycle` (Nsight Compute)"),
    elsewhere("eligible_warps_per_cycle", "warps/cycle", "`kernels.eligible_warps_per_cycle` (Nsight Compute)"),
    elsewhere("issued_warps_per_cycle", "instructions/cycle", "`kernels.issued_warps_per_cycle` (Nsight Compute)"),
    elsewhere("issue_cycles_per_instruction", "cycles", "1 / `kernels.issued_warps_per_cycle` (Nsight Compute)"),
    elsewhere("fusion_elapsed_us_unfused", "µs", "`microbench.elapsed_us` of `variant` = `unfused`"),
    elsewhere("fusion_elapsed_us_fused", "µs", "`microbench.elapsed_us` of `variant` = `fused`"),
    elsewhere("latency_reduction_pct", "%", "comparison of `microbench.elapsed_us`, unfused → fused"),
    elsewhere("load_ratio", "×", "comparison of two cells' `load_ms` (which two: the row's `ambiguity`)"),
    elsewhere("load_increase_pct", "%", "comparison of two cells' `load_ms`"),
    elsewhere("ttft_ratio", "×", "comparison of two cells' `ttft_ms`"),
    elsewhere("ttft_speedup", "×", "comparison of two cells' `ttft_ms`"),
    elsewhere("tpot_ratio", "×", "comparison of two cells' `tpot_ms`"),
    elsewhere("tpot_improvement_pct", "%", "comparison of two cells' `tpot_ms`"),
    elsewhere("peak_cpu_memory_ratio", "×", "comparison of two cells' `peak_cpu_memory`"),
    elsewhere("cpu_memory_reduction_pct", "%", "comparison of two cells' `peak_cpu_memory`"),
    elsewhere("power_increase_pct", "%", "comparison of two cells' `mean_power_w`"),
    elsewhere("power_reduction_pct", "%", "comparison of two cells' `mean_power_w`"),
    elsewhere("relevance_gain_min", "points", "comparison of two cells' `relevance`"),
    elsewhere("relevance_gain_max", "points", "comparison of two cells' `relevance`"),
];

/// The mapping of a `published.metric` value.
pub fn published_metric(metric: &str) -> Option<&'static PublishedMetric> {
    PUBLISHED_METRICS.iter().find(|m| m.metric == metric)
}

impl PublishedMetric {
    /// Whether the join query measures it: one value per run.
    pub fn is_per_run(&self) -> bool {
        !matches!(self.measured, Measured::Elsewhere(_))
    }

    /// The measured side, in words for the dictionary.
    fn measured_markdown(&self) -> String {
        let only = if self.trained_only { "; trained weights only" } else { "" };
        match self.measured {
            Measured::Run(c) => format!("`runs.{c}`{only}"),
            Measured::GenerationMean(c) => format!("mean of `generations.{c}` over the run's `ok` generations{only}"),
            Measured::EnergyPerOutputToken => "Σ `generations.energy_j` / Σ `generations.output_tokens` over the run's `ok` generations".into(),
            Measured::Elsewhere(how) => how.to_owned(),
        }
    }

    /// The measured column's unit, from the schema.
    fn measured_unit(&self) -> &'static str {
        let of = |table: &str, column: &str| v1::table(table).and_then(|t| t.column(column)).and_then(|c| c.unit).unwrap_or("");
        match self.measured {
            Measured::Run(c) => of("runs", c),
            Measured::GenerationMean(c) => of("generations", c),
            Measured::EnergyPerOutputToken => "J/token",
            Measured::Elsewhere(_) => "",
        }
    }
}

/// The DuckDB query that lists every `published` number of a per-run metric beside the median of
/// each measured cell of the same model (through the registry's aliases), metric (through
/// [`PUBLISHED_METRICS`]), back-end where the paper states one and weight type where it states a
/// precision (`Q8` matches `Q8_0`). `dir` is the dataset directory as the query names it.
pub fn join_sql(dir: &str) -> String {
    let per_run: Vec<&PublishedMetric> = PUBLISHED_METRICS.iter().filter(|m| m.is_per_run()).collect();
    let mut generation_columns = Vec::new();
    let mut run_columns = Vec::new();
    for m in &per_run {
        let value = match m.measured {
            Measured::Run(c) => format!("CAST(r.{c} AS DOUBLE)"),
            Measured::GenerationMean(c) => {
                generation_columns.push(format!("avg(CASE WHEN isfinite({c}) THEN {c} END) AS {}", m.metric));
                format!("g.{}", m.metric)
            }
            Measured::EnergyPerOutputToken => {
                generation_columns.push("sum(energy_j) FILTER (WHERE isfinite(energy_j) AND output_tokens IS NOT NULL) AS energy_j".into());
                generation_columns.push("sum(output_tokens) FILTER (WHERE isfinite(energy_j) AND output_tokens IS NOT NULL) AS energy_tokens".into());
                "CASE WHEN g.energy_tokens > 0 THEN g.energy_j / CAST(g.energy_tokens AS DOUBLE) END".into()
            }
            Measured::Elsewhere(_) => unreachable!("filtered above"),
        };
        let value = if m.trained_only { format!("CASE WHEN r.weights_origin = 'trained' THEN {value} END") } else { value };
        run_columns.push(format!("{value} AS {}", m.metric));
    }
    let names: Vec<&str> = per_run.iter().map(|m| m.metric).collect();
    let units: Vec<String> = per_run.iter().map(|m| format!("('{}', '{}', {:e})", m.metric, m.unit.replace('\'', "''"), m.factor)).collect();
    let parquet = |table: &str| format!("read_parquet('{dir}/{VERSION_DIR}/{table}/**/*.parquet', union_by_name = true, hive_partitioning = false)");
    format!(
        "-- The paper's numbers beside the medians of the measured cells of the same model and metric.
WITH
models AS (
    SELECT * FROM read_json('{dir}/{REGISTRY_FILE}', format = 'newline_delimited', columns = {{
        name: 'VARCHAR',
        aliases: 'STRUCT(citation_key VARCHAR, name VARCHAR)[]',
        synthetic_presets: 'VARCHAR[]',
        files: 'STRUCT(sha256 VARCHAR)[]'
    }})
),
file_models AS (SELECT f.sha256, m.name FROM models m, unnest(m.files) AS t(f)),
preset_models AS (SELECT p AS preset, m.name FROM models m, unnest(m.synthetic_presets) AS t(p)),
paper_models AS (SELECT a.citation_key, a.name AS paper_name, m.name FROM models m, unnest(m.aliases) AS t(a)),
-- Canonical name: by the file's sha256, else by its synthetic preset, else the row's own name.
runs AS (
    SELECT r.* EXCLUDE (weights_origin), coalesce(r.weights_origin, 'trained') AS weights_origin,
        coalesce(f.name, p.name, r.model_name) AS model
    FROM {runs} r
    LEFT JOIN file_models f ON f.sha256 = r.model_sha256
    LEFT JOIN preset_models p ON p.preset = r.synthetic_preset
    WHERE r.status = 'ok'
),
per_run_generations AS (
    SELECT run_id,
        {generation_columns}
    FROM {generations}
    WHERE status = 'ok'
    GROUP BY run_id
),
per_run AS (
    SELECT r.device_label, r.backend, r.power_mode, r.protocol, r.model, r.model_file_type, r.weights_origin,
        {run_columns}
    FROM runs r LEFT JOIN per_run_generations g USING (run_id)
),
measured AS (UNPIVOT per_run ON {names} INTO NAME metric VALUE value),
cells AS (
    SELECT device_label, backend, power_mode, protocol, model, model_file_type, weights_origin, metric,
        count(*) AS runs, median(value) AS median
    FROM measured WHERE isfinite(value)
    GROUP BY ALL
),
-- published.unit × factor = the measured column's unit.
units(metric, unit, factor) AS (VALUES {units})
SELECT p.metric, p.citation_key, p.section, p.figure, p.model_name AS paper_model, p.model_precision AS paper_precision,
    p.device_label AS paper_device, p.backend AS paper_backend, p.power_mode AS paper_power_mode, p.value AS paper_value, p.unit,
    c.model, c.model_file_type, c.weights_origin, c.device_label, c.backend, c.power_mode, c.protocol, c.runs,
    c.median / u.factor AS our_value
FROM {published} p
JOIN paper_models n ON n.citation_key = p.citation_key AND n.paper_name = p.model_name
JOIN units u ON u.metric = p.metric AND u.unit = p.unit
JOIN cells c ON c.model = n.name AND c.metric = p.metric
    AND (p.backend IS NULL OR p.backend = c.backend)
    AND (p.model_precision IS NULL OR starts_with(upper(c.model_file_type), upper(p.model_precision)))
ORDER BY ALL;
",
        runs = parquet("runs"),
        generations = parquet("generations"),
        published = parquet("published"),
        generation_columns = generation_columns.join(",\n        "),
        run_columns = run_columns.join(",\n        "),
        names = names.join(", "),
        units = units.join(", "),
    )
}

/// The dictionary's section on joining `published` to measurements: the metric mapping, how
/// model names meet, and the query.
pub fn markdown() -> String {
    let mut md = String::from(
        "\n## Joining `published` to measurements\n\n\
         `published.metric` names what a paper measured. Where it names a measured column the two are \
         the same word; otherwise this table says which column, how a run's value is formed, and the \
         factor from the unit the paper printed to the column's (`published.value` × factor). A cell's \
         number is the median of its runs' values, as in the report.\n\n\
         | `published.metric` | printed unit | measured as | column unit | factor |\n|---|---|---|---|---|\n",
    );
    for m in PUBLISHED_METRICS {
        // 1e9 reads better than nine zeros.
        let factor = if m.factor >= 1e4 { format!("{:e}", m.factor) } else { format!("{}", m.factor) };
        let (unit, factor) = if m.is_per_run() { (m.measured_unit(), factor) } else { ("", String::new()) };
        md.push_str(&format!("| `{}` | {} | {} | {} | {} |\n", m.metric, m.unit, m.measured_markdown().replace('|', "\\|"), unit, factor));
    }
    md.push_str(&format!(
        "\nModels meet through the model registry, `dataset/{REGISTRY_FILE}` (one JSON object per line, checked by \
         `dataset validate`): each model's canonical name (its Hugging Face repository's name), the sha256, weight \
         type and origin of each known GGUF file, the `collect synth` presets that have its architecture, and the \
         names papers give it (`aliases`: `published.citation_key` and `published.model_name`). A measured row's \
         model is the registry's name for its `model_sha256`, else for its `synthetic_preset`, else its own \
         `model_name` (rows keep the name they were written with: GGUF `general.name` before the registry).\n\n\
         The query below (DuckDB, run from the repository root) puts every `published` number of a per-run metric \
         beside each measured cell of the same model and metric, on the back-end the paper states (any, when it \
         states none) and with a weight type starting with the precision it states (`Q8` → `Q8_0`). It does not \
         match devices: the paper's devices are rarely in the dataset, so `paper_device` and `device_label` are \
         both in the output to filter on. A cell whose `weights_origin` is `synthetic` measures the model's \
         architecture (load time, latency, memory, power), never its weights.\n\n```sql\n{}```\n",
        join_sql("dataset")
    ));
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_unique_and_their_columns_exist() {
        let mut names: Vec<&str> = PUBLISHED_METRICS.iter().map(|m| m.metric).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), PUBLISHED_METRICS.len());
        for m in PUBLISHED_METRICS.iter().filter(|m| m.is_per_run()) {
            assert!(m.factor > 0.0, "{}", m.metric);
            if !matches!(m.measured, Measured::EnergyPerOutputToken) {
                assert!(!m.measured_unit().is_empty(), "{}: the measured column exists and has a unit", m.metric);
            }
        }
        assert_eq!(published_metric("peak_cpu_memory").map(|m| m.factor), Some(1e9));
        assert_eq!(published_metric("tpot_ms").map(|m| m.measured), Some(Measured::GenerationMean("tpot_ms")));
    }

    #[test]
    fn the_query_names_every_per_run_metric_and_the_given_directory() {
        let sql = join_sql("/data/x");
        for m in PUBLISHED_METRICS {
            let unit_row = format!("('{}', '{}',", m.metric, m.unit);
            assert_eq!(sql.contains(&unit_row), m.is_per_run(), "{}", m.metric);
        }
        assert!(sql.contains("read_json('/data/x/models.jsonl'") && sql.contains("'/data/x/v1/published/**/*.parquet'"));
        assert!(sql.contains("('peak_cpu_memory', 'GB', 1e9)") && sql.contains("CAST(r.peak_rss_bytes AS DOUBLE) AS peak_cpu_memory"));
        assert!(sql.contains("CASE WHEN r.weights_origin = 'trained' THEN g.relevance END AS relevance"));
    }
}

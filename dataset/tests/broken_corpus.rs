//! The validator rejects broken datasets, each with the message a contributor needs.
//!
//! Every case starts from a valid dataset written by the store, breaks exactly one thing the way
//! a bad contribution, a crash or a hostile file would, and checks that `validate` reports it:
//! the expected words, in a line that names the file (and row and column where there is one) and
//! says how to fix it.

mod common;

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use common::*;
use edgebench_dataset::fixtures;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::schema::{Sha256Hex, Text};
use edgebench_dataset::shard::Limits;
use edgebench_dataset::{Table, validate};
use parquet::file::metadata::KeyValue;

// Version cases live beside this file (a test crate's root resolves modules from `tests/`).
#[path = "broken_corpus/versions.rs"]
mod versions;

/// Builds a valid dataset, applies `corrupt`, validates, and checks that one problem line
/// contains every string of `expected`. Returns every problem line.
fn rejects(corrupt: impl FnOnce(&Path), expected: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_sample(root);
    let before = validate::validate(root, &Limits::default()).unwrap();
    assert!(before.is_valid(), "sample must start valid: {:?}", before.problems);
    corrupt(root);
    let report = validate::validate(root, &Limits::default()).unwrap();
    let lines: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(!report.is_valid(), "expected problems containing {expected:?}, dataset was valid");
    assert!(
        lines.iter().any(|l| expected.iter().all(|e| l.contains(e))),
        "no problem line contains all of {expected:?}; got:\n{}",
        lines.join("\n")
    );
    for line in &lines {
        assert!(!line.contains('\n'), "one line per problem: {line:?}");
        assert!(line.contains("(fix: "), "every problem says how to fix it: {line}");
        assert!(line.contains(&root.display().to_string()), "every problem names its file: {line}");
    }
    lines
}

fn shard_bytes(root: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(root.join("v1").join(rel)).unwrap()
}

fn overwrite(root: &Path, rel: &str, bytes: &[u8]) {
    std::fs::write(root.join("v1").join(rel), bytes).unwrap();
}

fn edit_manifest(root: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = manifest_path(root);
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut json);
    std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap()).unwrap();
}

fn manifest_index(root: &Path, table: &str) -> usize {
    load_manifest(root).shards.iter().position(|s| s.table == table).unwrap()
}

/// A generations batch (one valid row of a run the sample holds) with one column replaced.
fn generation_batch_with(column: &str, field: Field, array: ArrayRef) -> RecordBatch {
    let batch = batch_of(&[fixtures::generation(&a_run(), 7)]);
    let schema = batch.schema();
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut columns = batch.columns().to_vec();
    let i = schema.index_of(column).unwrap();
    fields[i] = field;
    columns[i] = array;
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
}

fn place_generation_batch(root: &Path, batch: &RecordBatch) -> String {
    let bytes = parquet_bytes(batch, writer_footer("generations", batch));
    place(root, "generations", "jetson-orin-nx", "smollm2-135m", &bytes, true)
}

fn generation(edit: impl FnOnce(&mut Generation)) -> Generation {
    let mut g = fixtures::generation(&a_run(), 9);
    edit(&mut g);
    g.generation_id = g.compute_id();
    g
}

fn run(edit: impl FnOnce(&mut Run)) -> Run {
    let mut r = fixtures::run("Jetson Orin NX", Backend::Cpu, Some("MAXN"), "SmolLM2 135M", 40);
    edit(&mut r);
    r.run_id = r.compute_id();
    r
}

// ---- files and layout ----

#[test]
fn truncated_shard() {
    rejects(|root| {
        let rel = first_shard(root, "generations");
        let bytes = shard_bytes(root, &rel);
        overwrite(root, &rel, &bytes[..bytes.len() / 2]);
    }, &["generations/", "not a Parquet file", "truncated"]);
}

#[test]
fn wrong_magic() {
    rejects(|root| {
        let rel = first_shard(root, "runs");
        let mut bytes = shard_bytes(root, &rel);
        bytes[..4].copy_from_slice(b"ORC\0");
        overwrite(root, &rel, &bytes);
    }, &["runs/", "PAR1 magic"]);
}

#[test]
fn empty_file() {
    rejects(|root| { place(root, "runs", "jetson-orin-nx", "smollm2-135m", b"", true); }, &["not a Parquet file"]);
}

#[test]
fn garbage_footer() {
    rejects(|root| {
        let mut bytes = b"PAR1".to_vec();
        bytes.extend((0..2000u32).map(|i| (i * 7919 % 251) as u8));
        bytes.extend(200u32.to_le_bytes());
        bytes.extend(b"PAR1");
        place(root, "runs", "jetson-orin-nx", "smollm2-135m", &bytes, true);
    }, &["unreadable Parquet footer"]);
}

#[test]
fn footer_length_larger_than_the_file() {
    rejects(|root| {
        let mut bytes = b"PAR1".to_vec();
        bytes.extend([0u8; 64]);
        bytes.extend(0x7fff_fff0u32.to_le_bytes());
        bytes.extend(b"PAR1");
        place(root, "kernels", "jetson-orin-nx", "smollm2-135m", &bytes, true);
    }, &["kernels/", "unreadable Parquet footer"]);
}

#[test]
fn listed_shard_missing() {
    rejects(|root| {
        let rel = first_shard(root, "microbench");
        std::fs::remove_file(root.join("v1").join(&rel)).unwrap();
    }, &["microbench/", "listed in MANIFEST.json but the file is missing"]);
}

#[test]
fn unlisted_shard() {
    rejects(|root| {
        let mut rows = vec![run(|_| {})];
        let bytes = edgebench_dataset::shard::encode(&mut rows).unwrap();
        place(root, "runs", "jetson-orin-nx", "smollm2-135m", &bytes, false);
    }, &["runs/", "not listed in MANIFEST.json", "dataset repair"]);
}

#[test]
fn manifest_not_json() {
    rejects(|root| std::fs::write(manifest_path(root), "{\n  \"format\": \"edgebench-manifest/1\",\n  oops\n}").unwrap(),
        &["MANIFEST.json", "line 3"]);
}

#[test]
fn manifest_unknown_field() {
    rejects(|root| edit_manifest(root, |m| { m["shards"][0]["checksum"] = serde_json::json!("x"); }),
        &["MANIFEST.json", "unknown field `checksum`"]);
}

#[test]
fn manifest_hash_differs_from_file_name() {
    rejects(|root| {
        let i = manifest_index(root, "runs");
        edit_manifest(root, |m| { m["shards"][i]["sha256"] = serde_json::json!(Sha256Hex::of(b"other").to_string()); });
    }, &["MANIFEST.json", "sha256 differs from the file name"]);
}

#[test]
fn manifest_row_count_wrong() {
    rejects(|root| {
        let i = manifest_index(root, "generations");
        edit_manifest(root, |m| { m["shards"][i]["rows"] = serde_json::json!(999); });
    }, &["generations/", "rows but MANIFEST.json says 999"]);
}

#[test]
fn manifest_byte_size_wrong() {
    rejects(|root| {
        let i = manifest_index(root, "published");
        edit_manifest(root, |m| { m["shards"][i]["bytes"] = serde_json::json!(1); });
    }, &["published/", "bytes but MANIFEST.json says 1"]);
}

#[test]
fn shard_edited_after_writing() {
    // Another shard's bytes under this shard's name: the name is no longer the content hash.
    rejects(|root| {
        let a = first_shard(root, "runs");
        let b = load_manifest(root).shards.iter().filter(|s| s.table == "runs").nth(1).unwrap().path.clone();
        let other = shard_bytes(root, &b);
        overwrite(root, &a, &other);
    }, &["runs/", "file name is not the sha256 of its bytes"]);
}

#[test]
fn leftover_temporary_file() {
    rejects(|root| std::fs::write(root.join("v1/runs/.MANIFEST.json.tmp-123-456"), b"partial").unwrap(),
        &["temporary file left by an interrupted write"]);
}

#[test]
fn unknown_table_directory() {
    rejects(|root| {
        let mut rows = vec![run(|_| {})];
        let bytes = edgebench_dataset::shard::encode(&mut rows).unwrap();
        place(root, "telemetry_raw", "jetson-orin-nx", "smollm2-135m", &bytes, false);
    }, &["telemetry_raw/", "unknown table `telemetry_raw`"]);
}

#[test]
fn partition_directory_not_a_slug() {
    rejects(|root| {
        let mut rows = vec![run(|_| {})];
        let bytes = edgebench_dataset::shard::encode(&mut rows).unwrap();
        place(root, "runs", "Jetson Orin NX", "smollm2-135m", &bytes, false);
    }, &["device partition `Jetson Orin NX` is not a slug"]);
}

#[test]
fn stray_file_in_the_dataset() {
    rejects(|root| std::fs::write(root.join("v1/runs/notes.txt"), b"hello").unwrap(), &["runs/notes.txt", "unexpected file"]);
}

#[test]
fn unknown_schema_version_directory() {
    rejects(|root| std::fs::create_dir_all(root.join("v2/runs")).unwrap(), &["v2", "not known to this tool"]);
}

// ---- schema ----

#[test]
fn column_of_the_wrong_type() {
    rejects(|root| {
        let b = generation_batch_with("ttft_ms", Field::new("ttft_ms", DataType::Int64, true), Arc::new(Int64Array::from(vec![Some(15)])));
        place_generation_batch(root, &b);
    }, &["column ttft_ms", "has type Int64, expected Float64"]);
}

#[test]
fn column_missing() {
    rejects(|root| {
        let b = batch_of(&[fixtures::generation(&a_run(), 7)]);
        let i = b.schema().index_of("relevance").unwrap();
        let mut b = b;
        b.remove_column(i);
        place_generation_batch(root, &b);
    }, &["column relevance", "column is missing"]);
}

#[test]
fn extra_column() {
    rejects(|root| {
        let b = batch_of(&[fixtures::generation(&a_run(), 7)]);
        let mut fields: Vec<Field> = b.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
        let mut columns = b.columns().to_vec();
        fields.push(Field::new("gpu_util_pct", DataType::Float64, true));
        columns.push(Arc::new(Float64Array::from(vec![Some(50.0)])));
        let b = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
        place_generation_batch(root, &b);
    }, &["column gpu_util_pct", "is not a column of `generations`"]);
}

#[test]
fn column_with_the_wrong_nullability() {
    rejects(|root| {
        let text = StringArray::from(vec![Some("The answer is 7.")]);
        let b = generation_batch_with("output_text", Field::new("output_text", DataType::Utf8, false), Arc::new(text));
        place_generation_batch(root, &b);
    }, &["column output_text", "is not nullable, expected nullable"]);
}

#[test]
fn columns_out_of_order() {
    rejects(|root| {
        let b = batch_of(&[fixtures::generation(&a_run(), 7)]);
        let mut order: Vec<usize> = (0..b.num_columns()).collect();
        order.swap(0, 1);
        let b = b.project(&order).unwrap();
        place_generation_batch(root, &b);
    }, &["columns are not in schema order"]);
}

#[test]
fn footer_contradicts_the_rows() {
    rejects(|root| {
        let b = batch_of(&[fixtures::generation(&a_run(), 7)]);
        let mut footer = writer_footer("generations", &b);
        for kv in &mut footer {
            if kv.key == "edgebench.device_label" {
                kv.value = Some("Jetson AGX Orin".into());
            }
        }
        let bytes = parquet_bytes(&b, footer);
        place(root, "generations", "jetson-orin-nx", "smollm2-135m", &bytes, true);
    }, &["row 0", "column device_label", "the footer says `Jetson AGX Orin`"]);
}

#[test]
fn footer_without_table_entry() {
    rejects(|root| {
        let b = batch_of(&[fixtures::generation(&a_run(), 7)]);
        let footer: Vec<KeyValue> = writer_footer("generations", &b).into_iter().filter(|kv| kv.key != "edgebench.table").collect();
        let bytes = parquet_bytes(&b, footer);
        place(root, "generations", "jetson-orin-nx", "smollm2-135m", &bytes, true);
    }, &["footer lacks `edgebench.table`"]);
}

#[test]
fn footer_with_an_unknown_entry() {
    rejects(|root| {
        let b = batch_of(&[fixtures::generation(&a_run(), 7)]);
        let mut footer = writer_footer("generations", &b);
        footer.push(KeyValue::new("edgebench.favourite_colour".into(), "blue".to_string()));
        let bytes = parquet_bytes(&b, footer);
        place(root, "generations", "jetson-orin-nx", "smollm2-135m", &bytes, true);
    }, &["unknown entry `edgebench.favourite_colour`"]);
}

// ---- values ----

#[test]
fn enum_value_outside_its_set() {
    rejects(|root| {
        let b = generation_batch_with("backend", Field::new("backend", DataType::Utf8, false), Arc::new(StringArray::from(vec!["gpu"])));
        place_generation_batch(root, &b);
    }, &["row 0", "column backend", "`gpu` is not one of: cpu, cuda, metal, vulkan"]);
}

#[test]
fn digest_that_is_not_sha256() {
    rejects(|root| {
        let b = generation_batch_with("prompt_sha256", Field::new("prompt_sha256", DataType::Utf8, false), Arc::new(StringArray::from(vec!["ABC123"])));
        place_generation_batch(root, &b);
    }, &["column prompt_sha256", "is not a sha256 digest"]);
}

#[test]
fn huge_label() {
    rejects(|root| { place_rows(root, vec![run(|r| r.host_cpu_model = "x".repeat(5000))]); },
        &["column host_cpu_model", "5000 bytes long, over the 1024-byte limit"]);
}

#[test]
fn label_with_a_newline() {
    rejects(|root| { place_rows(root, vec![run(|r| r.host_os = "Linux\nrm -rf /".into())]); },
        &["column host_os", "control characters"]);
}

#[test]
fn not_a_number() {
    rejects(|root| { place_rows(root, vec![generation(|g| g.mean_power_w = Some(f64::NAN))]); },
        &["column mean_power_w", "not a finite number"]);
}

#[test]
fn negative_duration() {
    rejects(|root| { place_rows(root, vec![generation(|g| g.ttft_ms = Some(-5.0))]); },
        &["row 0", "column ttft_ms", "is negative"]);
}

#[test]
fn negative_load_time() {
    rejects(|root| { place_rows(root, vec![run(|r| r.load_ms = Some(-1.0))]); }, &["column load_ms", "is negative"]);
}

#[test]
fn tpot_inconsistent_with_token_count() {
    rejects(|root| { place_rows(root, vec![generation(|g| g.output_tokens = Some(12))]); },
        &["column tpot_ms", "(generation_ms − ttft_ms) / (output_tokens − 1)"]);
}

#[test]
fn decode_rate_inconsistent_with_tpot() {
    rejects(|root| { place_rows(root, vec![generation(|g| g.decode_tokens_per_s = Some(400.0))]); },
        &["column decode_tokens_per_s", "1000 / tpot_ms"]);
}

#[test]
fn prefill_rate_inconsistent_with_prompt_tokens() {
    rejects(|root| { place_rows(root, vec![generation(|g| g.prompt_tokens = Some(4000))]); },
        &["column prefill_tokens_per_s", "prompt_tokens × 1000 / prefill_ms"]);
}

#[test]
fn physically_impossible_decode_speed() {
    rejects(|root| {
        place_rows(root, vec![generation(|g| {
            let n = f64::from(g.output_tokens.unwrap() - 1);
            g.tpot_ms = Some(0.001);
            g.decode_tokens_per_s = Some(1_000_000.0);
            g.generation_ms = Some(g.ttft_ms.unwrap() + 0.001 * n);
        })]);
    }, &["column tpot_ms", "outside the plausible range"]);
}

#[test]
fn ttft_of_more_than_an_hour() {
    rejects(|root| {
        place_rows(root, vec![generation(|g| {
            g.ttft_ms = Some(5e6);
            g.generation_ms = Some(5e6 + g.tpot_ms.unwrap() * f64::from(g.output_tokens.unwrap() - 1));
        })]);
    }, &["column ttft_ms", "outside the plausible range"]);
}

#[test]
fn failed_run_without_reason() {
    rejects(|root| {
        let mut r = fixtures::failed_run("MacBook Pro M4", "gemma-3-270m", 9);
        r.failure_reason = None;
        r.run_id = r.compute_id();
        place_rows(root, vec![r]);
    }, &["column failure_reason", "status is `load_failed`: a failure needs its reason"]);
}

#[test]
fn successful_run_with_a_failure_reason() {
    rejects(|root| { place_rows(root, vec![run(|r| r.failure_reason = Some("oops".into()))]); },
        &["column failure_reason", "must be null when status is `ok`"]);
}

#[test]
fn successful_run_without_load_time() {
    rejects(|root| { place_rows(root, vec![run(|r| r.load_ms = None)]); },
        &["column load_ms", "is null but required when status is `ok`"]);
}

#[test]
fn power_missing_without_a_reason() {
    rejects(|root| { place_rows(root, vec![run(|r| { r.mean_power_w = None; r.energy_j = None; })]); },
        &["column mean_power_w", "power_null_reason does not say why"]);
}

#[test]
fn gpu_layers_on_the_cpu_backend() {
    rejects(|root| { place_rows(root, vec![run(|r| r.n_gpu_layers = 33)]); }, &["column n_gpu_layers", "on the cpu back-end"]);
}

#[test]
fn run_that_ends_before_it_starts() {
    rejects(|root| { place_rows(root, vec![run(|r| r.finished_at.0 = r.started_at.0 - 1)]); },
        &["column finished_at", "is before started_at"]);
}

#[test]
fn rss_larger_than_the_machine() {
    rejects(|root| { place_rows(root, vec![run(|r| r.peak_rss_bytes = Some(r.host_ram_bytes * 4))]); },
        &["column peak_rss_bytes", "exceeds the host's RAM"]);
}

#[test]
fn output_hash_does_not_match_output() {
    rejects(|root| { place_rows(root, vec![generation(|g| g.output_text = Some(Text("changed after hashing".into())))]); },
        &["column output_sha256", "does not match the sha256 of `output_text`"]);
}

#[test]
fn run_config_hash_does_not_match() {
    rejects(|root| { place_rows(root, vec![run(|r| r.run_config_json = Text(r#"{"edited":true}"#.into()))]); },
        &["column run_config_sha256", "does not match the sha256 of `run_config_json`"]);
}

#[test]
fn published_value_not_in_its_quote() {
    rejects(|root| {
        place_rows(root, vec![fixtures::published("Jetson Orin NX", Some("Qwen-3B"), "tpot_ms", 96.0, "ms/token", "Qwen-3B sees its TPOT drop from 109 ms/token on CPU to 69 ms/token on GPU")]);
    }, &["column value", "96 does not appear in the quoted sentence"]);
}

// ---- identity, partitions, references ----

#[test]
fn id_that_is_not_the_hash_of_its_fields() {
    rejects(|root| {
        let mut r = run(|_| {});
        r.repetition = 41; // identifying field changed after the id was computed
        place_rows(root, vec![r]);
    }, &["column run_id", "is not the sha256 of the identifying fields"]);
}

#[test]
fn duplicate_row_in_two_shards() {
    rejects(|root| {
        // The sample's first CPU run again, beside a new run so the shard's bytes differ.
        let dup = a_run();
        place_rows(root, vec![dup, run(|_| {})]);
    }, &["column run_id", "duplicate id", "also "]);
}

#[test]
fn row_in_the_wrong_partition() {
    rejects(|root| {
        let mut rows = vec![fixtures::run("MacBook Pro M4", Backend::Cpu, None, "gemma-3-270m", 50)];
        let bytes = edgebench_dataset::shard::encode(&mut rows).unwrap();
        place(root, "runs", "jetson-orin-nx", "gemma-3-270m", &bytes, true);
    }, &["row belongs in device=macbook-pro-m4/model=gemma-3-270m but the shard is in device=jetson-orin-nx/model=gemma-3-270m"]);
}

#[test]
fn generation_of_a_run_that_is_not_there() {
    rejects(|root| {
        let orphan_run = run(|r| r.repetition = 77);
        place_rows(root, vec![fixtures::generation(&orphan_run, 0)]);
    }, &["column run_id", "is not in the runs table"]);
}

#[test]
fn generation_that_disagrees_with_its_run() {
    rejects(|root| {
        let mut g = fixtures::generation(&a_run(), 5);
        g.power_mode = Some("15W".into());
        g.generation_id = g.compute_id();
        place_rows(root, vec![g]);
    }, &["column power_mode", "differs from the same column of its run"]);
}

#[test]
fn cli_exit_codes_and_one_line_per_problem() {
    let bin = env!("CARGO_BIN_EXE_dataset");
    let dir = tempfile::tempdir().unwrap();
    write_sample(dir.path());
    let ok = std::process::Command::new(bin).arg("validate").arg(dir.path()).output().unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(ok.stdout.is_empty());

    place_rows(dir.path(), vec![generation(|g| g.ttft_ms = Some(-5.0))]);
    let bad = std::process::Command::new(bin).arg("validate").arg(dir.path()).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let stdout = String::from_utf8(bad.stdout).unwrap();
    let expected = validate::validate(dir.path(), &Limits::default()).unwrap().problems.len();
    assert_eq!(stdout.lines().count(), expected);
    assert!(stdout.contains("column ttft_ms: is negative"), "{stdout}");

    let usage = std::process::Command::new(bin).args(["validate", "/no/such/dir"]).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
    let not_dataset = std::process::Command::new(bin).arg("validate").arg(dir.path().join("v1")).output().unwrap();
    assert_eq!(not_dataset.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&not_dataset.stderr).contains("not an edgebench dataset"));
    let bad_flag = std::process::Command::new(bin).args(["validate", "--frobnicate"]).output().unwrap();
    assert_eq!(bad_flag.status.code(), Some(2));
}

#[test]
#[ignore = "prints sample output for humans; run with --ignored --nocapture"]
fn show_sample_output() {
    let dir = tempfile::tempdir().unwrap();
    write_sample(dir.path());
    place_rows(dir.path(), vec![generation(|g| { g.ttft_ms = Some(-5.0); g.decode_tokens_per_s = Some(400.0); })]);
    let rel = first_shard(dir.path(), "runs");
    let bytes = shard_bytes(dir.path(), &rel);
    overwrite(dir.path(), &rel, &bytes[..bytes.len() / 2]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dataset")).arg("validate").arg(dir.path()).output().unwrap();
    println!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

fn microbench(edit: impl FnOnce(&mut Microbench)) -> Microbench {
    let mut m = edgebench_dataset::fixtures::microbench("Jetson Orin NX", FusionVariant::Fused, 0, 76.4);
    edit(&mut m);
    m.microbench_id = m.compute_id();
    m
}

#[test]
fn bandwidth_that_is_not_positive() {
    rejects(|root| { place_rows(root, vec![microbench(|m| m.copy_bandwidth_gb_s = Some(-3.0))]); },
        &["microbench/", "column copy_bandwidth_gb_s"]);
}

#[test]
fn launch_configuration_that_is_not_a_json_object() {
    rejects(|root| { place_rows(root, vec![microbench(|m| m.launch_config_json = Some("grid=4".into()))]); },
        &["column launch_config_json", "is not a JSON object"]);
}


#[test]
fn synthetic_run_without_its_generator() {
    rejects(|root| { place_rows(root, vec![run(|r| { r.weights_origin = Some(WeightsOrigin::Synthetic); r.synthetic_seed = Some(7); r.synthetic_preset = Some("qwen2.5-0.5b".into()); })]); },
        &["column synthetic_generator", "is null but required when weights_origin is `synthetic`"]);
}

#[test]
fn trained_run_with_a_synthetic_seed() {
    rejects(|root| { place_rows(root, vec![run(|r| r.synthetic_seed = Some(7))]); },
        &["column synthetic_seed", "must be null when the weights are not synthetic"]);
}

#[test]
fn relevance_with_a_reason_it_is_null() {
    rejects(|root| { place_rows(root, vec![generation(|g| { g.relevance = Some(0.5); g.relevance_null_reason = Some("synthetic".into()); })]); },
        &["column relevance_null_reason", "must be null when relevance has a value"]);
}

#[test]
fn resident_fraction_above_one() {
    rejects(|root| { place_rows(root, vec![run(|r| { r.model_resident_fraction = Some(1.5); r.model_resident_null_reason = None; })]); },
        &["column model_resident_fraction", "outside the plausible range [0, 1]"]);
}

#[test]
fn resident_fraction_with_a_reason_it_is_null() {
    rejects(|root| { place_rows(root, vec![run(|r| r.model_resident_fraction = Some(0.5))]); },
        &["column model_resident_null_reason", "is set although model_resident_fraction has a value"]);
}

#[test]
fn cold_start_failure_without_a_cold_start() {
    rejects(|root| { place_rows(root, vec![run(|r| r.cold_start_failure_reason = Some("no posix_fadvise".into()))]); },
        &["column cold_start_failure_reason", "no cold start was asked for"]);
}

#[test]
fn repetition_decision_without_its_rule() {
    rejects(|root| { place_rows(root, vec![run(|r| r.repetition_decision = Some(RepetitionDecision::TargetMet))]); },
        &["column repetition_decision", "is set but repetition_rule is null"]);
}

#[test]
fn energy_method_without_energy() {
    rejects(|root| { place_rows(root, vec![generation(|g| { g.energy_j = None; g.energy_per_output_token_j = None; g.mean_power_w = None; g.power_null_reason = Some("no sensor".into()); })]); },
        &["column energy_method", "must be null when energy_j is null"]);
}

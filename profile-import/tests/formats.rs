//! Each format read from a file in the documented format, with the values asserted.

mod common;

use common::*;
use edgebench_profile_import::{
    Format, ImportedCapture, ImportedKernel, OpClass, ProfileTool, Sha256Hex, TimingSource, import,
};

fn kernel<'a>(c: &'a ImportedCapture, base: &str) -> &'a ImportedKernel {
    c.kernels.iter().find(|k| k.base_name == base).unwrap_or_else(|| {
        panic!("no kernel {base} in {:?}", c.kernels.iter().map(|k| &k.base_name).collect::<Vec<_>>())
    })
}

/// Imports twice: the same bytes give the same capture, whose id is their sha256.
fn import_checked(path: &std::path::Path) -> ImportedCapture {
    let c = import(path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.capture_id, Sha256Hex::of(&std::fs::read(path).unwrap()));
    assert_eq!(import(path).unwrap(), c, "a second import differs");
    for k in &c.kernels {
        assert!(k.calls >= 1);
        assert_close(k.avg_ns * k.calls as f64, k.total_ns, &format!("{} total", k.name));
    }
    c
}

#[test]
fn nsys_sqlite_export() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decode.sqlite");
    nsys_sqlite(&path, false);
    let c = import_checked(&path);
    assert_eq!(c.format, Format::NsysSqlite);
    assert_eq!(c.tool, ProfileTool::Nsys);
    assert_eq!(c.timing_source, TimingSource::DeviceActivity);
    assert_eq!(c.tool_version.as_deref(), Some("2024.5.1.113"));
    assert_eq!(c.kernels.len(), SQLITE_KERNELS.len());

    let mmq = kernel(&c, "mul_mat_q");
    assert_eq!(mmq.name, SQLITE_KERNELS[0].0, "the demangled name is kept as printed");
    assert_eq!(mmq.class, OpClass::Gemm);
    assert_eq!(mmq.calls, 4);
    assert_close(mmq.total_ns, 128_000.0, "total");
    assert_close(mmq.avg_ns, 32_000.0, "avg");
    assert_opt(mmq.min_ns, Some(30_000.0), "min");
    assert_opt(mmq.max_ns, Some(35_000.0), "max");
    assert_opt(mmq.median_ns, Some(31_500.0), "median of an even count");
    // Sample standard deviation of 30, 35, 31, 32 µs: sqrt(14e6 / 3).
    assert_opt(mmq.stddev_ns, Some((14e6f64 / 3.0).sqrt()), "stddev");
    assert_eq!(mmq.achieved_occupancy_pct, None);

    let mmvq = kernel(&c, "mul_mat_vec_q");
    assert_eq!((mmvq.class, mmvq.calls), (OpClass::Gemv, 3));
    assert_opt(mmvq.median_ns, Some(8_100.0), "median of an odd count");
    let rope = kernel(&c, "rope_neox");
    assert_eq!((rope.class, rope.calls), (OpClass::Rope, 1));
    assert_opt(rope.stddev_ns, Some(0.0), "one launch");
    assert_eq!(kernel(&c, "quantize_mmq_q8_1").class, OpClass::Quantize);
    assert_eq!(kernel(&c, "cpy_scalar").class, OpClass::Memory);
    assert_eq!(kernel(&c, "argmax_f32").class, OpClass::Misc);
    let cutlass = kernel(&c, "Kernel2");
    assert_eq!(cutlass.class, OpClass::Gemm, "cutlass::Kernel2 is matched on its full name");

    // Nothing was created beside the file, and the file is untouched.
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("decode.sqlite")]);
}

#[test]
fn nsys_sqlite_older_export_without_newer_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    nsys_sqlite(&path, true);
    let c = import_checked(&path);
    assert_eq!(c.tool_version, None, "no META_DATA_EXPORT table");
    let names: Vec<_> = c.kernels.iter().map(|k| k.name.as_str()).collect();
    assert!(names.contains(&"mul_mat_q") && names.contains(&"Kernel2"), "short names only: {names:?}");
    assert_eq!(kernel(&c, "mul_mat_q").calls, 4);
    assert_eq!(kernel(&c, "mul_mat_vec_q").class, OpClass::Gemv);
    // With only the short name `Kernel2`, nothing says it is CUTLASS.
    assert_eq!(kernel(&c, "Kernel2").class, OpClass::Other);
}

#[test]
fn nsys_sqlite_in_a_read_only_directory_and_a_path_needing_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("ro dir?#%");
    std::fs::create_dir(&sub).unwrap();
    let path = sub.join("a b?c#d%e.sqlite");
    nsys_sqlite(&path, false);
    let before = std::fs::read(&path).unwrap();
    // Read-only for an ordinary user (root ignores it; the listing below checks either way).
    let original = std::fs::metadata(&sub).unwrap().permissions();
    let mut read_only = original.clone();
    read_only.set_readonly(true);
    std::fs::set_permissions(&sub, read_only).unwrap();
    let c = import(&path);
    std::fs::set_permissions(&sub, original).unwrap();
    assert_eq!(c.unwrap_or_else(|e| panic!("{e}")).kernels.len(), SQLITE_KERNELS.len());
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(std::fs::read_dir(&sub).unwrap().count(), 1);
}

#[test]
fn nsys_stats_cuda_gpu_kern_sum_csv() {
    let c = import_checked(&data("nsys_cuda_gpu_kern_sum.csv"));
    assert_eq!(c.format, Format::NsysStatsCsv);
    assert_eq!(
        (c.tool, c.timing_source, c.tool_version.clone()),
        (ProfileTool::Nsys, TimingSource::DeviceActivity, None)
    );
    assert_eq!(c.kernels.len(), 5);
    let mmvq = kernel(&c, "mul_mat_vec_q");
    assert!(mmvq.name.starts_with("void mul_mat_vec_q<(ggml_type)3"));
    assert_eq!((mmvq.class, mmvq.calls), (OpClass::Gemv, 100));
    assert_close(mmvq.total_ns, 1_250_000.0, "total");
    assert_close(mmvq.avg_ns, 12_500.0, "avg");
    assert_opt(mmvq.median_ns, Some(12_400.0), "median");
    assert_opt(mmvq.min_ns, Some(11_000.0), "min");
    assert_opt(mmvq.max_ns, Some(15_000.0), "max");
    assert_opt(mmvq.stddev_ns, Some(800.5), "stddev");
    assert_eq!(kernel(&c, "flash_attn_ext_f16").class, OpClass::Attention);
    assert_eq!(kernel(&c, "rms_norm_f32").class, OpClass::Norm);
    assert_eq!(kernel(&c, "k_bin_bcast").class, OpClass::Elementwise);
    let gemm = kernel(&c, "ampere_h16816gemm_128x64_ldg8_stages_64x3_tn");
    assert_eq!((gemm.class, gemm.calls), (OpClass::Gemm, 4));
}

#[test]
fn nsys_stats_older_gpukernsum_csv() {
    let c = import_checked(&data("nsys_gpukernsum_old.csv"));
    assert_eq!(c.format, Format::NsysStatsCsv);
    let mmq = kernel(&c, "mul_mat_q");
    assert_eq!((mmq.class, mmq.calls), (OpClass::Gemm, 150));
    assert_close(mmq.total_ns, 2_100_000.0, "thousands separators");
    assert_close(mmq.avg_ns, 14_000.0, "avg");
    assert_opt(mmq.min_ns, Some(12_000.0), "Minimum");
    assert_opt(mmq.max_ns, Some(19_500.0), "Maximum");
    assert_opt(mmq.stddev_ns, Some(1_250.4), "StdDev");
    assert_opt(mmq.median_ns, None, "this report has no median");
    assert_eq!(kernel(&c, "rope_neox").class, OpClass::Rope);
    assert_eq!(kernel(&c, "quantize_q8_1").class, OpClass::Quantize);
}

#[test]
fn nsys_stats_variants_calls_units_and_repeated_names() {
    let dir = tempfile::tempdir().unwrap();
    // `Calls`, times in µs, a name listed twice (as reports grouped by NVTX range do), and names
    // with commas left unquoted (the last column takes the rest of the line).
    let text = "Time(%),Total Time (us),Calls,Average (us),Minimum (us),Maximum (us),StdDev (us),Name\n\
                60.0,30.0,3,10.0,9.0,11.0,1.0,k_get_rows_float<float, float>\n\
                40.0,20.0,2,10.0,8.0,12.0,2.8284271247461903,k_get_rows_float<float, float>\n";
    let path = write(dir.path(), "variant.csv", text.as_bytes());
    let c = import_checked(&path);
    assert_eq!(c.kernels.len(), 1);
    let k = &c.kernels[0];
    assert_eq!((k.class, k.calls), (OpClass::Memory, 5));
    assert_close(k.total_ns, 50_000.0, "µs scaled to ns and summed");
    assert_opt(k.min_ns, Some(8_000.0), "min");
    assert_opt(k.max_ns, Some(12_000.0), "max");
    assert_opt(k.median_ns, None, "a median cannot be pooled");
    // Pooled sample deviation of {9,10,11} and {8,12} µs is that of all five values.
    let all = [9.0f64, 10.0, 11.0, 8.0, 12.0];
    let sd = (all.iter().map(|v| (v - 10.0).powi(2)).sum::<f64>() / 4.0).sqrt() * 1e3;
    assert_opt(k.stddev_ns, Some(sd), "pooled stddev");
}

#[test]
fn ncu_raw_csv() {
    let c = import_checked(&data("ncu_raw.csv"));
    assert_eq!(c.format, Format::NcuRawCsv);
    assert_eq!((c.tool, c.timing_source), (ProfileTool::Ncu, TimingSource::NcuReplay));
    assert_eq!(c.tool_version, None, "the ==PROF== lines name no version");
    let mmvq = kernel(&c, "mul_mat_vec_q");
    assert_eq!((mmvq.class, mmvq.calls), (OpClass::Gemv, 2));
    assert_close(mmvq.total_ns, 26_000.0, "thousands separators in durations");
    assert_opt(mmvq.achieved_occupancy_pct, Some(45.0), "achieved");
    assert_opt(mmvq.theoretical_occupancy_pct, Some(50.0), "theoretical");
    assert_opt(mmvq.eligible_warps_per_cycle, Some(0.7), "eligible");
    assert_opt(mmvq.active_warps_per_cycle, Some(5.0), "active");
    assert_opt(mmvq.issued_warps_per_cycle, Some(0.34), "issued");
    assert_opt(mmvq.dram_throughput_pct, Some(79.2), "dram");
    let norm = kernel(&c, "rms_norm_f32");
    assert_eq!((norm.class, norm.calls), (OpClass::Norm, 1));
    assert_opt(norm.median_ns, Some(3_000.0), "median");
    let q = kernel(&c, "quantize_q8_1");
    assert_eq!(q.class, OpClass::Quantize);
    assert_opt(q.achieved_occupancy_pct, None, "n/a");
    assert_opt(q.eligible_warps_per_cycle, None, "empty");
    assert_opt(q.dram_throughput_pct, Some(12.5), "dram");
}

#[test]
fn ncu_raw_csv_old_dram_metric_name_and_version_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = "==PROF== Connected to process 1 (/bin/x)\n\
                ==PROF== NVIDIA Nsight Compute version 2022.4.1 (synthetic line for this test)\n\
                \"ID\",\"Kernel Name\",\"gpu__time_duration.sum\",\"dram__throughput.avg.pct_of_peak_sustained_elapsed\"\n\
                \"\",\"\",\"usecond\",\"%\"\n\
                \"0\",\"soft_max_f32\",\"1.5\",\"40\"\n\
                \"1\",\"soft_max_f32\",\"2.5\",\"60\"\n\
                ==PROF== Disconnected from process 1\n";
    let c = import_checked(&write(dir.path(), "old.csv", text.as_bytes()));
    assert_eq!(c.tool_version.as_deref(), Some("2022.4.1"));
    let k = &c.kernels[0];
    assert_eq!((k.class, k.calls), (OpClass::Attention, 2));
    assert_close(k.total_ns, 4_000.0, "usecond");
    assert_opt(k.dram_throughput_pct, Some(50.0), "dram__throughput accepted");
}

#[test]
fn ncu_details_csv() {
    let c = import_checked(&data("ncu_details.csv"));
    assert_eq!(c.format, Format::NcuDetailsCsv);
    assert_eq!((c.tool, c.timing_source), (ProfileTool::Ncu, TimingSource::NcuReplay));
    assert_eq!(c.kernels.len(), 2);
    let mmq = kernel(&c, "mul_mat_q");
    assert_eq!((mmq.class, mmq.calls), (OpClass::Gemm, 2));
    assert_close(mmq.total_ns, 73_000.0, "35.5 µs + 0.0375 ms");
    assert_opt(mmq.min_ns, Some(35_500.0), "min");
    assert_opt(mmq.max_ns, Some(37_500.0), "max");
    assert_opt(mmq.median_ns, Some(36_500.0), "median");
    assert_opt(mmq.stddev_ns, Some(2f64.sqrt() * 1_000.0), "stddev");
    assert_opt(mmq.dram_throughput_pct, Some(62.25), "the %-valued DRAM Throughput only");
    assert_opt(mmq.theoretical_occupancy_pct, Some(33.33), "theoretical");
    assert_opt(mmq.achieved_occupancy_pct, Some(31.0), "achieved");
    assert_opt(mmq.active_warps_per_cycle, Some(3.7), "active");
    assert_opt(mmq.eligible_warps_per_cycle, Some(0.5), "eligible");
    assert_opt(mmq.issued_warps_per_cycle, Some(0.3), "issued");
    let rows = kernel(&c, "k_get_rows_float");
    assert_eq!((rows.class, rows.calls), (OpClass::Memory, 1));
    assert_close(rows.total_ns, 2_048.0, "nsecond with a thousands separator");
    assert_opt(rows.achieved_occupancy_pct, Some(12.0), "achieved");
    assert_opt(rows.theoretical_occupancy_pct, None, "not reported");
}

fn check_torch(c: &ImportedCapture) {
    assert_eq!((c.tool, c.timing_source), (ProfileTool::Torch, TimingSource::DeviceActivity));
    assert_eq!(c.tool_version.as_deref(), Some("kineto trace schema 1"));
    assert_eq!(c.kernels.len(), 4, "cpu ops, runtime calls, memcpy, flows and metadata are not kernels");
    let gemm = kernel(c, "Kernel2");
    assert_eq!((gemm.class, gemm.calls), (OpClass::Gemm, 2));
    assert_close(gemm.total_ns, 26_000.0, "µs to ns");
    assert_opt(gemm.median_ns, Some(13_000.0), "median");
    assert_opt(gemm.stddev_ns, Some(2f64.sqrt() / 2.0 * 1_000.0), "stddev");
    let add = kernel(c, "vectorized_elementwise_kernel");
    assert_eq!((add.class, add.calls), (OpClass::Elementwise, 1), "category `Kernel` matched case-insensitively");
    assert_close(add.total_ns, 2_000.0, "integer dur");
    assert_eq!(kernel(c, "flash_fwd_kernel").class, OpClass::Attention);
    assert_eq!(kernel(c, "gemv2T_kernel_val").class, OpClass::Gemv);
}

#[test]
fn torch_chrome_trace_json() {
    let c = import_checked(&data("torch_trace.json"));
    assert_eq!(c.format, Format::TorchTrace);
    check_torch(&c);
}

#[test]
fn torch_chrome_trace_gzip_and_bare_array() {
    let dir = tempfile::tempdir().unwrap();
    // Named .json on purpose: the content decides.
    let path = write(dir.path(), "trace.json", &gzip(&data_bytes("torch_trace.json")));
    let c = import_checked(&path);
    assert_eq!(c.format, Format::TorchTraceGzip);
    check_torch(&c);

    let array = br#"[{"ph":"X","cat":"kernel","name":"k_bin_bcast<op_mul>","ts":1,"dur":1.5},
                    {"ph":"X","cat":"kernel","name":"k_bin_bcast<op_mul>","ts":3,"dur":0.5}]"#;
    let c = import_checked(&write(dir.path(), "array.txt", array));
    assert_eq!((c.kernels.len(), c.kernels[0].calls, c.tool_version.clone()), (1, 2, None));
    assert_close(c.kernels[0].total_ns, 2_000.0, "total");
}

#[test]
fn content_decides_the_format_not_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "looks-like.sqlite", &data_bytes("nsys_cuda_gpu_kern_sum.csv"));
    assert_eq!(import(&csv).unwrap().format, Format::NsysStatsCsv);
    let db = dir.path().join("looks-like.json");
    nsys_sqlite(&db, false);
    assert_eq!(import(&db).unwrap().format, Format::NsysSqlite);
    let ncu = write(dir.path(), "x.json.gz", &data_bytes("ncu_details.csv"));
    assert_eq!(import(&ncu).unwrap().format, Format::NcuDetailsCsv);
}

#[test]
fn nsys_sqlite_in_wal_mode_is_read_without_creating_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wal.sqlite");
    nsys_sqlite(&path, false);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    drop(conn);
    let before = std::fs::read(&path).unwrap();
    assert_eq!(before[18..20], [2, 2], "the header says WAL");
    let c = import(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.kernels.len(), SQLITE_KERNELS.len());
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("wal.sqlite")], "no -wal or -shm file");
}

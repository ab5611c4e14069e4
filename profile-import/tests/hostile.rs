//! The hostile corpus: every input here must be refused with a message that names the file and
//! says what is wrong, and none may panic.

mod common;

use std::io::Write;
use std::path::Path;

use common::*;
use edgebench_profile_import::{ErrorKind, Limits, import, import_with_limits};
use rusqlite::Connection;

/// Imports `path` (under `limits`), expecting a refusal whose one-line message starts with the
/// file and contains every word of `words`; returns the message.
#[track_caller]
fn refused_with(path: &Path, limits: &Limits, words: &[&str]) -> String {
    let err = match std::panic::catch_unwind(|| import_with_limits(path, limits)) {
        Ok(Ok(c)) => panic!("{} was accepted: {} kernels", path.display(), c.kernels.len()),
        Ok(Err(e)) => e,
        Err(_) => panic!("{} made the importer panic", path.display()),
    };
    let msg = err.to_string();
    assert!(msg.starts_with(&path.display().to_string()), "message does not start with the file: {msg}");
    assert!(!msg.contains('\n'), "message is not one line: {msg}");
    assert!(msg.contains("; "), "message has no remedy: {msg}");
    for w in words {
        assert!(msg.contains(w), "message lacks {w:?}: {msg}");
    }
    msg
}

#[track_caller]
fn refused(path: &Path, words: &[&str]) -> String {
    refused_with(path, &Limits::default(), words)
}

const HEADER: &str = "\"Time (%)\",\"Total Time (ns)\",\"Instances\",\"Avg (ns)\",\"Med (ns)\",\"Min (ns)\",\"Max (ns)\",\"StdDev (ns)\",\"Name\"\n";

fn nsys_row(total: &str, instances: &str, avg: &str, name: &str) -> String {
    format!(
        "{HEADER}\"100.0\",\"{total}\",\"{instances}\",\"{avg}\",\"{avg}\",\"{avg}\",\"{avg}\",\"0.0\",\"{name}\"\n"
    )
}

#[test]
fn empty_blank_missing_directory_and_other_formats() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    refused(&write(d, "empty.csv", b""), &["empty.csv: empty file"]);
    refused(&write(d, "blank.json", b"  \n\t \r\n"), &["only white space"]);
    refused(&d.join("missing.sqlite"), &["missing.sqlite: read error"]);
    let e = import(d).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Io);
    assert!(e.to_string().contains("not a regular file"), "{e}");
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    refused(&write(d, "picture.csv", png), &["picture.csv", "binary data"]);
    refused(&write(d, "shard.parquet", b"PAR1\x15\x04\x15\x80\x01\x15\x80\x01\x4c\x15\x04\xff\xfe"), &["binary data"]);
    refused(
        &write(d, "README.md", b"# edgebench\n\nA benchmark of small LLMs.\n"),
        &["README.md", "not a recognised profiler file"],
    );
    refused(&write(d, "plain.csv", b"a,b,c\n1,2,3\n"), &["not a recognised profiler file"]);
    refused(
        &write(d, "other.json", br#"{"name": "not a trace", "values": [1, 2, 3]}"#),
        &["other.json", "no traceEvents array"],
    );
    let msg = refused(
        &write(d, "cpu-only.json", br#"{"traceEvents": [{"ph": "X", "cat": "cpu_op", "name": "aten::mm", "dur": 5}]}"#),
        &["no kernel records: was the capture taken with CUDA tracing on?", "ProfilerActivity.CUDA"],
    );
    assert!(msg.starts_with(&d.join("cpu-only.json").display().to_string()));
    refused(&write(d, "header-only.csv", HEADER.as_bytes()), &["no kernel records"]);
    refused(&write(d, "null.json", b"null"), &["not a recognised profiler file"]);
    refused(&write(d, "number.json", b"[1, 2]"), &["not a valid JSON trace"]);
}

#[test]
fn truncated_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // SQLite: any cut of the file.
    let db = nsys_sqlite_bytes(d, false);
    for (i, cut) in [10, 99, 100, 511, 1000, 4096, db.len() / 2, db.len() - 4096, db.len() - 1].into_iter().enumerate()
    {
        let path = write(d, &format!("cut{i}.sqlite"), &db[..cut]);
        refused(&path, &[]);
    }
    refused(&write(d, "cut-page.sqlite", &db[..db.len() - 1]), &["not a multiple of its page size", "truncated"]);
    refused(&write(d, "cut-tiny.sqlite", &db[..50]), &["truncated"]);
    refused(&write(d, "cut-pages.sqlite", &db[..db.len() - 4096]), &["header declares", "truncated"]);
    // JSON and gzip: any cut.
    let json = data_bytes("torch_trace.json");
    for cut in [1, 2, 20, 400, json.len() / 2, json.len() - 2] {
        refused(&write(d, "cut.json", &json[..cut]), &["cut.json:", "not a valid JSON trace"]);
    }
    let gz = gzip(&json);
    for cut in [3, 10, 30, gz.len() / 2, gz.len() - 4] {
        refused(&write(d, "cut.json.gz", &gz[..cut]), &["cut.json.gz"]);
    }
    // CSV: a cut inside a row (a cut at a line break is a shorter, valid file).
    let csv = data_bytes("nsys_cuda_gpu_kern_sum.csv");
    let text = String::from_utf8(csv.clone()).unwrap();
    let row = text.find("\"15.0\"").unwrap();
    refused(&write(d, "cut-row.csv", &csv[..row + 33]), &["cut-row.csv:7:", "quoted field is not closed"]);
    refused(&write(d, "cut-field.csv", &csv[..row + 15]), &["cut-field.csv:7:"]);
    let cut_between = text[..row].rfind("\",\"").unwrap();
    refused(
        &write(d, "cut-fields.csv", format!("{}\"\n", &text[..cut_between]).as_bytes()),
        &["cut-fields.csv:6:", "fields where the header has 9"],
    );
    refused(&write(d, "cut-header.csv", &csv[..row - 40]), &["cut-header.csv"]);
    let ncu = String::from_utf8(data_bytes("ncu_details.csv")).unwrap();
    let launch2 = ncu.find("\"2\",\"5151\"").unwrap();
    refused(&write(d, "cut-ncu.csv", &ncu.as_bytes()[..launch2 + 400]), &["cut-ncu.csv:", "not closed"]);
    // A cut that drops the Duration row of launch 2 leaves it without a time.
    let dur = ncu.rfind("\"Duration\"").unwrap();
    let line_start = ncu[..dur].rfind('\n').unwrap() + 1;
    refused(
        &write(d, "no-duration.csv", &ncu.as_bytes()[..line_start]),
        &["no-duration.csv:", "launch 2", "has no Duration metric"],
    );
}

#[test]
fn wrong_and_missing_columns() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let raw =
        "\"ID\",\"Kernel Name\",\"sm__warps_active.avg.pct_of_peak_sustained_active\"\n\"0\",\"mul_mat_q\",\"40\"\n";
    refused(
        &write(d, "no-duration.csv", raw.as_bytes()),
        &["no-duration.csv:1:", "no gpu__time_duration.sum column", "SpeedOfLight"],
    );
    let raw = "\"ID\",\"Kernel Name\",\"gpu__time_duration.sum\"\n\"\",\"\",\"furlong\"\n\"0\",\"k\",\"1\"\n";
    refused(&write(d, "unit.csv", raw.as_bytes()), &["unit.csv:2:", "unknown duration unit"]);
    let raw = "\"ID\",\"Kernel Name\",\"gpu__time_duration.sum\"\n\"0\",\"k\",\"fast\"\n";
    refused(&write(d, "word.csv", raw.as_bytes()), &["word.csv:2:", "duration \"fast\" is not a number"]);
    let raw = "\"ID\",\"Kernel Name\",\"gpu__time_duration.sum\"\n\"0\",\"k\",\"\"\n";
    refused(
        &write(d, "blank-duration.csv", raw.as_bytes()),
        &["blank-duration.csv:2:", "without gpu__time_duration.sum"],
    );
    let raw = "\"ID\",\"Kernel Name\",\"gpu__time_duration.sum\"\n\"0\",\"k\",\"1\",\"extra\"\n";
    refused(&write(d, "wide.csv", raw.as_bytes()), &["wide.csv:2:", "4 fields where the header has 3"]);
    refused(
        &write(d, "word-total.csv", nsys_row("lots", "3", "1", "k").as_bytes()),
        &["word-total.csv:2:", "Total Time \"lots\" is not a number"],
    );
    refused(
        &write(d, "avg.csv", nsys_row("300", "3", "250", "k").as_bytes()),
        &["avg.csv:2:", "disagrees with Total Time / Instances"],
    );
    let order = format!("{HEADER}\"1\",\"300\",\"3\",\"100\",\"100\",\"200\",\"50\",\"1\",\"k\"\n");
    refused(&write(d, "order.csv", order.as_bytes()), &["order.csv:2:", "out of order"]);
    let details = "\"ID\",\"Kernel Name\",\"Metric Name\",\"Metric Unit\",\"Metric Value\"\n\
                   \"0\",\"k\",\"Duration\",\"usecond\",\"1\"\n\"0\",\"other\",\"Achieved Occupancy\",\"%\",\"3\"\n";
    refused(&write(d, "mixed.csv", details.as_bytes()), &["mixed.csv:3:", "launch 0 is named"]);
    let details = "\"ID\",\"Kernel Name\",\"Metric Name\",\"Metric Unit\",\"Metric Value\"\n\"0\",\"k\",\"Duration\",\"cycle\",\"1\"\n";
    refused(&write(d, "cycles.csv", details.as_bytes()), &["cycles.csv:2:", "unknown duration unit"]);
    let trace = br#"{"traceEvents": [{"ph": "X", "cat": "kernel", "name": "k", "dur": "12"}]}"#;
    refused(&write(d, "dur-string.json", trace), &["dur-string.json:1:", "without a numeric dur"]);
    let trace = br#"{"traceEvents": [{"ph": "X", "cat": "kernel", "dur": 12}]}"#;
    refused(&write(d, "no-name.json", trace), &["no-name.json:1:", "kernel event without a name"]);
    refused(&write(d, "events-object.json", br#"{"traceEvents": {"a": 1}}"#), &["not a valid JSON trace"]);
    refused(
        &write(d, "empty-name.json", br#"[{"ph":"X","cat":"kernel","name":"  ","dur":1}]"#),
        &["empty kernel name"],
    );
}

// The SQLite cases: one test each, so that a failure names the case. Each builds a small
// database with hand-written DDL around the two tables the reader needs.

const STRINGS_DDL: &str = "CREATE TABLE StringIds (id INTEGER PRIMARY KEY, value TEXT);";
const KERNELS_DDL: &str =
    "CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL (start INTEGER, end INTEGER, demangledName INTEGER, shortName INTEGER);";

/// Both tables, the name `mul_mat_q` under id 1, and kernel rows `values` (an SQL VALUES list of
/// start, end, demangledName, shortName).
fn kernel_rows(values: &str) -> String {
    format!(
        "{STRINGS_DDL} {KERNELS_DDL} INSERT INTO StringIds VALUES (1, 'mul_mat_q'); INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL VALUES {values};"
    )
}

/// Both tables, one kernel row (1, 2, 1, 1), and the name of id 1 given by the SQL expression
/// `value`.
fn kernel_named(value: &str) -> String {
    format!(
        "{STRINGS_DDL} {KERNELS_DDL} INSERT INTO StringIds VALUES (1, {value}); INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL VALUES (1, 2, 1, 1);"
    )
}

/// Builds the database `name` from `sql` in a fresh directory and imports it under `limits`,
/// expecting a refusal as [`refused_with`] does; returns the message.
#[track_caller]
fn sqlite_refused_with(name: &str, sql: &str, limits: &Limits, words: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(sql).unwrap();
    drop(conn);
    refused_with(&path, limits, words)
}

#[track_caller]
fn sqlite_refused(name: &str, sql: &str, words: &[&str]) -> String {
    sqlite_refused_with(name, sql, &Limits::default(), words)
}

#[test]
fn sqlite_without_kernel_table() {
    let msg = sqlite_refused(
        "no-kernels.sqlite",
        &format!("{STRINGS_DDL} CREATE TABLE CUPTI_ACTIVITY_KIND_RUNTIME (start INTEGER);"),
        &[
            "no-kernels.sqlite: table CUPTI_ACTIVITY_KIND_KERNEL:",
            "no kernel records: was the capture taken with CUDA tracing on?",
            "-t cuda",
        ],
    );
    assert!(msg.contains("nsys profile"), "{msg}");
}

#[test]
fn sqlite_empty_kernel_table() {
    sqlite_refused(
        "empty.sqlite",
        &format!("{STRINGS_DDL} {KERNELS_DDL}"),
        &["table CUPTI_ACTIVITY_KIND_KERNEL", "no kernel records"],
    );
}

#[test]
fn sqlite_without_string_table() {
    sqlite_refused(
        "no-strings.sqlite",
        &format!("{KERNELS_DDL} INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL VALUES (1, 2, 1, 1);"),
        &["table StringIds", "missing"],
    );
}

/// A view named like the kernel table (here an endless one) is not read: only real tables are.
#[test]
fn sqlite_kernel_view_instead_of_table() {
    let view = format!(
        "{STRINGS_DDL} CREATE TABLE k (start INTEGER, end INTEGER, demangledName INTEGER);
         CREATE VIEW CUPTI_ACTIVITY_KIND_KERNEL AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x AS start, x AS end, 1 AS demangledName FROM c;"
    );
    sqlite_refused("view.sqlite", &view, &["table CUPTI_ACTIVITY_KIND_KERNEL", "no kernel records"]);
}

#[test]
fn sqlite_without_name_column() {
    sqlite_refused(
        "no-name-col.sqlite",
        &format!(
            "{STRINGS_DDL} CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL (start INTEGER, end INTEGER, nameId INTEGER); INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL VALUES (1,2,3);"
        ),
        &["table CUPTI_ACTIVITY_KIND_KERNEL", "no demangledName, shortName or mangledName column"],
    );
}

#[test]
fn sqlite_without_end_column() {
    sqlite_refused(
        "no-end.sqlite",
        &format!("{STRINGS_DDL} CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL (start INTEGER, demangledName INTEGER);"),
        &["no start or end column"],
    );
}

#[test]
fn sqlite_name_id_absent_from_strings() {
    sqlite_refused(
        "absent-id.sqlite",
        &kernel_rows("(10, 20, 99, 99)"),
        &["table StringIds", "kernel name id 99 is absent"],
    );
}

#[test]
fn sqlite_text_start() {
    sqlite_refused(
        "text-start.sqlite",
        &kernel_rows("(10, 20, 1, 1), ('soon', 20, 1, 1)"),
        &["row 2: start is not an integer"],
    );
}

#[test]
fn sqlite_null_end() {
    sqlite_refused("null-end.sqlite", &kernel_rows("(10, NULL, 1, 1)"), &["row 1: end is not an integer"]);
}

#[test]
fn sqlite_real_end() {
    sqlite_refused("real-end.sqlite", &kernel_rows("(10, 20.5, 1, 1)"), &["end is not an integer"]);
}

#[test]
fn sqlite_negative_duration() {
    sqlite_refused(
        "negative.sqlite",
        &kernel_rows("(20, 10, 1, 1)"),
        &["row 1: end − start = -10 ns is not a duration"],
    );
}

#[test]
fn sqlite_huge_duration() {
    sqlite_refused(
        "huge.sqlite",
        &kernel_rows("(0, 4000000000000000, 1, 1)"),
        &["is not a duration between 0 and 1e15 ns"],
    );
}

#[test]
fn sqlite_overflowing_duration() {
    sqlite_refused(
        "overflow.sqlite",
        &kernel_rows("(-9000000000000000000, 9000000000000000000, 1, 1)"),
        &["overflows"],
    );
}

#[test]
fn sqlite_blob_name() {
    sqlite_refused("blob-name.sqlite", &kernel_named("x'ff00'"), &["kernel name id 1 is not text"]);
}

#[test]
fn sqlite_name_not_utf8() {
    sqlite_refused("bad-utf8.sqlite", &kernel_named("CAST(x'6bff' AS TEXT)"), &["kernel name id 1 is not UTF-8 text"]);
}

/// SQLite itself refuses the string (its length cap), before the reader's name check.
#[test]
fn sqlite_name_too_long() {
    let long = "k".repeat(70 << 10);
    sqlite_refused(
        "long-name.sqlite",
        &kernel_named(&format!("'{long}'")),
        &["table StringIds", "longer than 65536 bytes"],
    );
}

#[test]
fn sqlite_too_many_launches() {
    let limits = Limits { max_launches: 3, ..Limits::default() };
    sqlite_refused_with(
        "many.sqlite",
        &kernel_rows("(1,2,1,1),(1,2,1,1),(1,2,1,1),(1,2,1,1)"),
        &limits,
        &["more than 3 kernel launches"],
    );
}

#[test]
fn sqlite_too_many_distinct_names() {
    let limits = Limits { max_kernels: 2, ..Limits::default() };
    sqlite_refused_with(
        "names.sqlite",
        &kernel_rows("(1,2,1,1),(1,2,2,1),(1,2,3,1)"),
        &limits,
        &["more than 2 distinct kernel names"],
    );
}

#[test]
fn sqlite_headers_claiming_gigabytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = nsys_sqlite_bytes(d, false);
    let mut huge = db.clone();
    huge[16..18].copy_from_slice(&1u16.to_be_bytes()); // page size 65536
    huge[28..32].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
    let counter = [huge[24], huge[25], huge[26], huge[27]];
    huge[92..96].copy_from_slice(&counter);
    let len = huge.len();
    huge.resize(len.div_ceil(65_536) * 65_536, 0);
    let msg = refused(
        &write(d, "gigabytes.sqlite", &huge),
        &["gigabytes.sqlite:", "header declares 2147483647 pages", "more than the limit"],
    );
    assert!(msg.contains("bytes"), "{msg}");
    let mut odd = db.clone();
    odd[16..18].copy_from_slice(&1000u16.to_be_bytes());
    refused(&write(d, "page-size.sqlite", &odd), &["page size 1000 is not a power of two"]);
    // Only the magic is right: the rest is noise.
    let mut noise: Vec<u8> = b"SQLite format 3\0".to_vec();
    noise.extend((0..8192u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    refused(&write(d, "noise.sqlite", &noise), &["noise.sqlite"]);
    // A file over the size limit is refused before it is read.
    let limits = Limits { max_file_bytes: 1000, ..Limits::default() };
    refused_with(&write(d, "big.sqlite", &db), &limits, &["larger than the limit of 1000 bytes"]);
}

#[test]
fn huge_negative_and_nan_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    refused(
        &write(d, "huge-total.csv", nsys_row("1e300", "3", "1", "k").as_bytes()),
        &["huge-total.csv:2:", "Total Time 1e300 ns is not a duration"],
    );
    refused(
        &write(d, "huge-count.csv", nsys_row("100", "1e30", "1", "k").as_bytes()),
        &["Instances 1e30 is not a count"],
    );
    refused(&write(d, "zero-count.csv", nsys_row("100", "0", "1", "k").as_bytes()), &["Instances 0 is not a count"]);
    refused(
        &write(d, "half-count.csv", nsys_row("100", "2.5", "40", "k").as_bytes()),
        &["Instances 2.5 is not a count"],
    );
    refused(
        &write(d, "negative.csv", nsys_row("-300", "3", "-100", "k").as_bytes()),
        &["Total Time -300 ns is not a duration"],
    );
    refused(&write(d, "nan.csv", nsys_row("NaN", "3", "1", "k").as_bytes()), &["Total Time \"NaN\" is not a number"]);
    refused(&write(d, "inf.csv", nsys_row("inf", "3", "1", "k").as_bytes()), &["\"inf\" is not a number"]);
    let raw =
        "\"ID\",\"Kernel Name\",\"gpu__time_duration.sum\",\"sm__warps_active.avg.pct_of_peak_sustained_active\"\n";
    refused(
        &write(d, "ncu-neg.csv", format!("{raw}\"0\",\"k\",\"-5\",\"1\"\n").as_bytes()),
        &["ncu-neg.csv:2:", "duration -5 ns is not a duration"],
    );
    refused(
        &write(d, "ncu-metric.csv", format!("{raw}\"0\",\"k\",\"5\",\"1e12\"\n").as_bytes()),
        &["not a plausible metric value"],
    );
    refused(
        &write(d, "ncu-nan.csv", format!("{raw}\"0\",\"k\",\"5\",\"nan\"\n").as_bytes()),
        &["\"nan\" is not a number"],
    );
    let ev = |dur: &str| format!(r#"{{"traceEvents":[{{"ph":"X","cat":"kernel","name":"k","dur":{dur}}}]}}"#);
    refused(&write(d, "neg.json", ev("-1").as_bytes()), &["neg.json:1:", "dur -1000 ns is not a duration"]);
    refused(&write(d, "huge.json", ev("1e20").as_bytes()), &["is not a duration"]);
    refused(&write(d, "overflow.json", ev("1e400").as_bytes()), &["not a valid JSON trace", "out of range"]);
    refused(&write(d, "nan.json", ev("NaN").as_bytes()), &["not a valid JSON trace"]);
}

#[test]
fn decompression_bomb() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A few KB of gzip that expand to 16 MiB of white space inside a valid trace opening.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(br#"{"traceEvents":["#).unwrap();
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..16 {
        enc.write_all(&spaces).unwrap();
    }
    enc.write_all(b"]}").unwrap();
    let bomb = enc.finish().unwrap();
    assert!(bomb.len() < 64 << 10, "the bomb is {} bytes", bomb.len());
    let path = write(d, "bomb.json.gz", &bomb);
    let limits = Limits { max_decompressed_bytes: 4 << 20, ..Limits::default() };
    let msg = refused_with(&path, &limits, &["bomb.json.gz:", "gzip data expands past the limit of 4194304 bytes"]);
    assert!(msg.contains("decompression bomb"), "{msg}");
    assert_eq!(import_with_limits(&path, &limits).unwrap_err().kind, ErrorKind::TooLarge);
    // Under the default cap the same file is read through and found to hold no kernel.
    refused(&path, &["no kernel records"]);
}

#[test]
fn a_line_of_100_mb() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long-line.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    f.write_all(HEADER.as_bytes()).unwrap();
    f.write_all(b"\"100\",\"5\",\"1\",\"5\",\"5\",\"5\",\"5\",\"0\",\"").unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..100 {
        f.write_all(&chunk).unwrap();
    }
    f.write_all(b"\"\n").unwrap();
    drop(f);
    refused(&path, &["long-line.csv:2:", "a line longer than 16777216 bytes"]);
    // A field of commas: bounded field count.
    let commas = format!("{HEADER}{}\n", ",".repeat(100_000));
    refused(&write(dir.path(), "commas.csv", commas.as_bytes()), &["commas.csv:2:", "more than 65536 fields"]);
}

#[test]
fn non_utf8_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut csv = nsys_row("300", "3", "100", "mul_mat_q").into_bytes();
    let at = csv.len() - 5;
    csv[at] = 0xff;
    refused(&write(d, "latin1.csv", &csv), &["latin1.csv:2:", "not UTF-8"]);
    let mut header_bad = b"\xff\xfe".to_vec();
    header_bad.extend_from_slice(HEADER.as_bytes());
    refused(&write(d, "utf16ish.csv", &header_bad), &["binary data"]);
    let json = b"{\"traceEvents\":[{\"ph\":\"X\",\"cat\":\"kernel\",\"name\":\"k\xff\xfe\",\"dur\":1}]}";
    refused(&write(d, "bad.json", json), &["bad.json:1:", "not a valid JSON trace"]);
}

#[test]
fn deep_nesting_and_long_names() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Skipped values are scanned without recursion, so depth costs no stack; unclosed nesting
    // ends at the end of the file, closed nesting is just a value that is not a kernel.
    refused(
        &write(d, "deep.json", "[".repeat(100_000).as_bytes()),
        &["deep.json:1:", "not a valid JSON trace", "EOF while parsing"],
    );
    let closed = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    refused(&write(d, "deep-closed.json", closed.as_bytes()), &["no kernel records"]);
    let nested = format!(r#"{{"traceEvents":[{{"ph":"X","args":{}"#, "{\"a\":".repeat(100_000));
    refused(&write(d, "deep-args.json", nested.as_bytes()), &["deep-args.json:1:", "EOF while parsing"]);
    let nested = format!(
        r#"{{"traceEvents":[{{"ph":"X","cat":"kernel","name":{}1{}}}]}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    refused(&write(d, "deep-name.json", nested.as_bytes()), &["kernel event without a name"]);
    let deep_gz = gzip(format!("{{\"x\":{}", "[".repeat(100_000)).as_bytes());
    refused(&write(d, "deep.json.gz", &deep_gz), &["EOF while parsing"]);
    let long = "k".repeat(70 << 10);
    let trace = format!(r#"[{{"ph":"X","cat":"kernel","name":"{long}","dur":1}}]"#);
    refused(&write(d, "long.json", trace.as_bytes()), &["kernel name of 71680 bytes exceeds the limit of 65536 bytes"]);
    let raw = format!("\"ID\",\"Kernel Name\",\"gpu__time_duration.sum\"\n\"0\",\"{long}\",\"1\"\n");
    refused(&write(d, "long.csv", raw.as_bytes()), &["long.csv:2:", "exceeds the limit"]);
    let many: Vec<String> = (0..11).map(|i| format!(r#"{{"ph":"X","cat":"kernel","name":"k{i}","dur":1}}"#)).collect();
    let limits = Limits { max_kernels: 10, ..Limits::default() };
    refused_with(
        &write(d, "many.json", format!("[{}]", many.join(",")).as_bytes()),
        &limits,
        &["more than 10 distinct kernel names"],
    );
    let limits = Limits { max_launches: 10, ..Limits::default() };
    let mut rows = String::from(HEADER);
    for i in 0..11 {
        rows.push_str(&format!("\"1\",\"3\",\"3\",\"1\",\"1\",\"1\",\"1\",\"0\",\"k{i}\"\n"));
    }
    refused_with(&write(d, "rows.csv", rows.as_bytes()), &limits, &["rows.csv:12:", "more than 10 kernel launches"]);
}

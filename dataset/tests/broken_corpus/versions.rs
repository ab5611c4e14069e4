//! Broken shards and manifests, as far as schema versions go: a footer's version that this tool
//! does not know, a footer that disagrees with the columns or with the rows, a manifest that
//! disagrees with the shards. Where the whole shard is of the wrong version, that is one line.

use super::*;

/// A kernels shard in the sample's partition with the columns of `columns_at` and the footer
/// saying `footer_version` (`None`: no version entry), rows otherwise as the writer makes them.
fn kernels_shard(rows: &[Kernel], columns_at: &str, footer_version: Option<&str>) -> Vec<u8> {
    let batch = batch_of(rows);
    let keep: Vec<usize> = Kernel::SCHEMA
        .columns_at(columns_at)
        .unwrap()
        .iter()
        .map(|c| batch.schema().index_of(c.name).unwrap())
        .collect();
    let batch = batch.project(&keep).unwrap();
    let footer: Vec<KeyValue> = writer_footer("kernels", &batch)
        .into_iter()
        .filter_map(|mut kv| {
            if kv.key == "edgebench.schema_version" {
                kv.value = Some(footer_version?.to_owned());
            }
            Some(kv)
        })
        .collect();
    parquet_bytes(&batch, footer)
}

fn place_kernels(root: &Path, bytes: &[u8]) -> String {
    place(root, "kernels", "jetson-orin-nx", "smollm2-135m", bytes, true)
}

/// Problem lines about `rel` only.
fn about<'a>(lines: &'a [String], rel: &str) -> Vec<&'a String> {
    lines.iter().filter(|l| l.contains(rel)).collect()
}

/// Rejects with `expected`, and says it in exactly one line about the shard.
fn rejects_in_one_line(bytes: Vec<u8>, expected: &[&str]) {
    let mut rel = String::new();
    let lines = rejects(|root| rel = place_kernels(root, &bytes), expected);
    assert_eq!(about(&lines, &rel).len(), 1, "one line for a shard of the wrong version: {lines:#?}");
}

#[test]
fn shard_claiming_1_0_with_the_1_1_columns() {
    rejects_in_one_line(
        kernels_shard(&kernels_of_1_1("Jetson Orin NX"), "1.1", Some("1.0")),
        &[
            "kernels/",
            "footer says schema version `1.0` but the shard holds the columns added after it (phase, op_name, ",
            &format!("its columns are those of version {SCHEMA_VERSION}"),
            "the footer's version and the columns must agree",
        ],
    );
}

#[test]
fn shard_claiming_1_1_without_its_columns() {
    rejects_in_one_line(
        kernels_shard(&kernels_of_1_0("Jetson Orin NX"), "1.0", Some("1.1")),
        &[
            "kernels/",
            "footer says schema version `1.1` but the shard lacks the columns that version has (phase, op_name, ",
            "its columns are those of version 1.0",
        ],
    );
}

#[test]
fn shard_claiming_an_unknown_minor_version() {
    rejects_in_one_line(
        kernels_shard(&kernels_of_1_1("Jetson Orin NX"), "1.1", Some("1.7")),
        &["kernels/", &format!("footer says schema version `1.7`, which this tool does not know (it knows {})", known_versions()), "upgrade edgebench"],
    );
}

#[test]
fn shard_claiming_another_major_version() {
    rejects_in_one_line(
        kernels_shard(&kernels_of_1_1("Jetson Orin NX"), "1.1", Some("2.0")),
        &["kernels/", "footer says schema version `2.0`, but shards under v1/ are of schema v1", "belongs under v2/"],
    );
}

/// Not the columns of any version: each difference is named against the footer's version.
#[test]
fn shard_claiming_1_0_with_one_1_1_column() {
    rejects(
        |root| {
            let batch = batch_of(&kernels_of_1_0("Jetson Orin NX"));
            let mut keep: Vec<usize> = Kernel::SCHEMA.columns_at("1.0").unwrap().iter().map(|c| batch.schema().index_of(c.name).unwrap()).collect();
            keep.push(batch.schema().index_of("phase").unwrap());
            let batch = batch.project(&keep).unwrap();
            let mut footer = writer_footer("kernels", &batch);
            footer.iter_mut().filter(|kv| kv.key == "edgebench.schema_version").for_each(|kv| kv.value = Some("1.0".into()));
            place_kernels(root, &parquet_bytes(&batch, footer));
        },
        &["kernels/", "column phase", "is a column of `kernels` since schema version 1.1, not of version 1.0"],
    );
}

#[test]
fn footer_without_schema_version() {
    rejects(
        |root| { place_kernels(root, &kernels_shard(&kernels_of_1_1("Jetson Orin NX"), "1.1", None)); },
        &["kernels/", "footer lacks `edgebench.schema_version`"],
    );
}

#[test]
fn rows_whose_version_differs_from_the_footer() {
    let mut rows = kernels_of_1_1("Jetson Orin NX");
    for k in &mut rows {
        k.schema_version = "1.0".into();
    }
    rejects(
        |root| { place_kernels(root, &kernels_shard(&rows, "1.1", Some("1.1"))); },
        &["kernels/", "row 0", "column schema_version", "is `1.0` but the footer says `1.1`"],
    );
}

#[test]
fn manifest_entry_version_differs_from_the_shard() {
    rejects(
        |root| {
            let i = manifest_index(root, "kernels");
            edit_manifest(root, |m| { m["shards"][i]["schema_version"] = serde_json::json!("1.0"); });
        },
        &["kernels/", &format!("MANIFEST.json says schema version `1.0` but the shard's footer says `{SCHEMA_VERSION}`"), &format!("set the entry's schema_version to `{SCHEMA_VERSION}`")],
    );
}

#[test]
fn manifest_entry_of_an_unknown_version() {
    rejects(
        |root| {
            let i = manifest_index(root, "runs");
            edit_manifest(root, |m| { m["shards"][i]["schema_version"] = serde_json::json!("1.7"); });
        },
        &["MANIFEST.json", &format!("schema_version `1.7` is not a version this tool knows ({})", known_versions()), "the version the shard's footer names"],
    );
}

#[test]
fn manifest_older_than_its_shards() {
    rejects(
        |root| edit_manifest(root, |m| { m["schema_version"] = serde_json::json!("1.0"); }),
        &["MANIFEST.json", &format!("schema_version is `1.0` but it lists shards of version {SCHEMA_VERSION}"), &format!("set it to `{SCHEMA_VERSION}`")],
    );
}

#[test]
fn manifest_of_an_unknown_version() {
    rejects(
        |root| edit_manifest(root, |m| { m["schema_version"] = serde_json::json!("3.2"); }),
        &["MANIFEST.json", &format!("schema_version is `3.2`, which this tool does not know (it knows {})", known_versions())],
    );
}

//! The rules that keep old shards valid, checked on the schema value: a minor version only adds
//! nullable columns, every `since` is a known version, each version has its own column set.

use super::*;

fn numeric(version: &str) -> (u32, u32) {
    let (major, minor) = version.split_once('.').expect("versions are major.minor");
    (major.parse().expect("numeric major"), minor.parse().expect("numeric minor"))
}

/// The rule that keeps old shards valid: a minor version only adds nullable columns.
#[test]
fn columns_added_after_1_0_are_nullable_and_name_known_versions() {
    for table in TABLES {
        for column in table.columns {
            assert!(version_rank(column.since).is_some(), "{}.{}: since `{}` is not in VERSIONS", table.name, column.name, column.since);
            if column.since != VERSIONS[0].version {
                assert!(column.nullable, "{}.{} was added in {} and must be nullable", table.name, column.name, column.since);
            }
        }
    }
}

#[test]
fn versions_are_v1_minors_in_order_ending_at_the_writers() {
    assert_eq!(VERSIONS.last().map(|v| v.version), Some(SCHEMA_VERSION));
    assert_eq!(VERSIONS[0].version, "1.0");
    for pair in VERSIONS.windows(2) {
        let (a, b) = (numeric(pair[0].version), numeric(pair[1].version));
        assert_eq!(b, (1, a.1 + 1), "{} follows {}: minor versions of v1 go up by one", pair[1].version, pair[0].version);
    }
    // Every minor version added something.
    for v in &VERSIONS[1..] {
        assert!(TABLES.iter().any(|t| t.columns.iter().any(|c| c.since == v.version)), "{} adds no column", v.version);
        assert!(!v.added.trim().is_empty());
    }
}

#[test]
fn each_version_has_its_own_column_set() {
    let at_1_0 = Kernel::SCHEMA.columns_at("1.0").unwrap();
    let at_1_1 = Kernel::SCHEMA.columns_at("1.1").unwrap();
    assert_eq!(at_1_1.len(), Kernel::SCHEMA.columns.len());
    let added = Kernel::SCHEMA.columns.iter().filter(|c| c.since == "1.1").count();
    assert!(added >= 10);
    assert_eq!(at_1_0.len(), Kernel::SCHEMA.columns.len() - added);
    assert!(!at_1_0.iter().any(|c| c.name == "phase" || c.name == "active_warps_per_cycle"));
    assert_eq!(Kernel::SCHEMA.arrow_schema_at(SCHEMA_VERSION).unwrap(), Kernel::SCHEMA.arrow_schema());
    // Tables that 1.1 did not touch have the same columns at both versions.
    assert_eq!(Run::SCHEMA.arrow_schema_at("1.0"), Run::SCHEMA.arrow_schema_at("1.1"));
    assert!(Kernel::SCHEMA.columns_at("1.7").is_none());
    assert!(Kernel::SCHEMA.columns_at("2.0").is_none());
    // A set of columns is recognised as the version it belongs to.
    let old = Kernel::SCHEMA.arrow_schema_at("1.0").unwrap();
    assert_eq!(Kernel::SCHEMA.version_of_fields(old.fields()), Some("1.0"));
    // Where versions share their columns, the newest is named: 1.2 and 1.3 did not touch `kernels`.
    assert_eq!(Kernel::SCHEMA.version_of_fields(Kernel::SCHEMA.arrow_schema().fields()), Some(SCHEMA_VERSION));
    assert_eq!(Kernel::SCHEMA.arrow_schema_at("1.1"), Kernel::SCHEMA.arrow_schema_at("1.2"));
    assert_eq!(Run::SCHEMA.arrow_schema_at("1.0"), Run::SCHEMA.arrow_schema_at("1.2"));
    assert_eq!(Run::SCHEMA.version_of_fields(Run::SCHEMA.arrow_schema().fields()), Some(SCHEMA_VERSION));
    // 1.2 added the fusion sweep's columns to `microbench`, and only there.
    let micro_1_1 = Microbench::SCHEMA.columns_at("1.1").unwrap();
    let micro_1_2 = Microbench::SCHEMA.columns_at("1.2").unwrap();
    assert_eq!(micro_1_2.len() - micro_1_1.len(), 8);
    assert!(micro_1_2.iter().any(|c| c.name == "copy_bandwidth_gb_s") && !micro_1_1.iter().any(|c| c.name == "copy_bandwidth_gb_s"));
    for t in TABLES.iter().filter(|t| t.name != "microbench") {
        assert!(!t.columns.iter().any(|c| c.since == "1.2"), "{} gained a 1.2 column", t.name);
    }
    // 1.3 marked synthetic weights on `runs` and the relevance that stays null on `generations`.
    let added_1_3: Vec<(&str, &str)> =
        TABLES.iter().flat_map(|t| t.columns.iter().filter(|c| c.since == "1.3").map(|c| (t.name, c.name))).collect();
    assert!(added_1_3.contains(&("runs", "weights_origin")) && added_1_3.contains(&("generations", "relevance_null_reason")), "{added_1_3:?}");
    assert!(added_1_3.iter().all(|(t, _)| *t == "runs" || *t == "generations"), "{added_1_3:?}");
}

#[test]
fn references_name_existing_columns_of_the_target_id_type() {
    for r in REFERENCES {
        let column = table(r.table).and_then(|t| t.column(r.column)).unwrap_or_else(|| panic!("{}.{}", r.table, r.column));
        let target = table(r.target_table).unwrap_or_else(|| panic!("{}", r.target_table));
        let id = target.column(target.id_column).unwrap();
        assert_eq!((column.logical, id.logical), (crate::schema::Logical::Sha256, crate::schema::Logical::Sha256), "{}.{}", r.table, r.column);
    }
}

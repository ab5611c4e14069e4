//! Unit tests of the fusion analysis on rows built in memory.

use super::*;
use edgebench_dataset::Table;
use edgebench_dataset::fixtures;

fn rows(device: &str, elements: u64, unfused: f64, fused: f64, reps: u32) -> Vec<Microbench> {
    let mut out = Vec::new();
    for rep in 0..reps {
        for (variant, us, vectors) in [(FusionVariant::Unfused, unfused, 5), (FusionVariant::Fused, fused, 3)] {
            let mut m = fixtures::microbench(device, variant, rep, us + f64::from(rep) * 0.01 * us);
            m.elements = elements;
            m.bytes_moved = vectors * elements * 4;
            m.microbench_id = m.compute_id();
            out.push(m);
        }
    }
    out
}

#[test]
fn bounds_are_three_fifths_and_four_sevenths() {
    assert_eq!(Bound::NoWriteAllocate.value(), 0.6);
    assert!((Bound::WriteAllocate.value() - 0.571_428_571).abs() < 1e-9);
    assert_eq!(Bound::of(true).fraction(), "4/7");
    assert_eq!(Bound::of(false).fraction(), "3/5");
}

#[test]
fn bandwidth_bound_and_distance_follow_from_the_rows() {
    // 2^26 f32 elements: 256 MiB vectors; unfused moves 5 × 256 MiB in 500 µs.
    let elements = 1u64 << 26;
    let r = results(&rows("GPU", elements, 500.0, 330.0, 9));
    assert_eq!(r.len(), 1);
    let r = &r[0];
    assert_eq!(r.vector_bytes, Some(elements * 4));
    let unfused = r.unfused.as_ref().unwrap();
    // Median of 500 × (1 + 0.01 k), k = 0..8: 520 µs.
    assert!((unfused.time_us.median - 520.0).abs() < 1e-9);
    let want = (5 * elements * 4) as f64 / 520.0 / 1e3;
    assert!((unfused.bandwidth_gb_s.value - want).abs() < 1e-9, "{}", unfused.bandwidth_gb_s.value);
    // The bandwidth interval is the time's, reversed.
    let i = unfused.bandwidth_gb_s.interval.unwrap();
    let t = unfused.time_us.interval.unwrap();
    assert!((i.low - (5 * elements * 4) as f64 / t.high / 1e3).abs() < 1e-9);
    // Copy bandwidth of the fixture: 3000 GB/s.
    assert!((unfused.copy_fraction.unwrap().value - want / 3000.0).abs() < 1e-12);
    assert!((unfused.time_at(3000.0) - (5 * elements * 4) as f64 / 3e6).abs() < 1e-9);
    assert_eq!(r.bound, Some(Bound::NoWriteAllocate));
    let ratio = r.ratio.as_ref().unwrap().ratio;
    assert!((ratio - 0.66).abs() < 1e-9, "{ratio}");
    let d = r.distance.unwrap();
    assert!((d.value - (0.66 / 0.6 - 1.0)).abs() < 1e-9);
    let ri = r.ratio.as_ref().unwrap().interval.unwrap();
    assert!((d.interval.unwrap().low - (ri.low / 0.6 - 1.0)).abs() < 1e-12);
    // 256 MiB against a 50 MiB cache: 5.1×, from memory.
    assert_eq!(r.memory_resident, Some(true));
    assert!(r.memory_bound_point);
    assert_eq!((r.sweeps, r.failed, r.predates_sweep_columns), (1, 0, false));
}

#[test]
fn rows_without_the_sweep_columns_get_no_bound_and_say_why() {
    let mut all = rows("Old GPU", 1 << 20, 100.0, 70.0, 6);
    for m in &mut all {
        m.schema_version = "1.1".into();
        m.sweep_id = None;
        m.write_allocate = None;
        m.last_level_cache_bytes = None;
        m.copy_bandwidth_gb_s = None;
        m.triad_bandwidth_gb_s = None;
    }
    let r = &results(&all)[0];
    assert!(r.ratio.is_some() && r.unfused.as_ref().unwrap().bandwidth_gb_s.value > 0.0);
    assert_eq!((r.bound, r.distance, r.copy_gb_s, r.memory_resident), (None, None, None, None));
    assert!(r.unfused.as_ref().unwrap().copy_fraction.is_none());
    assert_eq!(r.bound_missing().unwrap(), "rows written before schema 1.2 added write_allocate");
    assert_eq!(r.bandwidth_missing().unwrap(), "rows written before schema 1.2 added copy_bandwidth_gb_s");
    // Current rows that leave the column empty say that instead.
    for m in &mut all {
        m.schema_version = "1.2".into();
    }
    assert_eq!(results(&all)[0].bound_missing().unwrap(), "write_allocate not recorded");
}

#[test]
fn the_memory_bound_point_is_the_largest_vector_with_both_variants() {
    let mut all = rows("GPU", 1 << 20, 10.0, 8.0, 6);
    all.extend(rows("GPU", 1 << 24, 100.0, 62.0, 6));
    // The largest size has only failed unfused repetitions: not a ratio, not the point.
    let mut broken = rows("GPU", 1 << 26, 400.0, 250.0, 6);
    for m in broken.iter_mut().filter(|m| m.variant == FusionVariant::Unfused) {
        m.status = RunStatus::Crashed;
        m.failure_reason = Some("out of memory".to_owned().into());
        m.elapsed_us = None;
    }
    all.extend(broken);
    let r = results(&all);
    let points: Vec<u64> = memory_bound_points(&r).map(|p| p.elements).collect();
    assert_eq!(points, vec![1 << 24]);
    assert_eq!(r.iter().find(|p| p.elements == 1 << 26).unwrap().failed, 6);
    assert_eq!(sweeps(&r)[0].1.len(), 3);
}

#[test]
fn published_fig_10_numbers_give_the_papers_ratios() {
    let row = |device: &str, metric: &str, value: f64, unit: &str| {
        let mut p = fixtures::published(device, None, metric, value, unit, "quote");
        p.figure = Some("Fig. 10".into());
        p.section = "V".into();
        p.published_id = p.compute_id();
        p
    };
    let rows = vec![
        row("Jetson AGX Orin", PUBLISHED_UNFUSED, 1924.2, "µs"),
        row("Jetson AGX Orin", PUBLISHED_FUSED, 1003.5, "µs"),
        row("Jetson AGX Orin", PUBLISHED_REDUCTION, 47.8, "%"),
        row("Dell", PUBLISHED_FUSED, 0.0764, "ms"),
        row("Dell", PUBLISHED_REDUCTION, 38.6, "%"),
        // A reduction of another figure is not a fusion number.
        {
            let mut p = row("Other", PUBLISHED_REDUCTION, 10.0, "%");
            p.figure = Some("Fig. 3".into());
            p
        },
    ];
    let p = published(&rows);
    assert_eq!(p.iter().map(|p| p.label()).collect::<Vec<_>>(), ["Dell (paper)", "Jetson AGX Orin (paper)"]);
    assert!((p[1].ratio().unwrap() - 1003.5 / 1924.2).abs() < 1e-12);
    // Dell has no unfused time here: the ratio comes from the printed reduction.
    assert!((p[0].fused_us.unwrap() - 76.4).abs() < 1e-9);
    assert!((p[0].ratio().unwrap() - 0.614).abs() < 1e-12);
}

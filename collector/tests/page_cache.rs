//! Page-cache residency of a file and eviction from the cache (collector/src/page_cache.rs), on a
//! file in the target directory (usually disk-backed; /tmp is often tmpfs, which keeps pages in
//! memory whatever is asked).

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use edgebench_collector::page_cache::{evict, residency};

fn scratch_file(bytes: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let path = dir.path().join("model.bin");
    let mut f = File::create(&path).unwrap();
    f.write_all(&vec![7u8; bytes]).unwrap();
    f.sync_all().unwrap();
    (dir, path)
}

#[test]
fn reading_a_file_makes_it_resident_and_evicting_drops_what_it_can() {
    let (_dir, path) = scratch_file(4 << 20);
    let mut sink = Vec::new();
    File::open(&path).unwrap().read_to_end(&mut sink).unwrap();
    let warm = residency(&path).unwrap();
    assert!(warm.total_pages >= 256, "{warm:?}");
    assert_eq!(warm.fraction(), 1.0, "{warm:?}");
    let after = evict(&path).unwrap();
    // On a disk-backed file system every clean, unmapped page goes; on tmpfs or some overlay
    // set-ups none may. Either way `evict` reports the residency measured afterwards.
    assert_eq!(after, residency(&path).unwrap());
    assert!(after.resident_pages <= warm.resident_pages);
    eprintln!("after eviction: {:.3} resident", after.fraction());
    // Reading it again brings it back.
    File::open(&path).unwrap().read_to_end(&mut sink).unwrap();
    assert_eq!(residency(&path).unwrap().fraction(), 1.0);
}

#[test]
fn empty_and_missing_files() {
    let (_dir, path) = scratch_file(0);
    assert_eq!(residency(&path).unwrap().fraction(), 1.0);
    let e = residency(Path::new("/nonexistent/model.gguf")).unwrap_err();
    assert!(e.contains("/nonexistent/model.gguf"), "{e}");
}

//! Records build provenance for every run: the git commit this collector was built from, and how
//! llama.cpp was configured (read from the CMake cache of the `llama-cpp-sys-2` build this binary
//! links, found through that crate's `links = "llama"` metadata).

use std::path::{Path, PathBuf};

#[path = "src/llama_cmake.rs"]
mod llama_cmake;

#[path = "../build-support/git_commit.rs"]
mod git_commit;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let repo = manifest_dir.parent().unwrap();
    git_commit::watch(repo);
    println!("cargo:rerun-if-changed=../build-support/git_commit.rs");
    // Empty when not built from a git checkout: `collect run` then refuses to measure, because
    // every run must name the code that measured it.
    println!("cargo:rustc-env=EDGEBENCH_GIT_COMMIT={}", git_commit::build_commit(repo));

    println!("cargo:rerun-if-env-changed=DEP_LLAMA_GGML_CMAKE_DIR");
    let (flags, binding_commit) = match std::env::var("DEP_LLAMA_GGML_CMAKE_DIR") {
        Ok(dir) => llama_configuration(Path::new(&dir)),
        Err(_) => ("unknown: llama-cpp-sys-2 did not report its CMake directory".into(), String::new()),
    };
    println!("cargo:rustc-env=EDGEBENCH_LLAMA_BUILD_FLAGS={flags}");
    println!("cargo:rustc-env=EDGEBENCH_LLAMA_CPP_RS_COMMIT={binding_commit}");
    println!("cargo:rerun-if-changed=src/llama_cmake.rs");
    println!("cargo:rustc-env=EDGEBENCH_BUILD_PROFILE={}", std::env::var("PROFILE").unwrap_or_default());

    // The exact llama-cpp-sys-2 version, from the workspace lock file.
    let lock = repo.join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let text = std::fs::read_to_string(&lock).unwrap_or_default();
    let version = text
        .split("[[package]]")
        .find(|block| block.contains("name = \"llama-cpp-sys-2\""))
        .and_then(|block| block.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_owned())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=EDGEBENCH_LLAMA_CPP_SYS_VERSION={version}");
}

/// `(build flags, llama-cpp-rs commit)` from the CMake cache beside `<out>/lib/cmake`.
fn llama_configuration(cmake_dir: &Path) -> (String, String) {
    let Some(cache) = cmake_dir.ancestors().map(|a| a.join("build/CMakeCache.txt")).find(|p| p.exists()) else {
        return (format!("unknown: no CMakeCache.txt near {}", cmake_dir.display()), String::new());
    };
    println!("cargo:rerun-if-changed={}", cache.display());
    let text = std::fs::read_to_string(&cache).unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let summary = llama_cmake::summarise_cmake_cache(&text, &arch, &os);
    let source = summary.source_dir;
    let features: Vec<String> = std::env::vars()
        .filter_map(|(k, _)| k.strip_prefix("CARGO_FEATURE_").map(|f| f.to_lowercase()))
        .collect();
    let flags = format!("{}; collector features: [{}]", summary.flags, features.join(" "));
    // The crate's packaging records the llama-cpp-rs commit that pins the llama.cpp submodule.
    let binding_commit = Path::new(&source)
        .parent()
        .map(|p| p.join(".cargo_vcs_info.json"))
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| {
            let i = t.find("\"sha1\"")?;
            let rest = &t[i + 6..];
            let start = rest.find('"')? + 1;
            let end = rest[start..].find('"')? + start;
            Some(rest[start..end].to_owned())
        })
        .unwrap_or_default();
    (flags, binding_commit)
}

//! Build provenance recorded with every run (see `build.rs`).

/// Version of `llama-cpp-sys-2`, pinned exactly in `collector/Cargo.toml`.
pub const LLAMA_CPP_SYS_VERSION: &str = env!("EDGEBENCH_LLAMA_CPP_SYS_VERSION");

/// The git commit this collector was built from; an error when unknown, because a run must name
/// the code that measured it.
pub fn collector_git_commit() -> Result<String, String> {
    let commit = env!("EDGEBENCH_GIT_COMMIT");
    if commit.is_empty() {
        Err("this collector was not built from a git checkout, so runs could not name the code that \
             measured them; build it from a clone of the repository"
            .into())
    } else {
        Ok(commit.to_owned())
    }
}

/// The llama.cpp sources: the llama-cpp-rs commit that pins the vendored llama.cpp submodule.
pub fn llama_cpp_commit() -> String {
    match env!("EDGEBENCH_LLAMA_CPP_RS_COMMIT") {
        "" => format!("llama-cpp-sys-2 {LLAMA_CPP_SYS_VERSION} (commit not recorded in the crate package)"),
        sha => format!("llama-cpp-rs@{sha} (llama-cpp-sys-2 {LLAMA_CPP_SYS_VERSION})"),
    }
}

/// How llama.cpp was compiled: CMake build type, enabled GGML/LLAMA options, compiler, and the
/// Rust profile of the collector.
pub fn llama_build_flags() -> String {
    format!("{}; rust profile: {}", env!("EDGEBENCH_LLAMA_BUILD_FLAGS"), env!("EDGEBENCH_BUILD_PROFILE"))
}

/// `llama_print_system_info()`: the CPU features and back-ends llama.cpp uses on this host.
pub fn llama_system_info() -> String {
    // SAFETY: returns a pointer to a static buffer owned by llama.cpp.
    unsafe {
        let p = llama_cpp_sys_2::llama_print_system_info();
        if p.is_null() {
            "unavailable".into()
        } else {
            std::ffi::CStr::from_ptr(p).to_string_lossy().trim().to_owned()
        }
    }
}

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
///
/// With the `dynamic-link` feature, llama.cpp is whatever shared libraries the loader finds at run
/// time (built elsewhere, for example with CUDA on a machine that has nvcc), so the compile-time
/// answer would be wrong: the flags are read from the CMake cache of the libraries' build, which
/// `EDGEBENCH_LLAMA_CMAKE_CACHE` must name. Without it this is an error, and `collect run` refuses
/// to measure, because every run must say how the code that measured it was built.
pub fn llama_build_flags() -> Result<String, String> {
    let profile = env!("EDGEBENCH_BUILD_PROFILE");
    if !cfg!(feature = "dynamic-link") {
        return Ok(format!("{}; rust profile: {profile}", env!("EDGEBENCH_LLAMA_BUILD_FLAGS")));
    }
    const VAR: &str = "EDGEBENCH_LLAMA_CMAKE_CACHE";
    let path = std::env::var_os(VAR).ok_or_else(|| {
        format!(
            "this collector links llama.cpp's shared libraries at run time (feature dynamic-link), so it cannot know \
             how they were built: set {VAR} to the CMakeCache.txt of the build that made the libraries on \
             LD_LIBRARY_PATH"
        )
    })?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{VAR}={}: cannot read it ({e}); name the CMakeCache.txt of the llama.cpp build", path.to_string_lossy()))?;
    let summary = crate::llama_cmake::summarise_cmake_cache(&text, std::env::consts::ARCH, std::env::consts::OS);
    if summary.source_dir.is_empty() {
        return Err(format!("{VAR}={}: not a CMake cache (no CMAKE_HOME_DIRECTORY)", path.to_string_lossy()));
    }
    Ok(format!(
        "{}; shared libraries built separately from {} (dynamic-link); collector features: [dynamic-link]; rust profile: {profile}",
        summary.flags, summary.source_dir
    ))
}

/// The llama.cpp devices of `backend` (`CUDA0`, `Vulkan0`, `MTL0`…) that the llama.cpp linked
/// into this process can use. Empty when the back-end is missing from the build or finds no
/// device; asking initialises ggml's back-end registry (and, for CUDA, the driver).
pub fn backend_devices(backend: edgebench_dataset::schema::v1::Backend) -> Vec<String> {
    use edgebench_dataset::schema::v1::Backend;
    let prefixes: &[&str] = match backend {
        Backend::Cpu => &["CPU"],
        Backend::Cuda => &["CUDA"],
        Backend::Metal => &["MTL", "Metal"],
        Backend::Vulkan => &["Vulkan"],
    };
    let mut names = Vec::new();
    // SAFETY: the registry functions return pointers owned by ggml for the process's lifetime.
    unsafe {
        for i in 0..llama_cpp_sys_2::ggml_backend_dev_count() {
            let dev = llama_cpp_sys_2::ggml_backend_dev_get(i);
            if dev.is_null() {
                continue;
            }
            let p = llama_cpp_sys_2::ggml_backend_dev_name(dev);
            if p.is_null() {
                continue;
            }
            let name = std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned();
            if prefixes.iter().any(|prefix| name.starts_with(prefix)) {
                names.push(name);
            }
        }
    }
    names
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

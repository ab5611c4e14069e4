//! Summarises the CMake cache of a llama.cpp build into the `llama_build_flags` provenance string.
//!
//! Shared by `build.rs` (a statically linked llama.cpp: the cache of the `llama-cpp-sys-2` build,
//! read at compile time) and the collector itself (the `dynamic-link` feature: llama.cpp shared
//! libraries built elsewhere, whose cache `EDGEBENCH_LLAMA_CMAKE_CACHE` names at run time), so
//! that both say the same things in the same words.

/// What a CMake cache says about a llama.cpp build.
pub struct LlamaCmakeSummary {
    /// `CMAKE_BUILD_TYPE=…; GGML_NATIVE=…; ON: …; compiler: …`.
    pub flags: String,
    /// `CMAKE_HOME_DIRECTORY`: the llama.cpp source tree.
    pub source_dir: String,
}

/// `target_arch` and `target_os` as Rust spells them (`x86_64`, `linux`): CPU options of other
/// architectures default to ON in ggml and do nothing, so they are left out.
pub fn summarise_cmake_cache(text: &str, target_arch: &str, target_os: &str) -> LlamaCmakeSummary {
    let mut build_type = String::new();
    let mut on: Vec<String> = Vec::new();
    let mut native = String::new();
    let mut source_dir = String::new();
    let mut compiler = String::new();
    let mut cuda_architectures = String::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else { continue };
        let (name, kind) = key.split_once(':').unwrap_or((key, ""));
        match name {
            "CMAKE_BUILD_TYPE" => build_type = value.to_owned(),
            "CMAKE_HOME_DIRECTORY" => source_dir = value.to_owned(),
            "CMAKE_CXX_COMPILER" => compiler = value.to_owned(),
            "CMAKE_CUDA_ARCHITECTURES" => cuda_architectures = value.to_owned(),
            "GGML_NATIVE" => native = value.to_owned(),
            _ if kind == "BOOL" && name.starts_with("GGML_") && value == "ON" => on.push(name.to_owned()),
            _ => {}
        }
    }
    // Keep the options that shape this build: a back-end's sub-options only when the back-end is
    // on, and CPU options of other architectures never.
    let backends = ["CUDA", "HIP", "SYCL", "OPENCL", "WEBGPU", "METAL", "VULKAN", "MUSA", "CANN", "ZDNN", "KOMPUTE", "RPC"];
    let other_arch: &[&str] = match target_arch {
        "riscv64" => &["LSX", "LASX", "ACCELERATE"],
        "loongarch64" => &["RV", "RVV", "ACCELERATE"],
        _ if target_os == "macos" => &["RV", "RVV", "LSX", "LASX"],
        _ => &["RV", "RVV", "LSX", "LASX", "ACCELERATE"],
    };
    let enabled: Vec<&str> = on
        .iter()
        .filter(|name| {
            let rest = &name["GGML_".len()..];
            let family_off = backends.iter().any(|b| {
                (rest == *b || rest.starts_with(&format!("{b}_"))) && !on.iter().any(|o| o == &format!("GGML_{b}"))
            });
            let foreign = other_arch.iter().any(|a| rest == *a || rest.starts_with(&format!("{a}_")));
            !family_off && !foreign && rest != "CCACHE"
        })
        .map(String::as_str)
        .collect();
    let mut flags = format!("CMAKE_BUILD_TYPE={build_type}; GGML_NATIVE={native}; ON: {}", enabled.join(" "));
    if on.iter().any(|o| o == "GGML_CUDA") && !cuda_architectures.is_empty() {
        flags.push_str(&format!("; CMAKE_CUDA_ARCHITECTURES={cuda_architectures}"));
    }
    flags.push_str(&format!("; compiler: {compiler}"));
    LlamaCmakeSummary { flags, source_dir }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_enabled_backend_options_and_drops_foreign_ones() {
        let cache = "CMAKE_BUILD_TYPE:STRING=Release\n\
                     CMAKE_HOME_DIRECTORY:INTERNAL=/src/llama.cpp\n\
                     CMAKE_CXX_COMPILER:FILEPATH=/usr/bin/c++\n\
                     CMAKE_CUDA_ARCHITECTURES:STRING=90\n\
                     GGML_NATIVE:BOOL=ON\n\
                     GGML_CUDA:BOOL=ON\n\
                     GGML_CUDA_GRAPHS:BOOL=ON\n\
                     GGML_VULKAN_CHECK_RESULTS:BOOL=ON\n\
                     GGML_LASX:BOOL=ON\n\
                     GGML_OPENMP:BOOL=ON\n\
                     GGML_AVX2:BOOL=OFF\n";
        let s = summarise_cmake_cache(cache, "x86_64", "linux");
        assert_eq!(
            s.flags,
            "CMAKE_BUILD_TYPE=Release; GGML_NATIVE=ON; ON: GGML_CUDA GGML_CUDA_GRAPHS GGML_OPENMP; \
             CMAKE_CUDA_ARCHITECTURES=90; compiler: /usr/bin/c++"
        );
        assert_eq!(s.source_dir, "/src/llama.cpp");
    }
}

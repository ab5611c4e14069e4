#!/usr/bin/env bash
# Measure with llama.cpp's CUDA back-end on a machine that has the CUDA toolkit (nvcc, cmake,
# ninja) but no Rust toolchain.
#
# The collector is built where Rust is, with llama.cpp linked as shared libraries:
#
#     cargo build --release -p collector --features dynamic-link
#
# and copied to the GPU machine together with the llama.cpp sources that llama-cpp-sys-2 vendors
# (the same version the binary was built against: ~/.cargo/registry/src/*/llama-cpp-sys-2-<v>/llama.cpp,
# the version is pinned in collector/Cargo.toml). There, this script builds those sources as shared
# libraries with CUDA and runs the collector on them:
#
#     scripts/cuda-libs.sh build LLAMA_SRC BUILD_DIR
#     scripts/cuda-libs.sh run BUILD_DIR COLLECT_BINARY COMMAND [arguments…]
#
# where COMMAND [arguments…] is any collect command line, e.g. `run --backend cuda --model m.gguf
# --device-label "…"` or `synth --preset qwen2.5-1.5b --type q8_0 …`.
#
# `run` puts BUILD_DIR/bin first on LD_LIBRARY_PATH and names the build's CMakeCache.txt in
# EDGEBENCH_LLAMA_CMAKE_CACHE, from which every run's llama_build_flags provenance is read.
# CUDA_ARCHITECTURES (default: native) picks the GPU code built; JOBS the build's parallelism;
# CMAKE_EXTRA adds CMake options (e.g. -DGGML_CUDA_FA=OFF skips the FlashAttention kernels, much
# of the build); like every option, they reach each run's llama_build_flags.
set -euo pipefail

usage() {
    sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

case "${1:-}" in
build)
    [ $# -eq 3 ] || usage
    src=$2
    build=$3
    [ -f "$src/CMakeLists.txt" ] || { echo "cuda-libs: $src is not a llama.cpp source tree (no CMakeLists.txt)" >&2; exit 2; }
    command -v nvcc >/dev/null || { echo "cuda-libs: nvcc not found; install the CUDA toolkit or put it on PATH" >&2; exit 2; }
    # The options llama-cpp-sys-2 sets for its own builds, plus shared libraries and CUDA.
    cmake -S "$src" -B "$build" -G Ninja \
        -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_SHARED_LIBS=ON \
        -DGGML_CUDA=ON \
        -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHITECTURES:-native}" \
        -DGGML_OPENMP=ON \
        -DGGML_NATIVE=ON \
        -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
        -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_COMMON=OFF -DLLAMA_CURL=OFF \
        ${CMAKE_EXTRA:-}
    cmake --build "$build" --target llama -j "${JOBS:-$(nproc)}"
    ls "$build"/bin/lib*.so* >&2
    ;;
run)
    [ $# -ge 4 ] || usage
    build=$2
    collect=$3
    shift 3
    [ -f "$build/CMakeCache.txt" ] || { echo "cuda-libs: $build has no CMakeCache.txt; run \`$0 build\` first" >&2; exit 2; }
    export LD_LIBRARY_PATH="$build/bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export EDGEBENCH_LLAMA_CMAKE_CACHE="$build/CMakeCache.txt"
    # Fail here, not in the first worker, when a library is missing.
    if ldd "$collect" | grep -q 'not found'; then
        ldd "$collect" >&2
        echo "cuda-libs: $collect needs libraries that $build/bin does not hold" >&2
        exit 2
    fi
    exec "$collect" "$@"
    ;;
*)
    usage
    ;;
esac

#!/usr/bin/env bash
# Prepares, here, everything scripts/device-synth.sh needs on a lent GPU machine that has the CUDA
# toolkit but no Rust and no network, in one directory small enough to travel with the working
# tree (the device tool's `carry`, 64 MiB in all):
#
#     bash scripts/device-prepare.sh [CARRY_DIR]        # default: target/device-carry
#
# CARRY_DIR/collect            the collector built with `--features dynamic-link` (llama.cpp is
#                              loaded at run time from the CUDA build made there)
# CARRY_DIR/llama.cpp.tgz      the llama.cpp sources that llama-cpp-sys-2 vendors, the version the
#                              binary was built against, without the back-ends CUDA does not need
# CARRY_DIR/tokenizers/        tokenizer-only GGUFs of the two real models (scripts/tokenizer-gguf.py)
#
# The working tree must be clean: every run names the commit that measured it, and a binary built
# from modified sources would say `-dirty`. Building the dynamic-link collector replaces
# target/release/collect; a later plain `cargo build --release -p collector` relinks the usual one.
# The device run is then (the device tool's `run`, with carry ["target/device-carry"]):
#
#     bash scripts/device-synth.sh target/device-carry/collect target/device-carry/llama.cpp.tgz \
#         target/device-carry/tokenizers "$OUT"
set -euo pipefail
cd "$(dirname "$0")/.."
carry=${1:-target/device-carry}
models=${EDGEBENCH_MODELS:-$HOME/.cache/edgebench/models}
python=${EDGEBENCH_PYTHON:-$HOME/.cache/edgebench/venv/bin/python}

if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    echo "device-prepare: the working tree has uncommitted changes; commit them first, so that the rows measured on the device name a commit anyone can check out" >&2
    git status --short --untracked-files=no >&2
    exit 2
fi
for m in SmolLM2-135M-Instruct.Q4_1.gguf gemma-3-270m-q4_k_m.gguf; do
    [ -f "$models/$m" ] || { echo "device-prepare: $models/$m is missing; run scripts/fetch-models.sh first" >&2; exit 2; }
done
"$python" -c 'import gguf' 2>/dev/null || {
    echo "device-prepare: $python cannot import gguf (llama.cpp's Python GGUF package); install it with: $python -m pip install gguf" >&2
    exit 2
}

rm -rf "$carry" && mkdir -p "$carry/tokenizers"
echo "device-prepare: building the collector with dynamic-link (about 12 minutes on 2 cores from a target without release builds, less after one)" >&2
cargo build --release -p collector --features dynamic-link
cp target/release/collect "$carry/collect"

# The vendored sources of the llama-cpp-sys-2 version in Cargo.lock.
version=$(awk '/^name = "llama-cpp-sys-2"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"llama-cpp-sys-2-$version"/llama.cpp 2>/dev/null | head -1)
[ -n "$src" ] || { echo "device-prepare: the sources of llama-cpp-sys-2 $version are not in the cargo registry; run cargo fetch" >&2; exit 2; }
# ggml only descends into a back-end's directory when that back-end is enabled, so the others
# can stay behind; they are most of the size.
excludes=()
for backend in blas cann et hexagon hip metal musa opencl openvino rpc sycl virtgpu vulkan webgpu zdnn zendnn; do
    excludes+=(--exclude "llama.cpp/ggml/src/ggml-$backend")
done
tar czf "$carry/llama.cpp.tgz" "${excludes[@]}" -C "$(dirname "$src")" llama.cpp

for m in SmolLM2-135M-Instruct.Q4_1 gemma-3-270m-q4_k_m; do
    "$python" scripts/tokenizer-gguf.py "$models/$m.gguf" "$carry/tokenizers/$m.tokenizer.gguf"
done

du -sh "$carry"/*
total=$(du -sb "$carry" | cut -f1)
if [ "$total" -gt $((60 * 1024 * 1024)) ]; then
    echo "device-prepare: $carry is $total bytes, over what the device tool carries (64 MiB with the working tree)" >&2
    exit 1
fi
echo "device-prepare: ready for scripts/device-synth.sh (llama-cpp-sys-2 $version, collector $(git rev-parse --short HEAD))" >&2

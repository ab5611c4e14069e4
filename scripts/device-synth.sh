#!/usr/bin/env bash
# The paper's seven architectures (`collect synth`) on a lent NVIDIA GPU machine with no Rust
# toolchain: llama.cpp built there with CUDA as shared libraries (scripts/cuda-libs.sh), the
# synthetic files written there, then `collect run` with the CUDA back-end on every preset and
# with the CPU back-end of the same machine on the size series, so that the GPU-versus-CPU claims
# can be decided on one device. Everything stops by itself before DEADLINE seconds, and the
# dataset is packed every 20 s, so a run cut short still returns what it measured.
#
#     scripts/device-synth.sh COLLECT_BINARY LLAMA_SRC_TGZ TOKENIZER_DIR OUT_DIR
#
# scripts/device-prepare.sh makes all three inputs here in one step (target/device-carry/).
# COLLECT_BINARY: built where Rust is, from a clean commit, with
#   `cargo build --release -p collector --features dynamic-link`.
# LLAMA_SRC_TGZ: the llama.cpp tree llama-cpp-sys-2 vendors (the version the binary was built
#   against), as a tarball whose top folder is llama.cpp/.
# TOKENIZER_DIR: tokenizer-only GGUFs of the default tokenizer sources
#   (SmolLM2-135M-Instruct.Q4_1.tokenizer.gguf, gemma-3-270m-q4_k_m.tokenizer.gguf, written by
#   scripts/tokenizer-gguf.py): the real models do not fit the transfer; the synthetic files' tokenizer keys are the same, their
#   generator string names the tokenizer file it came from.
# Environment: DEADLINE (520 s from the start), REPS (7: the fewest runs per cell
# from which the report decides a claim), CMAKE_EXTRA (-DGGML_CUDA_FA=OFF).
set -uo pipefail
bin=${1:?usage}; tgz=${2:?usage}; tok=${3:?usage}; out=${4:?usage}
mkdir -p "$out"
exec > >(tee "$out/device-synth.log") 2>&1
start=$(date +%s)
deadline=$((start + ${DEADLINE:-520}))
left() { echo $((deadline - $(date +%s))); }
date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; echo "cores: $(nproc)"
mkdir -p /tmp/src && tar xzf "$tgz" -C /tmp/src || exit 1
CUDA_ARCHITECTURES=${CUDA_ARCHITECTURES:-native} JOBS=$(nproc) CMAKE_EXTRA="${CMAKE_EXTRA:--DGGML_CUDA_FA=OFF}" \
    timeout "$(left)" bash scripts/cuda-libs.sh build /tmp/src/llama.cpp /tmp/llama-build >"$out/build.log" 2>&1
echo "build rc=$? after $(( $(date +%s) - start )) s"; tail -3 "$out/build.log"
run() { timeout "$(left)" bash scripts/cuda-libs.sh run /tmp/llama-build "$bin" "$@"; }
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
label="Cloud VM, $gpu, $(nproc) vCPU"
syn=/tmp/synth; ds=/tmp/synth-dataset
mkdir -p "$syn"
files=()
for spec in qwen2.5-0.5b:q8_0 qwen2.5-1.5b:q8_0 qwen2.5-3b:q8_0 gemma-2-2b:q8_0 llama-3.2-1b:q8_0 \
    deepseek-r1-distill-qwen-1.5b:q8_0 qwq-1.5b:q8_0 deepseek-r1-distill-qwen-1.5b:bf16 qwq-1.5b:bf16; do
    p=${spec%%:*}; t=${spec##*:}
    src=$tok/SmolLM2-135M-Instruct.Q4_1.tokenizer.gguf
    [ "$p" = gemma-2-2b ] && src=$tok/gemma-3-270m-q4_k_m.tokenizer.gguf
    f=$syn/$p.$t.seed0.synthetic.gguf
    run synth --preset "$p" --type "$t" --tokenizer-from "$src" --out "$f" 2>&1 | tail -1
    files+=(--model "$f")
done
echo "synth done after $(( $(date +%s) - start )) s"
pack() { [ -d "$ds/v1" ] && tar czf "$out/synth-shards.tgz.tmp" -C "$ds" v1 2>/dev/null && mv "$out/synth-shards.tgz.tmp" "$out/synth-shards.tgz"; }
( while sleep 20; do pack; done ) &
packer=$!
run run --backend cuda "${files[@]}" --device-label "$label" --protocol quick --reps "${REPS:-7}" --warm --out "$ds" 2>&1 | tail -2
echo "cuda runs done after $(( $(date +%s) - start )) s"
run run --backend cpu --model "$syn/qwen2.5-0.5b.q8_0.seed0.synthetic.gguf" --model "$syn/qwen2.5-1.5b.q8_0.seed0.synthetic.gguf" \
    --model "$syn/qwen2.5-3b.q8_0.seed0.synthetic.gguf" --model "$syn/gemma-2-2b.q8_0.seed0.synthetic.gguf" \
    --device-label "$label" --protocol quick --reps "${REPS:-7}" --warm --out "$ds" 2>&1 | tail -2
echo "cpu runs done after $(( $(date +%s) - start )) s"
kill $packer 2>/dev/null; pack; ls -la "$out"

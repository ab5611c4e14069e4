#!/usr/bin/env bash
# `collect fusion` on a machine with an NVIDIA GPU and driver but no Rust toolchain: CUDA first,
# then the CPU of the same machine, into a fresh dataset directory whose shards are packed for
# merging into the repository's dataset (unpack under dataset/, then `dataset repair` lists them).
# Also one Nsight Compute pass over the f32 kernels at the largest default length, reading the
# DRAM bytes each kernel moved: the check that a GPU's stores do not read their lines first (the
# assumption behind the 3/5 bound).
#
#     scripts/device-fusion.sh COLLECT_BINARY OUT_DIR
#
# The collector is built where Rust is (`cargo build --release -p collector`) from a clean commit.
# cudarc looks for libnvrtc.so, .so.12, .so.11…; a CUDA 13 toolkit has libnvrtc.so.13, so this
# script names it libnvrtc.so in a private directory on LD_LIBRARY_PATH.
set -uo pipefail
bin=${1:?usage: $0 COLLECT_BINARY OUT_DIR}
out=${2:?usage: $0 COLLECT_BINARY OUT_DIR}
mkdir -p "$out"
exec > >(tee "$out/device-fusion.log") 2>&1
date -u
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv
echo "cores: $(nproc)"; lscpu | grep -E "Model name|cache|Socket|NUMA node\(s\)"
nvrtc=$(ls /usr/local/cuda/lib64/libnvrtc.so* 2>/dev/null | grep -v builtins | sort | tail -1)
echo "nvrtc: ${nvrtc:-none}"
if [ -n "$nvrtc" ]; then
    mkdir -p /tmp/nvrtc && ln -sf "$nvrtc" /tmp/nvrtc/libnvrtc.so
    export LD_LIBRARY_PATH="/tmp/nvrtc:$(dirname "$nvrtc")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
label="Cloud VM, $gpu, $(nproc) vCPU"
ds=/tmp/fusion-dataset
rm -rf "$ds"
echo "== cuda"; timeout 240 "$bin" fusion --device-label "$label" --backend cuda --out "$ds" --json >"$out/cuda-summary.json"; echo "cuda rc=$?"
echo "== cpu"; timeout 240 "$bin" fusion --device-label "$label" --backend cpu --out "$ds" --json >"$out/cpu-summary.json"; echo "cpu rc=$?"
tar czf "$out/fusion-shards.tgz" -C "$ds" v1 && echo "packed $(tar tzf "$out/fusion-shards.tgz" | grep -c parquet) shards"
echo "== ncu"
n=$((1 << 26))
timeout 150 ncu --csv --page raw --metrics gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum,launch__grid_size,launch__block_size \
    --launch-count 15 "$bin" fusion --device-label "$label" --backend cuda --dtype f32 --min-elements $n --max-elements $n \
    --repetitions 1 --warmup 0 --out /tmp/ncu-dataset >"$out/ncu-fusion-f32.csv" 2>"$out/ncu-stderr.txt"
echo "ncu rc=$?"; tail -3 "$out/ncu-stderr.txt"
date -u

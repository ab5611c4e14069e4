#!/usr/bin/env bash
# Benchmark (not a test): the kernel-fusion experiment against this machine's measured bandwidth.
#
# Runs `collect fusion` (default sweep: f32 and f16, 4096 elements up to the first length whose
# vectors are 4x the last-level cache, 30 repetitions) on this machine's CPU, and on CUDA where an
# NVIDIA driver is present, into a scratch dataset, then prints for each device and element type at
# the largest length (scripts/bench_fusion.py):
#   - the STREAM copy and triad bandwidth measured in the same sweep;
#   - each variant's achieved bandwidth as a fraction of copy, median and 95% interval (target
#     >= 0.80);
#   - fused / unfused per repetition, median and 95% interval, against the bound for how the
#     device stores (target: within 5%): 4/7 where stores read their line first, 3/5 where they do
#     not. On a CPU that is measured in the sweep (a write-only against a read-only pass, printed
#     with the verdict); a GPU's L2 does not (Nsight Compute showed it on the H200).
# Then the same for every sweep already in DATASET (default: the committed dataset), which is
# where sweeps taken on lent GPUs appear. Exits 1 when a target is missed.
#
# Environment: REPETITIONS (30), THREADS (all cores), BACKEND (auto | cpu | cuda), DATASET.
# Run it on an otherwise idle machine: other work on the cores shows up as lost bandwidth.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${EDGEBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgebench}"
python="${EDGEBENCH_PYTHON:-$cache/venv/bin/python}"
dataset="${DATASET:-dataset}"
cargo build --release --locked -p collector >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
threads_arg=()
[ -n "${THREADS:-}" ] && threads_arg=(--threads "$THREADS")
# A scratch dataset: the rows of a benchmark are not contributions.
target/release/collect fusion --device-label "bench-fusion" --backend "${BACKEND:-auto}" \
    --repetitions "${REPETITIONS:-30}" "${threads_arg[@]}" --out "$tmp/dataset"
status=0
echo "== this machine"
(cd scripts && "$python" bench_fusion.py "$tmp/dataset") || status=1
echo "== sweeps in $dataset"
(cd scripts && "$python" bench_fusion.py "$(cd .. && realpath "$dataset")") || true
exit $status

#!/usr/bin/env bash
# Benchmark (not a test): what `collect profile` costs and how much of each phase it explains.
#
# Timing every ggml graph node (the scheduler's eval callback) synchronises the back-end after
# each node and defeats ggml's op fusion, so a profiled worker runs slower than an unprofiled
# one. Each capture of `collect profile` measures both, on the same model, configuration and
# prompts, in two fresh processes; this script takes CAPTURES captures of each model and prints,
# per model and phase:
#   - overhead: profiled / unprofiled time per token (for decode: profiled time per token over
#     the unprofiled TPOT), the median over captures with its distribution-free 95% interval;
#   - timed share: the sum of the timed nodes over the phase's wall time in the profiled worker
#     (the part of the phase the profile explains; the rest is graph building, scheduling and
#     the harness), median and interval;
#   - the median class shares.
# It also prints the same figures for every capture already in DATASET (default: the committed
# dataset), which is where CUDA captures taken on a lent GPU appear.
#
# Environment: MODELS (default: SmolLM2-135M Q4_1 and gemma-3-270m Q4_K_M from
# scripts/fetch-models.sh), CAPTURES (6: the fewest that give a 95% interval), PROMPTS (3),
# TOKENS (32), THREADS (default: the collector's, physical cores), BACKEND (cpu), DATASET.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${EDGEBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgebench}"
python="${EDGEBENCH_PYTHON:-$cache/venv/bin/python}"
captures="${CAPTURES:-6}"
prompts="${PROMPTS:-3}"
tokens="${TOKENS:-32}"
backend="${BACKEND:-cpu}"
dataset="${DATASET:-dataset}"
EDGEBENCH_CACHE="$cache" bash scripts/fetch-models.sh
models="${MODELS:-$cache/models/SmolLM2-135M-Instruct.Q4_1.gguf $cache/models/gemma-3-270m-q4_k_m.gguf}"
cargo build --release --locked -p collector >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

threads_arg=()
[ -n "${THREADS:-}" ] && threads_arg=(--threads "$THREADS")
for model in $models; do
    echo "profiling $(basename "$model"): $captures captures of $prompts prompts x $tokens tokens" >&2
    target/release/collect profile --model "$model" --device-label "bench-profile" --backend "$backend" \
        --captures "$captures" --n-prompts "$prompts" --max-tokens "$tokens" "${threads_arg[@]}" \
        --out "$tmp/dataset" --json >"$tmp/$(basename "$model").json"
done

"$python" - "$tmp" "$dataset" <<'PY'
import collections, glob, json, sys
import pyarrow.dataset as ds
sys.path.insert(0, "scripts")
from bench_stats import median_interval

tmp, committed = sys.argv[1], sys.argv[2]

def show(values, fmt):
    median, interval = median_interval(values)
    ci = f"[{fmt(interval[0])}, {fmt(interval[1])}]" if interval else "(no interval below 6 captures)"
    return f"{fmt(median)} {ci}"

def table(title, captures):
    print(f"\n{title}")
    groups = collections.defaultdict(list)
    for c in captures:
        groups[(c["model"], c["backend"], c["phase"])].append(c)
    if not groups:
        print("  none")
    for (model, backend, phase), cs in sorted(groups.items()):
        shares = collections.defaultdict(list)
        for c in cs:
            for k, v in c["shares"].items():
                shares[k].append(v)
        top = sorted(((sorted(v)[len(v) // 2], k) for k, v in shares.items()), reverse=True)[:4]
        print(f"  {model} · {backend} · {phase}, n={len(cs)}")
        print(f"    overhead (profiled / unprofiled time per token{', i.e. over TPOT' if phase == 'decode' else ''}): "
              + show([c["overhead"] for c in cs], lambda v: f"{v:.2f}x"))
        print(f"    timed nodes / phase wall time: " + show([c["coverage"] for c in cs], lambda v: f"{v:.1%}"))
        print(f"    unprofiled ms/token {show([c['unprofiled'] for c in cs], lambda v: f'{v:.3f}')}, "
              f"profiled {show([c['profiled'] for c in cs], lambda v: f'{v:.3f}')}")
        print("    classes (median share): " + ", ".join(f"{k} {v:.1%}" for v, k in top))

fresh = []
for path in sorted(glob.glob(f"{tmp}/*.json")):
    for c in json.load(open(path))["captures"]:
        fresh.append(dict(model=c["model"], backend="this run", phase=c["phase"], overhead=c["overhead"],
                          coverage=c["coverage"], profiled=c["profiled_ms_per_token"],
                          unprofiled=c["unprofiled_ms_per_token"], shares=c["class_shares"]))
table("Fresh captures on this machine", fresh)

stored = []
try:
    rows = ds.dataset(f"{committed}/v1/kernels", partitioning="hive").to_table().to_pylist()
except (FileNotFoundError, OSError):
    rows = []
captures = collections.defaultdict(list)
for r in rows:
    if r.get("phase_wall_ns") and r.get("unprofiled_phase_wall_ns"):
        captures[r["capture_id"]].append(r)
for rs in captures.values():
    r0, total = rs[0], sum(r["total_ns"] for r in rs)
    shares = collections.defaultdict(float)
    for r in rs:
        shares[r["op_class"]] += r["total_ns"] / total
    stored.append(dict(model=r0["model_name"], backend=f"{r0['backend']} on {r0['device']}", phase=r0["phase"],
                       overhead=r0["phase_wall_ns"] / r0["unprofiled_phase_wall_ns"], coverage=total / r0["phase_wall_ns"],
                       profiled=r0["phase_wall_ns"] / r0["phase_tokens"] / 1e6,
                       unprofiled=r0["unprofiled_phase_wall_ns"] / r0["phase_tokens"] / 1e6, shares=shares))
table(f"Captures stored in {committed}", stored)
PY

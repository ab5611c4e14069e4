#!/usr/bin/env bash
# Benchmark (not a test): does a synthetic twin perform like the real model?
#
# `collect synth --like` copies a GGUF's metadata, tokenizer, tensor names, shapes and types and
# draws new values. If load time, TTFT, TPOT and memory depend on those and not on the values, a
# twin measures like its source. For each real model (default: SmolLM2-135M Q4_1 and
# gemma-3-270m Q4_K_M, scripts/fetch-models.sh), this copies it and writes its twin, then runs both in one
# campaign, interleaved repetition by repetition (`collect run --model real --model twin`: each
# repetition runs every model once, so the host's drift lands on both), and prints, per model and
# measure, the twin / real ratio of each repetition's value (load time; the repetition's median
# TTFT and TPOT over its prompts; peak RSS): the median of those paired ratios with its
# distribution-free 95% interval, and the verdict against the target: the interval contains 1 or
# lies within ±3%.
#
# The twin generates every prompt to the maximum length (its outputs mean nothing, so the
# end-of-generation token is ignored), the real model until it stops: with the quick protocol's
# 32 tokens both nearly always reach the maximum, and TPOT is per token anyway.
#
# Environment: MODELS, REPS (8), PROMPTS (3), TOKENS (32), THREADS (collector default).
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${EDGEBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgebench}"
python="${EDGEBENCH_PYTHON:-$cache/venv/bin/python}"
EDGEBENCH_CACHE="$cache" bash scripts/fetch-models.sh
export EDGEBENCH_MODELS="$cache/models"
models="${MODELS:-$cache/models/SmolLM2-135M-Instruct.Q4_1.gguf $cache/models/gemma-3-270m-q4_k_m.gguf}"
cargo build --release --locked -p collector >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
threads_arg=()
[ -n "${THREADS:-}" ] && threads_arg=(--threads "$THREADS")
pairs=()
for model in $models; do
    # Both files are written just before they run, so their pages sit alike in the page cache: a
    # model file cached long ago decoded ~5% slower on the 2-vCPU VM than a fresh byte-identical
    # copy of itself (page placement, not values), which is the twin's position.
    real="$tmp/$(basename "$model")"
    cp "$model" "$real"
    twin="$tmp/$(basename "$model" .gguf).twin.gguf"
    target/release/collect synth --like "$real" --seed 0 --out "$twin" >&2
    pairs+=("$real" "$twin")
    target/release/collect run --model "$real" --model "$twin" --device-label "bench-synth" --protocol quick \
        --n-prompts "${PROMPTS:-3}" --max-tokens "${TOKENS:-32}" --reps "${REPS:-8}" "${threads_arg[@]}" \
        --out "$tmp/dataset" >&2
done

"$python" - "$tmp/dataset" "${pairs[@]}" <<'PY'
import collections, statistics, sys
import duckdb
sys.path.insert(0, "scripts")
from bench_stats import median_interval

root, files = sys.argv[1], sys.argv[2:]
con = duckdb.connect()
runs = con.sql(f"""select run_id, model_file_name, repetition, load_ms, peak_rss_bytes, weights_origin
                   from read_parquet('{root}/v1/runs/**/*.parquet', hive_partitioning = false, union_by_name = true)
                   where status = 'ok'""").fetchall()
gens = con.sql(f"""select run_id, ttft_ms, tpot_ms, output_tokens
                   from read_parquet('{root}/v1/generations/**/*.parquet', hive_partitioning = false, union_by_name = true)
                   where status = 'ok'""").fetchall()
per_run = collections.defaultdict(lambda: {"ttft": [], "tpot": [], "tokens": []})
for run_id, ttft, tpot, tokens in gens:
    per_run[run_id]["ttft"].append(ttft)
    if tpot is not None:
        per_run[run_id]["tpot"].append(tpot)
    per_run[run_id]["tokens"].append(tokens)
by_file = collections.defaultdict(dict)
for run_id, name, rep, load, rss, origin in runs:
    g = per_run[run_id]
    by_file[name][rep] = {"load_ms": load, "ttft_ms": statistics.median(g["ttft"]), "tpot_ms": statistics.median(g["tpot"]),
                          "peak_rss_bytes": rss, "tokens": statistics.mean(g["tokens"])}
failed = 0
for real, twin in zip(files[0::2], files[1::2]):
    r, t = by_file[real.split("/")[-1]], by_file[twin.split("/")[-1]]
    reps = sorted(set(r) & set(t))
    print(f"{real.split('/')[-1]}: twin / real over {len(reps)} paired repetitions "
          f"(mean output tokens: real {statistics.mean(r[i]['tokens'] for i in reps):.1f}, twin {statistics.mean(t[i]['tokens'] for i in reps):.1f})")
    for measure in ("load_ms", "ttft_ms", "tpot_ms", "peak_rss_bytes"):
        ratios = [t[i][measure] / r[i][measure] for i in reps if r[i][measure] and t[i][measure]]
        median, interval = median_interval(ratios)
        if interval is None:
            print(f"  {measure:15} {median:.3f} (fewer than 6 pairs: no interval)")
            failed += 1
            continue
        lo, hi = interval
        ok = lo <= 1 <= hi or (lo >= 0.97 and hi <= 1.03)
        failed += not ok
        print(f"  {measure:15} {median:.3f} [{lo:.3f}, {hi:.3f}]  {'ok' if ok else 'MISSED (interval excludes 1 and leaves ±3%)'}")
sys.exit(1 if failed else 0)
PY

#!/usr/bin/env bash
# What the contribution workflow (.github/workflows/contribution.yml) runs on a pull request that
# touches dataset/, and what a contributor can run before opening one:
#
#   bash scripts/check-contribution.sh origin/main out/contribution
#
# 1. `dataset check-contribution --base BASE`: only additions (and the store's own compaction and
#    scoring), traceable provenance, size caps; outlier warnings;
# 2. `dataset validate`;
# 3. `report build` into OUT/report;
# 4. `dataset summary --markdown --base BASE` into OUT/summary.md, with the checker's lines.
#
# Every step runs even when an earlier one fails, so the summary and the report are there to read;
# the exit status is 1 when any step failed. The binaries come from $DATASET and $REPORT (default:
# built with cargo from this checkout).
set -uo pipefail
cd "$(dirname "$0")/.."

if [ $# -ne 2 ]; then
    echo "usage: $0 BASE OUT_DIR   (BASE: the commit or branch the pull request merges into, e.g. origin/main)" >&2
    exit 2
fi
base=$1
out=$2
dataset_bin=${DATASET:-}
report_bin=${REPORT:-}
if [ -z "$dataset_bin" ] || [ -z "$report_bin" ]; then
    cargo build --release --locked -p dataset -p report || exit 2
    dataset_bin=${dataset_bin:-target/release/dataset}
    report_bin=${report_bin:-target/release/report}
fi
mkdir -p "$out"

failed=0
"$dataset_bin" check-contribution dataset --base "$base" >"$out/check-contribution.txt" 2>&1 || failed=1
cat "$out/check-contribution.txt"
"$dataset_bin" validate dataset >"$out/validate.txt" 2>&1 || failed=1
cat "$out/validate.txt"
"$report_bin" build --dataset dataset --out "$out/report" || failed=1

{
    "$dataset_bin" summary dataset --markdown --base "$base" || failed=1
    echo
    echo "### dataset check-contribution"
    echo
    echo '```'
    cat "$out/check-contribution.txt"
    echo '```'
    if [ "$failed" -ne 0 ]; then
        echo
        echo "**Some checks failed**: see the lines above and $out/validate.txt."
    fi
} >"$out/summary.md"

exit "$failed"

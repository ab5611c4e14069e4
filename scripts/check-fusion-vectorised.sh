#!/usr/bin/env bash
# Checks that the CPU kernels of `collect fusion` were vectorised in the release build: each f32
# loop (add, scale, add+scale, copy, triad) must contain packed single-precision arithmetic
# (addps/mulps, or their AVX forms), and the F16C kernels packed conversions (vcvtph2ps/vcvtps2ph).
# A scalar loop would make the CPU rows measure the core, not memory. Needs objdump (binutils).
#
#     scripts/check-fusion-vectorised.sh [COLLECT_BINARY]   (default: target/release/collect)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/collect}
[ -x "$bin" ] || cargo build --release --locked -p collector >&2
command -v objdump >/dev/null || { echo "check-fusion-vectorised: objdump not found (install binutils)" >&2; exit 2; }
dis=$(mktemp)
trap 'rm -f "$dis"' EXIT
objdump -d --no-show-raw-insn "$bin" >"$dis"
status=0
check() { # SYMBOL_PATTERN INSTRUCTION_PATTERN
    local body
    body=$(awk -v pat="$1" '/^[0-9a-f]+ <.*>:$/ { p = ($0 ~ pat) } p' "$dis")
    if [ -z "$body" ]; then
        echo "missing: no function matches $1"; status=1
    elif grep -Eq "$2" <<<"$body"; then
        echo "vectorised: $1 ($(grep -Ec "$2" <<<"$body") packed instructions)"
    else
        echo "NOT vectorised: $1"; status=1
    fi
}
for k in add_f32 scale_f32 add_scale_f32 copy_f32 triad_f32; do
    check "edgebench_microbench3cpu7kernels[0-9]+${k}17h" '\s(v?addps|v?mulps)\s'
done
for k in add scale add_scale copy triad; do
    check "edgebench_microbench3cpu4f16c3imp[0-9]+${k}17h" '\s(vcvtph2ps|vcvtps2ph)\s'
done
exit $status

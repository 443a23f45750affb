#!/usr/bin/env bash
# The Python side of the packages: build the `yundong` wheel (the binary + yundong.testing + the pytest plugin) with
# maturin, install it into .venv/packages with pytest and the example back end's requirements, and run
#   python/tests                      the package itself, against the wheel's own binary
#   examples/python-backend/tests     a Flask + wechatpy back end tested with the `yundong` fixture
#
#   scripts/test-python.sh [pytest args]      e.g. -x, -k reset
#
# Idempotent: the venv is rebuilt only when a requirements file changed; cargo rebuilds nothing that is up to date,
# and the wheel is reinstalled only when its bytes changed.
#
# Environment:
#   CARGO_TARGET_DIR        where cargo builds (default <repo>/target). maturin runs cargo on crates/yundong in this
#                           target dir with the release profile, i.e. it makes the same target/release/yundong that
#                           `cargo build --release -p yundong` makes, and reuses it when it is up to date.
#   YUNDONG_PY_PROFILE=dev  build the wheel with the dev profile instead (reuses the debug binary the conformance
#                           and browser suites build; slower to start, for CI time only)
#   PYTHON                  interpreter for the venv (default python3)
#
# The wheel lands in $CARGO_TARGET_DIR/python-wheels/. Only PyPI is used (pinned: python/requirements-dev.txt,
# examples/python-backend/requirements*.txt). YUNDONG_BIN is ignored here: the tests run the wheel's binary.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET" in /*) ;; *) TARGET="$ROOT/$TARGET" ;; esac
PROFILE="${YUNDONG_PY_PROFILE:-release}"
VENV="$ROOT/.venv/packages"
WHEELS="$TARGET/python-wheels"
PIP_FLAGS=(--quiet --disable-pip-version-check --no-input)
REQS=("$ROOT/python/requirements-dev.txt" "$ROOT/examples/python-backend/requirements.txt"
    "$ROOT/examples/python-backend/requirements-test.txt")

log() { echo "test-python: $*" >&2; }

# 1. The venv, from the pinned requirements (rebuilt when they change).
stamp="$VENV/requirements.stamp"
if [[ -x "$VENV/bin/python" && -f "$stamp" ]] && cat "${REQS[@]}" | cmp -s - "$stamp"; then
    log ".venv/packages ok"
else
    log "creating .venv/packages"
    rm -rf "$VENV"
    mkdir -p "$ROOT/.venv"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install "${PIP_FLAGS[@]}" -r "$ROOT/python/requirements-dev.txt" \
        -r "$ROOT/examples/python-backend/requirements-test.txt"
    cat "${REQS[@]}" >"$stamp"
fi

# 2. The wheel (maturin from the venv; cargo decides what to rebuild).
profile_flag=(--release)
[[ "$PROFILE" == release ]] || profile_flag=(--profile "$PROFILE")
log "maturin build ${profile_flag[*]} (CARGO_TARGET_DIR=$TARGET)"
rm -rf "$WHEELS"
(cd "$ROOT/python" && CARGO_TARGET_DIR="$TARGET" "$VENV/bin/maturin" build "${profile_flag[@]}" --locked \
    --out "$WHEELS" --quiet)
shopt -s nullglob
wheels=("$WHEELS"/yundong-*.whl)
shopt -u nullglob
((${#wheels[@]} == 1)) || { log "expected one wheel in $WHEELS, found ${#wheels[@]}"; exit 1; }
WHEEL="${wheels[0]}"
log "wheel: ${WHEEL#"$ROOT"/} ($(du -h "$WHEEL" | cut -f1))"

# 3. Install it when its contents changed: the wheel's RECORD lists a hash of every file (the zip's own bytes, and
#    the SBOM maturin adds with a fresh serial number, differ from build to build).
sum="$("$VENV/bin/python" -c 'import hashlib, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
record = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/RECORD"))).decode()
print(hashlib.sha256("".join(l for l in record.splitlines(True) if "/sboms/" not in l).encode()).hexdigest())' "$WHEEL")"
if [[ -f "$VENV/yundong-wheel.sha256" && "$(cat "$VENV/yundong-wheel.sha256")" == "$sum" ]] &&
    "$VENV/bin/python" -c 'import yundong.testing' 2>/dev/null; then
    log "installed wheel is current"
else
    "$VENV/bin/python" -m pip install "${PIP_FLAGS[@]}" --force-reinstall --no-deps "$WHEEL"
    echo "$sum" >"$VENV/yundong-wheel.sha256"
fi

# 4. The suites, with the wheel's binary (found next to the venv's python, not through YUNDONG_BIN).
unset YUNDONG_BIN
export YUNDONG_WHEEL="$WHEEL"
status=0
log "python/tests"
(cd "$ROOT/python" && "$VENV/bin/python" -m pytest -p no:cacheprovider "$@") || status=1
log "examples/python-backend/tests"
(cd "$ROOT/examples/python-backend" && "$VENV/bin/python" -m pytest -p no:cacheprovider "$@") || status=1
exit "$status"

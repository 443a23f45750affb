#!/usr/bin/env bash
# The packages side by side in one run (issue 14): start → first answered request and per-test reset, first through
# the Python package (`YundongServer`, the pytest fixture's path), then through the Node package (`startYundong`),
# both on the same release binary, one right after the other.
#
#   bench/packages/run.sh [STARTS] [RESETS]      (default 20 and 200)
#
# Needs what scripts/test-python.sh and scripts/test-node.sh install (.venv/packages with the wheel; node/ as is).
set -euo pipefail
cd "$(dirname "$0")/../.."
STARTS="${1:-20}"
RESETS="${2:-200}"
TARGET="${CARGO_TARGET_DIR:-target}"
[ -x .venv/packages/bin/python ] || { echo "run scripts/test-python.sh first (it makes .venv/packages)" >&2; exit 1; }
cargo build --release -q --locked -p yundong
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## Python (yundong.testing.YundongServer)"
.venv/packages/bin/python bench/packages/python.py --runs "$STARTS" --resets "$RESETS"
echo
echo "## Node (startYundong)"
YUNDONG_BIN="$TARGET/release/yundong" node bench/packages/node.mjs --starts "$STARTS" --resets "$RESETS"
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

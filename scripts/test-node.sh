#!/usr/bin/env bash
# The Node side of issue 14: the `yundong` npm package (node/) and the example back end (examples/node-backend/),
# against the real binary.
#
#   scripts/test-node.sh                      build the release binary (or use YUNDONG_BIN), npm ci, run both suites
#   scripts/test-node.sh --test-name-pattern=reset      extra arguments go to `node --test` (both suites)
#
# Steps: the release binary (`cargo build --release -p yundong` into ${CARGO_TARGET_DIR:-target}, unless YUNDONG_BIN
# names one); `npm ci` in node/test/ (typescript, pinned, for the types test; `yundong` from ..) and in
# examples/node-backend/ (express,
# node-easywechat, node-socialite, pinned; `yundong` from ../../node); node/test/*.test.* (each method against the
# binary, CommonJS and ESM, the wx entry, the types, and pack.test.mjs: both packages packed, installed from the
# tarballs with --offline into a temp project, the binary found without YUNDONG_BIN); then the example's tests.
# The browser test of the wx object from another origin is browser/tests/cross-origin.test.mjs (browser/run.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { echo "[node $(date +%H:%M:%S)] $*" >&2; }

command -v node >/dev/null || { log "node is required (>= 18)"; exit 1; }
command -v npm >/dev/null || { log "npm is required"; exit 1; }

if [[ -n "${YUNDONG_BIN:-}" ]]; then
    BIN="$YUNDONG_BIN"
else
    TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
    log "building yundong (release) into $TARGET"
    (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET" cargo build --quiet --locked --release -p yundong)
    BIN="$TARGET/release/yundong"
fi
[[ -x "$BIN" ]] || { log "no yundong binary at $BIN"; exit 1; }
export YUNDONG_BIN="$(realpath "$BIN")"

# The packaged wx.js must be the server's (node/test/wx.test.mjs checks it too, with a clearer message).
cmp -s "$ROOT/crates/yundong-server/assets/ui/wx.js" "$ROOT/node/wx/wx.js" ||
    { log "node/wx/wx.js differs from crates/yundong-server/assets/ui/wx.js: cp the asset into node/wx/"; exit 1; }

npm_ci() {
    log "npm ci in ${1#"$ROOT"/}"
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
}
npm_ci "$ROOT/node/test"
npm_ci "$ROOT/examples/node-backend"

rc=0
log "node/test"
(cd "$ROOT/node" && node --test --test-reporter=spec --test-concurrency=1 "$@" test/*.test.*) || rc=1
log "examples/node-backend/test"
(cd "$ROOT/examples/node-backend" && node --test --test-reporter=spec --test-concurrency=1 "$@" test/*.test.*) || rc=1
((rc == 0)) && log "all passed" || log "FAILED"
exit "$rc"

#!/usr/bin/env bash
# Browser tests: yundong's web pages (/ui/) in headless Debian Chromium, driven by playwright-core.
#
#   browser/run.sh                 install what is missing, build, start a seeded server, run every test
#   browser/run.sh --test-name-pattern=排行榜      extra arguments go to `node --test`
#
# Installs Debian's chromium (and a CJK font) with apt-get when /usr/bin/chromium is missing, runs `npm ci` here
# (playwright-core pinned in package-lock.json; it never downloads a browser), builds `yundong` into
# ${CARGO_TARGET_DIR:-target}, starts `yundong serve --dev-clock` on a free loopback port with a temp data dir and
# YUNDONG_ADMIN_TOKEN, seeds apps, users, friends, steps, check-ins and chats (seed.mjs), then runs tests/*.test.mjs
# with node's test runner. Screenshots go to test-artifacts/browser/. The server is always stopped.
#
# Environment:
#   CARGO_TARGET_DIR           where the binary is built (default <repo>/target)
#   YUNDONG_BIN=path           use this binary, no build
#   BROWSER_TEST_TIMEOUT=secs  limit for the whole test run (default 300)
#   CHROMIUM=path              the browser (default /usr/bin/chromium)
#   YD_KEEP_LOG=1              keep the server's log and data dir
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
TIMEOUT="${BROWSER_TEST_TIMEOUT:-300}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export YUNDONG_ARTIFACTS="$ROOT/test-artifacts/browser"

log() { echo "[browser $(date +%H:%M:%S)] $*" >&2; }
die() { log "$*"; exit 1; }

as_root() {
    if [[ $(id -u) == 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

# 1. Debian's Chromium: never a browser download of playwright's own.
if [[ ! -x "$CHROMIUM" ]]; then
    log "installing Debian chromium"
    as_root apt-get update -qq >/dev/null &&
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends chromium >/dev/null ||
        die "could not install chromium with apt-get"
fi
[[ -x "$CHROMIUM" ]] || die "no browser at $CHROMIUM"
# Chinese labels need a CJK font to render in screenshots (the tests read text, not pixels: best effort).
if command -v fc-list >/dev/null && [[ -z "$(fc-list :lang=zh 2>/dev/null)" ]]; then
    log "installing a CJK font (fonts-noto-cjk) for readable screenshots"
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends fonts-noto-cjk >/dev/null 2>&1 ||
        log "warning: no CJK font; screenshots will show boxes for Chinese text"
fi

# 2. playwright-core, exactly as locked.
command -v node >/dev/null || die "node is required"
log "npm ci"
(cd "$HERE" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"

# 3. The server binary.
# shellcheck source=../conformance/lib/server.sh
source "$ROOT/conformance/lib/server.sh"
yd_binary || die "cannot build or find the yundong binary"
BIN="$YD_BIN"
# console.test.mjs starts private servers of its own (it resets one).
export YUNDONG_BIN_PATH="$(cd "$ROOT" && realpath "$BIN")"

# 4. A fresh server on a free loopback port; always stopped on exit.
DATA="$(mktemp -d "${TMPDIR:-/tmp}/yundong-browser.XXXXXX")"
PID=""
cleanup() {
    yd_kill_pid "$PID"
    if [[ "${YD_KEEP_LOG:-0}" == 1 ]]; then log "kept $DATA"; else rm -rf "$DATA"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export YUNDONG_ADMIN_TOKEN="browser-admin-$(node -e 'process.stdout.write(require("crypto").randomBytes(16).toString("hex"))')"
free_port() {
    node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { process.stdout.write(String(s.address().port)); s.close(); })'
}
up=0
for attempt in 1 2 3; do
    PORT="$(free_port)"
    "$BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" --dev-clock >"$DATA/server.log" 2>&1 &
    PID=$!
    export YUNDONG_BASE="http://127.0.0.1:$PORT/"
    for _ in $(seq 1 150); do
        kill -0 "$PID" 2>/dev/null || break
        if node -e 'fetch(process.argv[1] + "healthz").then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$YUNDONG_BASE"; then
            up=1
            break
        fi
        sleep 0.2
    done
    ((up)) && break
    log "server did not come up on port $PORT (attempt $attempt)"
    kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=""
done
((up)) || { sed 's/^/    /' "$DATA/server.log" >&2; die "server did not start"; }
log "yundong up at $YUNDONG_BASE (pid $PID)"

# 5. Seed, then test.
export YUNDONG_FIXTURE="$DATA/fixture.json"
(cd "$HERE" && timeout 120 node seed.mjs >"$YUNDONG_FIXTURE") || { tail -20 "$DATA/server.log" >&2; die "seeding failed"; }
mkdir -p "$YUNDONG_ARTIFACTS"

cd "$HERE" || exit 1
timeout --kill-after=10 "$TIMEOUT" node --test --test-reporter=spec --test-concurrency=1 "$@" tests/*.test.mjs
rc=$?
if ((rc == 124)); then log "timed out after ${TIMEOUT}s"; fi
if ((rc != 0)); then
    echo "---- server log (last 30 lines) ----" >&2
    tail -30 "$DATA/server.log" >&2
fi
log "screenshots: $YUNDONG_ARTIFACTS"
exit "$rc"

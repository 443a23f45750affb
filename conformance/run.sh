#!/usr/bin/env bash
# Conformance: real, unmodified WeChat SDKs from PyPI and npm against a fresh yundong server.
#
#   conformance/run.sh                  install/verify the clients, build, start a server, run every suite
#   conformance/run.sh wechatpy2 node-easywechat     only these suites
#
# Suites: wechatpy1 (wechatpy 1.8.18), wechatpy2 (wechatpy 2.0.0a26), node-easywechat (3.6.2),
#         co-wechat-api (3.11.0 + wechat-oauth 1.5.0). See conformance/README.md.
#
# Environment:
#   CARGO_TARGET_DIR                   where the binary is built / looked for (default <repo>/target)
#   YUNDONG_BIN=path                   use this binary, no build
#   YUNDONG_NO_BUILD=1                 use $CARGO_TARGET_DIR/debug/yundong if it exists, no cargo call
#   CONFORMANCE_NO_SETUP=1             skip scripts/setup-conformance.sh (clients already installed)
#   YUNDONG_SERVE_ARGS="..."           extra `yundong serve` flags (e.g. "--utc-offset +00:00" must make suites fail)
#   CONFORMANCE_SUITE_TIMEOUT=seconds  per-suite limit (default 180)
#
# Exit status: 0 when every suite passed, 1 otherwise. The last line is "conformance: N passed, N failed" (checks).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
# shellcheck source=lib/server.sh
source "$HERE/lib/server.sh"

SUITE_TIMEOUT="${CONFORMANCE_SUITE_TIMEOUT:-180}"
ALL_SUITES=(wechatpy1 wechatpy2 node-easywechat co-wechat-api)
SUITES=("$@")
((${#SUITES[@]})) || SUITES=("${ALL_SUITES[@]}")

suite_cmd() {
    case "$1" in
        wechatpy1 | wechatpy2)
            echo "$ROOT/.venv/$1/bin/python -u $HERE/python/test_wechatpy.py" ;;
        node-easywechat) echo "node $HERE/node/easywechat.js" ;;
        co-wechat-api) echo "node $HERE/node/co-wechat-api.js" ;;
        *) return 1 ;;
    esac
}
for s in "${SUITES[@]}"; do
    suite_cmd "$s" >/dev/null || { echo "unknown suite: $s (known: ${ALL_SUITES[*]})" >&2; exit 2; }
done

if [[ "${CONFORMANCE_NO_SETUP:-0}" != 1 ]]; then
    "$ROOT/scripts/setup-conformance.sh" || { echo "conformance: client setup failed" >&2; exit 1; }
fi
yd_binary || { echo "conformance: no server binary" >&2; exit 1; }

trap yd_stop EXIT
trap 'exit 130' INT TERM
yd_start || { echo "conformance: server did not start" >&2; exit 1; }

OUT="$(mktemp -d "${TMPDIR:-/tmp}/yundong-conf-out.XXXXXX")"
total_pass=0 total_fail=0 any_failed=0
declare -a rows
for s in "${SUITES[@]}"; do
    yd_log "suite $s"
    # PYTHONPATH for ydharness; each suite creates its own app and users, so suites are independent.
    (cd "$HERE" && PYTHONPATH="$HERE/python" PYTHONDONTWRITEBYTECODE=1 \
        timeout --kill-after=10 "$SUITE_TIMEOUT" $(suite_cmd "$s")) 2>&1 | tee "$OUT/$s.log"
    rc=${PIPESTATUS[0]}
    summary="$(grep -E ': [0-9]+ passed, [0-9]+ failed$' "$OUT/$s.log" | tail -1)"
    if [[ -n "$summary" ]]; then
        p="$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1/' <<<"$summary")"
        f="$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\2/' <<<"$summary")"
    else
        p=0 f=1 # crashed or timed out before its summary
    fi
    if ((rc != 0)) && ((f == 0)); then f=1; fi
    total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
    if ((rc == 0)); then verdict=PASS; else verdict="FAIL (exit $rc$( ((rc == 124)) && echo ", timed out after ${SUITE_TIMEOUT}s"))"; any_failed=1; fi
    rows+=("$(printf '%-16s %-6s %3s passed %3s failed' "$s" "${verdict%% *}" "$p" "$f")")
done

if ((any_failed)) && [[ -n "${YD_LOG:-}" && -f "$YD_LOG" ]]; then
    echo "---- server log (last 40 lines) ----"
    tail -40 "$YD_LOG"
fi
rm -rf "$OUT"
echo "---- conformance summary ----"
printf '%s\n' "${rows[@]}"
echo "conformance: $total_pass passed, $total_fail failed"
exit "$any_failed"

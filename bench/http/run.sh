#!/usr/bin/env bash
# HTTP benchmark of a release yundong server: each case measured beside the server's own /healthz in one run.
#
#   bench/http/run.sh [sqlite|postgres|both]     (default both)
#
# Env: DURATION (seconds per case, default 10), CONNECTIONS (default 64), USERS (demo size, default 10000),
#      YUNDONG_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432/postgres),
#      YUNDONG_BIN (a yundong binary to measure instead of building this tree's; e.g. an older release, to compare
#      two builds case by case, each beside its own /healthz).
# The server is pinned to CPU 0 and wrk to CPU 1 (taskset), so figures are per server core. Bounded in time:
# about (6 cases x DURATION) per backend plus seeding.
set -euo pipefail
cd "$(dirname "$0")/../.."
which="${1:-both}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
USERS="${USERS:-10000}"
PG="${YUNDONG_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
TARGET="${CARGO_TARGET_DIR:-target}"

command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }; }
command -v jq >/dev/null || apt-get install -y -qq jq >/dev/null
if [ -n "${YUNDONG_BIN:-}" ]; then BIN="$YUNDONG_BIN"; else cargo build --release -q -p yundong; BIN="$TARGET/release/yundong"; fi
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
ADMIN="yda_bench_admin_0123456789abcdef0123456789"
PIN_SERVER=""; PIN_WRK=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then PIN_SERVER="taskset -c 0"; PIN_WRK="taskset -c 1"; fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wrk: "<req/s> <p50 ms> <p99 ms>"
measure() {
    local lua="$1" path="$2"
    local out
    out=$($PIN_WRK wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency ${lua:+-s "$lua"} "$BASE$path")
    local rps p50 p99
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    local errs
    errs=$(awk '/Non-2xx/ {print $4}' <<<"$out")
    echo "$rps $(to_ms "$p50") $(to_ms "$p99") ${errs:-0}"
}
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms/,"",v); print v } else if (v ~ /s$/) { sub(/s/,"",v); print v*1000 } else print v }'; }

post() { curl -sf -X POST "$BASE$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"; }

bench_backend() {
    local backend="$1" db
    if [ "$backend" = sqlite ]; then
        db="sqlite:$WORK/bench.sqlite?mode=rwc"
    else
        local name="yd_bench_$(date +%s)"
        psql "$PG" -qc "CREATE DATABASE $name" >/dev/null
        db="${PG%/*}/$name"
    fi
    echo "seeding $USERS demo users on $backend..." >&2
    local seed; seed=$("$BIN" demo --users "$USERS" --friends 12 --json --database "$db")
    local appid token; appid=$(jq -r .appid <<<"$seed"); token=$(jq -r '.tokens[0][2]' <<<"$seed")
    local secret; secret=$(jq -r .secret <<<"$seed")
    local port; port=$(free_port)
    BASE="http://127.0.0.1:$port"
    # The per-user check-in quota is lifted: the check-in case measures the durable write, not the quota.
    YUNDONG_CHECK_INS_PER_MINUTE=100000000 YUNDONG_CHECK_INS_PER_DAY=100000000 \
    YUNDONG_ADMIN_TOKEN="$ADMIN" YUNDONG_LOG=warn $PIN_SERVER "$BIN" serve --listen "127.0.0.1:$port" --database "$db" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
    # The star user (200 friends) logs in to the demo app, so getWeRunData has a session.
    local code; code=$(post /client/v1/wx/login "$token" "{\"appid\":\"$appid\"}" | jq -r .code)
    curl -sf "$BASE/sns/jscode2session?appid=$appid&secret=$secret&js_code=$code&grant_type=authorization_code" >/dev/null
    post /client/v1/wx/authorize "$token" "{\"appid\":\"$appid\",\"scope\":\"scope.werun\",\"allow\":true}" >/dev/null
    # 500 uploaders with their own tokens.
    local tokens=()
    for i in $(seq 1 500); do
        tokens+=("$(curl -sf -X POST "$BASE/admin/v1/users" -H "Authorization: Bearer $ADMIN" -d "{\"nickname\":\"b$i\"}" | jq -r .token)")
    done
    { echo 'local tokens = {'; printf '"%s",\n' "${tokens[@]}"; echo '}'
      cat <<'LUA'
local i = 0
request = function()
  i = i + 1
  local body = '{"steps":' .. (1000 + (i * 7919) % 90000) .. '}'
  return wrk.format("POST", "/client/v1/steps", {["Authorization"] = "Bearer " .. tokens[(i % #tokens) + 1], ["Content-Type"] = "application/json"}, body)
end
LUA
    } >"$WORK/steps.lua"
    { echo 'local tokens = {'; printf '"%s",\n' "${tokens[@]}"; echo '}'
      cat <<LUA
local i = 0
request = function()
  i = i + 1
  local body = '{"appid":"$appid","confirm":true,"recordList":[{"typeId":3001,"distance":' .. (100 + i % 9000) .. '}]}'
  return wrk.format("POST", "/client/v1/wx/shareToWeRun", {["Authorization"] = "Bearer " .. tokens[(i % #tokens) + 1], ["Content-Type"] = "application/json"}, body)
end
LUA
    } >"$WORK/checkin.lua"
    cat >"$WORK/werun.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"appid":"$appid"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
LUA
    cat >"$WORK/ranking.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
    local h w s r h2 c
    # Uploads go last: the work they leave behind (WAL, checkpoints, autovacuum on PostgreSQL) would slow the cases
    # after them, and wrk with them.
    h=$(measure "" /healthz)
    w=$(measure "$WORK/werun.lua" /client/v1/wx/getWeRunData)
    r=$(measure "$WORK/ranking.lua" /client/v1/werun/ranking)
    h2=$(measure "" /healthz)
    s=$(measure "$WORK/steps.lua" /client/v1/steps)
    c=$(measure "$WORK/checkin.lua" /client/v1/wx/shareToWeRun)
    local base_rps; base_rps=$(awk -v a="${h%% *}" -v b="${h2%% *}" 'BEGIN {print (a+b)/2}')
    printf '\n%s, %s demo users, %s connections, %ss per case, server pinned to 1 core\n\n' "$backend" "$USERS" "$CONNECTIONS" "$DURATION"
    printf '| case | req/s | x /healthz | p50 ms | p99 ms | non-2xx |\n|---|---|---|---|---|---|\n'
    for row in "/healthz (before)|$h" "getWeRunData|$w" "ranking, 200 friends|$r" "/healthz (after)|$h2" "step upload (durable)|$s" "check-in (durable)|$c"; do
        local name="${row%%|*}" vals="${row#*|}"
        read -r rps p50 p99 errs <<<"$vals"
        printf '| %s | %.0f | %.2f | %s | %s | %s |\n' "$name" "$rps" "$(awk -v a="$rps" -v b="$base_rps" 'BEGIN {print a/b}')" "$p50" "$p99" "$errs"
    done
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
    if [ "$backend" = postgres ]; then psql "$PG" -qc "DROP DATABASE IF EXISTS ${db##*/}" >/dev/null; fi
}

case "$which" in
    sqlite) bench_backend sqlite ;;
    postgres) bench_backend postgres ;;
    both) bench_backend sqlite; bench_backend postgres ;;
    *) echo "usage: $0 [sqlite|postgres|both]" >&2; exit 2 ;;
esac

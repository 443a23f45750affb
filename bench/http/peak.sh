#!/usr/bin/env bash
# The evening peak (issue 17): most users open the friends ranking while phones are still uploading steps.
#
#   bench/http/peak.sh [sqlite|postgres|both]     (default both)
#
# Seeds USERS demo users with WeChat-like degrees (`yundong demo --degrees realistic`: tens to a few hundred friends,
# about three in a thousand with 5,000-10,000), then drives one mixed load with wrk over CONNECTIONS connections:
# 70% ranking views, 20% getWeRunData, 10% step uploads, each by a user drawn at random from the first TOKENS demo
# users (so rankings are invalidated by uploads while they are read). /healthz is measured before and after in the
# same run; the table gives req/s, the ratio to /healthz, p50 and p99. Goal: p99 <= 10 ms, >= 0.5x /healthz.
#
# Env: DURATION (seconds, default 20), CONNECTIONS (64), USERS (100000), TOKENS (2000 users drawn from),
#      SESSIONS (users who log in to the demo app for getWeRunData, default 300), YUNDONG_BIN, YUNDONG_BENCH_POSTGRES,
#      WARMUP (seconds of the mix run first, not recorded, default 10),
#      SEEDED (a directory: the seed's answer is kept there, with SQLite's database or the name of a PostgreSQL one
#      kept, yd_peak_kept_USERS, and reused by later runs; the runs' uploads and logins stay in it), PERF (a file: record the server with `perf record -g` during the
#      mixed case).
# The server is pinned to CPU 0 and wrk to CPU 1 (taskset), as in run.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
which="${1:-both}"
DURATION="${DURATION:-20}"
CONNECTIONS="${CONNECTIONS:-64}"
USERS="${USERS:-100000}"
TOKENS="${TOKENS:-2000}"
SESSIONS="${SESSIONS:-300}"
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
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms/,"",v); print v } else if (v ~ /s$/) { sub(/s/,"",v); print v*1000 } else print v }'; }

# wrk: "<req/s> <p50 ms> <p99 ms> <non-2xx>"
measure() {
    local lua="$1" path="$2" out
    out=$($PIN_WRK wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency ${lua:+-s "$lua"} "$BASE$path")
    echo "$out" >>"$WORK/wrk.log"
    local rps p50 p99 errs
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    errs=$(awk '/Non-2xx/ {print $4}' <<<"$out")
    echo "$rps $(to_ms "$p50") $(to_ms "$p99") ${errs:-0}"
}

bench_backend() {
    local backend="$1" db
    local kept=""
    if [ "$backend" = sqlite ] && [ -n "${SEEDED:-}" ]; then
        mkdir -p "$SEEDED"; kept="$SEEDED/peak-$USERS"
        db="sqlite:$kept.sqlite?mode=rwc"
    elif [ "$backend" = sqlite ]; then
        db="sqlite:$WORK/peak.sqlite?mode=rwc"
    elif [ -n "${SEEDED:-}" ]; then
        mkdir -p "$SEEDED"; kept="$SEEDED/peak-pg-$USERS"
        local name="yd_peak_kept_$USERS"
        [ -s "$kept.json" ] || { psql "$PG" -qc "DROP DATABASE IF EXISTS $name" >/dev/null; psql "$PG" -qc "CREATE DATABASE $name" >/dev/null; }
        db="${PG%/*}/$name"
    else
        local name="yd_peak_$(date +%s)"
        psql "$PG" -qc "CREATE DATABASE $name" >/dev/null
        db="${PG%/*}/$name"
    fi
    local t0=$SECONDS seed
    if [ -n "$kept" ] && [ -s "$kept.json" ]; then
        echo "reusing the seeded database $kept.sqlite" >&2
        seed=$(cat "$kept.json")
    else
        echo "seeding $USERS demo users (realistic degrees) on $backend..." >&2
        seed=$("$BIN" demo --users "$USERS" --degrees realistic --tokens "$TOKENS" --json --database "$db")
        echo "seeded in $((SECONDS - t0)) s" >&2
        if [ -n "$kept" ]; then echo "$seed" >"$kept.json"; fi
    fi
    jq -r '.tokens[][2]' <<<"$seed" >"$WORK/tokens"
    local appid secret; appid=$(jq -r .appid <<<"$seed"); secret=$(jq -r .secret <<<"$seed")
    local port; port=$(free_port)
    BASE="http://127.0.0.1:$port"
    YUNDONG_ADMIN_TOKEN="$ADMIN" YUNDONG_LOG=warn $PIN_SERVER "$BIN" serve --listen "127.0.0.1:$port" --database "$db" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
    # The first SESSIONS users log in to the demo app and allow WeRun, so getWeRunData answers them.
    python3 - "$BASE" "$appid" "$secret" "$SESSIONS" "$WORK/tokens" <<'PY'
import json, sys, urllib.request
base, appid, secret, n, path = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
def call(method, url, token=None, body=None):
    req = urllib.request.Request(base + url, method=method, data=None if body is None else json.dumps(body).encode())
    if token: req.add_header("Authorization", "Bearer " + token)
    if body is not None: req.add_header("Content-Type", "application/json")
    return json.load(urllib.request.urlopen(req))
for token in open(path).read().split()[:n]:
    code = call("POST", "/client/v1/wx/login", token, {"appid": appid})["code"]
    call("GET", f"/sns/jscode2session?appid={appid}&secret={secret}&js_code={code}&grant_type=authorization_code")
    call("POST", "/client/v1/wx/authorize", token, {"appid": appid, "scope": "scope.werun", "allow": True})
PY
    { echo 'local tokens = {'; sed 's/.*/"&",/' "$WORK/tokens"; echo '}'
      cat <<LUA
local sessions = math.min($SESSIONS, #tokens)
local i = 0
local walked = {}
math.randomseed(os.time())
request = function()
  i = i + 1
  local r = math.random(100)
  if r <= 70 then
    return wrk.format("GET", "/client/v1/werun/ranking", {["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]})
  elseif r <= 90 then
    return wrk.format("POST", "/client/v1/wx/getWeRunData", {["Authorization"] = "Bearer " .. tokens[math.random(sessions)], ["Content-Type"] = "application/json"}, '{"appid":"$appid"}')
  else
    -- A phone's count of the day only grows: each upload adds a walk to what that user's phone sent last.
    local t = math.random(#tokens)
    walked[t] = (walked[t] or 20000 + math.random(10000)) + math.random(50, 500)
    local body = '{"steps":' .. walked[t] .. '}'
    return wrk.format("POST", "/client/v1/steps", {["Authorization"] = "Bearer " .. tokens[t], ["Content-Type"] = "application/json"}, body)
  end
end
LUA
    } >"$WORK/peak.lua"
    local h p h2
    h=$(measure "" /healthz)
    # A node at the evening peak has served all day: its index and caches are warm. WARMUP seconds of the same mix
    # (not recorded) get there first; the cold start is what "first view after a restart" costs, not the peak.
    if [ "${WARMUP:-10}" -gt 0 ]; then $PIN_WRK wrk -t1 -c"$CONNECTIONS" -d"${WARMUP:-10}s" -s "$WORK/peak.lua" "$BASE/" >/dev/null; fi
    local perf_pid=""
    if [ -n "${PERF:-}" ]; then perf record -g -o "$PERF" -p "$SERVER_PID" -- sleep "$DURATION" 2>/dev/null & perf_pid=$!; fi
    p=$(measure "$WORK/peak.lua" /)
    if [ -n "$perf_pid" ]; then wait "$perf_pid" || true; fi
    h2=$(measure "" /healthz)
    local rss; rss=$(awk '/VmRSS/ {print $2/1024 " MB"}' "/proc/$SERVER_PID/status" 2>/dev/null || echo "?")
    local base_rps; base_rps=$(awk -v a="${h%% *}" -v b="${h2%% *}" 'BEGIN {print (a+b)/2}')
    printf '\n%s, %s demo users (realistic degrees), %s connections, %ss per case, server pinned to 1 core, server RSS after: %s\n\n' \
        "$backend" "$USERS" "$CONNECTIONS" "$DURATION" "$rss"
    printf '| case | req/s | x /healthz | p50 ms | p99 ms | non-2xx |\n|---|---|---|---|---|---|\n'
    for row in "/healthz (before)|$h" "evening peak (70% ranking, 20% getWeRunData, 10% uploads)|$p" "/healthz (after)|$h2"; do
        local name="${row%%|*}" vals="${row#*|}"
        read -r rps p50 p99 errs <<<"$vals"
        printf '| %s | %.0f | %.2f | %s | %s | %s |\n' "$name" "$rps" "$(awk -v a="$rps" -v b="$base_rps" 'BEGIN {print a/b}')" "$p50" "$p99" "$errs"
    done
    curl -sf "$BASE/metrics" -H "Authorization: Bearer $ADMIN" 2>/dev/null | grep -E '^yundong_(cache|ranking_index)' | head -20 || true
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
    if [ "$backend" = postgres ] && [ -z "$kept" ]; then psql "$PG" -qc "DROP DATABASE IF EXISTS ${db##*/}" >/dev/null; fi
}

case "$which" in
    sqlite) bench_backend sqlite ;;
    postgres) bench_backend postgres ;;
    both) bench_backend sqlite; bench_backend postgres ;;
    *) echo "usage: $0 [sqlite|postgres|both]" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The cost of the test-double features (issue 13), side by side in one run: the same release binary serves two
# databases seeded alike, one with the journal on (default size; JOURNAL_CLIENT=1 adds --journal-client) and 12 fault rules that match
# none of the measured paths, one with --journal-size 0 and no rule. Each case (WeChat-compatible API and the client
# API's hot paths) is measured on one, then the other, then the first again (so drift shows), with the same wrk
# settings.
#
#   bench/http/faults.sh [sqlite|postgres]      (default sqlite)
#
# Env: DURATION (seconds per measurement, default 5), CONNECTIONS (default 64), RULES (fault rules on the "on"
#      server, default 12),
#      YUNDONG_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432/postgres).
# Servers pinned to CPU 0, wrk to CPU 1 (taskset). About 3 x 6 cases x DURATION plus seeding.
set -euo pipefail
cd "$(dirname "$0")/../.."
backend="${1:-sqlite}"
DURATION="${DURATION:-5}"
CONNECTIONS="${CONNECTIONS:-64}"
PG="${YUNDONG_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
TARGET="${CARGO_TARGET_DIR:-target}"

command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is needed (apt-get install jq)" >&2; exit 1; }
cargo build --release -q -p yundong
BIN="$TARGET/release/yundong"
WORK="$(mktemp -d)"
PIDS=()
DBS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for d in "${DBS[@]}"; do psql "$PG" -qc "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1 || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
ADMIN="yda_bench_admin_0123456789abcdef0123456789"
PIN_SERVER=""; PIN_WRK=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then PIN_SERVER="taskset -c 0"; PIN_WRK="taskset -c 1"; fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms/,"",v); print v } else if (v ~ /s$/) { sub(/s/,"",v); print v*1000 } else print v }'; }

# measure BASE LUA PATH → "<req/s> <p50 ms> <p99 ms>"
measure() {
    local base="$1" lua="$2" path="$3" out
    out=$($PIN_WRK wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency ${lua:+-s "$lua"} "$base$path")
    echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(to_ms "$(awk '$1=="50%" {print $2}' <<<"$out")") $(to_ms "$(awk '$1=="99%" {print $2}' <<<"$out")")"
}

# start NAME JOURNAL_SIZE RULES EXTRA_FLAGS → sets BASE_<NAME>, QUERY_<NAME> (checksession query), and the lua
# scripts of the POST and bearer cases
start() {
    local name="$1" size="$2" rules="$3" flags="$4" db
    if [ "$backend" = sqlite ]; then
        db="sqlite:$WORK/$name.sqlite?mode=rwc"
    else
        local dbname="yd_fbench_${name}_$(date +%s)"
        psql "$PG" -qc "CREATE DATABASE $dbname" >/dev/null
        DBS+=("$dbname")
        db="${PG%/*}/$dbname"
    fi
    local seed; seed=$("$BIN" demo --users 1000 --friends 12 --json --database "$db")
    local appid secret utoken
    appid=$(jq -r .appid <<<"$seed"); secret=$(jq -r .secret <<<"$seed"); utoken=$(jq -r '.tokens[0][2]' <<<"$seed")
    if [ "$rules" -gt 0 ]; then
        # Rules on paths the cases never call (clear_quota, rid/get, devices …), some narrowed to an app.
        local paths=(/cgi-bin/clear_quota /cgi-bin/clear_quota/v2 /cgi-bin/openapi/rid/get /wxa/resetusersessionkey
            /hardware/bracelet/setstep /client/v1/devices/bind /client/v1/devices/unbind /client/v1/wx/authorize
            /client/v1/werun/like /client/v1/werun/hide /client/v1/files /client/v1/wx/shareToWeRun)
        local i
        for i in $(seq 0 $((rules - 1))); do
            "$BIN" faults add "${paths[$((i % ${#paths[@]}))]}" --errcode 45009 --database "$db" >/dev/null
        done
    fi
    local port; port=$(free_port)
    local base="http://127.0.0.1:$port"
    YUNDONG_ADMIN_TOKEN="$ADMIN" YUNDONG_LOG=warn $PIN_SERVER "$BIN" serve --listen "127.0.0.1:$port" --database "$db" \
        --journal-size "$size" $flags >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
    local code; code=$(curl -sf -X POST "$base/client/v1/wx/login" -H "Authorization: Bearer $utoken" -d "{\"appid\":\"$appid\"}" | jq -r .code)
    local session; session=$(curl -sf "$base/sns/jscode2session?appid=$appid&secret=$secret&js_code=$code&grant_type=authorization_code")
    local openid key token sig
    openid=$(jq -r .openid <<<"$session"); key=$(jq -r .session_key <<<"$session")
    token=$(curl -sf "$base/cgi-bin/token?grant_type=client_credential&appid=$appid&secret=$secret" | jq -r .access_token)
    sig=$(printf '' | openssl dgst -sha256 -hmac "$key" -hex | awk '{print $NF}')
    printf -v "BASE_$name" '%s' "$base"
    printf -v "QUERY_$name" '%s' "access_token=$token&openid=$openid&signature=$sig&sig_method=hmac_sha256"
    cat >"$WORK/stable_$name.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"grant_type":"client_credential","appid":"$appid","secret":"$secret"}'
wrk.headers["Content-Type"] = "application/json"
LUA
    cat >"$WORK/werun_$name.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"appid":"$appid","allow":true}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $utoken"
LUA
    cat >"$WORK/ranking_$name.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $utoken"
LUA
    cat >"$WORK/steps_$name.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"steps":8000}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $utoken"
LUA
}

start on 100000 "${RULES:-12}" "${JOURNAL_CLIENT:+--journal-client}"
start off 0 0 ""
printf '\n%s, journal on%s and %s non-matching fault rules vs journal off and no rule, %s connections, %ss per measurement, servers pinned to 1 core\n\n' \
    "$backend" "${JOURNAL_CLIENT:+ (+ client calls)}" "${RULES:-12}" "$CONNECTIONS" "$DURATION"
printf '| case | on req/s | off req/s | on again req/s | on / off | p50 ms on/off | p99 ms on/off |\n|---|---|---|---|---|---|---|\n'
for case in refused checksession stable werun ranking steps; do
    rows=()
    for name in on off on; do
        base_var="BASE_$name"; query_var="QUERY_$name"; base="${!base_var}"
        case "$case" in
            refused) rows+=("$(measure "$base" "" "/cgi-bin/token?appid=wx0000000000000000")") ;;
            checksession) rows+=("$(measure "$base" "" "/wxa/checksession?${!query_var}")") ;;
            stable) rows+=("$(measure "$base" "$WORK/stable_$name.lua" /cgi-bin/stable_token)") ;;
            werun) rows+=("$(measure "$base" "$WORK/werun_$name.lua" /client/v1/wx/getWeRunData)") ;;
            ranking) rows+=("$(measure "$base" "$WORK/ranking_$name.lua" /client/v1/werun/ranking)") ;;
            steps) rows+=("$(measure "$base" "$WORK/steps_$name.lua" /client/v1/steps)") ;;
        esac
    done
    read -r on1 p50on p99on <<<"${rows[0]}"
    read -r off p50off p99off <<<"${rows[1]}"
    read -r on2 _ _ <<<"${rows[2]}"
    label=$case
    [ "$case" = refused ] && label="WeChat: refused token call (40013)"
    [ "$case" = checksession ] && label="WeChat: checksession (ok)"
    [ "$case" = stable ] && label="WeChat: stable_token"
    [ "$case" = werun ] && label="client: getWeRunData"
    [ "$case" = ranking ] && label="client: ranking"
    [ "$case" = steps ] && label="client: steps upload"
    printf '| %s | %.0f | %.0f | %.0f | %.2f | %s / %s | %s / %s |\n' "$label" "$on1" "$off" "$on2" \
        "$(awk -v a="$on1" -v c="$on2" -v b="$off" 'BEGIN {print (a+c)/2/b}')" "$p50on" "$p50off" "$p99on" "$p99off"
done

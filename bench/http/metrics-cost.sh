#!/usr/bin/env bash
# What recording Prometheus metrics costs (issue 18): the same release binary serving the same database twice, one
# server with metrics (the default) and one with --no-metrics, measured side by side in one run, alternating.
#
#   bench/http/metrics-cost.sh [sqlite|postgres|both]     (default both)
#
# Env: DURATION (seconds per measurement, default 5), ROUNDS (default 3), CONNECTIONS (default 64), USERS (demo size,
#      default 10000), YUNDONG_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432/postgres).
# Both servers are pinned to CPU 0 (only the one under load is busy) and wrk to CPU 1. Each case runs ROUNDS rounds;
# a round measures both servers, in alternating order (on/off, then off/on, ...), and the median of each side is
# reported. The metrics server is scraped once per measurement, as Prometheus would be. Bounded in time: about
# 4 cases x ROUNDS x 2 x DURATION per backend plus seeding.
# Besides req/s, each measurement reads the server's CPU time (utime + stime from /proc/PID/stat) before and after,
# and reports CPU microseconds per request: on a busy machine throughput swings with the neighbours' load, while
# the CPU a request costs the server does not (much), so that column is the steadier measure of the cost.
set -euo pipefail
cd "$(dirname "$0")/../.."
which="${1:-both}"
DURATION="${DURATION:-5}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-64}"
USERS="${USERS:-10000}"
PG="${YUNDONG_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
TARGET="${CARGO_TARGET_DIR:-target}"

command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is needed (apt-get install jq)" >&2; exit 1; }
cargo build --release -q -p yundong
BIN="$TARGET/release/yundong"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
ADMIN="yda_bench_admin_0123456789abcdef0123456789"
PIN_SERVER=""; PIN_WRK=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then PIN_SERVER="taskset -c 0"; PIN_WRK="taskset -c 1"; fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
post() { curl -sf -X POST "$1$2" -H "Authorization: Bearer $3" -H 'Content-Type: application/json' -d "$4"; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# wrk against base $1 (server pid $4), path $2, lua $3: "<req/s> <server CPU us per request>"
rps() {
    local t0 t1 out
    t0=$(cpu_ticks "$4")
    out=$($PIN_WRK wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" ${3:+-s "$3"} "$1$2")
    t1=$(cpu_ticks "$4")
    local r n; r=$(awk '/Requests\/sec/ {print $2}' <<<"$out"); n=$(awk '/requests in/ {print $1}' <<<"$out")
    echo "$r $(awk -v d=$((t1 - t0)) -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN {print d * 1e6 / hz / n}')"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

start() { # $1 = extra flags; prints "<base URL> <pid>"
    local port; port=$(free_port)
    # shellcheck disable=SC2086
    YUNDONG_ADMIN_TOKEN="$ADMIN" YUNDONG_LOG=warn $PIN_SERVER "$BIN" serve --listen "127.0.0.1:$port" --database "$DB" $1 \
        >>"$WORK/server.log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    echo "http://127.0.0.1:$port $pid"
}

bench_backend() {
    local backend="$1"
    if [ "$backend" = sqlite ]; then
        DB="sqlite:$WORK/bench.sqlite?mode=rwc"
    else
        local name; name="yd_metrics_$(date +%s)"
        psql "$PG" -qc "CREATE DATABASE $name" >/dev/null
        DB="${PG%/*}/$name"
    fi
    echo "seeding $USERS demo users on $backend..." >&2
    local seed; seed=$("$BIN" demo --users "$USERS" --friends 12 --json --database "$DB")
    local appid token secret; appid=$(jq -r .appid <<<"$seed"); token=$(jq -r '.tokens[0][2]' <<<"$seed"); secret=$(jq -r .secret <<<"$seed")
    local on off on_pid off_pid
    read -r on on_pid <<<"$(start "")"; read -r off off_pid <<<"$(start "--no-metrics")"
    PIDS+=("$on_pid" "$off_pid")
    curl -sf "$off/metrics" >/dev/null && { echo "--no-metrics server serves /metrics" >&2; exit 1; }
    local code; code=$(post "$on" /client/v1/wx/login "$token" "{\"appid\":\"$appid\"}" | jq -r .code)
    curl -sf "$on/sns/jscode2session?appid=$appid&secret=$secret&js_code=$code&grant_type=authorization_code" >/dev/null
    post "$on" /client/v1/wx/authorize "$token" "{\"appid\":\"$appid\",\"scope\":\"scope.werun\",\"allow\":true}" >/dev/null
    local tokens=()
    for i in $(seq 1 500); do
        tokens+=("$(curl -sf -X POST "$on/admin/v1/users" -H "Authorization: Bearer $ADMIN" -d "{\"nickname\":\"m$i\"}" | jq -r .token)")
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
    printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer %s"\n' \
        "'{\"appid\":\"$appid\"}'" "$token" >"$WORK/werun.lua"
    printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$token" >"$WORK/ranking.lua"

    printf '\n%s, %s demo users, %s connections, %s rounds of %ss per side, servers pinned to 1 core\n\n' \
        "$backend" "$USERS" "$CONNECTIONS" "$ROUNDS" "$DURATION"
    printf '| case | on, req/s | off, req/s | on / off | on, CPU us/req | off, CPU us/req | on / off | req/s each round, on/off |\n'
    printf '|---|---|---|---|---|---|---|---|\n'
    for case in "/healthz||/healthz" "getWeRunData|$WORK/werun.lua|/client/v1/wx/getWeRunData" \
                "ranking, 200 friends|$WORK/ranking.lua|/client/v1/werun/ranking" \
                "step upload (durable)|$WORK/steps.lua|/client/v1/steps"; do
        IFS='|' read -r label lua path <<<"$case"
        local ons=() offs=() con=() coff=() rounds=""
        for r in $(seq 1 "$ROUNDS"); do
            local a b
            if [ $((r % 2)) -eq 1 ]; then a=$(rps "$on" "$path" "$lua" "$on_pid"); b=$(rps "$off" "$path" "$lua" "$off_pid")
            else b=$(rps "$off" "$path" "$lua" "$off_pid"); a=$(rps "$on" "$path" "$lua" "$on_pid"); fi
            curl -sf "$on/metrics" >/dev/null
            ons+=("${a% *}"); offs+=("${b% *}"); con+=("${a#* }"); coff+=("${b#* }")
            rounds+="$(printf '%.0f/%.0f ' "${a% *}" "${b% *}")"
        done
        local mon moff cmon cmoff
        mon=$(printf '%s\n' "${ons[@]}" | median); moff=$(printf '%s\n' "${offs[@]}" | median)
        cmon=$(printf '%s\n' "${con[@]}" | median); cmoff=$(printf '%s\n' "${coff[@]}" | median)
        printf '| %s | %.0f | %.0f | %.3f | %.2f | %.2f | %.3f | %s|\n' "$label" "$mon" "$moff" \
            "$(awk -v a="$mon" -v b="$moff" 'BEGIN {print a/b}')" "$cmon" "$cmoff" \
            "$(awk -v a="$cmon" -v b="$cmoff" 'BEGIN {print a/b}')" "$rounds"
    done
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true; PIDS=()
    if [ "$backend" = postgres ]; then psql "$PG" -qc "DROP DATABASE IF EXISTS ${DB##*/}" >/dev/null; fi
}

case "$which" in
    sqlite) bench_backend sqlite ;;
    postgres) bench_backend postgres ;;
    both) bench_backend sqlite; bench_backend postgres ;;
    *) echo "usage: $0 [sqlite|postgres|both]" >&2; exit 2 ;;
esac

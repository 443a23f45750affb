#!/usr/bin/env bash
# Instructions recording metrics adds per request, counted by valgrind (callgrind), not timed: steady on a busy
# machine, where req/s swings with the neighbours' load. Runs crates/yundong-server/examples/metrics_cost.rs with
# metrics on and off, at ROUNDS_LO and ROUNDS_HI rounds of five requests (healthz, getWeRunData, ranking, durable
# step upload, a WeChat error), and divides the difference by the extra requests, so setup cancels out. The
# /healthz-only mix runs ten times as many rounds (its requests are cheap; the background tasks' work, which varies
# a little from run to run, must be spread over more of them).
#
#   bench/http/metrics-instructions.sh          (ROUNDS_LO=200 ROUNDS_HI=600 by default; about a minute per run)
set -euo pipefail
cd "$(dirname "$0")/../.."
LO="${ROUNDS_LO:-200}"
HI="${ROUNDS_HI:-600}"
TARGET="${CARGO_TARGET_DIR:-target}"
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
cargo build --release -q -p yundong-server --example metrics_cost
BIN="$TARGET/release/examples/metrics_cost"
ir() { # $1 on|off, $2 rounds, $3 mix: total instructions
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" "$1" "$2" "$3" 2>&1 | awk '/Collected :/ {print $4}'
}
printf '| instructions per request | metrics on | metrics off | on - off | on / off |\n|---|---|---|---|---|\n'
for mix in healthz all; do
    declare -A per
    per_round=5; scale=1; [ "$mix" = healthz ] && per_round=1 && scale=10
    for mode in on off; do
        lo=$(ir "$mode" $((LO * scale)) "$mix"); hi=$(ir "$mode" $((HI * scale)) "$mix")
        per[$mode]=$(awk -v a="$lo" -v b="$hi" -v n=$(( (HI - LO) * scale * per_round )) 'BEGIN {printf "%.0f", (b - a) / n}')
    done
    label="/healthz only"; [ "$mix" = all ] && label="mean of healthz, getWeRunData, ranking, step upload, WeChat error"
    printf '| %s | %s | %s | %s | %.4f |\n' "$label" "${per[on]}" "${per[off]}" "$(( per[on] - per[off] ))" \
        "$(awk -v a="${per[on]}" -v b="${per[off]}" 'BEGIN {print a/b}')"
done

#!/usr/bin/env bash
# Cross-language decrypt benchmark: the Rust SDK vs wechatpy vs Node, on the same real getWeRunData payloads.
#
#   bench/decrypt/run.sh                 200 payloads, best of 5 runs of ~3 s per implementation, one core
#
# 1. starts a throwaway yundong server (conformance/lib/server.sh), makes BENCH_COUNT real 31-day payloads for
#    distinct users and sessions (gen_payloads.py), and stops the server before anything is timed;
# 2. on that one file runs, each single-threaded and pinned with `taskset -c $BENCH_CPU` when taskset exists:
#      Rust SDK         cargo run --release -p yundong-sdk --example decrypt_throughput -- FILE
#                       (DURATION_SECS=$BENCH_SECONDS; its first release build, dev-deps included, takes minutes)
#      wechatpy 1.8.18 / 2.0.0a26   WeChatWxaCrypto(...).decrypt_message loop (bench_wechatpy.py)
#      Node             plain crypto.createDecipheriv loop, wechat-oauth WXBizDataCrypt, node-easywechat Decryptor
#                       (bench_node.js)
#    every one decrypts + JSON-parses + checks watermark.appid per payload;
# 3. prints one markdown table: implementation, payloads/s per core, ratio to the Rust SDK.
#
# Environment: BENCH_COUNT (200), BENCH_SECONDS (3), BENCH_REPEAT (5: best of N runs per implementation),
# BENCH_CPU (1, or 0 on a 1-core machine), BENCH_OUT (<repo>/target/bench-decrypt: payloads.json, results.md and
# one log per implementation land there), CARGO_TARGET_DIR, YUNDONG_BIN, YUNDONG_NO_BUILD=1, BENCH_NO_SETUP=1
# (clients already installed). Recorded results: docs/BENCHMARKS.md, section "Decrypt".
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=../../conformance/lib/server.sh
source "$ROOT/conformance/lib/server.sh"

COUNT="${BENCH_COUNT:-200}"
SECONDS_PER="${BENCH_SECONDS:-3}"
REPEAT="${BENCH_REPEAT:-5}"
OUT="${BENCH_OUT:-$ROOT/target/bench-decrypt}"
FILE="$OUT/payloads.json"
mkdir -p "$OUT"

if [[ "${BENCH_NO_SETUP:-0}" != 1 ]]; then
    "$ROOT/scripts/setup-conformance.sh" >&2
fi

# --- 1. payloads ---------------------------------------------------------------------------------------------
yd_binary
trap yd_stop EXIT
yd_start
python3 "$HERE/gen_payloads.py" --count "$COUNT" --out "$FILE"
yd_stop # nothing else competes for the CPU while timing

# --- 2. implementations --------------------------------------------------------------------------------------
PIN=()
if command -v taskset >/dev/null 2>&1; then
    cpu="${BENCH_CPU:-$(($(nproc) > 1 ? 1 : 0))}"
    PIN=(taskset -c "$cpu")
    yd_log "pinning every implementation to CPU $cpu"
else
    yd_log "taskset not found: implementations are single-threaded but not pinned"
fi

RESULTS="$OUT/results.tsv"
: >"$RESULTS"
# name, version, command...: runs it BENCH_REPEAT times and keeps the best payloads_per_sec=N (best-of-N damps noise
# from other work on the machine); records "n/a" with the reason when a run fails or prints no rate
measure() {
    local name="$1" version="$2"; shift 2
    local log="$OUT/$(echo "$name $version" | tr -c 'A-Za-z0-9' '_' | cut -c1-60).log" best="" rates=() i rate
    : >"$log"
    for i in $(seq 1 "$REPEAT"); do
        yd_log "measuring $name ($version), run $i/$REPEAT"
        local rc=0
        "$@" >>"$log" 2>&1 || rc=$?
        if ((rc != 0)); then
            printf '%s\t%s\tn/a\tfailed (exit %s): %s\n' "$name" "$version" "$rc" \
                "$(grep -v '^\s*$' "$log" | tail -1 | cut -c1-120)" >>"$RESULTS"
            yd_log "  $name: failed; last lines of $log:"
            tail -5 "$log" | sed 's/^/    /' >&2
            return
        fi
        rate="$(grep -Eo 'payloads_per_sec=[0-9.]+' "$log" | tail -1 | cut -d= -f2 || true)"
        if [[ -z "$rate" ]]; then
            printf '%s\t%s\tn/a\tno payloads_per_sec line (see %s)\n' "$name" "$version" "$log" >>"$RESULTS"
            return
        fi
        echo "---- end of run $i" >>"$log"
        rates+=("$rate")
        if [[ -z "$best" ]] || awk -v a="$rate" -v b="$best" 'BEGIN { exit !(a > b) }'; then best="$rate"; fi
    done
    printf '%s\t%s\t%s\t%s\n' "$name" "$version" "$best" "${rates[*]}" >>"$RESULTS"
    yd_log "  $name: best $best payloads/s (runs: ${rates[*]})"
}

# (a) the Rust SDK. Built first (all cores), then run pinned; the run's own build step is then a no-op.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
yd_log "building the Rust SDK example decrypt_throughput (release)"
(cd "$ROOT" && cargo build --release --quiet -p yundong-sdk --example decrypt_throughput) >"$OUT/rust-build.log" 2>&1 ||
    yd_log "  build failed (see $OUT/rust-build.log); the run below will record why"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')" # after the build, before timing
SDK_VERSION="$(cd "$ROOT" && cargo pkgid -p yundong-sdk 2>/dev/null | sed -E 's/.*[#@]//')"
measure "Rust yundong-sdk (decrypt_werun)" "${SDK_VERSION:-?}" \
    "${PIN[@]}" env DURATION_SECS="$SECONDS_PER" bash -c "cd '$ROOT' && cargo run --release --quiet -p yundong-sdk --example decrypt_throughput -- '$FILE'"

# (b) wechatpy, both lines
for v in 1 2; do
    py="$ROOT/.venv/wechatpy$v/bin/python"
    ver="$("$py" -c "from importlib.metadata import version as v; print(v('wechatpy') + ', cryptography ' + v('cryptography'))")"
    measure "wechatpy WeChatWxaCrypto" "$ver" "${PIN[@]}" "$py" "$HERE/bench_wechatpy.py" "$FILE" --seconds "$SECONDS_PER"
done

# (c) Node
NODE_V="$(node --version), OpenSSL $(node -p process.versions.openssl)"
measure "Node crypto.createDecipheriv (plain loop)" "$NODE_V" \
    "${PIN[@]}" node "$HERE/bench_node.js" "$FILE" --impl plain --seconds "$SECONDS_PER"
measure "Node wechat-oauth WXBizDataCrypt" "1.5.0, $NODE_V" \
    "${PIN[@]}" node "$HERE/bench_node.js" "$FILE" --impl wechat-oauth --seconds "$SECONDS_PER"
measure "Node node-easywechat Decryptor" "3.6.2, $NODE_V" \
    "${PIN[@]}" node "$HERE/bench_node.js" "$FILE" --impl node-easywechat --seconds "$SECONDS_PER"

# --- 3. table ------------------------------------------------------------------------------------------------
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
python3 - "$RESULTS" "$COUNT" "$SECONDS_PER" "${PIN[*]:-unpinned}" "$REPEAT" "$LOAD_BEFORE" "$LOAD_AFTER" \
    <<'EOF' | tee "$OUT/results.md"
import os, platform, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
count, secs, pin, repeat, load0, load1 = sys.argv[2:8]
rust = next((float(r[2]) for r in rows if r[0].startswith("Rust") and r[2] != "n/a"), None)
try:
    cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
except Exception:
    cpu = platform.processor() or "?"
print(f"{count} real 31-day getWeRunData payloads (distinct users and session_keys), one core ({pin}), "
      f"best of {repeat} runs of ~{secs} s each; CPU: {cpu} ({os.cpu_count()} cores); "
      f"load average before/after: {load0} / {load1}\n")
print("| implementation | version | payloads/s per core | ratio to Rust SDK | all runs |")
print("|---|---|---:|---:|---|")
for name, version, rate, note in rows:
    if rate == "n/a":
        print(f"| {name} | {version} | n/a ({note}) | n/a | |")
        continue
    r = float(rate)
    ratio = f"{r / rust:.3f}×" if rust else "n/a (no Rust number)"
    print(f"| {name} | {version} | {r:,.0f} | {ratio} | {note} |")
EOF

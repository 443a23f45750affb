#!/usr/bin/env bash
# Scenario apply and reset figures on SQLite (issue 13), through the admin API of a release server on loopback:
#   - apply of a scenario of USERS (default 1,000) users x 31 days of steps (plus friends and a few check-ins) on an
#     empty database, then again (idempotent: nothing to write), ROUNDS times each (reset in between);
#   - reset of a small world (scenarios/small.yaml) ROUNDS times: apply, then time the reset.
# Times are curl's time_total (the request as a client sees it), median and max, and the server process's CPU time
# for the request (from /proc, 10 ms resolution), which a loaded machine does not inflate.
#
#   bench/control/run.sh [USERS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS="${1:-1000}"
ROUNDS="${2:-20}"
TARGET="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p yundong
BIN="$TARGET/release/yundong"
WORK="$(mktemp -d)"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
ADMIN=yda_control_bench_0123456789abcdef0123456789

python3 - "$USERS" > "$WORK/world.yaml" <<'PY'
import random, sys
n = int(sys.argv[1]); r = random.Random(13)
print("apps:\n  - {appid: wx0123456789abcdef, secret: 0123456789abcdef0123456789abcdef, name: 跑步助手, werun_share: true}")
print("users:")
for i in range(n):
    print(f"  - key: u{i}\n    nickname: 用户{i}\n    steps:")
    for d in range(31):
        print(f"      - {{days_ago: {d}, steps: {r.randrange(0, 20000)}}}")
    if i % 6 == 0:
        print("    check_ins: [{days_ago: 1, recordList: [{typeId: 3001, distance: 5000}]}]")
print("friends:")
for i in range(n):
    for j in r.sample(range(n), 6):
        if j != i: print(f"  - [u{i}, u{j}]")
PY

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
YUNDONG_ADMIN_TOKEN=$ADMIN YUNDONG_LOG=warn "$BIN" serve --test-mode --listen "127.0.0.1:$port" \
  --database "sqlite:$WORK/bench.sqlite?mode=rwc" >"$WORK/server.log" 2>&1 &
PID=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.01; done
BASE="http://127.0.0.1:$port"
TICK=$(getconf CLK_TCK)
# The server's CPU time so far (user + system), in seconds: wall time on a shared, loaded machine includes waiting
# for a core; CPU time does not.
cpu() { awk -v t="$TICK" '{ print ($14 + $15) / t }' "/proc/$PID/stat"; }
# post PATH BODY [NAME]: the request's wall time appended to $WORK/NAME, its server CPU time to $WORK/NAME.cpu.
post() {
  local before after wall
  before=$(cpu)
  wall=$(curl -sf -o /dev/null -w '%{time_total}' -X POST "$BASE$1" -H "Authorization: Bearer $ADMIN" \
    -H 'content-type: application/yaml' --data-binary "$2")
  after=$(cpu)
  if [ -n "${3:-}" ]; then
    echo "$wall" >> "$WORK/$3"
    awk -v a="$after" -v b="$before" 'BEGIN { print a - b }' >> "$WORK/$3.cpu"
  fi
}

for _ in $(seq 1 "$ROUNDS"); do
  post /admin/v1/reset '{}'
  post /admin/v1/scenario "@$WORK/world.yaml" apply
  post /admin/v1/scenario "@$WORK/world.yaml" reapply
done
post /admin/v1/reset '{}'
for _ in $(seq 1 "$ROUNDS"); do
  post /admin/v1/scenario "@scenarios/small.yaml"
  post /admin/v1/reset '{}' reset
done
load=$(cut -d' ' -f1-3 /proc/loadavg)
bytes=$(wc -c < "$WORK/world.yaml")
python3 - "$USERS" "$bytes" "$WORK" "$load" <<'PY'
import statistics, sys
users, size, work, load = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def row(name, what):
    xs = [float(x) * 1000 for x in open(f"{work}/{name}").read().split()]
    cpu = [float(x) * 1000 for x in open(f"{work}/{name}.cpu").read().split()]
    print(f"| {what} | {len(xs)} | {statistics.median(xs):.1f} ms | {max(xs):.1f} ms | {statistics.median(cpu):.0f} ms |")
print(f"scenario: {users} users x 31 days, {size/1e6:.1f} MB of YAML; load average at the end: {load}")
print("| operation | runs | median | max | server CPU (median) |\n| --- | --- | --- | --- | --- |")
row("apply", f"apply {users} users x 31 days on an empty database")
row("reapply", "apply the same file again (nothing to write)")
row("reset", "reset after scenarios/small.yaml (3 users)")
PY

#!/usr/bin/env bash
# Scale figures on SQLite: seed USERS (default 1,000,000) users x 31 days with `yundong demo`, then report the
# seeding time, bytes on disk per user-day, start-up time on that database, and the server's idle memory.
#
#   bench/scale/run.sh [USERS]
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS="${1:-1000000}"
TARGET="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p yundong
BIN="$TARGET/release/yundong"
WORK="$(mktemp -d)"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
DB="sqlite:$WORK/scale.sqlite?mode=rwc"

t0=$(date +%s.%N)
"$BIN" demo --users "$USERS" --friends 12 --json --database "$DB" > "$WORK/seed.json"
t1=$(date +%s.%N)
# The demo closes its connections, which checkpoints the WAL into the main file.
bytes=$(du -cb "$WORK"/scale.sqlite* | tail -n1 | cut -f1)
rows=$(python3 -c "import sqlite3; c=sqlite3.connect('$WORK/scale.sqlite'); print(c.execute('select count(*) from daily_steps').fetchone()[0])")

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
s0=$(date +%s.%N)
YUNDONG_ADMIN_TOKEN=yda_scale_0123456789abcdef0123456789abcdef YUNDONG_LOG=warn "$BIN" serve --listen "127.0.0.1:$port" --database "$DB" >"$WORK/server.log" 2>&1 &
PID=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.005; done
s1=$(date +%s.%N)
# A little traffic, then idle.
token=$(python3 -c "import json; print(json.load(open('$WORK/seed.json'))['tokens'][0][2])")
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/client/v1/werun/ranking" -H "Authorization: Bearer $token" >/dev/null; done
sleep 2
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)

python3 - "$USERS" "$t0" "$t1" "$bytes" "$rows" "$s0" "$s1" "$rss_kb" <<'PY'
import sys
users, t0, t1, size, rows, s0, s1, rss = sys.argv[1:]
users, size, rows, rss = int(users), int(size), int(rows), int(rss)
user_days = users * 31
print(f"| users | step rows | seed time | database on disk | bytes per user-day | start-up | idle RSS |")
print(f"|---|---|---|---|---|---|---|")
print(f"| {users:,} | {rows:,} | {float(t1)-float(t0):.0f} s | {size/1e6:.0f} MB | {size/user_days:.1f} | {(float(s1)-float(s0))*1000:.0f} ms | {rss/1024:.1f} MB |")
PY

# shellcheck shell=bash
# Start and stop a throwaway yundong server for the conformance suites and the decrypt benchmark.
# Source this file, then:
#
#   yd_binary            sets YD_BIN: $YUNDONG_BIN if set, else builds `cargo build -p yundong [--release]`
#                        (YD_PROFILE=release for --release) into ${CARGO_TARGET_DIR:-<repo>/target}
#                        and uses that; YUNDONG_NO_BUILD=1 skips the build and uses the binary if present
#   yd_start             a fresh server (plus the flags in $YUNDONG_SERVE_ARGS, if any) on a free loopback port with a temp data dir; sets YD_BASE (trailing
#                        slash), YD_PORT, YD_PID, YD_DATA, YD_LOG; exports YUNDONG_BASE and YUNDONG_ADMIN_TOKEN
#   yd_stop              stops that server (only its own PID) and removes the temp data dir
#   yd_kill_pid PID      stops one server process gracefully (SIGTERM, then SIGKILL after 5 s)
#
# The caller should `trap yd_stop EXIT`.

YD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

yd_log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

yd_binary() {
    local profile="${YD_PROFILE:-debug}" target="${CARGO_TARGET_DIR:-$YD_ROOT/target}"
    if [[ -n "${YUNDONG_BIN:-}" ]]; then
        YD_BIN="$YUNDONG_BIN"
    else
        YD_BIN="$target/$profile/yundong"
        if [[ "${YUNDONG_NO_BUILD:-0}" != 1 || ! -x "$YD_BIN" ]]; then
            local flags=(--locked -p yundong)
            [[ "$profile" == release ]] && flags+=(--release)
            yd_log "building yundong ($profile) into $target"
            (cd "$YD_ROOT" && CARGO_TARGET_DIR="$target" cargo build --quiet "${flags[@]}") || return 1
        fi
    fi
    [[ -x "$YD_BIN" ]] || { yd_log "no yundong binary at $YD_BIN"; return 1; }
}

_yd_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

yd_start() {
    YD_DATA="$(mktemp -d "${TMPDIR:-/tmp}/yundong-conf.XXXXXX")"
    YD_LOG="$YD_DATA/server.log"
    export YUNDONG_ADMIN_TOKEN="conf-admin-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
    local attempt
    for attempt in 1 2 3; do
        YD_PORT="$(_yd_free_port)"
        # shellcheck disable=SC2086 # YUNDONG_SERVE_ARGS: extra flags, word-split on purpose
        "$YD_BIN" serve --listen "127.0.0.1:$YD_PORT" --data-dir "$YD_DATA" --dev-clock ${YUNDONG_SERVE_ARGS:-} \
            >"$YD_LOG" 2>&1 &
        YD_PID=$!
        YD_BASE="http://127.0.0.1:$YD_PORT/"
        local deadline=$((SECONDS + 30))
        while ((SECONDS < deadline)); do
            if ! kill -0 "$YD_PID" 2>/dev/null; then
                break # exited: port taken between probe and bind, or a real failure (log shown below)
            fi
            if curl -fsS --max-time 2 "${YD_BASE}healthz" >/dev/null 2>&1; then
                export YUNDONG_BASE="$YD_BASE"
                yd_log "yundong $("$YD_BIN" --version 2>/dev/null | awk '{print $2}') up at $YD_BASE (pid $YD_PID, data $YD_DATA)"
                return 0
            fi
            sleep 0.2
        done
        yd_log "server did not come up on port $YD_PORT (attempt $attempt); log:"
        sed 's/^/    /' "$YD_LOG" >&2 || true
        kill "$YD_PID" 2>/dev/null || true
        wait "$YD_PID" 2>/dev/null || true
        YD_PID=""
    done
    return 1
}

# Stop the server with this PID (a child of this shell): SIGTERM, up to 5 s for a graceful shutdown, then SIGKILL.
yd_kill_pid() {
    local pid="${1:-}" i
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
}

yd_stop() {
    yd_kill_pid "${YD_PID:-}"
    YD_PID=""
    if [[ -n "${YD_DATA:-}" && -d "$YD_DATA" ]]; then
        if [[ "${YD_KEEP_LOG:-0}" == 1 ]]; then
            yd_log "server log kept: $YD_LOG"
        else
            rm -rf "$YD_DATA"
        fi
    fi
    YD_DATA=""
}

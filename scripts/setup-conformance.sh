#!/usr/bin/env bash
# Install the real WeChat clients the conformance suites run (see conformance/README.md: which versions, and how
# each is pointed at the server). Idempotent: a venv or node_modules that already holds the pinned versions is kept.
#
#   .venv/wechatpy1          wechatpy[cryptography]==1.8.18   (conformance/python/requirements-wechatpy1.txt)
#   .venv/wechatpy2          wechatpy==2.0.0a26 + cryptography (conformance/python/requirements-wechatpy2.txt)
#   conformance/node/node_modules   npm ci from the committed package-lock.json:
#                            node-easywechat 3.6.2, node-socialite 1.4.1, co-wechat-api 3.11.0, wechat-oauth 1.5.0
#
# Only PyPI and npm are used. Set PYTHON to pick the interpreter (default python3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
PIP_FLAGS=(--quiet --disable-pip-version-check --no-input)

# One venv per wechatpy line, installed from a fully pinned requirements file (conformance/python/). A venv is
# rebuilt when its requirements file changed since it was made (a copy is kept in the venv as the stamp).
make_venv() {
    local name="$1"
    local venv="$ROOT/.venv/$name" req="$ROOT/conformance/python/requirements-$name.txt"
    if [[ -x "$venv/bin/python" && -f "$venv/requirements.stamp" ]] && cmp -s "$req" "$venv/requirements.stamp"; then
        echo "setup-conformance: .venv/$name ok"
        return
    fi
    echo "setup-conformance: creating .venv/$name from conformance/python/requirements-$name.txt"
    rm -rf "$venv"
    mkdir -p "$ROOT/.venv"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install "${PIP_FLAGS[@]}" -r "$req"
    "$venv/bin/python" -c "import wechatpy.crypto, cryptography, requests"
    cp "$req" "$venv/requirements.stamp"
}

make_venv wechatpy1
make_venv wechatpy2

NODE_DIR="$ROOT/conformance/node"
stamp="$NODE_DIR/node_modules/.package-lock.json"
if [[ -f "$stamp" && "$stamp" -nt "$NODE_DIR/package-lock.json" ]] &&
    (cd "$NODE_DIR" && node -e '
        const want = {"node-easywechat":"3.6.2","node-socialite":"1.4.1","co-wechat-api":"3.11.0","wechat-oauth":"1.5.0"};
        for (const [n, v] of Object.entries(want)) {
          if (require(n + "/package.json").version !== v) process.exit(1);
        }' 2>/dev/null); then
    echo "setup-conformance: conformance/node/node_modules ok"
else
    echo "setup-conformance: npm ci in conformance/node"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup-conformance: done"

#!/usr/bin/env bash
# Install schemathesis (PyPI) for hostile/schemathesis.sh into its own venv, .venv/schemathesis, from the fully
# pinned hostile/requirements-schemathesis.txt (schemathesis 4.32.5 and everything it pulls in).
#
# Idempotent: a venv made from the same requirements file is kept (a copy of the file in the venv is the stamp);
# when the file changed, the venv is rebuilt. Only PyPI is used. Set PYTHON to pick the interpreter (default python3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv/schemathesis"
REQ="$ROOT/hostile/requirements-schemathesis.txt"

if [[ -x "$VENV/bin/schemathesis" && -f "$VENV/requirements.stamp" ]] && cmp -s "$REQ" "$VENV/requirements.stamp"; then
    echo "setup-schemathesis: .venv/schemathesis ok ($("$VENV/bin/schemathesis" --version))"
    exit 0
fi

echo "setup-schemathesis: creating .venv/schemathesis from hostile/requirements-schemathesis.txt"
rm -rf "$VENV"
mkdir -p "$ROOT/.venv"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQ"
"$VENV/bin/schemathesis" --version
cp "$REQ" "$VENV/requirements.stamp"
echo "setup-schemathesis: done"

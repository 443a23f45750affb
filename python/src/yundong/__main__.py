"""``python -m yundong ARGS``: run the installed ``yundong`` binary with ARGS (as ``python -m ruff`` does)."""

from __future__ import annotations

import os
import subprocess
import sys

from yundong import find_yundong_bin


def main() -> int:
    binary = find_yundong_bin()
    if sys.platform == "win32":
        return subprocess.call([binary, *sys.argv[1:]])
    os.execv(binary, [binary, *sys.argv[1:]])
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())

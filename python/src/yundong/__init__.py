"""yundong for Python: the ``yundong`` binary, :class:`yundong.testing.YundongServer` and a pytest fixture.

``pip install`` puts the ``yundong`` executable into the environment's scripts directory (``bin/`` of a venv), the
way ruff and uv ship theirs; :func:`find_yundong_bin` finds it. See the package's README.md.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig

__all__ = ["find_yundong_bin", "BinaryNotFoundError"]


class BinaryNotFoundError(FileNotFoundError):
    """No ``yundong`` executable was found (see :func:`find_yundong_bin` for where it is looked for)."""


def _exe(name: str) -> str:
    return name + (sysconfig.get_config_var("EXE") or "")


def _candidates() -> list[str]:
    exe = _exe("yundong")
    dirs: list[str] = []
    # The scripts directory of this interpreter's environment: where pip installs the wheel's binary.
    dirs.append(sysconfig.get_path("scripts"))
    # `pip install --user`: the user scheme's scripts directory.
    user_scheme = {"nt": "nt_user", "posix": "posix_user"}.get(os.name)
    if sys.platform == "darwin" and getattr(sys, "_framework", None):
        user_scheme = "osx_framework_user"
    if user_scheme is not None:
        try:
            dirs.append(sysconfig.get_path("scripts", scheme=user_scheme))
        except KeyError:
            pass
    # The directory of the running interpreter (a venv whose scripts path was relocated).
    dirs.append(os.path.dirname(sys.executable))
    return [os.path.join(d, exe) for d in dirs if d]


def find_yundong_bin() -> str:
    """The path of the ``yundong`` executable to run.

    In order: the ``YUNDONG_BIN`` environment variable (used as given; it must name an executable file), the binary
    this package installed (the environment's scripts directory, then the user scheme's), then ``yundong`` on
    ``PATH``. Raises :class:`BinaryNotFoundError` when none exists.
    """
    env = os.environ.get("YUNDONG_BIN")
    if env:
        if os.path.isfile(env) and os.access(env, os.X_OK):
            return os.path.abspath(env)
        raise BinaryNotFoundError(f"YUNDONG_BIN={env!r} is not an executable file")
    for path in _candidates():
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    found = shutil.which("yundong")
    if found:
        return found
    raise BinaryNotFoundError(
        "no `yundong` executable: install this package from a wheel (`pip install yundong-*.whl`) or from the "
        "repository (`pip install ./python`), or set YUNDONG_BIN to a built binary (target/release/yundong)"
    )

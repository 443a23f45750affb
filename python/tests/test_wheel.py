"""The built wheel installs and runs on a machine without Rust: a fresh venv, a PATH without cargo, no index.

scripts/test-python.sh sets YUNDONG_WHEEL to the wheel it built (without it these tests are skipped)."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import zipfile

import pytest

WHEEL = os.environ.get("YUNDONG_WHEEL")
REPO = pathlib.Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not WHEEL, reason="YUNDONG_WHEEL not set (scripts/test-python.sh sets it)")


def crate_version() -> str:
    text = (REPO / "Cargo.toml").read_text()
    section = text[text.index("[workspace.package]") :]
    m = re.search(r'^version\s*=\s*"([^"]+)"', section, re.M)
    assert m, "no workspace version"
    return m.group(1)


def test_wheel_contents() -> None:
    assert WHEEL
    names = zipfile.ZipFile(WHEEL).namelist()
    version = crate_version()
    assert pathlib.Path(WHEEL).name.startswith(f"yundong-{version}-"), WHEEL
    assert f"yundong-{version}.data/scripts/yundong" in names, names
    for module in ("__init__.py", "__main__.py", "testing.py", "pytest_plugin.py", "py.typed"):
        assert f"yundong/{module}" in names, names
    entry_points = zipfile.ZipFile(WHEEL).read(f"yundong-{version}.dist-info/entry_points.txt").decode()
    lines = [line.replace(" ", "") for line in entry_points.splitlines()]
    assert lines[lines.index("[pytest11]") + 1] == "yundong=yundong.pytest_plugin", entry_points


def test_wheel_installs_and_runs_without_rust(tmp_path: pathlib.Path) -> None:
    assert WHEEL
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # No cargo, no rustc, no index: only the venv and the system's own directories.
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    probe = subprocess.run(["sh", "-c", "command -v cargo rustc || true"], env=env, capture_output=True, text=True)
    assert probe.stdout.strip() == "", f"cargo is still reachable: {probe.stdout}"
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", WHEEL],
        env=env,
        check=True,
    )
    out = subprocess.run(["yundong", "--version"], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"yundong {crate_version()}", out.stdout
    script = (
        "import importlib.metadata as m, yundong, yundong.testing as t\n"
        "print(m.version('yundong')); print(yundong.find_yundong_bin())\n"
        "with t.YundongServer() as yd:\n"
        "    print(yd.create_user('小明')['user_id'])\n"
    )
    out = subprocess.run([str(venv / "bin" / "python"), "-c", script], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    version, binary, user_id = out.stdout.split()
    assert version == crate_version()
    assert binary == str(venv / "bin" / "yundong")
    assert user_id == "1"

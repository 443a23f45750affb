"""YundongServer as a process: start, stop, errors, binary lookup, environment, connections."""

from __future__ import annotations

import os
import pathlib
import subprocess
import threading
import time
import urllib.request

import pytest

from yundong import BinaryNotFoundError, find_yundong_bin
from yundong.testing import ServerStartError, YundongError, YundongServer


def test_starts_on_loopback_answers_and_stops_cleanly() -> None:
    yd = YundongServer()
    try:
        assert yd.url.startswith("http://127.0.0.1:") and not yd.url.endswith("/")
        assert yd.port > 0 and yd.running
        with urllib.request.urlopen(yd.url + "/healthz", timeout=5) as res:
            assert res.status == 200
        data_dirs = [a for a in _cmdline(yd.pid) if a.startswith("sqlite:")]
        assert len(data_dirs) == 1
        db = pathlib.Path(data_dirs[0][len("sqlite:") :])
        assert db.exists(), "the temporary SQLite database is where the server was told"
        assert yd.clock()["offset_seconds"] == 0
    finally:
        yd.stop()
    assert not yd.running and yd._proc.returncode is not None
    assert not db.parent.exists(), "stop() removes the temporary directory"
    yd.stop()  # twice is fine
    with pytest.raises(YundongError, match="not running"):
        yd.create_user("x")


def _cmdline(pid: int) -> list[str]:
    return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def test_context_manager_and_two_servers_side_by_side() -> None:
    with YundongServer() as a, YundongServer() as b:
        assert a.url != b.url and a.admin_token != b.admin_token
        a.create_app("only in a")
        assert a.export_scenario().get("apps") and not b.export_scenario().get("apps")
        assert f"pid={a.pid} running" in repr(a) and a.admin_token not in repr(a)
    assert not a.running and not b.running


def test_runs_in_test_mode_with_a_generated_admin_token_never_logged() -> None:
    with YundongServer() as yd:
        assert len(yd.admin_token) >= 32
        assert "--test-mode" in _cmdline(yd.pid)
        yd.create_app("x")
        log = yd.log()
        assert "serving on " + yd.url in log
        assert yd.admin_token not in log


def test_a_server_that_exits_at_start_raises_with_its_output() -> None:
    with pytest.raises(ServerStartError) as e:
        YundongServer(utc_offset="+08:00", args=["--daily-step-cap", "0"])
    assert "exited with status" in str(e.value)
    assert "must be positive" in e.value.log, e.value.log


def test_a_binary_that_does_not_exist_raises() -> None:
    with pytest.raises(ServerStartError, match="cannot run /nonexistent/yundong"):
        YundongServer("/nonexistent/yundong")


def test_bad_utc_offset_is_refused_before_starting() -> None:
    with pytest.raises(ValueError, match=r"\+08:00"):
        YundongServer(utc_offset="8")


def test_find_yundong_bin_prefers_yundong_bin(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    real = find_yundong_bin()
    assert os.access(real, os.X_OK)
    out = subprocess.run([real, "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("yundong "), out
    link = tmp_path / "yd"
    link.symlink_to(real)
    monkeypatch.setenv("YUNDONG_BIN", str(link))
    assert find_yundong_bin() == str(link)
    monkeypatch.setenv("YUNDONG_BIN", str(tmp_path / "missing"))
    with pytest.raises(BinaryNotFoundError, match="YUNDONG_BIN"):
        find_yundong_bin()
    with pytest.raises(BinaryNotFoundError):
        YundongServer()


def test_python_m_yundong_runs_the_binary() -> None:
    import sys

    out = subprocess.run([sys.executable, "-m", "yundong", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("yundong "), out


def test_yundong_variables_of_the_caller_do_not_configure_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUNDONG_DAILY_STEP_CAP", "100")
    monkeypatch.setenv("YUNDONG_ADMIN_TOKEN", "x" * 40)
    with YundongServer() as yd:
        user = yd.create_user("小明")
        assert yd.set_steps(user, 8000)["step"] == 8000, "the caller's YUNDONG_DAILY_STEP_CAP leaked in"
        assert yd.admin_token != "x" * 40


def test_extra_flags_reach_the_server() -> None:
    with YundongServer(args=["--daily-step-cap", "5000"], session_ttl=120) as yd:
        user = yd.create_user("小明")
        assert yd.set_steps(user, 8000)["step"] == 5000
        assert ["--session-ttl", "120"] == _cmdline(yd.pid)[_cmdline(yd.pid).index("--session-ttl") :][:2]


def test_keep_alive_connection_closed_by_the_server_is_replaced() -> None:
    # --header-timeout 1: the server closes an idle connection after a second; the next call must not fail.
    with YundongServer(args=["--header-timeout", "1"]) as yd:
        yd.create_user("a")
        time.sleep(1.6)
        assert yd.create_user("b")["user_id"] == 2


def test_calls_from_many_threads() -> None:
    with YundongServer() as yd:
        ids: list[int] = []
        lock = threading.Lock()

        def work() -> None:
            for _ in range(5):
                uid = yd.create_user("t")["user_id"]
                with lock:
                    ids.append(uid)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(ids) == list(range(1, 41))


def test_a_server_killed_under_the_test_gives_a_clear_error() -> None:
    yd = YundongServer()
    try:
        yd._proc.kill()
        yd._proc.wait()
        with pytest.raises(YundongError, match="not running"):
            yd.create_app("x")
    finally:
        yd.stop()


def test_an_abandoned_server_is_stopped_when_collected() -> None:
    import gc

    yd = YundongServer()
    proc = yd._proc
    del yd
    gc.collect()
    assert proc.wait(timeout=15) is not None, "the finalizer stopped the server"

"""The pytest plugin as a user meets it: installed by entry point, one server per session, reset per test."""

from __future__ import annotations

import pytest

USER_TESTS = """
import os

SEEN = {}

def test_one(yundong):
    SEEN["one"] = (yundong.pid, yundong.url)
    app = yundong.create_app("one")
    assert yundong.create_user("a")["user_id"] == 1
    yundong.add_fault("/cgi-bin/token")
    yundong.advance_clock(3600)

def test_two(yundong):
    # Same server (one per session), but nothing of test_one is left.
    assert (yundong.pid, yundong.url) == SEEN["one"]
    assert yundong.create_user("b")["user_id"] == 1
    assert yundong.faults() == [] and yundong.clock()["offset_seconds"] == 0
    assert not yundong.export_scenario().get("apps")

def test_three(yundong_server):
    # The session object is not reset: test_two's user is still there.
    assert yundong_server.export_scenario()["users"][0]["nickname"] == "b"
"""


def test_the_entry_point_gives_the_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=3)
    # Registered by the entry point (not by a conftest): pytest lists it as a plugin.
    plugins = pytester.runpytest_subprocess("--trace-config", "-p", "no:cacheprovider", "--co")
    plugins.stdout.fnmatch_lines(["*yundong*pytest_plugin*"])


def test_options_fixture_overridden_in_conftest(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
import pytest

@pytest.fixture(scope="session")
def yundong_server_options():
    return {"utc_offset": "+00:00", "args": ["--daily-step-cap", "5000"]}
"""
    )
    pytester.makepyfile(
        test_opts="""
def test_cap_and_zone(yundong):
    user = yundong.create_user("a")
    assert yundong.set_steps(user, 9000)["step"] == 5000
    assert yundong.set_steps(user, 1)["timestamp"] % 86400 == 0  # UTC midnights
"""
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_failing_user_test_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fail="""
def test_wrong(yundong):
    assert yundong.create_user("a")["user_id"] == 2
"""
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(failed=1)

"""The pytest plugin (registered by the ``pytest11`` entry point, so installing the package is enough).

Fixtures:

``yundong``
    The session's :class:`~yundong.testing.YundongServer`, reset before the test (no apps, users, journal entries,
    fault rules; clock back to system time), so every test starts from an empty deployment.
``yundong_server``
    The same server without the reset (session scope): for session-scoped fixtures of your own.
``yundong_server_options``
    Session-scoped dict of keyword arguments for :class:`~yundong.testing.YundongServer`; override it in a
    ``conftest.py`` to change the server, e.g. ``return {"utc_offset": "+00:00", "journal_client": True}``.

One server per test session (per worker with pytest-xdist); it is stopped when the session ends.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest

from yundong.testing import YundongServer


@pytest.fixture(scope="session")
def yundong_server_options() -> Dict[str, Any]:
    """Keyword arguments for the session's YundongServer (override in conftest.py)."""
    return {}


@pytest.fixture(scope="session")
def yundong_server(yundong_server_options: Dict[str, Any]) -> Iterator[YundongServer]:
    """One yundong server for the whole test session, not reset between tests."""
    server = YundongServer(**yundong_server_options)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def yundong(yundong_server: YundongServer) -> YundongServer:
    """The session's yundong server, emptied before this test (``reset()``: nothing is kept, not even apps)."""
    yundong_server.reset()
    return yundong_server

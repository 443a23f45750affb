"""Fixtures for the back end's tests. `yundong` (an empty yundong server, reset before each test) comes from the
`yundong` package's pytest plugin: `pip install yundong` is all it takes."""

import pytest

from backend import create_app


@pytest.fixture
def mini_program(yundong):
    """Our mini program, registered on the (empty) yundong server: {appid, secret, ...}."""
    return yundong.create_app("步数打卡")


@pytest.fixture
def backend(yundong, mini_program):
    """Our back end, pointed at yundong instead of https://api.weixin.qq.com, as a Flask test client."""
    app = create_app(
        appid=mini_program["appid"], secret=mini_program["secret"], api_base=yundong.url, step_goal=10000
    )
    return app.test_client()


@pytest.fixture
def ming(yundong):
    """A WeChat user with WeRun on."""
    return yundong.create_user("小明")


def log_in(yundong, backend, user, mini_program):
    """What the mini program does at launch: wx.login, then our /login with the code. -> our session token."""
    code = yundong.login(user, mini_program)
    res = backend.post("/login", json={"code": code})
    assert res.status_code == 200, res.get_json()
    return res.get_json()["token"]


def upload_werun(yundong, backend, user, mini_program, token):
    """wx.getWeRunData on the phone, then our /werun with what it returned."""
    data = yundong.get_werun_data(user, mini_program)
    return backend.post(
        "/werun",
        json={"encryptedData": data["encryptedData"], "iv": data["iv"]},
        headers={"Authorization": f"Bearer {token}"},
    )

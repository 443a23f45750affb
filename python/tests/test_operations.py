"""Every YundongServer operation does what it says, checked through the server's own answers (the `yundong` fixture
is the installed plugin's)."""

from __future__ import annotations

import datetime as dt
import pathlib
import re

import pytest
from conftest import code2session, decrypt, wechat_get

from yundong.testing import AdminApiError, WxApiError, YundongServer

CN = dt.timezone(dt.timedelta(hours=8))
DAY = 86400


def test_create_app_and_user(yundong: YundongServer) -> None:
    app = yundong.create_app("跑步助手", category="体育-在线健身", device_steps=True)
    assert re.fullmatch(r"wx[0-9a-f]{16}", app["appid"]), app
    assert re.fullmatch(r"[0-9a-f]{32}", app["secret"]), app
    assert re.fullmatch(r"gh_[0-9a-f]{12}", app["original_id"]), app
    assert app["name"] == "跑步助手" and app["category"] == "体育-在线健身" and app["device_steps"] is True
    user = yundong.create_user("小明")
    assert user["user_id"] == 1 and user["nickname"] == "小明" and len(user["token"]) >= 32
    # The token is the phone's: the client API knows the user by it.
    assert yundong.werun_settings(user) == {"werun": True, "join_ranking": True}


def test_login_code_is_a_real_wx_login_code(yundong: YundongServer) -> None:
    app, user = yundong.create_app("demo"), yundong.create_user("小明")
    code = yundong.login(user, app)
    first = code2session(yundong.url, app, code)
    assert len(first["openid"]) == 28 and len(first["session_key"]) == 24, first
    # Single use (40163), and the exchange belongs to the app whose appid wx.login named.
    assert code2session(yundong.url, app, code)["errcode"] == 40163
    other = yundong.create_app("other")
    assert code2session(yundong.url, other, yundong.login(user, app))["errcode"] == 40029


def test_get_werun_data_decrypts_with_the_session_key_and_shows_set_steps(yundong: YundongServer) -> None:
    app, user = yundong.create_app("demo"), yundong.create_user("小明")
    yundong.set_steps(user, 8000)
    yundong.set_steps(user, 3000, days_ago=2)
    yundong.set_steps(user, 1234, date=yundong.day(30))
    session = code2session(yundong.url, app, yundong.login(user, app))
    res = yundong.get_werun_data(user, app)
    assert res["errMsg"] == "getWeRunData:ok" and res["cloudID"], res
    data = decrypt(session["session_key"], res["iv"], res["encryptedData"])
    steps = [d["step"] for d in data["stepInfoList"]]
    assert len(steps) == 31 and steps[-1] == 8000 and steps[-3] == 3000 and steps[0] == 1234, steps
    assert sum(steps) == 8000 + 3000 + 1234
    assert data["watermark"]["appid"] == app["appid"]
    today = dt.datetime.fromtimestamp(data["stepInfoList"][-1]["timestamp"], CN).date()
    assert today == yundong.day(0)


def test_get_werun_data_grants_the_scope_when_undecided(yundong: YundongServer) -> None:
    app, user = yundong.create_app("demo"), yundong.create_user("小明")
    code2session(yundong.url, app, yundong.login(user, app))
    setting = yundong.client(user, "GET", f"/client/v1/wx/getSetting?appid={app['appid']}")
    assert "scope.werun" not in setting["authSetting"], setting
    yundong.get_werun_data(user, app)
    setting = yundong.client(user, "GET", f"/client/v1/wx/getSetting?appid={app['appid']}")
    assert setting["authSetting"]["scope.werun"] is True, setting


def test_get_werun_data_failures_raise_or_are_returned(yundong: YundongServer) -> None:
    app, user = yundong.create_app("demo"), yundong.create_user("小明")
    with pytest.raises(WxApiError, match="getWeRunData:fail authorize no response"):
        yundong.get_werun_data(user, app, allow=None)  # the dialog left unanswered
    with pytest.raises(WxApiError, match="getWeRunData:fail need login") as e:
        yundong.get_werun_data(user, app)  # granted now (the scope is asked before the session is checked)
    assert e.value.err_msg == "getWeRunData:fail need login" and e.value.status == 200
    user = yundong.create_user("小红")
    code2session(yundong.url, app, yundong.login(user, app))
    denied = yundong.get_werun_data(user, app, allow=False, check=False)
    assert denied == {"errMsg": "getWeRunData:fail auth deny"}, denied
    with pytest.raises(WxApiError, match="auth deny"):
        yundong.get_werun_data(user, app)  # a denied scope is not asked again
    with pytest.raises(WxApiError) as e:
        yundong.get_werun_data("not-a-token-" + "x" * 30, app)
    assert e.value.status == 401 and "unauthorized" in e.value.err_msg


def test_add_fault_fails_exactly_times_calls_with_that_errcode(yundong: YundongServer) -> None:
    app, user = yundong.create_app("demo"), yundong.create_user("小明")
    rule = yundong.add_fault("/sns/jscode2session", errcode=-1, times=2)
    assert re.fullmatch(r"f\d+", rule["fault_id"]) and rule["times"] == 2, rule
    code = yundong.login(user, app)
    answers = [code2session(yundong.url, app, code) for _ in range(3)]
    assert [a.get("errcode") for a in answers] == [-1, -1, None], answers
    assert answers[0]["errmsg"].startswith("system error, rid: "), answers[0]
    assert answers[2]["session_key"], "a faulted call does not use up the code"
    (listed,) = yundong.faults()
    assert listed["fault_id"] == rule["fault_id"] and listed["hits"] == 2 and listed["remaining"] == 0, listed


def test_add_fault_narrowed_to_an_app_and_removed(yundong: YundongServer) -> None:
    a, b, user = yundong.create_app("a"), yundong.create_app("b"), yundong.create_user("小明")
    rule = yundong.add_fault("/sns/jscode2session", appid=a, errcode=45011)
    assert code2session(yundong.url, b, yundong.login(user, b)).get("errcode") is None
    assert code2session(yundong.url, a, yundong.login(user, a))["errcode"] == 45011
    yundong.remove_fault(rule)
    assert yundong.faults() == []
    assert code2session(yundong.url, a, yundong.login(user, a)).get("errcode") is None
    yundong.add_fault("/cgi-bin/token")
    assert yundong.clear_faults() == 1


def test_requests_shows_the_calls_narrowed_by_path_errcode_and_after(yundong: YundongServer) -> None:
    app, user = yundong.create_app("demo"), yundong.create_user("小明")
    code = yundong.login(user, app)
    rule = yundong.add_fault("/sns/jscode2session", errcode=-1, times=1)
    code2session(yundong.url, app, code)
    code2session(yundong.url, app, code)
    wechat_get(yundong.url, "/cgi-bin/token", grant_type="client_credential", appid=app["appid"], secret=app["secret"])
    calls = yundong.requests(path="/sns/jscode2session")
    assert [(c["errcode"], c["fault_id"]) for c in calls] == [(-1, rule["fault_id"]), (None, None)], calls
    assert all(c["appid"] == app["appid"] and c["method"] == "GET" for c in calls)
    assert app["secret"] not in str(calls) and code not in str(calls), "secrets are masked"
    assert [c["path"] for c in yundong.requests()] == ["/sns/jscode2session"] * 2 + ["/cgi-bin/token"]
    assert [c["id"] for c in yundong.requests(errcode=-1)] == [calls[0]["id"]]
    assert [c["path"] for c in yundong.requests(after=calls[1]["id"])] == ["/cgi-bin/token"]
    assert len(yundong.requests(limit=1)) == 1
    yundong.clear_requests()
    assert yundong.requests() == []


def test_requests_pages_through_more_than_a_thousand(yundong: YundongServer) -> None:
    for _ in range(1005):
        wechat_get(yundong.url, "/cgi-bin/token", grant_type="client_credential", appid="wx0000000000000000")
    calls = yundong.requests(path="/cgi-bin/token")
    assert len(calls) == 1005 and len({c["id"] for c in calls}) == 1005


def test_advance_clock_moves_the_deployment_clock(yundong: YundongServer) -> None:
    app, user = yundong.create_app("demo"), yundong.create_user("小明")
    before = yundong.clock()
    moved = yundong.advance_clock(3600)
    assert moved["offset_seconds"] == before["offset_seconds"] + 3600
    assert 3600 <= moved["now"] - before["now"] <= 3605
    # A wx.login code lives 5 minutes on the deployment's clock.
    code = yundong.login(user, app)
    yundong.advance_clock(dt.timedelta(seconds=301))
    assert code2session(yundong.url, app, code)["errcode"] == 40029
    # "Today" follows the clock: steps set today are yesterday's after a day.
    yundong.set_steps(user, 7000)
    today = yundong.day()
    yundong.advance_clock(DAY)
    assert yundong.day() == today + dt.timedelta(days=1)
    code2session(yundong.url, app, yundong.login(user, app))
    session = code2session(yundong.url, app, yundong.login(user, app))
    res = yundong.get_werun_data(user, app)
    steps = [d["step"] for d in decrypt(session["session_key"], res["iv"], res["encryptedData"])["stepInfoList"]]
    assert steps[-2:] == [7000, 0], steps
    with pytest.raises(AdminApiError) as e:
        yundong.set_clock(dt.datetime(2001, 1, 1, tzinfo=dt.timezone.utc))
    assert e.value.status == 400 and e.value.code == "invalid_request"
    later = yundong.set_clock(dt.datetime.fromtimestamp(yundong.clock()["now"] + 7 * DAY, dt.timezone.utc))
    assert later["offset_seconds"] >= 7 * DAY


def test_session_expires_after_three_idle_days(yundong: YundongServer) -> None:
    app, user = yundong.create_app("demo"), yundong.create_user("小明")
    code2session(yundong.url, app, yundong.login(user, app))
    yundong.get_werun_data(user, app)
    yundong.advance_clock(3 * DAY + 120)
    res = yundong.get_werun_data(user, app, check=False)
    assert res["errMsg"] == "getWeRunData:fail need login", res


def test_reset_empties_the_deployment(yundong: YundongServer) -> None:
    app, user = yundong.create_app("demo"), yundong.create_user("小明")
    code2session(yundong.url, app, yundong.login(user, app))
    yundong.add_fault("/cgi-bin/token", times=5)
    yundong.advance_clock(600)
    answer = yundong.reset()
    assert answer["apps_removed"] == 1 and answer["users_removed"] == 1 and answer["offset_seconds"] == 0, answer
    assert yundong.requests() == [] and yundong.faults() == [] and yundong.clock()["offset_seconds"] == 0
    with pytest.raises(WxApiError) as e:
        yundong.login(user, app)
    assert e.value.status == 401
    assert code2session(yundong.url, app, "x")["errcode"] == 40013, "the app is gone"
    assert yundong.create_user("again")["user_id"] == 1, "ids start again from 1"


def test_reset_keep_apps(yundong: YundongServer) -> None:
    app = yundong.create_app("demo")
    assert yundong.reset(keep_apps=True)["kept_apps"] is True
    user = yundong.create_user("小明")
    assert code2session(yundong.url, app, yundong.login(user, app))["session_key"]


def test_apply_scenario_from_a_yaml_file_text_and_dict(yundong: YundongServer, repo: pathlib.Path) -> None:
    applied = yundong.apply_scenario(repo / "scenarios" / "small.yaml")
    assert [u["key"] for u in applied["users"]] == ["ming", "hong", "gang"], applied
    assert applied["apps"][0]["appid"] == "wx0123456789abcdef"
    app = {"appid": "wx0123456789abcdef", "secret": "0123456789abcdef0123456789abcdef"}
    ming = "ydu_ming_0123456789abcdefghijklmnopqrstuv"
    session = code2session(yundong.url, app, yundong.login(ming, app))
    res = yundong.get_werun_data(ming, app, allow=None)  # the scenario granted scope.werun
    steps = [d["step"] for d in decrypt(session["session_key"], res["iv"], res["encryptedData"])["stepInfoList"]]
    assert steps[-4:] == [10400, 6500, 12000, 8000], steps
    # The same path as a str, again: idempotent, same ids.
    again = yundong.apply_scenario(str(repo / "scenarios" / "small.yaml"))
    assert [(u["user_id"], u["created"]) for u in again["users"]] == [(1, False), (2, False), (3, False)]
    text = "users:\n  - {key: li, nickname: 小李, steps: [{days_ago: 0, steps: 4321}]}\n"
    added = yundong.apply_scenario(text)
    assert added["users"][0]["created"] is True and added["users"][0]["token"], added
    assert yundong.set_steps(added["users"][0]["token"], 4321)["total"] == 4321
    as_dict = yundong.apply_scenario({"users": [{"key": "wang", "nickname": "小王"}]})
    assert as_dict["users"][0]["user_id"] == 5, as_dict
    assert {u["key"] for u in yundong.export_scenario()["users"]} == {"ming", "hong", "gang", "li", "wang"}


def test_apply_scenario_errors_raise_with_the_servers_message(yundong: YundongServer, tmp_path: pathlib.Path) -> None:
    with pytest.raises(AdminApiError, match=r"users\[0\]\.steps\[0\]\.steps must be 0 to 98800") as e:
        yundong.apply_scenario({"users": [{"key": "a", "nickname": "a", "steps": [{"days_ago": 0, "steps": -1}]}]})
    assert e.value.status == 400 and e.value.code == "invalid_request"
    assert yundong.export_scenario().get("users", []) == [], "all or nothing"
    with pytest.raises(FileNotFoundError):
        yundong.apply_scenario(tmp_path / "missing.yaml")


def test_admin_errors_carry_the_servers_error_body(yundong: YundongServer) -> None:
    with pytest.raises(AdminApiError) as e:
        yundong.create_app("")
    assert e.value.status == 400 and e.value.code == "invalid_request" and e.value.message, e.value.body
    assert "POST /admin/v1/apps: HTTP 400 invalid_request" in str(e.value)
    with pytest.raises(AdminApiError) as e:
        yundong.remove_fault("f999")
    assert e.value.status == 404
    with pytest.raises(AdminApiError) as e:
        yundong.add_fault("/not/a/path")
    assert e.value.status == 400


def test_wx_errors_carry_the_errmsg(yundong: YundongServer) -> None:
    user = yundong.create_user("小明")
    with pytest.raises(WxApiError, match="login:fail invalid appid") as e:
        yundong.login(user, "wx0000000000000000")
    assert e.value.body == {"errMsg": "login:fail invalid appid"}
    with pytest.raises(WxApiError) as e:
        yundong.set_steps(user, 1, days_ago=31)
    assert e.value.err_msg.startswith("steps:fail"), e.value.err_msg


def test_the_fixture_resets_before_each_test(yundong_server: YundongServer, request: pytest.FixtureRequest) -> None:
    yundong_server.create_app("left over")
    yundong_server.create_user("left over")
    yundong_server.add_fault("/cgi-bin/token")
    yundong_server.advance_clock(999)
    fresh: YundongServer = request.getfixturevalue("yundong")
    assert fresh is yundong_server
    state = fresh.export_scenario()
    assert not state.get("apps") and not state.get("users"), state
    assert fresh.faults() == [] and fresh.requests() == [] and fresh.clock()["offset_seconds"] == 0

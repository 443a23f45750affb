"""The phone and the operator side of a conformance run, in plain stdlib HTTP (no SDK involved).

A real mini-program back end never sees these calls: the admin API creates the app and the user, and the client API
stands in for the WeChat app on the user's phone (`wx.login`, the step sensor, `wx.getWeRunData`). Everything the
*back end* does goes through the real SDK under test, in the suite itself.

Environment: YUNDONG_BASE (e.g. http://127.0.0.1:PORT/, trailing slash optional) and YUNDONG_ADMIN_TOKEN.
"""

import datetime as _dt
import json
import os
import time
import urllib.request

BASE = os.environ["YUNDONG_BASE"].rstrip("/") + "/"
ADMIN_TOKEN = os.environ["YUNDONG_ADMIN_TOKEN"]
CN = _dt.timezone(_dt.timedelta(hours=8))
DAY = 86400


def _call(method, path, token, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())


def add_fault(rule):
    """POST /admin/v1/faults (issue 13) -> the rule with its fault_id."""
    return _call("POST", "admin/v1/faults", ADMIN_TOKEN, rule)


def requests_since(after=0, **filters):
    """GET /admin/v1/requests: the journaled calls after the id `after`, oldest first."""
    query = "&".join([f"after={after}"] + [f"{k}={v}" for k, v in filters.items()])
    return _call("GET", "admin/v1/requests?" + query, ADMIN_TOKEN)["requests"]


def last_request_id():
    calls = _call("GET", "admin/v1/requests?limit=1000", ADMIN_TOKEN)["requests"]
    after = calls[-1]["id"] if calls else 0
    while len(calls) == 1000:
        calls = requests_since(after, limit=1000)
        after = calls[-1]["id"] if calls else after
    return after


def create_app(name):
    """-> {appid, secret, original_id, ...}"""
    app = _call("POST", "admin/v1/apps", ADMIN_TOKEN, {"name": name})
    assert app["appid"].startswith("wx") and len(app["secret"]) == 32, app
    return app


def create_user(nickname):
    """-> {user_id, token}"""
    return _call("POST", "admin/v1/users", ADMIN_TOKEN, {"nickname": nickname})


def wx_login(user, appid):
    """wx.login on the user's phone: a fresh, single-use code."""
    res = _call("POST", "client/v1/wx/login", user["token"], {"appid": appid})
    assert res["errMsg"] == "login:ok", res
    return res["code"]


def upload_steps(user, steps, date=None):
    """The phone's step sensor: absolute total for a local day (default today). -> server's answer."""
    body = {"steps": steps}
    if date is not None:
        body["date"] = date
    res = _call("POST", "client/v1/steps", user["token"], body)
    assert res["errMsg"] == "steps:ok", res
    return res


def get_werun_data(user, appid):
    """wx.getWeRunData, the user allowing scope.werun. -> {encryptedData, iv, cloudID}"""
    res = _call("POST", "client/v1/wx/getWeRunData", user["token"], {"appid": appid, "allow": True})
    assert res["errMsg"] == "getWeRunData:ok", res
    return res


def today_cn_midnight(now=None):
    """Unix seconds of the current UTC+8 day's midnight."""
    now = time.time() if now is None else now
    d = _dt.datetime.fromtimestamp(now, CN).date()
    return int(_dt.datetime(d.year, d.month, d.day, tzinfo=CN).timestamp())


def cn_date(ts):
    return _dt.datetime.fromtimestamp(ts, CN).strftime("%Y-%m-%d")


def seed_steps(user):
    """Upload steps on three days of the window (today, 3 days ago, 30 days ago = the window's first day).

    -> {midnight_ts: steps} as the server confirmed them; every other day of the window must decrypt as 0.
    """
    today = upload_steps(user, 8123)
    t0 = today["timestamp"]
    assert today["date"] == cn_date(t0), today
    expected = {t0: 8123}
    for back, steps in ((3, 4567), (30, 1000)):
        res = upload_steps(user, steps, cn_date(t0 - back * DAY))
        assert res["timestamp"] == t0 - back * DAY, res
        expected[res["timestamp"]] = steps
    return expected


def check_werun(data, appid, expected, started):
    """The decrypted plaintext of getWeRunData: 31 ascending UTC+8 midnights ending today, our steps, watermark."""
    steps = data["stepInfoList"]
    assert len(steps) == 31, f"expected 31 stepInfoList entries, got {len(steps)}"
    ts = [s["timestamp"] for s in steps]
    assert ts == sorted(ts) and len(set(ts)) == 31, f"timestamps not strictly ascending: {ts}"
    for a, b in zip(ts, ts[1:]):
        assert b - a == DAY, f"days not consecutive: {a} -> {b}"
    # Today's UTC+8 midnight, by our own clock (either side of a midnight crossing during the run is fine).
    allowed = {today_cn_midnight(started), today_cn_midnight()}
    assert ts[-1] in allowed, f"last timestamp {ts[-1]} is not today's UTC+8 midnight {allowed}"
    assert all(isinstance(s["step"], int) and isinstance(s["timestamp"], int) for s in steps), steps
    got = {s["timestamp"]: s["step"] for s in steps}
    for day, n in expected.items():
        assert got.get(day) == n, f"day {cn_date(day)}: expected {n} steps, got {got.get(day)}"
    others = {cn_date(d): n for d, n in got.items() if d not in expected and n != 0}
    assert not others, f"days we never uploaded have steps: {others}"
    wm = data["watermark"]
    assert wm["appid"] == appid, f"watermark.appid {wm['appid']!r} != {appid!r}"
    assert isinstance(wm["timestamp"], int) and abs(wm["timestamp"] - time.time()) < 300, wm

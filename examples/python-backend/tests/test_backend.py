"""The back end's tests, against a real (local) WeChat: yundong, through the `yundong` fixture."""

from conftest import log_in, upload_werun

DAY = 86400


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_login_werun_and_checkin(yundong, backend, mini_program, ming):
    yundong.set_steps(ming, 12000)
    yundong.set_steps(ming, 4000, days_ago=1)
    token = log_in(yundong, backend, ming, mini_program)

    res = upload_werun(yundong, backend, ming, mini_program, token)
    assert res.status_code == 200, res.get_json()
    assert res.get_json() == {"date": yundong.day().isoformat(), "steps": 12000, "days": 31}

    res = backend.post("/checkin", headers=auth(token))
    assert res.status_code == 200, res.get_json()
    assert res.get_json() == {"date": yundong.day().isoformat(), "steps": 12000, "streak": 1, "already": False}
    assert backend.post("/checkin", headers=auth(token)).get_json()["already"] is True


def test_checkin_streak_across_days(yundong, backend, mini_program, ming):
    token = log_in(yundong, backend, ming, mini_program)
    for day in range(3):
        yundong.set_steps(ming, 10000 + day)
        assert upload_werun(yundong, backend, ming, mini_program, token).status_code == 200
        res = backend.post("/checkin", headers=auth(token))
        assert res.get_json()["streak"] == day + 1, res.get_json()
        yundong.advance_clock(DAY)  # tomorrow; the session is used every day, so it stays alive


def test_no_checkin_below_the_goal(yundong, backend, mini_program, ming):
    yundong.set_steps(ming, 9999)
    token = log_in(yundong, backend, ming, mini_program)
    upload_werun(yundong, backend, ming, mini_program, token)
    res = backend.post("/checkin", headers=auth(token))
    assert res.status_code == 409
    assert res.get_json() == {"error": "goal_not_reached", "steps": 9999, "goal": 10000}


def test_a_reused_code_is_refused(yundong, backend, mini_program, ming):
    code = yundong.login(ming, mini_program)
    assert backend.post("/login", json={"code": code}).status_code == 200
    res = backend.post("/login", json={"code": code})
    assert res.status_code == 400 and res.get_json() == {"error": "code_used"}
    assert [c["errcode"] for c in yundong.requests(path="/sns/jscode2session")] == [None, 40163]


def test_an_unknown_code_is_refused(yundong, backend):
    res = backend.post("/login", json={"code": "0" * 32})
    assert res.status_code == 400 and res.get_json() == {"error": "invalid_code"}


def test_a_wechat_system_error_is_retried_once(yundong, backend, mini_program, ming):
    yundong.add_fault("/sns/jscode2session", errcode=-1, times=1)
    code = yundong.login(ming, mini_program)
    res = backend.post("/login", json={"code": code})
    assert res.status_code == 200, res.get_json()
    calls = yundong.requests(path="/sns/jscode2session")
    assert [c["errcode"] for c in calls] == [-1, None], "one failure, one successful retry"
    assert calls[0]["fault_id"] is not None


def test_two_system_errors_in_a_row_give_up(yundong, backend, mini_program, ming):
    yundong.add_fault("/sns/jscode2session", errcode=-1, times=2)
    code = yundong.login(ming, mini_program)
    res = backend.post("/login", json={"code": code})
    assert res.status_code == 503 and res.get_json() == {"error": "wechat_busy"}
    assert [c["errcode"] for c in yundong.requests(path="/sns/jscode2session")] == [-1, -1]
    # The faulted calls did not use the code up: the user's next try with it works.
    assert backend.post("/login", json={"code": code}).status_code == 200


def test_the_session_expires_after_three_idle_days(yundong, backend, mini_program, ming):
    yundong.set_steps(ming, 15000)
    token = log_in(yundong, backend, ming, mini_program)
    assert upload_werun(yundong, backend, ming, mini_program, token).status_code == 200

    yundong.advance_clock(3 * DAY + 60)  # WeChat's session_key expires after 3 idle days (yundong's default)

    res = backend.post("/checkin", headers=auth(token))
    assert res.status_code == 401 and res.get_json() == {"error": "session_expired"}
    assert backend.post("/checkin", headers=auth(token)).get_json() == {"error": "not_logged_in"}
    # The phone sees it too: wx.getWeRunData needs a new wx.login first.
    stale = yundong.get_werun_data(ming, mini_program, check=False)
    assert stale["errMsg"] == "getWeRunData:fail need login"

    token = log_in(yundong, backend, ming, mini_program)
    yundong.set_steps(ming, 11000)
    res = upload_werun(yundong, backend, ming, mini_program, token)
    assert res.get_json()["steps"] == 11000 and res.get_json()["date"] == yundong.day().isoformat()
    assert backend.post("/checkin", headers=auth(token)).status_code == 200


def test_werun_needs_a_login(yundong, backend):
    res = backend.post("/werun", json={"encryptedData": "x", "iv": "y"})
    assert res.status_code == 401 and res.get_json() == {"error": "not_logged_in"}


def test_werun_data_for_another_session_is_refused(yundong, backend, mini_program, ming):
    token = log_in(yundong, backend, ming, mini_program)
    payload = yundong.get_werun_data(ming, mini_program)
    hong = yundong.create_user("小红")
    other = log_in(yundong, backend, hong, mini_program)
    res = backend.post("/werun", json={"encryptedData": payload["encryptedData"], "iv": payload["iv"]},
                       headers=auth(other))
    assert res.status_code == 400 and res.get_json() == {"error": "invalid_werun_data"}
    assert backend.post("/werun", json={"encryptedData": payload["encryptedData"], "iv": payload["iv"]},
                        headers=auth(token)).status_code == 200

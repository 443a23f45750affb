"""A small mini-program back end for a step challenge: WeChat login, WeRun steps, a daily check-in.

It is written the way such a back end is written against real WeChat, with wechatpy; the only yundong-specific
thing is the API base it is given (``https://api.weixin.qq.com`` in production, ``yundong.url`` in its tests).

    POST /login    {"code"}                        wx.login's code -> {"token", "openid"}   (jscode2session)
    POST /werun    {"encryptedData", "iv"}         wx.getWeRunData's answer -> {"date", "steps", "days"}
    POST /checkin                                  today's check-in when the steps reach the goal
    (the last two need "Authorization: Bearer <token>" from /login)

Run it: WECHAT_APPID=… WECHAT_SECRET=… [WECHAT_API_BASE=http://127.0.0.1:8080] flask --app backend run
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Set, Tuple

from flask import Flask, Response, jsonify, request
from wechatpy import WeChatClient
from wechatpy.crypto import WeChatWxaCrypto
from wechatpy.exceptions import WeChatClientException

#: WeRun days are China's calendar days (each stepInfoList timestamp is a UTC+8 midnight).
CHINA = dt.timezone(dt.timedelta(hours=8))
#: WeChat's "system error, please retry": the back end retries it once.
SYSTEM_ERROR = -1


class WeChat(WeChatClient):
    """wechatpy's client with every URL under ``api_base`` (the subclass conformance/README.md describes)."""

    def __init__(self, appid: str, secret: str, api_base: str) -> None:
        super().__init__(appid, secret)
        self.api_base = api_base.rstrip("/") + "/"
        self.API_BASE_URL = self.api_base + "cgi-bin/"
        self.wxa.API_BASE_URL = self.api_base

    def fetch_access_token(self) -> Dict[str, Any]:
        return self._fetch_access_token(  # type: ignore[no-any-return]
            url=self.api_base + "cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )

    def code_to_session(self, code: str) -> Dict[str, Any]:
        """jscode2session, retried once when WeChat answers -1 (system error)."""
        try:
            return self.wxa.code_to_session(code)  # type: ignore[no-any-return]
        except WeChatClientException as e:
            if e.errcode != SYSTEM_ERROR:
                raise
        return self.wxa.code_to_session(code)  # type: ignore[no-any-return]

    def session_alive(self, openid: str, session_key: str) -> bool:
        """/wxa/checksession: False when WeChat no longer holds this session_key (expired or replaced: 87009)."""
        signature = hmac.new(session_key.encode(), b"", hashlib.sha256).hexdigest()
        try:
            self.get(
                self.api_base + "wxa/checksession",
                params={"openid": openid, "signature": signature, "sig_method": "hmac_sha256"},
            )
        except WeChatClientException as e:
            if e.errcode == 87009:
                return False
            raise
        return True


@dataclass
class Session:
    openid: str
    session_key: str


@dataclass
class Store:
    """What the back end keeps (in memory here; a database in a real one)."""

    sessions: Dict[str, Session] = field(default_factory=dict)
    steps: Dict[str, Dict[dt.date, int]] = field(default_factory=dict)  # openid -> day -> steps
    latest_day: Dict[str, dt.date] = field(default_factory=dict)  # openid -> today of the last upload
    checkins: Dict[str, Set[dt.date]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def error(status: int, code: str, **extra: Any) -> Tuple[Response, int]:
    return jsonify({"error": code, **extra}), status


def create_app(
    appid: Optional[str] = None,
    secret: Optional[str] = None,
    api_base: Optional[str] = None,
    step_goal: int = 10000,
) -> Flask:
    """The back end for one mini program. Defaults come from WECHAT_APPID, WECHAT_SECRET, WECHAT_API_BASE."""
    appid = appid or os.environ["WECHAT_APPID"]
    secret = secret or os.environ["WECHAT_SECRET"]
    api_base = api_base or os.environ.get("WECHAT_API_BASE", "https://api.weixin.qq.com")
    wechat = WeChat(appid, secret, api_base)
    store = Store()
    app = Flask(__name__)
    app.config.update(STEP_GOAL=step_goal)
    app.extensions["store"] = store

    def current_session() -> Tuple[Optional[str], Optional[Session], Optional[Tuple[Response, int]]]:
        """The caller's session, confirmed alive with WeChat; or the error answer to give."""
        header = request.headers.get("Authorization", "")
        token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        with store.lock:
            session = store.sessions.get(token)
        if session is None:
            return None, None, error(401, "not_logged_in")
        try:
            alive = wechat.session_alive(session.openid, session.session_key)
        except WeChatClientException as e:
            return None, None, error(502, "wechat_error", errcode=e.errcode)
        if not alive:
            with store.lock:
                store.sessions.pop(token, None)
            return None, None, error(401, "session_expired")
        return token, session, None

    @app.post("/login")
    def login() -> Any:
        code = (request.get_json(silent=True) or {}).get("code")
        if not isinstance(code, str) or not code:
            return error(400, "code_required")
        try:
            result = wechat.code_to_session(code)
        except WeChatClientException as e:
            if e.errcode == 40163:
                return error(400, "code_used")
            if e.errcode == 40029:
                return error(400, "invalid_code")
            if e.errcode == SYSTEM_ERROR:
                return error(503, "wechat_busy")
            return error(502, "wechat_error", errcode=e.errcode)
        token = secrets.token_urlsafe(24)
        with store.lock:
            store.sessions[token] = Session(result["openid"], result["session_key"])
        return jsonify({"token": token, "openid": result["openid"]})

    @app.post("/werun")
    def werun() -> Any:
        _, session, failed = current_session()
        if failed:
            return failed
        assert session is not None
        body = request.get_json(silent=True) or {}
        try:
            data = WeChatWxaCrypto(session.session_key, body["iv"], appid).decrypt_message(body["encryptedData"])
            days = {
                dt.datetime.fromtimestamp(d["timestamp"], CHINA).date(): int(d["step"]) for d in data["stepInfoList"]
            }
        except Exception:  # noqa: BLE001 - wrong key, tampered data, another app's payload: all one answer
            return error(400, "invalid_werun_data")
        today = max(days)
        with store.lock:
            store.steps.setdefault(session.openid, {}).update(days)
            store.latest_day[session.openid] = today
        return jsonify({"date": today.isoformat(), "steps": days[today], "days": len(days)})

    @app.post("/checkin")
    def checkin() -> Any:
        _, session, failed = current_session()
        if failed:
            return failed
        assert session is not None
        goal = app.config["STEP_GOAL"]
        with store.lock:
            day = store.latest_day.get(session.openid)
            if day is None:
                return error(409, "no_werun_data")
            steps = store.steps[session.openid][day]
            if steps < goal:
                return error(409, "goal_not_reached", steps=steps, goal=goal)
            done = store.checkins.setdefault(session.openid, set())
            already = day in done
            done.add(day)
            streak = 0
            while day - dt.timedelta(days=streak) in done:
                streak += 1
        return jsonify({"date": day.isoformat(), "steps": steps, "streak": streak, "already": already})

    return app

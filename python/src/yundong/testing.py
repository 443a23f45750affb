"""A throwaway yundong server for tests, and the calls a test makes on it.

>>> from yundong.testing import YundongServer
>>> with YundongServer() as yd:                      # doctest: +SKIP
...     app = yd.create_app("demo")
...     user = yd.create_user("小明")
...     yd.set_steps(user, 8000)
...     code = yd.login(user, app)                    # what wx.login returns; give it to your back end
...     payload = yd.get_werun_data(user, app)        # what wx.getWeRunData returns

:class:`YundongServer` starts ``yundong serve --test-mode`` on a free loopback port with a temporary SQLite
database and a generated admin token, and stops it (and removes the database) on :meth:`YundongServer.stop`, at the
end of a ``with`` block, or when the interpreter exits. Every method is one call of yundong's admin API (the
operator's side: apps, users, faults, journal, clock, scenario, reset) or of its client API (what the WeChat app on
the user's phone does: ``wx.login``, ``wx.getWeRunData``, the step sensor). Only the standard library is used.
"""

from __future__ import annotations

import collections
import datetime as _dt
import http.client
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import urllib.parse
import weakref
from typing import IO, Any, Deque, Dict, List, Mapping, Optional, Sequence, Tuple, TypedDict, Union

from yundong import BinaryNotFoundError, find_yundong_bin

__all__ = [
    "YundongServer",
    "App",
    "User",
    "AppRef",
    "UserRef",
    "YundongError",
    "ServerStartError",
    "AdminApiError",
    "WxApiError",
    "BinaryNotFoundError",
]


class App(TypedDict, total=False):
    """A mini program, as ``POST /admin/v1/apps`` answers it (the secret is shown only there)."""

    appid: str
    secret: str
    original_id: str
    name: str
    category: Optional[str]
    werun_share: bool
    open_platform: Optional[str]
    device_steps: bool


class User(TypedDict):
    """A platform user, as ``POST /admin/v1/users`` answers it: ``token`` is the user's client API bearer token."""

    user_id: int
    nickname: str
    token: str


#: An app: the dict :meth:`YundongServer.create_app` returned (anything with an ``appid`` key), or an appid string.
AppRef = Union[Mapping[str, Any], str]
#: A user: the dict :meth:`YundongServer.create_user` returned (anything with a ``token`` key), or a user token.
UserRef = Union[Mapping[str, Any], str]


class YundongError(Exception):
    """Base class of the errors this module raises."""


class ServerStartError(YundongError):
    """The server did not start; ``log`` holds what it printed."""

    def __init__(self, message: str, log: str = "") -> None:
        super().__init__(message + (f"\n--- yundong serve output ---\n{log.rstrip()}" if log.strip() else ""))
        self.log = log


class AdminApiError(YundongError):
    """An admin API call failed: ``status`` (HTTP), ``code`` and ``message`` from the server's error body."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.body = body
        error = body.get("error") if isinstance(body, dict) else None
        self.code: str = str(error.get("code", "")) if isinstance(error, dict) else ""
        self.message: str = str(error.get("message", body)) if isinstance(error, dict) else str(body)
        super().__init__(f"{method} {path}: HTTP {status} {self.code}: {self.message}".replace("  ", " "))


class WxApiError(YundongError):
    """A client API call (a ``wx.*`` call on the phone) failed: ``err_msg`` is its ``errMsg`` (e.g.
    ``getWeRunData:fail need login``), ``status`` the HTTP status, ``body`` the whole answer."""

    def __init__(self, path: str, status: int, body: Any) -> None:
        self.path = path
        self.status = status
        self.body = body
        self.err_msg: str = str(body.get("errMsg", "")) if isinstance(body, dict) else ""
        shown = self.err_msg or (body if isinstance(body, str) else json.dumps(body, ensure_ascii=False))
        super().__init__(f"{path}: {shown}" + (f" (HTTP {status})" if status != 200 else ""))


_BANNER = re.compile(r"serving on (http://\S+)")
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")
_LOG_LINES = 2000


def _appid(app: AppRef) -> str:
    if isinstance(app, str):
        return app
    try:
        return str(app["appid"])
    except (KeyError, TypeError):
        raise TypeError(f"an app is a dict with an 'appid' (from create_app) or an appid string, not {app!r}") from None


def _given(**fields: Any) -> Dict[str, Any]:
    """A request body of the fields given (``None`` means "not given": the server's default applies)."""
    return {key: value for key, value in fields.items() if value is not None}


def _token(user: UserRef) -> str:
    if isinstance(user, str):
        return user
    try:
        return str(user["token"])
    except (KeyError, TypeError):
        raise TypeError("a user is a dict with a 'token' (from create_user) or a user token string") from None


def _zone(offset: str) -> _dt.timezone:
    m = _OFFSET.match(offset)
    if not m:
        raise ValueError(f"utc_offset must look like +08:00, not {offset!r}")
    sign = -1 if m.group(1) == "-" else 1
    return _dt.timezone(sign * _dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))


def _dropped(sock: Optional[socket.socket]) -> bool:
    """An idle keep-alive connection that is readable has been closed by the server (or is out of step)."""
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class _Http:
    """Keep-alive HTTP/1.1 to one loopback server: one connection per thread, dropped idle ones replaced."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._local = threading.local()
        self._all: "weakref.WeakSet[http.client.HTTPConnection]" = weakref.WeakSet()
        self._lock = threading.Lock()

    def _connection(self) -> http.client.HTTPConnection:
        conn: Optional[http.client.HTTPConnection] = getattr(self._local, "conn", None)
        if conn is not None and _dropped(conn.sock):
            conn.close()
            conn = None
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            conn.connect()
            assert conn.sock is not None
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._local.conn = conn
            with self._lock:
                self._all.add(conn)
        return conn

    def request(
        self, method: str, path: str, body: Optional[bytes] = None, headers: Optional[Dict[str, str]] = None
    ) -> Tuple[int, bytes]:
        conn = self._connection()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            res = conn.getresponse()
            data = res.read()
        except BaseException:
            conn.close()
            self._local.conn = None
            raise
        if res.will_close:
            conn.close()
            self._local.conn = None
        return res.status, data

    def close(self) -> None:
        with self._lock:
            conns = list(self._all)
        for conn in conns:
            conn.close()


def _stop_process(proc: "subprocess.Popen[str]", data_dir: Optional[str], http_: Optional[_Http]) -> None:
    """Stop the server (SIGTERM, then SIGKILL after 10 s) and remove its temporary directory. Idempotent."""
    if http_ is not None:
        http_.close()
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        except ProcessLookupError:  # pragma: no cover - exited in between
            pass
    if proc.stdout is not None:
        try:
            proc.stdout.close()
        except OSError:  # pragma: no cover
            pass
    if data_dir is not None:
        shutil.rmtree(data_dir, ignore_errors=True)


def _read_output(
    stream: Optional[IO[str]], lines: Deque[str], lock: threading.Lock, started: threading.Event, found: List[str]
) -> None:
    """Keep the server's output (a thread; it holds no reference to the YundongServer, which may then be collected
    and its finalizer stop the server) and report the URL of its "serving on" line."""
    assert stream is not None
    try:
        for line in stream:
            with lock:
                lines.append(line.rstrip("\n"))
            if not started.is_set():
                m = _BANNER.search(line)
                if m:
                    found.append(m.group(1))
                    started.set()
    except (OSError, ValueError):
        pass
    finally:
        started.set()


class YundongServer:
    """A yundong server of its own, started by the constructor and stopped by :meth:`stop` (or ``with``).

    :param binary: the ``yundong`` executable; default :func:`yundong.find_yundong_bin` (``YUNDONG_BIN``, then the
        binary this package installed, then ``PATH``).
    :param utc_offset: the zone whose midnights bound a WeRun day (``--utc-offset``; WeChat's is ``+08:00``).
    :param session_ttl: idle life of a session_key in seconds (``--session-ttl``; default 3 days).
    :param journal_client: journal client API calls too (``--journal-client``), so :meth:`requests` lists them.
    :param database: a database URL instead of the temporary SQLite file (e.g. ``postgres://…``; it is reset, so give
        a database of its own).
    :param args: more ``yundong serve`` flags, e.g. ``["--daily-step-cap", "50000"]``.
    :param startup_timeout: seconds to wait for the server to listen.
    :param timeout: seconds each HTTP call may take.

    The server runs ``--test-mode`` (the deployment clock can be moved and :meth:`reset` is allowed) on
    ``127.0.0.1`` with a port the kernel picks, so servers never collide. Its output is kept: :meth:`log`.
    """

    def __init__(
        self,
        binary: Optional[Union[str, "os.PathLike[str]"]] = None,
        *,
        utc_offset: str = "+08:00",
        session_ttl: Optional[int] = None,
        journal_client: bool = False,
        database: Optional[str] = None,
        args: Sequence[str] = (),
        startup_timeout: float = 30.0,
        timeout: float = 30.0,
    ) -> None:
        self._zone = _zone(utc_offset)
        self.binary: str = os.fspath(binary) if binary is not None else find_yundong_bin()
        #: The admin API's bearer token (generated, 48 hex characters). Never printed by this class.
        self.admin_token: str = secrets.token_hex(24)
        self._timeout = timeout
        self._lines: Deque[str] = collections.deque(maxlen=_LOG_LINES)
        self._lines_lock = threading.Lock()
        self._http: Optional[_Http] = None
        self._data_dir = tempfile.mkdtemp(prefix="yundong-")
        cmd = [
            self.binary,
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            self._data_dir,
            "--database",
            database or f"sqlite:{os.path.join(self._data_dir, 'yundong.sqlite')}",
            "--test-mode",
            "--utc-offset",
            utc_offset,
        ]
        if session_ttl is not None:
            cmd += ["--session-ttl", str(int(session_ttl))]
        if journal_client:
            cmd.append("--journal-client")
        cmd += [str(a) for a in args]
        # The server reads YUNDONG_* variables as its options: only ours reach it (YUNDONG_LOG sets its log level).
        env = {k: v for k, v in os.environ.items() if not k.startswith("YUNDONG_") or k == "YUNDONG_LOG"}
        env["YUNDONG_ADMIN_TOKEN"] = self.admin_token
        started = threading.Event()
        found: List[str] = []
        try:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
            )
        except OSError as e:
            shutil.rmtree(self._data_dir, ignore_errors=True)
            raise ServerStartError(f"cannot run {self.binary}: {e}") from e
        self._finalizer = weakref.finalize(self, _stop_process, self._proc, self._data_dir, None)
        self._reader = threading.Thread(
            target=_read_output,
            args=(self._proc.stdout, self._lines, self._lines_lock, started, found),
            name="yundong-output",
            daemon=True,
        )
        self._reader.start()
        if not started.wait(startup_timeout) or not found:
            if not found:  # its output ended: it is exiting
                try:
                    self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            exited = self._proc.poll()
            self._finalizer()
            self._reader.join(timeout=2)
            what = f"exited with status {exited}" if exited is not None else "did not start listening"
            raise ServerStartError(f"yundong serve {what}", self.log())
        #: The server's base URL without a trailing slash, e.g. ``http://127.0.0.1:40123``: give it to an SDK in
        #: place of ``https://api.weixin.qq.com``.
        self.url: str = found[0].rstrip("/")
        parsed = urllib.parse.urlsplit(self.url)
        self.host: str = parsed.hostname or "127.0.0.1"
        self.port: int = int(parsed.port or 80)
        self._http = _Http(self.host, self.port, timeout)
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _stop_process, self._proc, self._data_dir, self._http)
        try:
            status, body = self._http.request("GET", "/healthz")
        except OSError as e:
            self._finalizer()
            raise ServerStartError(f"yundong serve listens at {self.url} but /healthz failed: {e}", self.log()) from e
        if status != 200:
            self._finalizer()
            raise ServerStartError(f"/healthz answered HTTP {status}: {body[:200]!r}", self.log())

    # ---- the process ------------------------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        """The server process's id."""
        return self._proc.pid

    @property
    def running(self) -> bool:
        """Whether the server process is still running."""
        return self._proc.poll() is None

    def log(self) -> str:
        """What the server printed (stdout and stderr, its last 2000 lines). It never contains the admin token."""
        with self._lines_lock:
            return "\n".join(self._lines)

    def stop(self) -> None:
        """Stop the server (SIGTERM; SIGKILL after 10 s) and delete its temporary database. Safe to call twice."""
        self._finalizer()
        self._reader.join(timeout=5)

    close = stop

    def __enter__(self) -> "YundongServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<YundongServer {getattr(self, 'url', '?')} pid={self._proc.pid} {state}>"

    # ---- raw calls ----------------------------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, token: str, body: Any = None, *, raw: Optional[bytes] = None,
        content_type: str = "application/json",
    ) -> Tuple[int, Any]:
        if self._http is None or not self.running:
            raise YundongError(f"the server is not running (call on {path})\n{self.log()[-2000:]}")
        headers = {"Authorization": "Bearer " + token, "Accept": "application/json"}
        data = raw
        if data is None and body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        if data is not None:
            headers["Content-Type"] = content_type
        try:
            status, payload = self._http.request(method, path, data, headers)
        except (OSError, http.client.HTTPException) as e:
            alive = "running" if self.running else f"exited with status {self._proc.poll()}"
            raise YundongError(f"{method} {path}: {type(e).__name__}: {e} (server {alive})") from e
        if not payload:
            return status, None
        try:
            return status, json.loads(payload)
        except ValueError:
            return status, payload.decode("utf-8", "replace")

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """One admin API call (``path`` like ``/admin/v1/users?limit=5``) with the admin token: the parsed JSON
        answer. Raises :class:`AdminApiError` on an HTTP error status."""
        status, answer = self._call(method, path, self.admin_token, body)
        if status >= 400:
            raise AdminApiError(method, path, status, answer)
        return answer

    def client(self, user: UserRef, method: str, path: str, body: Any = None, *, check: bool = True) -> Any:
        """One client API call as ``user`` (``path`` like ``/client/v1/werun/settings``): the parsed answer.

        With ``check`` (the default) an HTTP error or an ``errMsg`` of ``…:fail …`` raises :class:`WxApiError`;
        without it, the answer is returned whatever it says (an HTTP error still raises)."""
        status, answer = self._call(method, path, _token(user), body)
        if status >= 400:
            raise WxApiError(path, status, answer)
        if check and isinstance(answer, dict) and ":fail" in str(answer.get("errMsg", "")):
            raise WxApiError(path, status, answer)
        return answer

    # ---- the operator's side (admin API) -----------------------------------------------------------------------

    def create_app(
        self,
        name: str = "demo",
        *,
        category: Optional[str] = None,
        werun_share: Optional[bool] = None,
        open_platform: Optional[str] = None,
        device_steps: Optional[bool] = None,
    ) -> App:
        """Register a mini program: ``{appid, secret, original_id, name, …}`` (the only time the secret is shown)."""
        body = _given(
            name=name,
            category=category,
            werun_share=werun_share,
            open_platform=open_platform,
            device_steps=device_steps,
        )
        return self.admin("POST", "/admin/v1/apps", body)  # type: ignore[no-any-return]

    def create_user(self, nickname: str = "小明") -> User:
        """Register a platform user (a WeChat user with WeRun on): ``{user_id, nickname, token}``."""
        return self.admin("POST", "/admin/v1/users", {"nickname": nickname})  # type: ignore[no-any-return]

    def add_friends(self, a: Union[Mapping[str, Any], int], b: Union[Mapping[str, Any], int]) -> Dict[str, Any]:
        """Make two users WeChat friends (users as dicts from :meth:`create_user` or user ids)."""
        ids = [int(u["user_id"]) if isinstance(u, Mapping) else int(u) for u in (a, b)]
        return self.admin("POST", "/admin/v1/friendships", {"a": ids[0], "b": ids[1]})  # type: ignore[no-any-return]

    def add_fault(
        self,
        path: str,
        *,
        appid: Optional[AppRef] = None,
        errcode: Optional[int] = None,
        errmsg: Optional[str] = None,
        http_status: Optional[int] = None,
        delay_ms: Optional[int] = None,
        drop: Optional[bool] = None,
        probability: Optional[float] = None,
        seed: Optional[int] = None,
        times: Optional[int] = None,
    ) -> Dict[str, Any]:
        """Make calls of ``path`` misbehave (``POST /admin/v1/faults``): the rule with its ``fault_id``.

        ``errcode`` defaults to -1 (system error) on the server; ``times=N`` fires on the next N matching calls only
        (default: every call until removed); ``appid`` narrows it to one app; ``delay_ms`` alone delays and then
        serves normally; ``drop=True`` closes the connection without an answer. A faulted call changes nothing, so
        a back end's retry can succeed. See docs/API.md "Faults"."""
        body = _given(
            path=path,
            appid=None if appid is None else _appid(appid),
            errcode=errcode,
            errmsg=errmsg,
            http_status=http_status,
            delay_ms=delay_ms,
            drop=drop,
            probability=probability,
            seed=seed,
            times=times,
        )
        return self.admin("POST", "/admin/v1/faults", body)  # type: ignore[no-any-return]

    def faults(self) -> List[Dict[str, Any]]:
        """The fault rules, each with ``hits``, ``remaining`` and ``matched``."""
        return self.admin("GET", "/admin/v1/faults")["faults"]  # type: ignore[no-any-return]

    def remove_fault(self, fault_id: Union[str, Mapping[str, Any]]) -> None:
        """Remove one fault rule (its ``fault_id``, or the dict :meth:`add_fault` returned)."""
        fid = fault_id["fault_id"] if isinstance(fault_id, Mapping) else fault_id
        self.admin("DELETE", "/admin/v1/faults/" + urllib.parse.quote(str(fid), safe=""))

    def clear_faults(self) -> int:
        """Remove every fault rule; the number removed."""
        return int(self.admin("DELETE", "/admin/v1/faults")["removed"])

    def requests(
        self,
        path: Optional[str] = None,
        *,
        appid: Optional[AppRef] = None,
        errcode: Optional[int] = None,
        after: Optional[int] = None,
        limit: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        """The request journal (``GET /admin/v1/requests``), oldest first: ``{id, at, method, path, appid, query,
        body, status, errcode, errmsg, rid, latency_ms, fault_id, response, detail}`` per call, secrets masked.

        Narrowed by exact ``path``, ``appid`` and ``errcode``; ``after`` gives only calls after that entry id. With
        no ``limit`` every matching entry is returned (read 1000 at a time). The WeChat-compatible API is journaled;
        client API calls only with ``journal_client=True``."""
        params: Dict[str, Any] = {}
        if path is not None:
            params["path"] = path
        if appid is not None:
            params["appid"] = _appid(appid)
        if errcode is not None:
            params["errcode"] = errcode
        cursor = int(after or 0)
        out: List[Dict[str, Any]] = []
        while True:
            page = limit if limit is not None else 1000
            query = urllib.parse.urlencode(dict(params, after=cursor, limit=page))
            got = self.admin("GET", "/admin/v1/requests?" + query)["requests"]
            out.extend(got)
            if limit is not None or len(got) < page:
                return out
            cursor = got[-1]["id"]

    def clear_requests(self) -> None:
        """Empty the request journal (every call journaled so far, this server's queued ones included)."""
        self.admin("DELETE", "/admin/v1/requests")

    def clock(self) -> Dict[str, int]:
        """The deployment's clock: ``{now, offset_seconds}`` (Unix seconds; offset from system time)."""
        return self.admin("GET", "/admin/v1/clock")  # type: ignore[no-any-return]

    def advance_clock(self, seconds: Union[int, float, _dt.timedelta]) -> Dict[str, int]:
        """Move the deployment's clock forward (codes, tokens, sessions, cloudIDs and "today" all follow):
        ``{now, offset_seconds}``."""
        if isinstance(seconds, _dt.timedelta):
            seconds = seconds.total_seconds()
        return self.admin("POST", "/admin/v1/clock/advance", {"seconds": int(seconds)})  # type: ignore[no-any-return]

    def set_clock(self, at: Union[_dt.datetime, str]) -> Dict[str, int]:
        """Move the deployment's clock forward to ``at`` (an aware datetime or RFC 3339 text): ``{now,
        offset_seconds}``. A time before the deployment's now is refused (:class:`AdminApiError`)."""
        if isinstance(at, _dt.datetime):
            if at.tzinfo is None:
                raise ValueError("set_clock needs an aware datetime (with tzinfo)")
            at = at.isoformat()
        return self.admin("POST", "/admin/v1/clock/set", {"at": at})  # type: ignore[no-any-return]

    def apply_scenario(self, scenario: Union[str, bytes, "os.PathLike[str]", Mapping[str, Any]]) -> Dict[str, Any]:
        """Apply a scenario (docs/API.md "Scenario files"): a file path (``str`` or ``PathLike``), the YAML/JSON text
        itself (a ``str`` with a line break, or ``bytes``), or a dict. All of it or nothing; idempotent. Returns
        ``{apps: [{appid, created, secret?}], users: [{key, user_id, created, token?}], check_ins_added}``."""
        if isinstance(scenario, Mapping):
            raw = json.dumps(scenario, ensure_ascii=False).encode("utf-8")
        elif isinstance(scenario, bytes):
            raw = scenario
        elif isinstance(scenario, str) and "\n" in scenario:
            raw = scenario.encode("utf-8")
        else:
            with open(os.fspath(scenario), "rb") as f:
                raw = f.read()
        status, answer = self._call(
            "POST", "/admin/v1/scenario", self.admin_token, raw=raw, content_type="application/yaml"
        )
        if status >= 400:
            raise AdminApiError("POST", "/admin/v1/scenario", status, answer)
        return answer  # type: ignore[no-any-return]

    def export_scenario(self) -> Dict[str, Any]:
        """The current state as a scenario dict (never a secret or token; ``GET /admin/v1/scenario``)."""
        return self.admin("GET", "/admin/v1/scenario")  # type: ignore[no-any-return]

    def reset(self, *, keep_apps: bool = False) -> Dict[str, Any]:
        """Empty the deployment: users and all they did, sessions, codes, the journal, fault rules, and the apps
        unless ``keep_apps``; the clock goes back to system time and ids start again from 1. Returns
        ``{apps_removed, users_removed, kept_apps, now, offset_seconds}``."""
        return self.admin("POST", "/admin/v1/reset", {"keep": "apps"} if keep_apps else {})  # type: ignore

    # ---- the phone's side (client API) -------------------------------------------------------------------------

    def day(self, days_ago: int = 0) -> _dt.date:
        """The local date (in ``utc_offset``'s zone) ``days_ago`` days before today on the deployment's clock."""
        now = self.clock()["now"]
        return _dt.datetime.fromtimestamp(now, self._zone).date() - _dt.timedelta(days=days_ago)

    def set_steps(
        self, user: UserRef, steps: int, *, days_ago: int = 0, date: Optional[Union[_dt.date, str]] = None
    ) -> Dict[str, Any]:
        """The phone's step count for a day: today, ``days_ago`` days back (0–30), or ``date``. Sets the phone's
        absolute total for that day (not an increment). Returns ``{date, timestamp, step, total}``."""
        body: Dict[str, Any] = {"steps": int(steps)}
        if date is not None:
            body["date"] = date.isoformat() if isinstance(date, _dt.date) else str(date)
        elif days_ago:
            body["date"] = self.day(days_ago).isoformat()
        return self.client(user, "POST", "/client/v1/steps", body)  # type: ignore[no-any-return]

    def login(self, user: UserRef, app: AppRef) -> str:
        """``wx.login`` in ``app`` on ``user``'s phone: a fresh code for the back end's jscode2session (5 minutes,
        single use)."""
        return str(self.client(user, "POST", "/client/v1/wx/login", {"appid": _appid(app)})["code"])

    def authorize(
        self, user: UserRef, app: AppRef, scope: str = "scope.werun", *, allow: bool = True, check: bool = True
    ) -> Dict[str, Any]:
        """The user's answer to ``wx.authorize``'s dialog for ``scope`` (a denied scope is not asked again)."""
        body = {"appid": _appid(app), "scope": scope, "allow": allow}
        return self.client(user, "POST", "/client/v1/wx/authorize", body, check=check)  # type: ignore

    def get_werun_data(
        self, user: UserRef, app: AppRef, *, allow: Optional[bool] = True, check: bool = True
    ) -> Dict[str, Any]:
        """``wx.getWeRunData`` in ``app``: ``{errMsg, encryptedData, iv, cloudID}``, encrypted with the session_key
        of the user's latest jscode2session (so :meth:`login` and the back end's exchange come first).

        An undecided ``scope.werun`` is granted (``allow=False`` denies it, ``allow=None`` leaves the dialog
        unanswered). A ``…:fail …`` answer (``need login``, ``auth deny``) raises :class:`WxApiError` unless
        ``check=False``, which returns it."""
        body: Dict[str, Any] = {"appid": _appid(app)}
        if allow is not None:
            body["allow"] = allow
        return self.client(user, "POST", "/client/v1/wx/getWeRunData", body, check=check)  # type: ignore

    def werun_settings(
        self, user: UserRef, *, werun: Optional[bool] = None, join_ranking: Optional[bool] = None
    ) -> Dict[str, Any]:
        """The user's WeRun switches; with arguments, changes them first. ``{werun, join_ranking}``."""
        body = {k: v for k, v in (("werun", werun), ("join_ranking", join_ranking)) if v is not None}
        if body:
            answer = self.client(user, "POST", "/client/v1/werun/settings", body)
        else:
            answer = self.client(user, "GET", "/client/v1/werun/settings")
        return {"werun": answer["werun"], "join_ranking": answer["join_ranking"]}

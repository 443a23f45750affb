"""wechatpy (1.8.18 or 2.0.0a26, whichever the running venv holds), unmodified, against a yundong server.

Pointed at the server as conformance/README.md describes (the row "Pointed at the server by"): a subclass
overriding API_BASE_URL, the wxa base URL and fetch_access_token, and (second flow) the plain WeChatClient with a
requests transport adapter that rewrites https://api.weixin.qq.com/ to the server.

Run by conformance/run.sh, which sets YUNDONG_BASE and YUNDONG_ADMIN_TOKEN. Exits 1 if any check fails.
"""

import base64
import hashlib
import hmac
import json
import re
import sys
import time
import traceback

import wechatpy
from requests.adapters import HTTPAdapter
from wechatpy import WeChatClient
from wechatpy.crypto import WeChatWxaCrypto
from wechatpy.exceptions import APILimitedException, InvalidAppIdException, WeChatClientException

import ydharness as yd

try:
    from importlib.metadata import version as _dist_version

    VERSION = _dist_version("wechatpy")
except Exception:  # pragma: no cover
    VERSION = wechatpy.__version__
NAME = f"wechatpy {VERSION}"
BASE = yd.BASE


class LocalWeChatClient(WeChatClient):
    """The subclass: every cgi-bin call, the wxa/sns base and the (hard-coded upstream) token URL."""

    API_BASE_URL = BASE + "cgi-bin/"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.wxa.API_BASE_URL = BASE

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=BASE + "cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class RefuseOutside(HTTPAdapter):
    """Any other https URL fails at once instead of trying the network."""

    def send(self, request, **kwargs):
        raise AssertionError(f"request left the server: {request.method} {request.url}")


class RewriteToLocal(HTTPAdapter):
    """The transport-level alternative: catches any hard-coded api.weixin.qq.com URL."""

    def send(self, request, **kwargs):
        request.url = request.url.replace("https://api.weixin.qq.com/", BASE, 1)
        return super().send(request, **kwargs)


def signature(session_key):
    """/wxa/checksession's signature: hex(HMAC-SHA256(key = the session_key text, message = ""))."""
    return hmac.new(session_key.encode(), b"", hashlib.sha256).hexdigest()


def expect_errcode(code, fn, *args):
    """fn(*args) must raise the client's WeChatClientException carrying errcode `code` as an int."""
    try:
        got = fn(*args)
    except WeChatClientException as e:
        assert type(e.errcode) is int, f"errcode {e.errcode!r} is {type(e.errcode).__name__}, not int"
        assert e.errcode == code, f"expected errcode {code}, got {e.errcode} ({e.errmsg})"
        return e
    raise AssertionError(f"expected WeChatClientException {code}, call returned {got!r}")


results = []


def check(name):
    def run(fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - every failure is reported, the run goes on
            results.append((name, False))
            print(f"not ok - {NAME}: {name}: {type(e).__name__}: {e}", flush=True)
            traceback.print_exc(limit=3, file=sys.stdout)
        else:
            results.append((name, True))
            print(f"ok - {NAME}: {name}", flush=True)
        return fn

    return run


STARTED = time.time()
app = yd.create_app(f"conformance {NAME}")
APPID, SECRET = app["appid"], app["secret"]
user = yd.create_user(f"wechatpy {VERSION}")
expected = yd.seed_steps(user)
client = LocalWeChatClient(APPID, SECRET)
state = {}


@check("access token (GET /cgi-bin/token, subclass with fetch_access_token override)")
def _():
    token = client.access_token
    assert isinstance(token, str) and len(token) >= 16, token
    assert client.expires_at is not None and 7000 < client.expires_at - time.time() <= 7201, client.expires_at
    assert client.access_token == token, "a cached token must be reused"
    state["token"] = token


@check("code2session with a fresh wx.login code (wechatpy adds access_token to jscode2session)")
def _():
    code = yd.wx_login(user, APPID)
    sess = client.wxa.code_to_session(code)
    assert sess["openid"] and len(sess["openid"]) == 28, sess
    assert len(sess["session_key"]) == 24 and sess["session_key"].endswith("=="), sess
    assert "unionid" not in sess, "an app without an open platform has no unionid"
    state.update(code=code, sess=sess)


@check("getWeRunData decrypted by WeChatWxaCrypto: 31 days, ascending, last = today UTC+8, our steps, watermark")
def _():
    sess = state["sess"]
    payload = yd.get_werun_data(user, APPID)
    data = WeChatWxaCrypto(sess["session_key"], payload["iv"], APPID).decrypt_message(payload["encryptedData"])
    yd.check_werun(data, APPID, expected, STARTED)
    state.update(payload=payload, data=data)


@check("watermark appid mismatch raises InvalidAppIdException")
def _():
    sess, payload = state["sess"], state["payload"]
    try:
        WeChatWxaCrypto(sess["session_key"], payload["iv"], "wx0000000000000000").decrypt_message(
            payload["encryptedData"]
        )
    except InvalidAppIdException:
        return
    raise AssertionError("decrypt_message accepted another app's payload")


RID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}")


def caught(fn, *args):
    """The WeChatClientException fn(*args) raises."""
    try:
        got = fn(*args)
    except WeChatClientException as e:
        return e
    raise AssertionError(f"expected WeChatClientException, call returned {got!r}")


@check("reused code -> WeChatClientException errcode 40163, errmsg `code been used, rid: …`")
def _():
    expect_errcode(40163, client.wxa.code_to_session, state["code"])
    e = caught(client.wxa.code_to_session, state["code"])
    text, _, rid = e.errmsg.partition(", rid: ")
    assert text == "code been used" and RID.fullmatch(rid), e.errmsg
    state["used_rid"] = rid


@check("rid/get (client.post on cgi-bin/openapi/rid/get) answers the failed call, secret and js_code masked")
def _():
    res = client.post(BASE + "cgi-bin/openapi/rid/get", data={"rid": state["used_rid"]})
    req = res["request"]
    pairs = dict(p.split("=", 1) for p in req["request_url"].split("&"))
    assert pairs.get("secret") == "***" and pairs.get("js_code") == "***", req
    assert SECRET not in json.dumps(res) and state["code"] not in json.dumps(res), req
    assert json.loads(req["response_body"])["errcode"] == 40163, req
    e = caught(lambda: client.post(BASE + "cgi-bin/openapi/rid/get", data={"rid": "00000000-00000000-00000000"}))
    assert e.errcode == 76001 and e.errmsg.startswith("rid not found, please check rid: "), e.errmsg


@check("parameters in a POST body to sns/jscode2session are not read: 41002 appid missing")
def _():
    body = {"appid": APPID, "secret": SECRET, "js_code": "x", "grant_type": "authorization_code"}
    e = caught(lambda: client.post(BASE + "sns/jscode2session", data=body))
    assert e.errcode == 41002 and e.errmsg.startswith("appid missing, rid: "), e.errmsg


@check("quota/get and clear_quota through client.post: counted, cleared")
def _():
    q = client.post(BASE + "cgi-bin/openapi/quota/get", data={"cgi_path": "/cgi-bin/token"})
    assert q["quota"]["daily_limit"] == 2000 and q["quota"]["used"] >= 1, q
    assert client.post(BASE + "cgi-bin/clear_quota", data={"appid": APPID}) == {"errcode": 0, "errmsg": "ok"}
    q = client.post(BASE + "cgi-bin/openapi/quota/get", data={"cgi_path": "/cgi-bin/token"})
    assert q["quota"]["used"] == 0, q


@check("bogus code -> WeChatClientException errcode 40029")
def _():
    expect_errcode(40029, client.wxa.code_to_session, "not-a-real-code-0123456789")


@check("wrong secret -> WeChatClientException errcode 40125 (raised at the token step)")
def _():
    bad = LocalWeChatClient(APPID, "0" * 32)
    expect_errcode(40125, bad.wxa.code_to_session, yd.wx_login(user, APPID))
    e = caught(bad.fetch_access_token)
    assert e.errmsg.startswith("invalid appsecret rid: "), f"cgi-bin errmsgs carry no comma: {e.errmsg}"


@check("checksession with the HMAC signature (no wechatpy method: client.get on /wxa/checksession)")
def _():
    sess = state["sess"]
    params = {"openid": sess["openid"], "signature": signature(sess["session_key"]), "sig_method": "hmac_sha256"}
    res = client.get(BASE + "wxa/checksession", params=params)
    assert res.get("errcode") == 0, res
    raw = dict(params, signature=hmac.new(base64.b64decode(sess["session_key"]), b"", hashlib.sha256).hexdigest())
    params["signature"] = signature("AAAAAAAAAAAAAAAAAAAAAA==")
    try:
        client.get(BASE + "wxa/checksession", params=params)
    except WeChatClientException as e:
        assert e.errcode == 87009 and type(e.errcode) is int, (e.errcode, e.errmsg)
    else:
        raise AssertionError("a wrong signature passed checksession")
    # Keyed with the 16 decoded bytes instead of the base64 text: 87009, as WeChat answers it.
    e = caught(lambda: client.get(BASE + "wxa/checksession", params=raw))
    assert e.errcode == 87009 and e.errmsg.startswith("invalid signature rid: "), e.errmsg


@check("getopendata with the cloudID returns the same WeRun data (client.post on /wxa/getopendata)")
def _():
    payload, data = state["payload"], state["data"]
    res = client.post(BASE + "wxa/getopendata", data={"cloudid_list": [payload["cloudID"], "bogus_cloud_id"]})
    assert res.get("errcode", 0) == 0, res
    items = res["data_list"]
    assert len(items) == 2, res
    first = json.loads(items[0]["json"])
    assert first["cloudID"] == payload["cloudID"], first
    assert first["data"] == data, "getopendata data differs from the decrypted encryptedData"
    second = json.loads(items[1]["json"])
    assert second.get("errCode") == -601007, second


@check("a new code2session rotates session_key: old key fails checksession (87009), decrypt uses the new one")
def _():
    old = state["sess"]
    new = client.wxa.code_to_session(yd.wx_login(user, APPID))
    assert new["openid"] == old["openid"] and new["session_key"] != old["session_key"], (old, new)
    stale = {"openid": old["openid"], "signature": signature(old["session_key"]), "sig_method": "hmac_sha256"}
    try:
        client.get(BASE + "wxa/checksession", params=stale)
    except WeChatClientException as e:
        assert e.errcode == 87009, (e.errcode, e.errmsg)
    else:
        raise AssertionError("the superseded session_key still passes checksession")
    payload = yd.get_werun_data(user, APPID)
    data = WeChatWxaCrypto(new["session_key"], payload["iv"], APPID).decrypt_message(payload["encryptedData"])
    yd.check_werun(data, APPID, expected, STARTED)


@check("transport adapter on a plain WeChatClient: token + code2session + decrypt, nothing leaves loopback")
def _():
    plain = WeChatClient(APPID, SECRET)
    plain._http.mount("https://", RefuseOutside())
    plain._http.mount("https://api.weixin.qq.com/", RewriteToLocal())  # longest prefix wins in requests
    u = yd.create_user(f"wechatpy {VERSION} adapter")
    exp = yd.seed_steps(u)
    sess = plain.wxa.code_to_session(yd.wx_login(u, APPID))
    assert plain.access_token, "token fetched through the adapter"
    payload = yd.get_werun_data(u, APPID)
    data = WeChatWxaCrypto(sess["session_key"], payload["iv"], APPID).decrypt_message(payload["encryptedData"])
    yd.check_werun(data, APPID, exp, STARTED)


@check("fault -1 on jscode2session: WeChatClientException -1, and the retry with the same code succeeds")
def _():
    rule = yd.add_fault({"path": "/sns/jscode2session", "appid": APPID, "errcode": -1, "times": 1})
    code = yd.wx_login(user, APPID)
    e = expect_errcode(-1, client.wxa.code_to_session, code)
    assert "system error" in str(e.errmsg), e.errmsg
    sess = client.wxa.code_to_session(code)
    assert sess["session_key"], "the faulted call did not use up the code"
    faulted = yd.requests_since(0, path="/sns/jscode2session", errcode=-1)
    assert [c["fault_id"] for c in faulted][-1] == rule["fault_id"], faulted


@check("fault 45009 on jscode2session: wechatpy raises APILimitedException carrying 45009")
def _():
    yd.add_fault({"path": "/sns/jscode2session", "appid": APPID, "errcode": 45009, "times": 1})
    code = yd.wx_login(user, APPID)
    try:
        client.wxa.code_to_session(code)
    except APILimitedException as e:
        assert e.errcode == 45009, (e.errcode, e.errmsg)
    else:
        raise AssertionError("no APILimitedException")
    assert client.wxa.code_to_session(code)["openid"]


@check("fault 40001 on a call with access_token: wechatpy fetches a new token and retries, and succeeds")
def _():
    old = client.access_token
    since = yd.last_request_id()
    rule = yd.add_fault({"path": "/sns/jscode2session", "appid": APPID, "errcode": 40001, "times": 1})
    code = yd.wx_login(user, APPID)
    sess = client.wxa.code_to_session(code)
    assert sess["session_key"], sess
    calls = [(c["path"], c["errcode"], c["fault_id"]) for c in yd.requests_since(since)
             if c["path"] in ("/sns/jscode2session", "/cgi-bin/token")]
    assert calls == [
        ("/sns/jscode2session", 40001, rule["fault_id"]),
        ("/cgi-bin/token", None, None),
        ("/sns/jscode2session", None, None),
    ], calls
    assert client.access_token != old, "the refreshed token is in use"


passed = sum(ok for _, ok in results)
failed = len(results) - passed
print(f"{NAME}: {passed} passed, {failed} failed", flush=True)
sys.exit(1 if failed else 0)

"""Generate N real getWeRunData payloads from a running yundong server, for N distinct users and sessions.

    python3 gen_payloads.py --count 200 --out payloads.json

Environment: YUNDONG_BASE, YUNDONG_ADMIN_TOKEN (set by conformance/lib/server.sh's yd_start).

Each payload is what a mini-program back end holds after the real flow: the user uploads steps on a few random days
of the 31-day window, calls wx.login, the back end exchanges the code at /sns/jscode2session (creating the session_key),
then the user calls wx.getWeRunData. Output: [{"session_key", "iv", "encryptedData", "appid"}, ...].
Stdlib only, one keep-alive connection.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import random
import sys
import urllib.parse

BASE = urllib.parse.urlsplit(os.environ["YUNDONG_BASE"])
ADMIN = os.environ["YUNDONG_ADMIN_TOKEN"]
CN = dt.timezone(dt.timedelta(hours=8))


class Conn:
    def __init__(self):
        self.c = http.client.HTTPConnection(BASE.hostname, BASE.port, timeout=10)

    def call(self, method, path, token=None, body=None, query=None):
        if query:
            path += "?" + urllib.parse.urlencode(query)
        headers = {}
        if token:
            headers["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.c.request(method, path, body=data, headers=headers)
        res = self.c.getresponse()
        out = json.loads(res.read())
        if res.status >= 300:
            raise SystemExit(f"{method} {path}: HTTP {res.status} {out}")
        return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    c = Conn()
    app = c.call("POST", "/admin/v1/apps", ADMIN, {"name": "decrypt bench"})
    appid, secret = app["appid"], app["secret"]
    today = dt.datetime.now(CN).date()
    payloads = []
    for i in range(args.count):
        user = c.call("POST", "/admin/v1/users", ADMIN, {"nickname": f"bench user {i}"})
        tok = user["token"]
        for back in sorted(rng.sample(range(31), rng.randint(3, 31))):
            day = (today - dt.timedelta(days=back)).isoformat()
            res = c.call("POST", "/client/v1/steps", tok, {"steps": rng.randint(0, 30000), "date": day})
            assert res["errMsg"] == "steps:ok", res
        login = c.call("POST", "/client/v1/wx/login", tok, {"appid": appid})
        assert login["errMsg"] == "login:ok", login
        sess = c.call(
            "GET",
            "/sns/jscode2session",
            query={"appid": appid, "secret": secret, "js_code": login["code"], "grant_type": "authorization_code"},
        )
        assert "session_key" in sess, sess
        wr = c.call("POST", "/client/v1/wx/getWeRunData", tok, {"appid": appid, "allow": True})
        assert wr["errMsg"] == "getWeRunData:ok", wr
        payloads.append(
            {"session_key": sess["session_key"], "iv": wr["iv"], "encryptedData": wr["encryptedData"], "appid": appid}
        )
    with open(args.out, "w") as f:
        json.dump(payloads, f)
    sizes = sorted(len(p["encryptedData"]) for p in payloads)
    print(
        f"gen_payloads: {len(payloads)} payloads, {len({p['session_key'] for p in payloads})} distinct session_keys, "
        f"encryptedData {sizes[0]}..{sizes[-1]} base64 chars -> {args.out}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()

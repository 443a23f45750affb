"""Seed a fresh yundong server for schemathesis, and write the run's schemathesis.toml.

    python hostile/seed.py BASE_URL ADMIN_TOKEN STATIC_CONFIG OUT_DIR

Creates through the public APIs only (admin, client, WeChat): two apps of one open platform (the first may use
shareToWeRun), three users who are friends, a session (wx.login + jscode2session), an access token, steps, a
check-in, a cloudID, a direct chat and a group with a card that yields a shareTicket, and a temp file. Then
writes OUT_DIR/schemathesis.toml: STATIC_CONFIG followed by one `[dictionaries.*]` table per kind of value, so that
schemathesis draws real identifiers (an access_token, an openid, a conversation id, …) for a share of its cases and
reaches the deep code paths behind the credential and existence checks, while the other cases stay generated.

Also writes OUT_DIR/seed.json ({"base", "user_token", "appid"}) for hostile/hooks.py, and prints the user's bearer
token on stdout (the caller exports it for `[auth.openapi.user]`).
"""

import hashlib
import hmac
import json
import sys
import time

import requests

BASE, ADMIN, STATIC, OUT = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]
S = requests.Session()
TIMEOUT = 15

# The smallest valid PNG: 1×1, one grey pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55"
    "0000000a4944415408d763f80f00000101000518d84e0000000049454e44ae426082"
)


def call(method, path, *, token=None, expect=(200, 201), **kw):
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    r = S.request(method, BASE + path, headers=headers, timeout=TIMEOUT, **kw)
    if r.status_code not in expect:
        sys.exit(f"seed: {method} {path} answered {r.status_code}: {r.text[:300]}")
    body = r.json()
    if isinstance(body, dict):
        failed = body.get("errcode") not in (None, 0) or ":fail" in str(body.get("errMsg", ""))
        if failed:
            sys.exit(f"seed: {method} {path} failed: {r.text[:300]}")
    return body


def admin(path, body):
    return call("POST", path, token=ADMIN, json=body)


fit = admin(
    "/admin/v1/apps",
    {"name": "hostile fitness", "category": "体育-在线健身", "werun_share": True, "open_platform": "hostile_op"},
)
other = admin("/admin/v1/apps", {"name": "hostile other", "open_platform": "hostile_op"})
users = [admin("/admin/v1/users", {"nickname": n}) for n in ("甲", "乙", "丙")]
me, bob, carol = users
for friend in (bob, carol):
    admin("/admin/v1/friendships", {"a": me["user_id"], "b": friend["user_id"]})
direct = admin("/admin/v1/conversations", {"members": [me["user_id"], bob["user_id"]]})
group = admin("/admin/v1/groups", {"name": "跑团", "members": [u["user_id"] for u in users]})

U = me["token"]
# Credential resets and app settings act on these, never on the users and apps the other cases rely on: a reset of
# the seeded user's token would turn every later client case into a 401.
spare_user = admin("/admin/v1/users", {"nickname": "戊"})
spare_app = admin("/admin/v1/apps", {"name": "hostile spare", "device_steps": True})
APPID = fit["appid"]


def login(appid):
    return call("POST", "/client/v1/wx/login", token=U, json={"appid": appid})["code"]


session = call(
    "GET",
    "/sns/jscode2session",
    params={"appid": APPID, "secret": fit["secret"], "js_code": login(APPID), "grant_type": "authorization_code"},
)
spare_codes = [login(APPID) for _ in range(3)] + [login(other["appid"])]
token = call(
    "GET", "/cgi-bin/token", params={"grant_type": "client_credential", "appid": APPID, "secret": fit["secret"]}
)["access_token"]
# The checksession signature: hex HMAC-SHA256 over "", keyed with the session_key's base64 text.
signature = hmac.new(session["session_key"].encode(), b"", hashlib.sha256).hexdigest()

for u in users:
    call("POST", "/client/v1/steps", token=u["token"], json={"steps": 8000 + u["user_id"]})
call("POST", "/client/v1/wx/authorize", token=U, json={"appid": APPID, "scope": "scope.werun", "allow": True})
werun = call("POST", "/client/v1/wx/getWeRunData", token=U, json={"appid": APPID})
call(
    "POST",
    "/client/v1/wx/shareToWeRun",
    token=U,
    json={"appid": APPID, "recordList": [{"typeId": 3001, "distance": 5000}], "confirm": True},
)
upload = call("POST", "/client/v1/files", token=U, data=PNG, headers={"Content-Type": "image/png"})
image = upload["tempFilePath"]
card = {
    "appid": APPID,
    "userName": fit["original_id"],
    "path": "pages/index?from=card",
    "title": "一起跑",
    "imagePath": image,
    "webpageUrl": "https://example.com/",
    "withShareTicket": True,
    "miniprogramType": 0,
    "scene": 0,
}
group_card = call(
    "POST",
    "/client/v1/wx/shareMiniProgramMessage",
    token=U,
    json={**card, "conversation_id": group["conversation_id"]},
)
direct_card = call(
    "POST",
    "/client/v1/wx/shareMiniProgramMessage",
    token=U,
    json={**card, "conversation_id": direct["conversation_id"]},
)
opened = call("POST", "/client/v1/share/open", token=U, json={"message_id": group_card["message_id"]})
day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))

ids = [me["user_id"], bob["user_id"], carol["user_id"]]
dictionaries = {
    "access_token": [token],
    "openid": [session["openid"]],
    "appid": [APPID, other["appid"]],
    "secret": [fit["secret"], other["secret"]],
    "js_code": spare_codes,
    "signature": [signature],
    "sig_method": ["hmac_sha256"],
    "grant_type": ["client_credential", "authorization_code"],
    "timestamp": [int(time.time()) - 60],
    "step": [1, 12345, 98800],
    "cloud_id": [werun["cloudID"]],
    "user_id": ids,
    "spare_user_id": [spare_user["user_id"]],
    "spare_appid": [spare_app["appid"]],
    "conversation_id": [direct["conversation_id"], group["conversation_id"]],
    "message_id": [group_card["message_id"], direct_card["message_id"]],
    "share_ticket": [opened["shareTicket"]],
    "image_path": [image],
    "file_name": [image.removeprefix("wxfile://")],
    "original_id": [fit["original_id"], other["original_id"]],
    "url": ["https://example.com/"],
    "scope": ["scope.werun", "scope.userInfo"],
    "date": [day],
    "type_id": [1001, 3001, 4001],
    "nickname": ["丁"],
    "name": ["hostile"],
    "category": ["体育-在线健身"],
}
with open(STATIC, encoding="utf-8") as f:
    static = f.read()
with open(f"{OUT}/seed.json", "w", encoding="utf-8") as f:
    json.dump(
        {
            "base": BASE,
            "user_token": U,
            "appid": APPID,
            "seeded_user_ids": ids,
            "spare_user_id": spare_user["user_id"],
        },
        f,
    )
with open(f"{OUT}/schemathesis.toml", "w", encoding="utf-8") as f:
    f.write(static)
    f.write("\n# ---- generated by hostile/seed.py for this run ----\n")
    for name, values in dictionaries.items():
        f.write(f"\n[dictionaries.{name}]\nvalues = {json.dumps(values, ensure_ascii=False)}\n")
print(U)

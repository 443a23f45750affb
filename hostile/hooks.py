"""schemathesis hooks of hostile/schemathesis.sh: keep the seeded user in a state where deep code paths stay reachable.

Generated cases may switch the user's WeRun off (`POST /client/v1/werun/settings`) or deny `scope.werun`
(`wx/authorize`, `wx/openSetting`); every later ranking, like, detail and getWeRunData case would then stop at
`fail werun off` / `fail device not support` / `fail auth deny`. After each such call this puts the switches back,
through the same public API, so that the cases after it test more than that one refusal.
"""

import json
import os

import requests
import schemathesis

with open(os.environ["YD_SEED"], encoding="utf-8") as f:
    SEED = json.load(f)
AUTH = {"Authorization": f"Bearer {SEED['user_token']}"}


def restore(path, body):
    requests.post(SEED["base"] + path, json=body, headers=AUTH, timeout=10)


@schemathesis.hook
def after_call(context, case, response):
    if case.method.upper() != "POST":
        return
    if case.path == "/client/v1/werun/settings":
        restore("/client/v1/werun/settings", {"werun": True, "join_ranking": True})
    elif case.path in ("/client/v1/wx/authorize", "/client/v1/wx/openSetting"):
        restore("/client/v1/wx/openSetting", {"appid": SEED["appid"], "authSetting": {"scope.werun": True}})

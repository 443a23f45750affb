"""schemathesis hooks of hostile/schemathesis.sh: keep the seeded user in a state where deep code paths stay reachable.

A generated reset of a seeded user's token is redirected to a spare user (before_call).

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
def before_call(context, case, kwargs):
    """A generated token reset of a seeded user (its id is a small integer, easily drawn) goes to the spare user
    instead: the seeded user's token must keep working for every later client case."""
    if case.path == "/admin/v1/users/{user_id}/token" and case.path_parameters:
        # Generated as a number or as text ("1"): either names the user.
        if str(case.path_parameters.get("user_id")) in {str(i) for i in SEED["seeded_user_ids"]}:
            case.path_parameters["user_id"] = SEED["spare_user_id"]


@schemathesis.hook
def after_call(context, case, response):
    if case.method.upper() != "POST":
        return
    if case.path == "/client/v1/werun/settings":
        restore("/client/v1/werun/settings", {"werun": True, "join_ranking": True})
    elif case.path in ("/client/v1/wx/authorize", "/client/v1/wx/openSetting"):
        restore("/client/v1/wx/openSetting", {"appid": SEED["appid"], "authSetting": {"scope.werun": True}})

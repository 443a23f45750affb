"""Helpers for the package's own tests. The `yundong` fixture itself comes from the installed plugin (entry point),
so these tests also prove that `pip install` registers it."""

from __future__ import annotations

import base64
import json
import pathlib
import urllib.parse
import urllib.request
from typing import Any, Dict

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

REPO = pathlib.Path(__file__).resolve().parents[2]


def wechat_get(base: str, path: str, **params: Any) -> Dict[str, Any]:
    """A back end's GET on the WeChat-compatible API (what an SDK does), with plain urllib."""
    url = f"{base}{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=10) as res:
        return json.loads(res.read())  # type: ignore[no-any-return]


def code2session(base: str, app: Dict[str, Any], code: str) -> Dict[str, Any]:
    return wechat_get(
        base,
        "/sns/jscode2session",
        appid=app["appid"],
        secret=app["secret"],
        js_code=code,
        grant_type="authorization_code",
    )


def decrypt(session_key: str, iv: str, encrypted: str) -> Dict[str, Any]:
    """WeChat's open-data decryption (AES-128-CBC, PKCS#7), done with `cryptography`, not with yundong."""
    decryptor = Cipher(algorithms.AES(base64.b64decode(session_key)), modes.CBC(base64.b64decode(iv))).decryptor()
    padded = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return json.loads(unpadder.update(padded) + unpadder.finalize())  # type: ignore[no-any-return]


@pytest.fixture
def repo() -> pathlib.Path:
    return REPO

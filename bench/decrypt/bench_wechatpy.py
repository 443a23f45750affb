"""wechatpy's decrypt on the shared payload file: WeChatWxaCrypto(session_key, iv, appid).decrypt_message(data).

    python bench_wechatpy.py payloads.json [--seconds 3]

One call = what a back end does per payload with wechatpy: base64-decode key and iv, build the cipher, AES-128-CBC
decrypt, PKCS#7 strip, json.loads, watermark.appid check. Every payload is verified once (31 entries, appid) before
timing. Single-threaded. Prints `payloads_per_sec=<N>` last.
"""

import argparse
import json
import sys
import time

from wechatpy.crypto import WeChatWxaCrypto


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    with open(args.file) as f:
        payloads = [(p["session_key"], p["iv"], p["encryptedData"], p["appid"]) for p in json.load(f)]
    assert payloads, "no payloads"

    for key, iv, data, appid in payloads:  # correctness, and warm-up
        out = WeChatWxaCrypto(key, iv, appid).decrypt_message(data)
        assert len(out["stepInfoList"]) == 31 and out["watermark"]["appid"] == appid, out

    n = 0
    start = time.perf_counter()
    deadline = start + args.seconds
    while True:
        for key, iv, data, appid in payloads:
            WeChatWxaCrypto(key, iv, appid).decrypt_message(data)
        n += len(payloads)
        now = time.perf_counter()
        if now >= deadline:
            break
    rate = n / (now - start)
    print(f"decrypted={n} seconds={now - start:.3f}", file=sys.stderr)
    print(f"payloads_per_sec={rate:.0f}")


if __name__ == "__main__":
    main()

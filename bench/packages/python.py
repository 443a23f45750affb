"""How fast the Python package gives a test its server, and a clean one per test.

    .venv/packages/bin/python bench/packages/python.py [--runs 20] [--resets 200]

(scripts/test-python.sh makes .venv/packages with the wheel installed; YUNDONG_BIN may point at another binary.)

Measures, on this machine:
  start   time from `YundongServer()` being called to the first answered request of the test (an admin call that
          creates an app), median and max over --runs fresh servers; the same split into "constructor returned"
          (the server listens and /healthz answered) and the first call.
  reset   the per-test cost of the pytest fixture `yundong`, i.e. `yundong_server.reset()` on a deployment that a
          test has used (an app, a user with steps, a login and its jscode2session, a fault rule, a moved clock),
          median, p95 and max over --resets tests; plus a reset of an already empty deployment.
Prints a small Markdown table (docs/BENCHMARKS.md's form).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request

from yundong import find_yundong_bin
from yundong.testing import YundongServer


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def dirty(yd: YundongServer) -> None:
    """What a typical test leaves behind."""
    app = yd.create_app("bench")
    user = yd.create_user("小明")
    yd.set_steps(user, 8000)
    code = yd.login(user, app)
    q = f"appid={app['appid']}&secret={app['secret']}&js_code={code}&grant_type=authorization_code"
    with urllib.request.urlopen(f"{yd.url}/sns/jscode2session?{q}", timeout=10) as res:
        json.loads(res.read())
    yd.add_fault("/cgi-bin/token", times=1)
    yd.advance_clock(3600)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--resets", type=int, default=200)
    args = ap.parse_args()
    binary = find_yundong_bin()
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout.strip()

    # Warm the page cache for the binary once (the first exec of a fresh build reads it from disk).
    YundongServer().stop()

    first_answer: list[float] = []
    constructed: list[float] = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        yd = YundongServer()
        t1 = time.perf_counter()
        yd.create_app("first")
        t2 = time.perf_counter()
        yd.stop()
        constructed.append(t1 - t0)
        first_answer.append(t2 - t0)

    with YundongServer() as yd:
        used: list[float] = []
        for _ in range(args.resets):
            dirty(yd)
            t0 = time.perf_counter()
            yd.reset()
            used.append(time.perf_counter() - t0)
        empty: list[float] = []
        for _ in range(args.resets):
            t0 = time.perf_counter()
            yd.reset()
            empty.append(time.perf_counter() - t0)

    cpu = platform.processor() or platform.machine()
    print(f"{version}, {binary}")
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores ({cpu}), load {os.getloadavg()[0]:.2f}")
    print()
    print("| measurement | runs | median | p95 | max | target |")
    print("|---|---|---|---|---|---|")
    rows = [
        ("`YundongServer()` → first answered request (create_app)", first_answer, "≤ 0.5 s"),
        ("`YundongServer()` returns (listening, /healthz answered)", constructed, ""),
        ("per-test reset (fixture `yundong`) after a typical test", used, "≤ 50 ms"),
        ("per-test reset of an empty deployment", empty, ""),
    ]
    for name, values, target in rows:
        print(
            f"| {name} | {len(values)} | {ms(statistics.median(values))} | {ms(pct(values, 0.95))} "
            f"| {ms(max(values))} | {target} |"
        )
    ok = statistics.median(first_answer) <= 0.5 and statistics.median(used) <= 0.05
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

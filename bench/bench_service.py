"""Benchmark: POST /api/v1/assess under load on loopback, with wrk.

    python bench/bench_service.py [--seconds 15] [--workers 2] [--query actions=false]

Starts `tiering serve --workers N` (no demo data, no batch worker) on a temporary SQLite
database, then runs wrk (Debian package `wrk`) at 50 and 200 connections with the example firm
as the body. wrk and the server share this machine. Record results in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = io.open("{body}", "r"):read("*a")
"""


def wait_for(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("the server exited") from None
            time.sleep(0.3)
    raise SystemExit("the server did not start")


def run_wrk(url: str, script: Path, connections: int, seconds: int) -> dict[str, str]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = {"rps": re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)}
    for pct in ("50", "90", "99"):
        match = re.search(rf"\s{pct}(?:\.000)?%\s+([\d.]+\w+)", out)
        result[f"p{pct}"] = match.group(1) if match else "?"
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non2xx"] = errors.group(1) if errors else "0"
    timeouts = re.search(r"timeout (\d+)", out)
    result["timeouts"] = timeouts.group(1) if timeouts else "0"
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--query", default="", help='e.g. "actions=false"')
    args = parser.parse_args()
    cores, py = os.cpu_count(), platform.python_version()
    print(f"machine: {platform.machine()}, {cores} cores, Python {py}")
    with tempfile.TemporaryDirectory() as tmp:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = dict(
            os.environ,
            TIERING_ENVIRONMENT="test",
            TIERING_SECRET_KEY="bench-" + "k" * 40,
            TIERING_DATABASE_URL=f"sqlite:///{tmp}/bench.db",
            TIERING_DATA_DIR=tmp,
        )
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tiering.cli",
                "serve",
                "--no-demo",
                "--no-worker",
                "--workers",
                str(args.workers),
                "--port",
                str(port),
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(port, server)
            time.sleep(2)  # both worker processes up
            script = Path(tmp) / "post.lua"
            script.write_text(LUA.format(body=ROOT / "data" / "example_firm.json"))
            url = f"http://127.0.0.1:{port}/api/v1/assess" + (
                f"?{args.query}" if args.query else ""
            )
            run_wrk(url, script, 10, 3)  # warm up
            for connections in (50, 200):
                r = run_wrk(url, script, connections, args.seconds)
                print(
                    f"{connections} connections, {args.workers} workers: {r['rps']} req/s, "
                    f"p50 {r['p50']}, p90 {r['p90']}, p99 {r['p99']}, "
                    f"non-2xx {r['non2xx']}, timeouts {r['timeouts']}"
                )
        finally:
            server.terminate()
            server.wait(15)


if __name__ == "__main__":
    main()

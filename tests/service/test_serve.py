"""`tiering serve` as an operator runs it: after SIGTERM nothing it started is left running."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from tests.conftest import ROOT
from tests.service.conftest import free_port, wait_until_listening


def _children(pid: int) -> set[int]:
    """Every process descended from ``pid`` (from /proc, as ps would show them)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_sigterm_stops_the_pdf_renderer_with_the_server(tmp_path):
    port = free_port()
    env = dict(
        os.environ,
        TIERING_ENVIRONMENT="development",
        TIERING_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        TIERING_DATA_DIR=str(tmp_path),
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "tiering.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_listening(port, server)
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page = opener.open(f"{base}/login").read().decode()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = {"csrf_token": csrf, "username": "bureau", "password": "bureau-demo-2026"}
        opener.open(f"{base}/login", urllib.parse.urlencode(form).encode()).read()
        pdf = opener.open(f"{base}/assessments/1/report.pdf").read()
        assert pdf.startswith(b"%PDF")
        started = _children(server.pid)
        assert started, "rendering a PDF starts the renderer's processes"
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        deadline = time.time() + 10
        while time.time() < deadline and any(_alive(p) for p in started):
            time.sleep(0.2)
        assert not [p for p in started if _alive(p)]
    finally:
        if server.poll() is None:
            server.kill()

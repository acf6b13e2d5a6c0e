"""`gongzhi run` serves the app with the production server, static files included."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes, Message]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own local server
        return response.status, response.read(), response.headers  # case-insensitive lookups


@pytest.mark.slow
def test_gongzhi_run_serves_pages_and_static_files(tmp_path):
    if not (REPO / "gongzhi" / "static" / "vendor" / "leaflet" / "leaflet.js").exists():
        pytest.skip("front-end assets are not built (run `make assets`)")
    env = {**os.environ, "GONGZHI_DATA_DIR": str(tmp_path), "GONGZHI_DATABASE_URL": ""}
    gongzhi = [sys.executable, "-m", "gongzhi"]
    subprocess.run([*gongzhi, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=REPO)
    port = _free_port()
    server = subprocess.Popen(
        [*gongzhi, "run", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        # The first run collects and compresses the static files before serving: allow for a busy machine.
        deadline = time.monotonic() + 180
        while True:
            try:
                status, body, headers = _get(f"{base}/accounts/login/")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    os.killpg(server.pid, signal.SIGKILL)  # so that reading its output ends
                    output = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"server did not start:\n{output}")
                time.sleep(0.2)
        assert status == 200
        page = body.decode()
        assert "工作人员登录" in page  # zh-Hans by default
        assert "default-src 'self'" in headers.get("Content-Security-Policy", "")
        stylesheet = page.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
        assert stylesheet.startswith("/static/css/gongzhi.") and stylesheet.endswith(".css")  # hashed name
        status, css, headers = _get(base + stylesheet)
        assert status == 200 and b"--brand" in css
        assert "max-age" in headers.get("Cache-Control", "")
        status, js, _ = _get(f"{base}/static/vendor/leaflet/leaflet.js")
        assert status == 200 and b"Leaflet" in js
    finally:
        with contextlib.suppress(ProcessLookupError):  # already killed when it did not start
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)

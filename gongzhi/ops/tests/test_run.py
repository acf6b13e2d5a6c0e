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
from collections.abc import Iterator
from email.message import Message
from http.client import HTTPConnection, RemoteDisconnected
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


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Static files collected once (compressing them takes most of a minute), for servers started by the tests."""
    data = tmp_path_factory.mktemp("static-data")
    env = {**os.environ, "GONGZHI_DATA_DIR": str(data), "GONGZHI_DATABASE_URL": ""}
    subprocess.run([sys.executable, "-m", "gongzhi", "collectstatic", "--noinput", "-v", "0"], env=env, check=True)
    return data / "static"


@contextlib.contextmanager
def _serving(tmp_path: Path, static: Path, **settings: str) -> Iterator[int]:
    """``gongzhi run --no-worker`` with its defaults (and ``settings``) on a free port, on a SQLite file database."""
    env = {**os.environ, "GONGZHI_DATA_DIR": str(tmp_path), "GONGZHI_DATABASE_URL": "", **settings}
    gongzhi = [sys.executable, "-m", "gongzhi"]
    (tmp_path / "static").symlink_to(static, target_is_directory=True)
    subprocess.run([*gongzhi, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=REPO)
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [*gongzhi, "run", "--no-worker", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _get(f"http://127.0.0.1:{port}/accounts/login/")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"server did not start:\n{(tmp_path / 'server.log').read_text()}")
                time.sleep(0.2)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def _ask(conn: HTTPConnection) -> float:
    """One GET on a kept-alive connection, read to the end; returns the seconds it took."""
    began = time.perf_counter()
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    response.read()
    assert response.status == 200
    return time.perf_counter() - began


@pytest.mark.slow
def test_idle_and_silent_connections_do_not_hold_up_a_fresh_request(tmp_path, collected_static):
    # With granian's slots at 4 connections per worker an idle keep-alive connection held its slot until the
    # server's 30 s header timeout closed it: the 7th or 8th phone to leave a page open froze the site for 30 s, and
    # a connection that never sent anything (a browser's preconnect) held one for ever.
    with _serving(tmp_path, collected_static, GONGZHI_KEEPALIVE_TIMEOUT="6") as port:
        idle = []
        for n in range(50):  # opened one by one, one request each, then left idle
            conn = HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                took = _ask(conn)
            except TimeoutError:
                pytest.fail(f"connection {n + 1} got no answer within 10 s behind {n} idle ones")
            assert took < 5, f"connection {n + 1} waited {took:.1f} s behind {n} idle ones"
            idle.append(conn)
        silent = [socket.create_connection(("127.0.0.1", port), timeout=15) for _ in range(20)]
        took = _ask(HTTPConnection("127.0.0.1", port, timeout=10))
        assert took < 1.0, f"a fresh request behind 50 idle and 20 silent connections took {took:.1f} s"
        # The idle connections still serve a request, or were closed cleanly (past the keep-alive timeout).
        answered = closed = 0
        for conn in idle:
            try:
                _ask(conn)
                answered += 1
            except (RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                closed += 1
        assert answered + closed == 50 and answered > 0
        # A connection that sends nothing is closed once the keep-alive timeout has passed, not kept for ever.
        began = time.monotonic()
        for sock in silent:
            assert sock.recv(1) == b""
        assert time.monotonic() - began < 15
        for sock in silent:
            sock.close()
        for conn in idle:
            conn.close()

"""deploy/: the systemd units pass ``systemd-analyze verify``, the nginx site passes ``nginx -t`` and agrees with the
app (body size, client address, media), the example environment file lists every setting and loads, and
docs/deploying.md names only files and commands that exist."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gongzhi import config

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("gongzhi*"))
SITE = DEPLOY / "nginx" / "gongzhi.conf"
ENV_EXAMPLE = DEPLOY / "gongzhi.env.example"
GUIDE = REPO / "docs" / "deploying.md"


def _directives(unit: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _sep, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_units_run_as_their_own_user_restart_and_are_hardened():
    assert {u.name for u in UNITS} >= {"gongzhi.service", "gongzhi-worker.service", "gongzhi-backup.service"}
    data_dir = re.search(r"^GONGZHI_DATA_DIR=(.+)$", ENV_EXAMPLE.read_text(encoding="utf-8"), re.M)
    assert data_dir
    for unit in UNITS:
        if unit.suffix != ".service":
            continue
        d = _directives(unit)
        assert d["User"] == ["gongzhi"] and d["EnvironmentFile"] == ["/etc/gongzhi/gongzhi.env"], unit.name
        assert d["ProtectSystem"] == ["strict"] and d["NoNewPrivileges"] == ["yes"] and d["PrivateTmp"] == ["yes"]
        assert data_dir.group(1) in d["ReadWritePaths"][0].split(), unit.name
        assert d["WorkingDirectory"] == [data_dir.group(1)]
        if unit.name != "gongzhi-backup.service":
            assert d["Restart"] == ["on-failure"], unit.name
    assert _directives(DEPLOY / "systemd" / "gongzhi.service")["ExecStart"][0].endswith("gongzhi run --no-worker")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze (Debian package systemd)")
def test_systemd_units_verify(tmp_path):
    # The units name the installed command (/opt/gongzhi/.venv/bin/gongzhi), which verify wants to find executable.
    gongzhi = Path(sys.executable).parent / "gongzhi"
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8").replace("/opt/gongzhi/.venv/bin/gongzhi", str(gongzhi))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", *[str(tmp_path / u.name) for u in UNITS]],
        capture_output=True,
        text=True,
        check=False,
    )
    # verify exits 0 on directives it ignores (a typo, a bad value) but names the unit: no line may name one.
    complaints = [line for line in (done.stdout + done.stderr).splitlines() if "gongzhi" in line]
    assert done.returncode == 0 and complaints == [], done.stdout + done.stderr


def _self_signed(folder: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gz.example.gov.cn")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


@pytest.mark.skipif(shutil.which("nginx") is None, reason="needs nginx (Debian package nginx)")
def test_nginx_site_passes_nginx_t(tmp_path):
    (tmp_path / "ssl").mkdir()
    (tmp_path / "static").mkdir()
    (tmp_path / "logs").mkdir()
    _self_signed(tmp_path / "ssl")
    site = SITE.read_text(encoding="utf-8")
    site = site.replace("/etc/ssl/gongzhi/", f"{tmp_path}/ssl/").replace(
        "/var/lib/gongzhi/static/", f"{tmp_path}/static/"
    )
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\nevents {{}}\n"
        f"http {{\n {mime}\n access_log off;\n include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "logs/err.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "test is successful" in done.stderr, done.stderr


def test_nginx_site_agrees_with_the_app(settings):
    from gongzhi.core import uploads

    site = SITE.read_text(encoding="utf-8")
    settings.GONGZHI_PHOTO_MAX_MB = float(config.SETTINGS["GONGZHI_PHOTO_MAX_MB"][0])
    size = re.search(r"client_max_body_size (\d+)m;", site)
    assert size and int(size.group(1)) * 1024 * 1024 >= uploads.default_limit(), "nginx would refuse what gongzhi takes"
    assert int(size.group(1)) * 1024 * 1024 <= uploads.default_limit() + 16 * 1024 * 1024
    # The client address for the rate limits: nginx appends the address it saw, gongzhi takes it one hop from the right.
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    env = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert re.search(r"^GONGZHI_PROXY_HOPS=1$", env, re.M) and re.search(
        r"^GONGZHI_PROXY_SSL_HEADER=X-Forwarded-Proto$", env, re.M
    )
    # Photos are served by gongzhi's views (who may see them is checked there), never from the folder.
    assert re.search(r"location /media/ \{\s*return 404;", site)
    assert "/var/lib/gongzhi/static/" in site and settings.STATIC_URL == "/static/"


def test_env_example_lists_every_setting_and_loads(tmp_path):
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    listed = set(re.findall(r"^#? ?(GONGZHI_[A-Z_]+)=", text, re.M))
    assert listed == set(config.SETTINGS)
    used_in_code = set()
    for path in (REPO / "gongzhi").rglob("*.py"):
        if "tests" not in path.parts:
            used_in_code |= set(re.findall(r"\bGONGZHI_[A-Z_]+[A-Z]\b", path.read_text(encoding="utf-8")))
    assert used_in_code - {"GONGZHI_SITE_NAME"} <= listed
    loaded = config.load({"GONGZHI_ENV_FILE": str(ENV_EXAMPLE), "GONGZHI_DATA_DIR": str(tmp_path)})
    assert loaded.secure_cookies and loaded.proxy_hops == 1 and loaded.database["HOST"] == "/run/postgresql"
    assert loaded.proxy_ssl_header == ("HTTP_X_FORWARDED_PROTO", "https") and not loaded.debug and not loaded.demo


def test_the_guide_names_files_and_commands_that_exist():
    from django.core.management import get_commands

    guide = GUIDE.read_text(encoding="utf-8")
    for path in set(re.findall(r"\bdeploy/[\w./-]+[\w]", guide)):
        assert (REPO / path).exists(), path
    commands = get_commands()
    named = set(re.findall(r"(?:gongzhi-admin|bin/gongzhi) ([a-z_]+)", guide))
    assert {"migrate", "collectstatic", "selfcheck", "backup", "restore"} <= named
    for command in named:
        assert command in commands, f"docs/deploying.md names `gongzhi {command}`, which does not exist"
    for unit in UNITS:
        assert unit.name in guide, f"docs/deploying.md does not install {unit.name}"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    import socket
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args} exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"nothing listens on {port} after {seconds} s")


def _ask(
    port: int, path: str, *, tls: bool, method: str = "GET", body: str = "", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    import http.client
    import ssl

    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn: http.client.HTTPConnection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body or None, headers={"Host": "gz.example.gov.cn", **(headers or {})})
    answer = conn.getresponse()
    body = answer.read()
    conn.close()
    return answer.status, {k.lower(): v for k, v in answer.getheaders()}, body


def _clear_of_window_end(margin: float = 60.0) -> None:
    """The login limit counts in fixed windows (``core.throttle``): eleven attempts that straddle a window's end are
    counted in two windows and none is refused. Start them well inside one window."""
    import time

    from gongzhi.config import SETTINGS

    seconds = int(SETTINGS["GONGZHI_LOGIN_RATE_LIMIT"][0].split("/")[1])
    left = seconds - time.time() % seconds
    if left < margin:
        time.sleep(left + 1)


def _failed_login(port: int, username: str, *, forwarded: str) -> int:
    from urllib.parse import urlencode

    status, headers, page = _ask(port, "/accounts/login/", tls=True)
    cookie = re.search(r"csrftoken=([^;]+)", headers["set-cookie"])
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert status == 200 and cookie and token
    form = urlencode(
        {"csrfmiddlewaretoken": token.group(1).decode(), "username": username, "password": "wrong-password"}
    )
    status, _headers, _page = _ask(
        port,
        "/accounts/login/",
        tls=True,
        method="POST",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie.group(1)}",
            "Origin": "https://gz.example.gov.cn",
            "Referer": "https://gz.example.gov.cn/accounts/login/",
            "X-Forwarded-For": forwarded,
        },
    )
    return status


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("nginx") is None, reason="needs nginx (Debian package nginx)")
def test_the_installed_site_serves_through_nginx_checks_and_backs_up(tmp_path):
    """docs/deploying.md as far as a test can follow it: the example settings file (with this test's folders), the
    web server as gongzhi.service starts it, nginx with the site as shipped (ports and paths moved), the worker once,
    `gongzhi selfcheck` passing, the backup as gongzhi-backup.service makes it, and its restore."""
    data, backups = tmp_path / "data", tmp_path / "backups"
    data.mkdir()
    backups.mkdir()
    web, http_port, https_port = _free_port(), _free_port(), _free_port()
    settings_file = tmp_path / "gongzhi.env"
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("GONGZHI_DATA_DIR=/var/lib/gongzhi", f"GONGZHI_DATA_DIR={data}")
    text = re.sub(r"^GONGZHI_DATABASE_URL=.*$", "GONGZHI_DATABASE_URL=", text, flags=re.M)  # SQLite: no server
    text = text.replace("GONGZHI_PORT=8000", f"GONGZHI_PORT={web}") + "GONGZHI_WORKERS=1\n"
    settings_file.write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_")}
    env["GONGZHI_ENV_FILE"] = str(settings_file)
    gongzhi = str(Path(sys.executable).parent / "gongzhi")

    def admin(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([gongzhi, *args], env=env, cwd=data, capture_output=True, text=True, timeout=600)

    assert admin("migrate", "--noinput", "-v", "0").returncode == 0
    assert admin("collectstatic", "--noinput", "-v", "0").returncode == 0
    start = _directives(DEPLOY / "systemd" / "gongzhi.service")["ExecStart"][0]
    server = subprocess.Popen(
        start.replace("/opt/gongzhi/.venv/bin/gongzhi", gongzhi).split(), env=env, cwd=data, stdout=subprocess.DEVNULL
    )
    (tmp_path / "ssl").mkdir()
    (tmp_path / "logs").mkdir()
    _self_signed(tmp_path / "ssl")
    site = SITE.read_text(encoding="utf-8")
    site = site.replace("/etc/ssl/gongzhi/", f"{tmp_path}/ssl/").replace("/var/lib/gongzhi/", f"{data}/")
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{web};")
    site = re.sub(r"listen \[::\]:\d+[^;]*;", "", site)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site = site.replace("return 301 https://$host$request_uri;", f"return 301 https://$host:{https_port}$request_uri;")
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    (tmp_path / "nginx.conf").write_text(
        f"user root;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\nevents {{}}\n"
        f"http {{\n {mime}\n access_log off;\n include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    conf, errors = str(tmp_path / "nginx.conf"), str(tmp_path / "logs/err.log")
    nginx = subprocess.Popen(
        ["nginx", "-p", str(tmp_path), "-c", conf, "-e", errors, "-g", "daemon off;"],
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(web, server)
        _wait_for(https_port, nginx)
        status, headers, _body = _ask(http_port, "/r/", tls=False)
        assert status == 301 and headers["location"] == f"https://gz.example.gov.cn:{https_port}/r/"
        status, headers, body = _ask(https_port, "/accounts/login/", tls=True)
        assert status == 200, body[:500]
        # gongzhi saw HTTPS through X-Forwarded-Proto: HSTS on the answer, cookies marked Secure.
        assert headers["strict-transport-security"].startswith("max-age=300")
        assert "secure" in headers["set-cookie"].lower()
        assert _ask(https_port, "/media/cases/reports/x.jpg", tls=True)[0] == 404
        static = next(p for p in (data / "static").rglob("*.css"))
        status, headers, _body = _ask(https_port, "/static/" + static.relative_to(data / "static").as_posix(), tls=True)
        assert status == 200 and "expires" in headers  # nginx's, from the folder
        # The rate limits count the address nginx saw, whatever X-Forwarded-For a client sends (GONGZHI_PROXY_HOPS=1):
        # ten failed logins under ten made-up addresses, and the eleventh is refused.
        _clear_of_window_end()
        statuses = [_failed_login(https_port, f"nobody{n}", forwarded=f"203.0.113.{n}") for n in range(11)]
        assert statuses == [200] * 10 + [429]
    finally:
        nginx.terminate()
        server.terminate()
        nginx.wait(timeout=30)
        server.wait(timeout=30)

    assert admin("worker", "--once", "--no-tasks").returncode == 0
    checked = admin("selfcheck", "--json", "--min-free-mb", "1")
    summary = json.loads(checked.stdout)
    assert checked.returncode == 0 and summary["ok"], checked.stdout
    assert [c["message"] for c in summary["checks"] if c["status"] != "ok"] == []

    backup_start = _directives(DEPLOY / "systemd" / "gongzhi-backup.service")["ExecStart"][0]
    command = backup_start.replace("/opt/gongzhi/.venv/bin/gongzhi", gongzhi).replace("%%", "%")
    command = command.replace("/var/backups/gongzhi", str(backups))
    made = subprocess.run(command, shell=True, env=env, cwd=data, capture_output=True, text=True, timeout=600)  # noqa: S602
    assert made.returncode == 0, made.stderr
    [archive] = list(backups.glob("gongzhi-*.tar"))
    keys = tmp_path / "restore-keys"
    keys.mkdir()
    for name in ("field_keys", "blind_index_key", "secret_key"):
        shutil.copy(data / name, keys / name)
    fresh = {**env, "GONGZHI_ENV_FILE": "", "GONGZHI_DATA_DIR": str(tmp_path / "fresh")}
    restored = subprocess.run(
        [gongzhi, "restore", "--keys", str(keys), str(archive)], env=fresh, capture_output=True, text=True, timeout=600
    )
    assert restored.returncode == 0, restored.stderr

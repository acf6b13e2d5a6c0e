"""``gongzhi selfcheck``: each check passes on a good installation and fails — making the command exit 1 — on what
it is there to catch."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import DatabaseError
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from gongzhi.ops import heartbeat, selfcheck
from gongzhi.ops.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    """Settings as docs/deploying.md leaves them: behind nginx with TLS."""
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["gz.example.gov.cn"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://gz.example.gov.cn"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.GONGZHI_DEMO = False
    settings.SECRET_KEY = "k" + Fernet.generate_key().decode() * 2
    return settings


def _statuses(findings, check):
    return [f.status for f in findings if f.check == check]


def test_a_good_installation_passes_every_check(production):
    heartbeat.beat()
    findings = selfcheck.run(min_free_mb=1)
    assert [f for f in findings if f.status != selfcheck.OK] == []
    assert {f.check for f in findings} == {"database", "migrations", "settings", "keys", "worker", "backup", "disk"}
    out = StringIO()
    call_command("selfcheck", "--json", "--min-free-mb", "1", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["ok"] is True and summary["errors"] == 0


def test_the_command_exits_1_on_an_error_and_says_so(production):
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("selfcheck", "--min-free-mb", "1", stdout=out)  # no worker has beaten
    assert exited.value.code == 1
    assert "ERROR    worker" in out.getvalue() and "NOT fit to serve" in out.getvalue()


def test_warnings_fail_only_with_strict(production, settings):
    heartbeat.beat()
    settings.SECURE_HSTS_SECONDS = 0
    out = StringIO()
    call_command("selfcheck", "--min-free-mb", "1", stdout=out)
    assert "WARNING  settings    security.W004" in out.getvalue()
    with pytest.raises(SystemExit):
        call_command("selfcheck", "--strict", "--min-free-mb", "1", stdout=StringIO())


def test_database_unreachable(production, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(selfcheck.connection, "cursor", broken)
    findings = selfcheck.run(min_free_mb=1, skip=frozenset({"settings"}))
    assert _statuses(findings, "database") == ["error"]
    assert (
        _statuses(findings, "migrations") == _statuses(findings, "keys") == _statuses(findings, "worker") == ["error"]
    )


def test_migrations_pending_and_unknown(production):
    MigrationRecorder.Migration.objects.filter(app="ops", name="0001_worker_heartbeat").delete()
    [finding] = selfcheck.check_migrations()
    assert finding.status == "error" and "gongzhi migrate" in finding.message
    assert finding.details["pending"] == ["ops.0001_worker_heartbeat"]
    MigrationRecorder.Migration.objects.create(app="ops", name="0001_worker_heartbeat")
    MigrationRecorder.Migration.objects.create(app="cases", name="9999_from_a_newer_version")
    [finding] = selfcheck.check_migrations()
    assert finding.status == "error" and "newer gongzhi" in finding.message


@pytest.mark.parametrize(
    ("change", "finding"),
    [
        ({"DEBUG": True}, "security.W018"),
        ({"GONGZHI_DEMO": True}, "accounts.W001"),
        ({"SESSION_COOKIE_SECURE": False}, "security.W010"),
        ({"CSRF_COOKIE_SECURE": False}, "security.W016"),
        ({"SECRET_KEY": "short"}, "security.W009"),
    ],
)
def test_production_settings_that_fail(production, change, finding):
    for name, value in change.items():
        setattr(production, name, value)
    errors = [f for f in selfcheck.check_settings() if f.status == "error"]
    assert [f.details.get("id") for f in errors] == [finding]


def test_cookies_over_plain_http_are_a_warning_until_tls_is_in_sight(production):
    production.SECURE_PROXY_SSL_HEADER = None
    production.CSRF_TRUSTED_ORIGINS = []
    production.SESSION_COOKIE_SECURE = False
    statuses = {f.details.get("id"): f.status for f in selfcheck.check_settings()}
    assert statuses["security.W010"] == "warning"


def test_keys_that_do_not_decrypt_stored_data(production):
    from gongzhi.cases.tests.factories import world

    world().submit(reporter_phone="13812345678")
    assert _statuses(selfcheck.check_keys(), "keys") == ["ok"]
    production.GONGZHI_FIELD_KEYS = [Fernet.generate_key().decode()]
    [finding] = selfcheck.check_keys()
    assert finding.status == "error" and "cases_case.reporter_phone" in finding.message
    production.GONGZHI_FIELD_KEYS = ["not a key"]
    assert _statuses(selfcheck.check_keys(), "keys") == ["error"]


def test_worker_alive_then_stale(production):
    assert _statuses(selfcheck.check_worker(), "worker") == ["error"]
    heartbeat.beat()
    assert _statuses(selfcheck.check_worker(), "worker") == ["ok"]
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - heartbeat.STALE_AFTER - timedelta(seconds=1))
    [finding] = selfcheck.check_worker()
    assert finding.status == "error" and "gongzhi worker" in finding.message


def test_the_worker_beats_in_its_loop(production):
    call_command("worker", "--once", stdout=StringIO())
    assert WorkerHeartbeat.objects.filter(worker=heartbeat.worker_name()).exists()


def test_disk_short_of_space(production):
    statuses = _statuses(selfcheck.check_disk(min_free_mb=10**12), "disk")
    assert statuses == ["error", "error"]


def test_backup_tools_missing_on_postgresql(production, monkeypatch):
    monkeypatch.setattr(selfcheck.connection, "vendor", "postgresql")
    monkeypatch.setattr(selfcheck, "_postgres_major", lambda: 99)
    [finding] = selfcheck.check_backup_tools()
    assert finding.status == "error" and "postgresql-client-99" in finding.message

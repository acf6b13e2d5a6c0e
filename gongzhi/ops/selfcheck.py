"""``gongzhi selfcheck``: is this installation fit to serve, after a deploy or an upgrade?

Each check gives ``ok``, ``warning`` or ``error``; the command exits 1 when any gave an error (``--strict``: any
warning too). The checks:

- ``database``: reachable, its engine and version (PostgreSQL 15 or newer), how long a round trip took;
- ``replica`` (only with ``GONGZHI_DATABASE_REPLICA_URL``): reachable, a standby (in recovery) of this very primary
  (the same system identifier), and how far its replay is behind; paused, or behind for longer than the
  read-your-writes window (``core.db.READ_YOUR_WRITES_SECONDS``), is a warning: staff would see lists older than
  their colleagues' actions (docs/scaling.md);
- ``migrations``: none pending (the code is newer than the schema: run ``gongzhi migrate``), none unknown (the
  schema is newer than the code: a rollback of the code without a restore of the database);
- ``settings``: Django's ``check --deploy`` findings, weighed for production: DEBUG, a weak secret key, empty
  ALLOWED_HOSTS, demo mode, accounts with the demo password, and cookies sent over plain HTTP while the site is
  behind TLS are errors; the rest are warnings. ``security.W008`` (no SECURE_SSL_REDIRECT) is left out: the reverse
  proxy redirects HTTP to HTTPS (deploy/nginx/gongzhi.conf), so gongzhi never sees plain HTTP from a browser; nor
  are W005 and W021 (HSTS for subdomains, preload): off by default on purpose, a district's own choice;
- ``keys``: the field keys are valid Fernet keys and decrypt a stored value of every encrypted column; key files
  in the data directory are readable by their owner only;
- ``worker``: a ``gongzhi worker`` beat within the last five minutes (``ops.heartbeat``);
- ``backup``: ``gongzhi backup`` can run (PostgreSQL: a ``pg_dump`` of the server's major version is installed);
- ``disk``: free space in the data directory and the media folder (``--min-free-mb``, 1024 by default).
"""

from __future__ import annotations

import shutil
import stat
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks as django_checks
from django.db import DatabaseError, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from gongzhi.core import db
from gongzhi.ops import backup, heartbeat

OK, WARNING, ERROR = "ok", "warning", "error"
MIN_POSTGRES = 15
# Django deploy findings that are errors on a production site whatever else is set.
ALWAYS_ERRORS = frozenset({"security.W009", "security.W018", "security.W020", "accounts.W001"})
COOKIE_FINDINGS = frozenset({"security.W010", "security.W011", "security.W012", "security.W016", "security.W017"})
# W008: the proxy redirects HTTP to HTTPS. W005, W021: HSTS for subdomains and preload are a district's own choice,
# off by default on purpose (docs/configuration.md: hard to undo).
LEFT_OUT = frozenset({"security.W008", "security.W005", "security.W021"})


@dataclass
class Finding:
    check: str
    status: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


def _behind_tls() -> bool:
    return bool(
        settings.SECURE_PROXY_SSL_HEADER
        or settings.GONGZHI_PUBLIC_URL.startswith("https://")
        or any(origin.startswith("https://") for origin in settings.CSRF_TRUSTED_ORIGINS)
    )


def check_database() -> list[Finding]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SHOW server_version_num")
                num = int(cursor.fetchone()[0])
                cursor.execute("SHOW server_version")
                version = f"PostgreSQL {cursor.fetchone()[0]}"
                major = num // 10000
            else:
                cursor.execute("SELECT sqlite_version()")
                version, major = f"SQLite {cursor.fetchone()[0]}", None
    except DatabaseError as exc:
        return [Finding("database", ERROR, f"the database cannot be reached: {exc}".strip())]
    millis = (time.monotonic() - started) * 1000
    details = {"engine": connection.vendor, "version": version, "round_trip_ms": round(millis, 1)}
    if major is not None and major < MIN_POSTGRES:
        return [Finding("database", ERROR, f"{version}: gongzhi needs PostgreSQL {MIN_POSTGRES} or newer", details)]
    where = settings.DATABASES["default"]["NAME"]
    note = " (SQLite: fine for a pilot on one machine; PostgreSQL for production)" if major is None else ""
    return [Finding("database", OK, f"{version} reachable ({millis:.0f} ms), {where}{note}", details)]


def check_replica() -> list[Finding]:
    if db.REPLICA not in settings.DATABASES:
        return []
    where = "{HOST}:{PORT}/{NAME}".format(**settings.DATABASES[db.REPLICA])
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn(), (SELECT system_identifier FROM pg_control_system())")
            primary_lsn, primary_system = cursor.fetchone()
        with connections[db.REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery(), (SELECT system_identifier FROM pg_control_system())")
            standby, system = cursor.fetchone()
            if standby:
                cursor.execute(
                    "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()), pg_is_wal_replay_paused(), "
                    "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())",
                    [primary_lsn],
                )
                behind, paused, since_replay = cursor.fetchone()
    except DatabaseError as exc:
        return [Finding("replica", ERROR, f"the replica {where} cannot be reached: {exc}".strip())]
    if not standby:
        return [
            Finding(
                "replica",
                ERROR,
                f"{where} is not a standby (it is not in recovery): it takes writes of its own, so what the dashboards "
                "and lists read there is not the primary's data; point GONGZHI_DATABASE_REPLICA_URL at a streaming "
                "replica",
            )
        ]
    if system != primary_system:
        return [
            Finding(
                "replica",
                ERROR,
                f"{where} is a standby of another cluster (system identifier {system}, the primary's is "
                f"{primary_system})",
            )
        ]
    behind = max(int(behind or 0), 0)
    since = float(since_replay) if since_replay is not None else None
    details = {"bytes_behind": behind, "paused": bool(paused), "seconds_since_last_replay": since}
    if paused:
        return [Finding("replica", WARNING, f"{where}: replay is paused ({behind} bytes behind)", details)]
    window = db.READ_YOUR_WRITES_SECONDS
    if behind and since is not None and since > window:
        return [
            Finding(
                "replica",
                WARNING,
                f"{where} is {behind} bytes behind and replayed its last transaction {since:.0f} s ago: more than the "
                f"{window} s a writer reads the primary; staff lists may miss their colleagues' actions",
                details,
            )
        ]
    return [Finding("replica", OK, f"{where}: a streaming standby of this database, {behind} bytes behind", details)]


def check_migrations() -> list[Finding]:
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        applied = {f"{app}.{name}" for app, name in executor.loader.applied_migrations}
    except DatabaseError as exc:
        return [Finding("migrations", ERROR, f"cannot read the migrations applied: {exc}")]
    known = {f"{app}.{name}" for app, name in executor.loader.disk_migrations}
    pending = [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
    unknown = sorted(applied - known)
    if unknown:
        return [
            Finding(
                "migrations",
                ERROR,
                f"the database has {len(unknown)} migration(s) this code does not know ({', '.join(unknown[:3])}): "
                "it was migrated by a newer gongzhi. Install that version, or restore the backup made before the "
                "upgrade",
                {"unknown": unknown},
            )
        ]
    if pending:
        return [
            Finding(
                "migrations",
                ERROR,
                f"{len(pending)} migration(s) not applied ({', '.join(pending[:3])}{' …' if len(pending) > 3 else ''})"
                ": run `gongzhi migrate`",
                {"pending": pending},
            )
        ]
    return [Finding("migrations", OK, f"none pending ({len(applied)} applied)")]


def check_settings() -> list[Finding]:
    tls = _behind_tls()
    found: list[Finding] = []
    for message in django_checks.run_checks(include_deployment_checks=True, databases=["default"]):
        if message.is_silenced() or message.id in LEFT_OUT:
            continue
        text = str(message.msg) + (f" Hint: {message.hint}" if message.hint else "")
        if message.level >= django_checks.ERROR or message.id in ALWAYS_ERRORS:
            status = ERROR
        elif message.id in COOKIE_FINDINGS:
            status = ERROR if tls else WARNING
            if not tls:
                text += " (Behind TLS set GONGZHI_SECURE_COOKIES=true.)"
        elif message.level >= django_checks.WARNING:
            status = WARNING
        else:
            continue
        found.append(Finding("settings", status, f"{message.id}: {text}", {"id": message.id}))
    hosts = set(settings.ALLOWED_HOSTS)
    if hosts and hosts <= {"127.0.0.1", "localhost", "::1", "[::1]"}:
        found.append(
            Finding(
                "settings",
                WARNING,
                "GONGZHI_ALLOWED_HOSTS names only this machine: requests for the site's public name are refused "
                "(400). Set it to the name(s) residents and staff use",
            )
        )
    if not tls:
        found.append(
            Finding(
                "settings",
                WARNING,
                "no sign of TLS (GONGZHI_PROXY_SSL_HEADER, an https GONGZHI_PUBLIC_URL or "
                "GONGZHI_CSRF_TRUSTED_ORIGINS): serve the site over HTTPS behind a reverse proxy (docs/deploying.md)",
            )
        )
    if not found:
        found.append(Finding("settings", OK, "production settings: no findings (DEBUG off, secure cookies, hosts set)"))
    return found


def _encrypted_samples() -> list[tuple[str, str]]:
    samples = []
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for table, column in backup._encrypted_columns():
            if table not in tables:
                continue
            q = connection.ops.quote_name
            cursor.execute(
                f"SELECT {q(column)} FROM {q(table)} WHERE {q(column)} IS NOT NULL AND {q(column)} <> '' LIMIT 1"  # noqa: S608
            )
            row = cursor.fetchone()
            if row:
                samples.append((f"{table}.{column}", str(row[0])))
    return samples


def check_keys() -> list[Finding]:
    from cryptography.fernet import Fernet

    keys = list(settings.GONGZHI_FIELD_KEYS)
    bad = []
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key.encode("ascii"))
        except (ValueError, TypeError, UnicodeEncodeError):
            bad.append(position)
    if not keys or bad:
        return [Finding("keys", ERROR, f"GONGZHI_FIELD_KEYS: key(s) {bad or '(none)'} are not valid Fernet keys")]
    found: list[Finding] = []
    try:
        samples = _encrypted_samples()
    except DatabaseError as exc:
        return [Finding("keys", ERROR, f"cannot read encrypted data to test the keys: {exc}")]
    unreadable = [column for column, token in samples if not backup._decrypts(keys, token)]
    fingerprints = [backup.fingerprint(k) for k in keys]
    if unreadable:
        found.append(
            Finding(
                "keys",
                ERROR,
                f"the field keys ({', '.join(fingerprints)}) do not decrypt stored data in {', '.join(unreadable)}: "
                "a key was dropped or replaced. Put the old key back (GONGZHI_FIELD_KEYS=new,old) or restore the "
                "key files from the backup",
                {"unreadable": unreadable, "fingerprints": fingerprints},
            )
        )
    for name in backup.KEY_FILES:
        path = Path(settings.DATA_DIR) / name
        if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
            found.append(Finding("keys", WARNING, f"{path} can be read by others than its owner: chmod 600 {path}", {}))
    if not unreadable:
        what = f"decrypt a stored value of {len(samples)} encrypted column(s)" if samples else "no encrypted data yet"
        found.append(
            Finding(
                "keys",
                OK,
                f"{len(keys)} field key(s) ({', '.join(fingerprints)}): {what}",
                {"fingerprints": fingerprints},
            )
        )
    return found


def check_worker() -> list[Finding]:
    try:
        latest = heartbeat.latest()
    except DatabaseError as exc:
        return [Finding("worker", ERROR, f"cannot read the worker's heartbeat: {exc}")]
    if latest is None:
        return [
            Finding(
                "worker",
                ERROR,
                "no `gongzhi worker` has ever run against this database: text messages, the deadline sweep, webhooks "
                "and background tasks wait for one (systemctl start gongzhi-worker)",
            )
        ]
    age = timezone.now() - latest.beat_at
    details = {"worker": latest.worker, "last_beat": latest.beat_at.isoformat(), "age_seconds": age.total_seconds()}
    if age > heartbeat.STALE_AFTER:
        return [
            Finding(
                "worker",
                ERROR,
                f"no worker has beaten for {age.total_seconds() / 60:.0f} minutes (last: {latest.worker}): is "
                "`gongzhi worker` running? (systemctl status gongzhi-worker)",
                details,
            )
        ]
    return [Finding("worker", OK, f"alive: {latest.worker} beat {age.total_seconds():.0f} s ago", details)]


def _postgres_major() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def check_backup_tools() -> list[Finding]:
    """``gongzhi backup`` can run: on PostgreSQL, a pg_dump of the server's major version (or newer) is installed."""
    if connection.vendor != "postgresql":
        return [Finding("backup", OK, "SQLite: `gongzhi backup` copies it online with SQLite's backup API")]
    try:
        major = _postgres_major()
        path, tool_major = backup.pg_tool("pg_dump", major)
    except backup.BackupError as exc:
        return [Finding("backup", ERROR, f"`gongzhi backup` cannot run: {exc}")]
    except DatabaseError as exc:
        return [Finding("backup", ERROR, f"not checked: {exc}")]
    note = "" if tool_major == major else f" (the server is {major}: the same major version is better)"
    status = OK if tool_major == major else WARNING
    return [Finding("backup", status, f"`gongzhi backup` will use {path} ({tool_major}){note}", {"pg_dump": str(path)})]


def check_disk(min_free_mb: int) -> list[Finding]:
    found = []
    for label, folder in (("data directory", Path(settings.DATA_DIR)), ("media folder", Path(settings.MEDIA_ROOT))):
        existing = folder
        while not existing.exists():
            existing = existing.parent
        usage = shutil.disk_usage(existing)
        free_mb = usage.free / 1_000_000
        share = usage.free / usage.total if usage.total else 0
        details = {"path": str(folder), "free_mb": round(free_mb), "free_share": round(share, 3)}
        if free_mb < min_free_mb:
            status, text = ERROR, f"{label} {folder}: only {free_mb:.0f} MB free (less than {min_free_mb} MB)"
        elif share < 0.1:
            status, text = WARNING, f"{label} {folder}: {free_mb:.0f} MB free, {share:.0%} of the disk"
        else:
            status, text = OK, f"{label} {folder}: {free_mb:.0f} MB free ({share:.0%})"
        found.append(Finding("disk", status, text, details))
    return found


def run(*, min_free_mb: int = 1024, skip: frozenset[str] = frozenset()) -> list[Finding]:
    steps: list[tuple[str, Callable[[], list[Finding]]]] = [
        ("database", check_database),
        ("replica", check_replica),
        ("migrations", check_migrations),
        ("settings", check_settings),
        ("keys", check_keys),
        ("worker", check_worker),
        ("backup", check_backup_tools),
        ("disk", lambda: check_disk(min_free_mb)),
    ]
    findings: list[Finding] = []
    database_down = False
    for name, step in steps:
        if name in skip:
            continue
        if database_down and name in {"replica", "migrations", "keys", "worker", "backup"}:
            findings.append(Finding(name, ERROR, "not checked: the database cannot be reached"))
            continue
        found = step()
        database_down = database_down or (name == "database" and any(f.status == ERROR for f in found))
        findings += found
    return findings


def as_json(findings: list[Finding]) -> dict[str, Any]:
    return {
        "ok": not any(f.status == ERROR for f in findings),
        "errors": sum(f.status == ERROR for f in findings),
        "warnings": sum(f.status == WARNING for f in findings),
        "checks": [asdict(f) for f in findings],
    }

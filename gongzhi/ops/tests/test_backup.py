"""``gongzhi backup`` / ``gongzhi restore``: a round trip on the database the suite runs on (SQLite, or PostgreSQL
when GONGZHI_DATABASE_URL names a server: scripts/test.sh runs both), and every refusal leaving the target as it was.

The sites are real ones in their own processes — a data directory each and, on PostgreSQL, a database each created
on the suite's server — never the test database: data (cases with report and result photos, encrypted phones, text
messages) → backup → a fresh data directory and an empty database → restore → every row of every table equal, every
media file equal (sha256), the phones decrypted with the restored keys and found by the restored blind index.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from cryptography.fernet import Fernet

from gongzhi.ops.tests.backup_site import PHONES

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("backup")]

SERVER_URL = os.environ.get("GONGZHI_DATABASE_URL", "")
ENGINE = "postgresql" if SERVER_URL else "sqlite"


@dataclass
class Site:
    data_dir: Path
    database_url: str  # "" for SQLite in the data directory

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_")}
        return {**env, "GONGZHI_DATA_DIR": str(self.data_dir), "GONGZHI_DATABASE_URL": self.database_url}

    def run(self, *args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gongzhi", *args],
            env={**self.env, **(extra or {})},
            capture_output=True,
            text=True,
            timeout=600,
        )

    def script(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "gongzhi.ops.tests.backup_site", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def tables(self) -> dict[str, int]:
        """Rows per table, read without gongzhi (an absent SQLite file: no tables)."""
        if not self.database_url:
            path = self.data_dir / "gongzhi.sqlite3"
            if not path.exists():
                return {}
            with sqlite3.connect(path) as conn:
                names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
                return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}  # noqa: S608
        import psycopg

        with psycopg.connect(self.database_url.replace("postgres://", "postgresql://")) as conn:
            names = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}  # noqa: S608

    def media(self) -> dict[str, str]:
        root = self.data_dir / "media"
        return {
            p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }

    def keys(self) -> dict[str, str]:
        return {
            name: (self.data_dir / name).read_text()
            for name in ("field_keys", "blind_index_key", "secret_key")
            if (self.data_dir / name).exists()
        }


@pytest.fixture(scope="module")
def new_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Makes fresh sites: a data directory, and on PostgreSQL an empty database on the suite's server."""
    created: list[str] = []

    def admin_url(name: str) -> str:
        parts = urlsplit(SERVER_URL)
        return urlunsplit(parts._replace(path=f"/{name}"))

    def make(label: str) -> Site:
        data_dir = tmp_path_factory.mktemp(label)
        if not SERVER_URL:
            return Site(data_dir, "")
        import psycopg

        name = f"gz_backup_{label}_{secrets.token_hex(4)}"
        with psycopg.connect(admin_url("postgres").replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return Site(data_dir, admin_url(name))

    yield make
    if SERVER_URL:
        import psycopg

        with psycopg.connect(admin_url("postgres").replace("postgres://", "postgresql://"), autocommit=True) as conn:
            for name in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Source:
    site: Site
    dump: dict[str, list[str]]
    archive: Path
    folder_without_keys: Path
    backup_output: str


@pytest.fixture(scope="module")
def source(new_site, tmp_path_factory: pytest.TempPathFactory) -> Source:
    site = new_site("source")
    dumped = tmp_path_factory.mktemp("dumps") / "source.json"
    site.script("populate", str(dumped))
    backups = tmp_path_factory.mktemp("backups")
    archive = backups / "site.tar.gz"
    made = site.run("backup", str(archive))
    assert made.returncode == 0, made.stderr
    folder = backups / "site-without-keys"
    without = site.run("backup", "--without-keys", str(folder))
    assert without.returncode == 0, without.stderr
    assert "holds NO keys" in without.stderr and "keys" not in {p.name for p in folder.iterdir()}
    return Source(site, json.loads(dumped.read_text()), archive, folder, made.stdout + made.stderr)


def _same_site(restored: Site, source: Source, tmp_path: Path) -> None:
    dumped = tmp_path / "restored.json"
    read = json.loads(restored.script("check", str(dumped)))
    rows = json.loads(dumped.read_text())
    assert sorted(rows) == sorted(source.dump)
    for table, expected in source.dump.items():
        assert rows[table] == expected, f"table {table} differs after the restore"
    assert restored.media() == source.site.media() and len(restored.media()) == 3
    assert read == {"phones": PHONES, "by_blind_index": 1}


def test_backup_says_what_it_wrote_and_warns_about_the_keys(source):
    out = source.backup_output
    assert "checked after writing" in out and "Media: 3 files" in out
    assert "WARNING: this backup holds the site's keys" in out
    assert oct(source.archive.stat().st_mode & 0o777) == "0o600"
    manifest = json.loads((source.folder_without_keys / "manifest.json").read_text())
    assert manifest["database"]["engine"] == ENGINE
    assert manifest["database"]["tables"]["cases_case"] == 2
    assert "cases.0001_initial" in manifest["database"]["migrations"]
    assert manifest["encrypted"]["cases_case.reporter_phone"]["values"] == 2
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"].values())
    assert sum(name.startswith("media/") for name in manifest["files"]) == 3


def test_round_trip_through_an_archive_into_a_fresh_site(source, new_site, tmp_path):
    target = new_site("fresh")
    done = target.run("restore", str(source.archive))
    assert done.returncode == 0, done.stderr
    assert "Restored from" in done.stdout and "decrypts with them" in done.stdout
    assert target.keys() == source.site.keys()
    _same_site(target, source, tmp_path)


def test_a_backup_without_keys_needs_them_then_restores_into_a_migrated_site(source, new_site, tmp_path):
    target = new_site("migrated")
    assert target.run("migrate", "-v", "0").returncode == 0
    before = (target.tables(), target.keys())
    refused = target.run("restore", str(source.folder_without_keys))
    assert refused.returncode != 0
    assert "do not decrypt" in refused.stderr and "--keys" in refused.stderr
    assert (target.tables(), target.keys()) == before and not target.media()
    keys = tmp_path / "keys"
    keys.mkdir()
    for name, text in source.site.keys().items():
        (keys / name).write_text(text)
    done = target.run("restore", "--keys", str(keys), str(source.folder_without_keys))
    assert done.returncode == 0, done.stderr
    _same_site(target, source, tmp_path)


def _refused(site: Site, *args: str, extra: dict[str, str] | None = None) -> str:
    before = (site.tables(), site.keys(), site.media())
    done = site.run(*args, extra=extra)
    assert done.returncode != 0, done.stdout
    assert (site.tables(), site.keys(), site.media()) == before, "a refusal changed the target"
    return done.stderr


def test_refusals_leave_the_target_as_it_was(source, new_site, tmp_path):
    target = new_site("refusals")
    # A fresh installation: gongzhi generates its keys on first start (any command), before a restore runs.
    assert target.run("check").returncode == 0
    assert "does not exist" in _refused(target, "restore", str(tmp_path / "nothing.tar.gz"))

    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(source.archive.read_bytes()[: source.archive.stat().st_size // 2])
    assert "corrupt or incomplete" in _refused(target, "restore", str(cut))

    tampered = tmp_path / "tampered"
    shutil.copytree(source.folder_without_keys, tampered)
    photo = next(p for p in (tampered / "media").rglob("*.jpg"))
    photo.write_bytes(photo.read_bytes()[:-1] + b"\0")
    assert "sha256" in _refused(target, "restore", str(tampered))

    newer = tmp_path / "newer"
    shutil.copytree(source.folder_without_keys, newer)
    manifest = json.loads((newer / "manifest.json").read_text())
    manifest["database"]["migrations"].append("cases.9999_from_the_future")
    (newer / "manifest.json").write_text(json.dumps(manifest))
    assert "newer schema" in _refused(target, "restore", str(newer))

    unfinished = tmp_path / "unfinished"
    shutil.copytree(source.folder_without_keys, unfinished)
    (unfinished / "manifest.json").unlink()
    assert "incomplete" in _refused(target, "restore", str(unfinished))

    # Keys set in the environment win over the backup's: they must decrypt its data.
    other_key = {"GONGZHI_FIELD_KEYS": Fernet.generate_key().decode()}
    assert "GONGZHI_FIELD_KEYS is set" in _refused(target, "restore", str(source.archive), extra=other_key)

    # A backup never overwrites anything.
    assert "exists" in _refused(source.site, "backup", str(source.archive))


def test_a_site_with_data_is_replaced_only_with_force(source, new_site, tmp_path):
    target = new_site("occupied")
    assert target.run("restore", str(source.archive)).returncode == 0
    message = _refused(target, "restore", str(source.archive))
    assert "not empty" in message and "--force" in message
    done = target.run("restore", "--force", str(source.archive))
    assert done.returncode == 0, done.stderr
    assert "Kept aside" in done.stdout and (target.data_dir / "media").is_dir()
    assert list(target.data_dir.glob("media.before-restore-*"))
    _same_site(target, source, tmp_path)


WRITER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=20, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
n = 0
while True:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO ledger (amount) VALUES (1)")
    conn.execute("INSERT INTO ledger (amount) VALUES (-1)")
    conn.execute("COMMIT")
    n += 1
    if n == 50:
        print("writing", flush=True)
"""


def test_sqlite_backup_is_online_and_consistent_while_another_process_writes(tmp_path):
    """The backup API copies one moment of the database while a writer keeps committing (every transaction adds a
    pair of rows summing to 0): the copy holds whole transactions only, as many rows as its manifest says."""
    site = Site(tmp_path / "site", "")
    site.data_dir.mkdir()
    database = site.data_dir / "gongzhi.sqlite3"
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL)")
        conn.executemany("INSERT INTO ledger (amount) VALUES (?)", [(1,), (-1,)] * 50_000)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(database)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        done = site.run("backup", str(tmp_path / "online"))
        assert done.returncode == 0, done.stderr
        with sqlite3.connect(database) as conn:
            rows_after = conn.execute("SELECT count(*) FROM ledger").fetchone()[0]
    finally:
        writer.kill()
        writer.wait()
    manifest = json.loads((tmp_path / "online" / "manifest.json").read_text())
    with sqlite3.connect(tmp_path / "online" / "database" / "gongzhi.sqlite3") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        count, total = copy.execute("SELECT count(*), sum(amount) FROM ledger").fetchone()
    assert total == 0 and count % 2 == 0 and count == manifest["database"]["tables"]["ledger"]
    assert 100_000 < count < rows_after, "the writer was not writing while the backup ran"


def test_an_older_pg_dump_than_the_server_is_refused_naming_the_package():
    from gongzhi.ops import backup

    with pytest.raises(backup.BackupError, match="postgresql-client-99"):
        backup.pg_tool("pg_dump", 99)

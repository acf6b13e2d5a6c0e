"""``gongzhi backup`` and ``gongzhi restore``: the database, the media files and the keys, with a manifest.

A backup is a folder, or a ``.tar`` / ``.tar.gz`` (``.tgz``) archive, holding::

    database/gongzhi.sqlite3   SQLite: a consistent copy made online with SQLite's backup API (never a file copy)
    database/gongzhi.pgdump    PostgreSQL: pg_dump's custom format (-Fc), made by the pg_dump of the server's version
    media/…                    every media file (photos), as stored
    keys/field_keys …          the field-encryption keys, the blind-index key and the secret key (unless
                               --without-keys)
    manifest.json              format, gongzhi version, database engine and version, migrations applied, row counts
                               per table, a sample of each encrypted field, key fingerprints, every file's sha256

In an archive the manifest is the last member: an archive cut short has none and is refused. A backup is written
under a temporary name beside PATH, read back and checked (every sha256; the database opens: SQLite's
``integrity_check`` and its row counts, ``pg_restore -l``), and only then renamed to PATH.

Restore checks everything before it writes anything: the manifest is there and of a format this version reads, every
file matches its sha256, the schema is not newer than this code's migrations, the database opens, the keys it will
use decrypt a sample of every encrypted field, the target database and media folder are empty (or ``--force``).
Then it writes the database in one step (SQLite: the backup API into the target; PostgreSQL: the dump's SQL through
psql in one transaction, after dropping the tables an earlier ``migrate`` made), moves the media folder into place
and writes the key files. A refusal exits non-zero and leaves the target as it was.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from gongzhi import config
from gongzhi.core.fields import EncryptedTextField

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/gongzhi.sqlite3"
PG_MEMBER = "database/gongzhi.pgdump"
KEY_FILES = {
    "field_keys": "GONGZHI_FIELD_KEYS",
    "blind_index_key": "GONGZHI_BLIND_INDEX_KEY",
    "secret_key": "GONGZHI_SECRET_KEY",
}
# Tables `migrate` fills by itself: a database with rows only there holds no data of a site.
MIGRATE_FILLS = frozenset({"django_migrations", "django_content_type", "auth_permission", "sqlite_sequence"})
# psycopg or Django options that are not libpq connection keywords (pg_dump and psql would refuse them).
NOT_LIBPQ = frozenset(
    {"prepare_threshold", "cursor_factory", "context", "autocommit", "row_factory", "server_side_binding", "pool"}
    | {"isolation_level", "assume_role"}
)
CHUNK = 1024 * 1024

KEYS_WARNING = """\
!!! WARNING: this backup holds the site's keys (keys/field_keys, keys/blind_index_key, keys/secret_key).
!!! Anyone with it can read every encrypted phone number in it. Keep it apart from other backups, on encrypted
!!! storage, readable by root only — or make backups with --without-keys and keep the keys somewhere else."""
NO_KEYS_WARNING = """\
!!! WARNING: this backup holds NO keys (--without-keys). The encrypted personal data in it (phone numbers) can only
!!! be read with the field keys in use now: keep a copy of them (DATA_DIR/field_keys, DATA_DIR/blind_index_key,
!!! DATA_DIR/secret_key, or GONGZHI_FIELD_KEYS / GONGZHI_BLIND_INDEX_KEY / GONGZHI_SECRET_KEY) somewhere safe and
!!! separate. Restore with `gongzhi restore PATH --keys DIR` (a folder holding those three files)."""


class BackupError(Exception):
    """A refusal, with the reason for the operator; nothing was written (or what was begun has been removed)."""


@dataclass
class Report:
    """What a backup or restore did, printed by the command."""

    path: Path
    seconds: float = 0.0
    size: int = 0
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def archive_mode(path: Path) -> str | None:
    """``w:gz`` or ``w`` for an archive name, None for a folder."""
    name = path.name.lower()
    if name.endswith((".tar.gz", ".tgz")):
        return "w:gz"
    if name.endswith(".tar"):
        return "w"
    return None


def fingerprint(key: str) -> str:
    """A key's public name: enough to tell two keys apart, nothing about the key."""
    return hashlib.sha256(b"gongzhi-key:" + key.encode("utf-8")).hexdigest()[:16]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _configured_key(name: str) -> str:
    """A key's value as this process uses it (from the environment, the env file or the data directory)."""
    values = {
        "GONGZHI_FIELD_KEYS": ",".join(settings.GONGZHI_FIELD_KEYS),
        "GONGZHI_BLIND_INDEX_KEY": settings.GONGZHI_BLIND_INDEX_KEY,
        "GONGZHI_SECRET_KEY": settings.SECRET_KEY,
    }
    return values[name]


def _key_from_environment(name: str) -> bool:
    """Whether the key is set by the environment or the env file (else it is a file in the data directory)."""
    if os.environ.get(name):
        return True
    env_file = os.environ.get("GONGZHI_ENV_FILE", "")
    return bool(env_file and config.read_env_file(Path(env_file)).get(name))


def _encrypted_columns() -> list[tuple[str, str]]:
    found = []
    for model in apps.get_models():
        for model_field in model._meta.local_fields:
            if isinstance(model_field, EncryptedTextField):
                found.append((model._meta.db_table, model_field.column))
    return sorted(found)


def _decrypts(keys: list[str], token: str) -> bool:
    from cryptography.fernet import Fernet, InvalidToken, MultiFernet

    try:
        MultiFernet([Fernet(key.encode("ascii")) for key in keys]).decrypt(token.encode("ascii"))
    except (InvalidToken, ValueError, TypeError):
        return False
    return True


# ------------------------------------------------------------------------------------------------------ PostgreSQL


def _libpq() -> tuple[str, dict[str, str]]:
    """The default database as a libpq connection string for PostgreSQL's tools, and the environment with its
    password (never on the command line, where `ps` would show it)."""
    from psycopg.conninfo import make_conninfo

    db = settings.DATABASES["default"]
    params: dict[str, Any] = {"dbname": db["NAME"]}
    for key, setting in (("user", "USER"), ("host", "HOST"), ("port", "PORT")):
        if db.get(setting):
            params[key] = db[setting]
    for key, value in db.get("OPTIONS", {}).items():
        if key not in NOT_LIBPQ and isinstance(value, str | int):
            params[key] = value
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return make_conninfo(**params), env


def _tool_major(path: Path) -> int | None:
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=False, timeout=30).stdout
    except OSError:
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None


def pg_tool(name: str, server_major: int) -> tuple[Path, int]:
    """PostgreSQL's ``name`` (pg_dump, pg_restore, psql) of the server's major version: pg_config's bindir, then
    Debian's /usr/lib/postgresql/*/bin, then PATH. A newer one will do when that version is not installed; an
    older one cannot read the server's catalogue (pg_dump refuses), so it is refused here with what to install."""
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if bindir:
            candidates.append(Path(bindir) / name)
    candidates += [Path(d) / name for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"))]
    if on_path := shutil.which(name):
        candidates.append(Path(on_path))
    found: dict[int, Path] = {}
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            major = _tool_major(candidate)
            if major is not None:
                found.setdefault(major, candidate)
    if server_major in found:
        return found[server_major], server_major
    newer = sorted(major for major in found if major > server_major)
    if newer:
        return found[newer[0]], newer[0]
    have = ", ".join(f"{found[m]} ({m})" for m in sorted(found)) or "none"
    raise BackupError(
        f"{name} of PostgreSQL {server_major} (the server's version) or newer is needed; found: {have}. "
        f"Install the Debian package postgresql-client-{server_major}."
    )


def _pg_server_major(cursor: Any) -> tuple[int, str]:
    cursor.execute("SHOW server_version_num")
    num = int(cursor.fetchone()[0])
    cursor.execute("SHOW server_version")
    return num // 10000, str(cursor.fetchone()[0])


def _pg_tables(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename",
    )
    return [row[0] for row in cursor.fetchall()]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _snapshot_facts(cursor: Any, tables: list[str]) -> dict[str, Any]:
    """Row counts, migrations and encrypted samples, read with ``cursor`` (the dump's snapshot or the SQLite copy)."""
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT count(*) FROM {_quote(table)}")  # noqa: S608 - names from the catalogue
        counts[table] = int(cursor.fetchone()[0])
    migrations: list[str] = []
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        migrations = [f"{app}.{name}" for app, name in cursor.fetchall()]
    encrypted = {}
    for table, column in _encrypted_columns():
        if table not in tables:
            continue
        q = f"{_quote(table)} WHERE {_quote(column)} IS NOT NULL AND {_quote(column)} <> ''"
        cursor.execute(f"SELECT count(*) FROM {q}")  # noqa: S608
        values = int(cursor.fetchone()[0])
        sample = None
        if values:
            cursor.execute(f"SELECT {_quote(column)} FROM {q} ORDER BY 1 LIMIT 1")  # noqa: S608
            sample = str(cursor.fetchone()[0])
        encrypted[f"{table}.{column}"] = {"values": values, "sample": sample}
    return {"tables": counts, "migrations": migrations, "encrypted": encrypted}


def _dump_postgres(target: Path) -> dict[str, Any]:
    import psycopg

    conninfo, env = _libpq()
    try:
        conn = psycopg.connect(conninfo, password=env.get("PGPASSWORD") or None, autocommit=False)
    except psycopg.Error as exc:
        raise BackupError(f"could not connect to the database: {exc}") from exc
    with conn:
        cursor = conn.cursor()
        # One snapshot for the dump and for the manifest's counts: they describe the same moment.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        major, version = _pg_server_major(cursor)
        pg_dump, tool_major = pg_tool("pg_dump", major)
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        result = subprocess.run(
            [str(pg_dump), "-Fc", "--snapshot", snapshot, "-f", str(target), "-d", conninfo],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if result.returncode:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        facts = _snapshot_facts(cursor, _pg_tables(cursor))
        conn.rollback()
    return {
        "engine": "postgresql",
        "file": PG_MEMBER,
        "server_version": version,
        "server_major": major,
        "tool": f"{pg_dump} ({tool_major})",
        "tool_major": tool_major,
        **facts,
    }


# ------------------------------------------------------------------------------------------------------------ SQLite


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1")
    return [row[0] for row in rows]


def _dump_sqlite(target: Path) -> dict[str, Any]:
    source_path = settings.DATABASES["default"]["NAME"]
    if not Path(source_path).exists():
        raise BackupError(f"no database at {source_path}: nothing to back up (run `gongzhi migrate` first?)")
    source = sqlite3.connect(source_path, timeout=20)
    copy = sqlite3.connect(target)
    try:
        # In one step (pages=-1): a single read transaction, so the copy is one consistent moment; in WAL mode the
        # site's writers go on meanwhile (a stepwise backup would restart on each of their commits).
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        facts = _snapshot_facts(copy.cursor(), _sqlite_tables(copy))
    finally:
        copy.close()
        source.close()
    return {
        "engine": "sqlite",
        "file": SQLITE_MEMBER,
        "server_version": sqlite3.sqlite_version,
        "tool": f"SQLite backup API (sqlite {sqlite3.sqlite_version})",
        **facts,
    }


# ------------------------------------------------------------------------------------------------------------ backup


class _Hashing:
    """A file read through, hashing what is read (tarfile reads exactly the member's size)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def _media_files() -> list[tuple[str, Path]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found.append(("media/" + path.relative_to(root).as_posix(), path))
    return found


def backup(path: Path, *, include_keys: bool, progress: Callable[[str], None] = lambda _line: None) -> Report:
    started = time.monotonic()
    path = path.absolute()
    if path.exists() or path.is_symlink():
        raise BackupError(f"{path} exists: a backup never overwrites anything, choose a new name")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a folder")
    mode = archive_mode(path)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    report = Report(path=path)
    try:
        root = staging / "backup"
        root.mkdir(mode=0o700)  # personal data (and perhaps the keys): for the owner only
        (root / "database").mkdir()
        engine = connection.vendor
        progress(f"Dumping the {engine} database…")
        try:
            if engine == "postgresql":
                database = _dump_postgres(root / PG_MEMBER)
            elif engine == "sqlite":
                database = _dump_sqlite(root / SQLITE_MEMBER)
            else:
                raise BackupError(f"cannot back up a {engine} database")
        except (sqlite3.Error, DatabaseError) as exc:
            raise BackupError(f"could not read the database: {exc}") from exc
        encrypted = database.pop("encrypted")
        files: dict[str, dict[str, Any]] = {}
        db_file = root / str(database["file"])
        files[str(database["file"])] = {"size": db_file.stat().st_size, "sha256": _sha256_file(db_file)}
        keys: dict[str, str] = {}
        if include_keys:
            keys = {f"keys/{name}": _configured_key(env) + "\n" for name, env in KEY_FILES.items()}
            for member, text in keys.items():
                files[member] = {"size": len(text.encode()), "sha256": hashlib.sha256(text.encode()).hexdigest()}
        media = _media_files()
        progress(f"Writing {len(media)} media files…")
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "gongzhi_version": metadata.version("gongzhi"),
            "host": socket.gethostname(),
            "database": database,
            "encrypted": encrypted,
            "keys": {
                "included": include_keys,
                "field_key_fingerprints": [fingerprint(k) for k in settings.GONGZHI_FIELD_KEYS],
                "blind_index_key_fingerprint": fingerprint(settings.GONGZHI_BLIND_INDEX_KEY),
            },
            "files": files,
        }
        if mode is None:
            _write_folder(root, keys, media, manifest)
            _verify(root, _read_manifest(root))
            os.rename(root, path)
        else:
            written = staging / "archive"
            _write_archive(written, mode, root, keys, media, manifest)
            progress("Reading the archive back…")
            check = staging / "check"
            check.mkdir()
            _extract(written, check)
            _verify(check, _read_manifest(check))
            written.chmod(0o600)  # personal data (and perhaps the keys): for the owner only
            os.rename(written, path)
        report.size = _size(path)
        counts = database["tables"]
        report.lines = [
            f"Backup written to {path} ({_megabytes(report.size)}), checked after writing.",
            f"Database: {engine} {database['server_version']}, {len(counts)} tables, {sum(counts.values())} rows, "
            f"{len(database['migrations'])} migrations applied; dumped with {database['tool']}.",
            f"Media: {len(media)} files ({_megabytes(sum(files[m]['size'] for m, _p in media))}).",
            "Keys: included." if include_keys else "Keys: NOT included (--without-keys).",
        ]
        report.warnings = [KEYS_WARNING if include_keys else NO_KEYS_WARNING]
    except OSError as exc:
        raise BackupError(f"could not write the backup: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report.seconds = time.monotonic() - started
    return report


def _write_folder(root: Path, keys: dict[str, str], media: list[tuple[str, Path]], manifest: dict[str, Any]) -> None:
    for member, text in keys.items():
        target = root / member
        target.parent.mkdir(exist_ok=True, mode=0o700)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    files = manifest["files"]
    for member, source in media:
        target = root / member
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as reader, target.open("wb") as writer:
            hashing = _Hashing(reader)
            shutil.copyfileobj(hashing, writer, CHUNK)  # type: ignore[misc]
        files[member] = {"size": target.stat().st_size, "sha256": hashing.digest.hexdigest()}
    (root / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_archive(
    target: Path, mode: str, root: Path, keys: dict[str, str], media: list[tuple[str, Path]], manifest: dict[str, Any]
) -> None:
    import io

    options: dict[str, Any] = {"compresslevel": 6} if mode == "w:gz" else {}
    files = manifest["files"]
    with tarfile.open(target, mode, format=tarfile.PAX_FORMAT, **options) as tar:  # type: ignore[call-overload]
        database = str(manifest["database"]["file"])
        tar.add(root / database, arcname=database, recursive=False)
        for member, text in keys.items():
            info = tarfile.TarInfo(member)
            data = text.encode("utf-8")
            info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
            tar.addfile(info, io.BytesIO(data))
        for member, source in media:
            info = tar.gettarinfo(str(source), arcname=member)
            with source.open("rb") as reader:
                hashing = _Hashing(reader)
                tar.addfile(info, hashing)  # type: ignore[arg-type]
            files[member] = {"size": info.size, "sha256": hashing.digest.hexdigest()}
        # Last: an archive cut short has no manifest, and is refused as incomplete.
        data = (json.dumps(manifest, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
        tar.addfile(info, io.BytesIO(data))


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


# ------------------------------------------------------------------------------------------------ reading, checking


def _extract(archive: Path, into: Path) -> None:
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(into, filter="data")
    except Exception as exc:  # tarfile's errors, EOFError, zlib.error from a damaged gzip stream, OSError
        raise BackupError(f"{archive} cannot be read as a backup archive ({exc}): it is corrupt or incomplete") from exc


def _read_manifest(root: Path) -> dict[str, Any]:
    path = root / MANIFEST
    if not path.is_file():
        raise BackupError(f"no {MANIFEST} in the backup: it is incomplete (a backup cut short) or not a gongzhi backup")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"the backup's {MANIFEST} is damaged ({exc})") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("format"), int):
        raise BackupError(f"the backup's {MANIFEST} is not a gongzhi manifest")
    if manifest["format"] > FORMAT:
        raise BackupError(
            f"the backup is of format {manifest['format']}, written by a newer gongzhi "
            f"({manifest.get('gongzhi_version')}); this one reads format {FORMAT}: install that version to restore it"
        )
    return manifest


def _verify(root: Path, manifest: dict[str, Any]) -> None:
    """Every file listed is there with its sha256, and the database opens and holds what the manifest says."""
    bad = []
    for member, expected in sorted(manifest["files"].items()):
        path = root / member
        if not path.is_file():
            bad.append(f"{member}: missing")
        elif path.stat().st_size != expected["size"] or _sha256_file(path) != expected["sha256"]:
            bad.append(f"{member}: content differs from the manifest (sha256)")
    if bad:
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise BackupError(f"the backup is damaged: {shown}")
    database = manifest["database"]
    db_file = root / str(database["file"])
    if database["engine"] == "sqlite":
        conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchall()
            if result != [("ok",)]:
                raise BackupError(f"the backup's SQLite database fails its integrity check: {result[:3]}")
            for table, count in database["tables"].items():
                found = conn.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0]  # noqa: S608
                if found != count:
                    raise BackupError(f"the backup's table {table} holds {found} rows, the manifest says {count}")
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"the backup's SQLite database does not open: {exc}") from exc
        finally:
            conn.close()
    elif database["engine"] == "postgresql":
        pg_restore, _major = pg_tool("pg_restore", int(database.get("tool_major") or database["server_major"]))
        listed = subprocess.run([str(pg_restore), "-l", str(db_file)], capture_output=True, text=True, check=False)
        if listed.returncode:
            raise BackupError(f"the backup's PostgreSQL dump does not open (pg_restore -l): {listed.stderr.strip()}")
        data = set(re.findall(r" TABLE DATA \S+ (\S+) ", listed.stdout))
        missing = sorted(t for t, n in database["tables"].items() if n and t not in data)
        if missing:
            raise BackupError(f"the backup's PostgreSQL dump lacks the data of {', '.join(missing[:5])}")
    else:
        raise BackupError(f"the backup's database engine {database['engine']!r} is unknown")


# ------------------------------------------------------------------------------------------------------------ restore


@dataclass
class _Keys:
    field_keys: list[str]
    files: dict[str, str]  # data-dir file name -> content to write
    notes: list[str]


def _known_migrations() -> set[str]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {f"{app}.{name}" for app, name in loader.disk_migrations}


def _target_rows() -> dict[str, int]:
    """Rows per table in the target database, leaving out what `migrate` writes by itself."""
    counts: dict[str, int] = {}
    if connection.vendor == "sqlite":
        name = settings.DATABASES["default"]["NAME"]
        if not Path(name).exists():
            return counts
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in MIGRATE_FILLS:
                continue
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            if found := int(cursor.fetchone()[0]):
                counts[table] = found
    return counts


def _choose_keys(root: Path, manifest: dict[str, Any], keys_dir: Path | None) -> _Keys:
    """The keys the restored site will use, checked against the samples of encrypted data in the manifest."""
    notes: list[str] = []
    supplied: dict[str, str] = {}
    if keys_dir is not None:
        for name in KEY_FILES:
            path = keys_dir / name
            if path.is_file():
                supplied[name] = path.read_text(encoding="utf-8").strip()
        if "field_keys" not in supplied:
            raise BackupError(f"{keys_dir} holds no field_keys file (with --keys, a folder like the data directory)")
        source = f"--keys {keys_dir}"
    elif manifest["keys"]["included"]:
        for name in KEY_FILES:
            path = root / "keys" / name
            if path.is_file():
                supplied[name] = path.read_text(encoding="utf-8").strip()
        source = "the backup"
    else:
        source = ""
    files: dict[str, str] = {}
    field_keys: list[str] = []
    for name, env_name in KEY_FILES.items():
        if _key_from_environment(env_name):
            value = _configured_key(env_name)
            if name in supplied and supplied[name] != value:
                notes.append(f"{env_name} is set in the environment and differs from {name} of {source}: it is used")
        elif name in supplied:
            value = supplied[name]
            files[name] = value
        else:
            value = _configured_key(env_name)
            if name != "secret_key":
                notes.append(f"{name}: neither the backup nor --keys has it; the data directory's own is kept")
        if name == "field_keys":
            field_keys = config.split_list(value)
    unreadable = [
        column
        for column, facts in sorted(manifest.get("encrypted", {}).items())
        if facts["values"] and not _decrypts(field_keys, str(facts["sample"]))
    ]
    if unreadable:
        expected = ", ".join(manifest["keys"]["field_key_fingerprints"])
        have = ", ".join(fingerprint(k) for k in field_keys)
        raise BackupError(
            f"the field keys at hand do not decrypt the backup's encrypted data ({', '.join(unreadable)}): "
            f"the backup was made with keys {expected}, the keys here are {have}. "
            + (
                "GONGZHI_FIELD_KEYS is set in this site's environment and wins over any key file: set it to the "
                "backup's keys (or leave it empty to use the backup's)."
                if _key_from_environment("GONGZHI_FIELD_KEYS")
                else "The backup holds no keys (--without-keys): give them with --keys DIR (a folder holding "
                "field_keys) or GONGZHI_FIELD_KEYS."
                if not manifest["keys"]["included"] and keys_dir is None
                else "Give the keys the backup was made with: --keys DIR, or GONGZHI_FIELD_KEYS."
            )
        )
    blind = fingerprint(supplied.get("blind_index_key") or _configured_key("GONGZHI_BLIND_INDEX_KEY"))
    if blind != manifest["keys"].get("blind_index_key_fingerprint"):
        notes.append(
            "the blind-index key differs from the backup's: looking residents up by phone number will fail until "
            "`gongzhi rotate_field_keys --reindex` has run"
        )
    return _Keys(field_keys=field_keys, files=files, notes=notes)


def restore(
    path: Path, *, force: bool, keys_dir: Path | None = None, progress: Callable[[str], None] = lambda _line: None
) -> Report:
    started = time.monotonic()
    path = path.absolute()
    if not path.exists():
        raise BackupError(f"{path} does not exist")
    data_dir = Path(settings.DATA_DIR)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
    report = Report(path=path)
    try:
        if path.is_dir():
            root = path
        else:
            progress(f"Reading {path}…")
            root = staging / "backup"
            root.mkdir()
            _extract(path, root)
        manifest = _read_manifest(root)
        progress("Checking the backup…")
        _verify(root, manifest)
        database = manifest["database"]
        engine = connection.vendor
        if database["engine"] != engine:
            raise BackupError(
                f"the backup is of a {database['engine']} database and this site uses {engine}: restore it into a "
                f"{database['engine']} site (GONGZHI_DATABASE_URL)"
            )
        known = _known_migrations()
        newer = sorted(set(database["migrations"]) - known)
        if newer:
            raise BackupError(
                f"the backup comes from a newer schema than this gongzhi ({metadata.version('gongzhi')}) knows: "
                f"migrations {', '.join(newer[:5])}{' …' if len(newer) > 5 else ''} are not in this version. "
                f"Install gongzhi {manifest.get('gongzhi_version')} (or newer) to restore it"
            )
        keys = _choose_keys(root, manifest, keys_dir)
        rows = _target_rows()
        media_root = Path(settings.MEDIA_ROOT)
        media_there = media_root.is_dir() and any(p.is_file() for p in media_root.rglob("*"))
        if (rows or media_there) and not force:
            what = []
            if rows:
                what.append(f"the database holds {sum(rows.values())} rows in {len(rows)} tables")
            if media_there:
                what.append(f"{media_root} holds files")
            raise BackupError(
                f"the target is not empty: {'; '.join(what)}. Restore into a fresh data directory and empty database, "
                "or add --force to replace everything there (the media folder and key files are kept aside)"
            )
        if database["engine"] == "postgresql":
            _check_postgres_target(database)
        progress("Restoring the database…")
        if database["engine"] == "sqlite":
            _restore_sqlite(root / SQLITE_MEMBER)
        else:
            _restore_postgres(root / PG_MEMBER, database)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        kept_aside: list[str] = []
        source_media = root / "media"
        if path.is_dir():
            copied = staging / "media"
            if source_media.is_dir():
                shutil.copytree(source_media, copied)
            source_media = copied
        if media_root.exists():
            if media_there:
                aside = media_root.with_name(f"media.before-restore-{stamp}")
                media_root.rename(aside)
                kept_aside.append(str(aside))
            else:
                shutil.rmtree(media_root)
        if source_media.is_dir():
            source_media.rename(media_root)
        else:
            media_root.mkdir()
        for name, value in keys.files.items():
            target = data_dir / name
            if target.exists() and target.read_text(encoding="utf-8").strip() != value and force and rows:
                aside = target.with_name(f"{name}.before-restore-{stamp}")
                shutil.copy2(target, aside)
                kept_aside.append(str(aside))
            temporary = target.with_name(f".{name}.restore")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(value + "\n")
            os.replace(temporary, target)
        counts = database["tables"]
        media_count = sum(1 for m in manifest["files"] if m.startswith("media/"))
        pending = sorted(known - set(database["migrations"]))
        report.lines = [
            f"Restored from {path}: made {manifest['created_at']} by gongzhi {manifest['gongzhi_version']} on "
            f"{manifest['host']}.",
            f"Database: {sum(counts.values())} rows in {len(counts)} tables into {_target_name()}.",
            f"Media: {media_count} files into {media_root}.",
            "Keys: "
            + (", ".join(f"{data_dir / n}" for n in keys.files) or "none written (from the environment)")
            + "; the encrypted data decrypts with them.",
        ]
        if kept_aside:
            report.lines.append("Kept aside (remove once the restored site is checked): " + ", ".join(kept_aside))
        if pending:
            report.lines.append(
                f"The backup's schema is older than this version: run `gongzhi migrate` ({len(pending)} migrations "
                "to apply) before starting the site."
            )
        report.warnings = keys.notes
    except OSError as exc:
        raise BackupError(f"could not restore: {exc}") from exc
    except DatabaseError as exc:
        raise BackupError(f"could not reach the target database: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report.seconds = time.monotonic() - started
    return report


def _target_name() -> str:
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return str(db["NAME"])
    return f"PostgreSQL database {db['NAME']} on {db.get('HOST') or 'the local socket'}"


def _restore_sqlite(source_file: Path) -> None:
    connection.close()
    target_name = settings.DATABASES["default"]["NAME"]
    source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True)
    target = sqlite3.connect(target_name, timeout=20)
    try:
        # The backup API replaces the target's whole content in one transaction (and works on a live file: no copy
        # over a database another process has open).
        source.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as exc:
        raise BackupError(f"could not write the SQLite database {target_name}: {exc}") from exc
    finally:
        target.close()
        source.close()


def _check_postgres_target(database: dict[str, Any]) -> None:
    with connection.cursor() as cursor:
        major, version = _pg_server_major(cursor)
    if major < int(database["server_major"]):
        raise BackupError(
            f"the backup comes from PostgreSQL {database['server_version']} and this server is {version}: restore "
            "into a server of the same major version or newer"
        )


@contextlib.contextmanager
def _stderr_file() -> Iterator[IO[str]]:
    with tempfile.TemporaryFile("w+", encoding="utf-8") as handle:
        yield handle


def _restore_postgres(dump: Path, database: dict[str, Any]) -> None:
    with connection.cursor() as cursor:
        major, _version = _pg_server_major(cursor)
        cursor.execute(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
        )
        existing = cursor.fetchall()
    connection.close()
    pg_restore, _ = pg_tool("pg_restore", max(major, int(database.get("tool_major") or major)))
    psql, _ = pg_tool("psql", major)
    conninfo, env = _libpq()
    kinds = {"r": "TABLE", "p": "TABLE", "f": "FOREIGN TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
    # What an earlier `migrate` made (empty, or --force) goes in the same transaction as the restore.
    prefix = "".join(
        f"DROP {kinds[kind]} IF EXISTS {_quote(name)} CASCADE;\n"
        for name, kind in sorted(existing, key=lambda row: "rpfvmS".index(row[1]))
    )
    with _stderr_file() as restore_err, _stderr_file() as psql_err:
        writer = subprocess.Popen(
            [str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d", conninfo],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_err,
            env=env,
        )
        assert writer.stdin is not None
        try:
            writer.stdin.write(prefix.encode("utf-8"))
            writer.stdin.flush()
            reader = subprocess.run(
                [str(pg_restore), "--no-owner", "--no-privileges", "-f", "-", str(dump)],
                stdout=writer.stdin,
                stderr=restore_err,
                check=False,
            )
        finally:
            with contextlib.suppress(BrokenPipeError):
                writer.stdin.close()
            writer.wait()
        restore_err.seek(0)
        psql_err.seek(0)
        if reader.returncode or writer.returncode:
            raise BackupError(
                "the PostgreSQL restore failed and was rolled back (the database is as it was): "
                + (restore_err.read().strip() or psql_err.read().strip())
            )

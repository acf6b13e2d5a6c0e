"""A throwaway PostgreSQL cluster for benchmarks (the same recipe as scripts/test.sh).

The server binaries are on the machines (``/usr/lib/postgresql/*/bin``); ``initdb`` refuses root, so as root the
cluster is created and run as the ``postgres`` user. Never for data: the cluster is deleted on exit.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here (Debian package postgresql)."""


def find_bindir() -> Path:
    candidates = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        candidates.append(out)
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    raise PostgresUnavailable("PostgreSQL server binaries not found (install the Debian package postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _postgres_dir(path: Path) -> Path:
    """A directory the server's user owns, mode 0700 (as initdb and pg_basebackup want it)."""
    path.mkdir(mode=0o700)
    if _as_postgres():
        shutil.chown(path, "postgres")
    return path


def _start(bindir: Path, data: Path, port: int, options: str) -> None:
    subprocess.run(
        [
            *_as_postgres(),
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(data / "log"),
            "-o",
            f"-c listen_addresses=127.0.0.1 -p {port} -k {data} {options}",
            "start",
        ],
        check=True,
        capture_output=True,
    )


def _stop(bindir: Path, data: Path) -> None:
    subprocess.run(
        [*_as_postgres(), str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
        check=False,
        capture_output=True,
    )


def _initdb_and_start(bindir: Path, data: Path, port: int, options: str) -> str:
    subprocess.run(
        [
            *_as_postgres(),
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        capture_output=True,
    )
    _start(bindir, data, port, options)
    subprocess.run(
        [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "gongzhi"],
        check=True,
        capture_output=True,
    )
    return f"postgres://postgres@127.0.0.1:{port}/gongzhi"


@contextmanager
def throwaway_postgres(*, tuned: bool = False) -> Iterator[str]:
    """Start a cluster, yield its postgres:// URL (database ``gongzhi`` created), stop and delete it on exit.

    ``tuned`` turns durability off (fsync, synchronous commit) for bulk fills; measurements keep the defaults.
    """
    bindir = find_bindir()
    scratch = Path(tempfile.mkdtemp(prefix="gongzhi-pg."))
    scratch.chmod(0o755)
    data = _postgres_dir(scratch / "data")
    options = "-c max_connections=200"
    if tuned:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB"
    try:
        yield _initdb_and_start(bindir, data, _free_port(), options)
    finally:
        _stop(bindir, data)
        shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def throwaway_primary_and_replica() -> Iterator[tuple[str, str]]:
    """A primary and a streaming replica of it (a hot standby made by ``pg_basebackup -R``), each on its own port;
    yields their postgres:// URLs (database ``gongzhi``), stops and deletes both on exit.

    The primary runs with ``wal_level=replica`` and WAL senders; the replica follows it over a replication connection
    (trust on 127.0.0.1, as initdb writes pg_hba.conf with ``--auth=trust``) and answers read-only queries. Durability
    is off on both (fsync): a throwaway pair for tests.
    """
    bindir = find_bindir()
    scratch = Path(tempfile.mkdtemp(prefix="gongzhi-pg-pair."))
    scratch.chmod(0o755)
    primary, replica = scratch / "primary", scratch / "replica"
    quick = "-c fsync=off -c full_page_writes=off -c max_connections=100"
    started: list[Path] = []
    try:
        _postgres_dir(primary)
        primary_port = _free_port()
        started.append(primary)
        primary_url = _initdb_and_start(
            bindir, primary, primary_port, f"{quick} -c wal_level=replica -c max_wal_senders=4"
        )
        _postgres_dir(replica)
        subprocess.run(
            [
                *_as_postgres(),
                str(bindir / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(primary_port),
                "-U",
                "postgres",
                "-D",
                str(replica),
                "-R",  # standby.signal and primary_conninfo: start as a streaming replica
                "-X",
                "stream",
                "-c",
                "fast",
            ],
            check=True,
            capture_output=True,
        )
        replica_port = _free_port()
        started.append(replica)
        # Queries on the standby are never cancelled by replay (tests pause and resume it under them).
        _start(bindir, replica, replica_port, f"{quick} -c hot_standby=on -c max_standby_streaming_delay=-1")
        yield primary_url, f"postgres://postgres@127.0.0.1:{replica_port}/gongzhi"
    finally:
        for data in reversed(started):
            _stop(bindir, data)
        shutil.rmtree(scratch, ignore_errors=True)

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


@contextmanager
def throwaway_postgres(*, tuned: bool = False) -> Iterator[str]:
    """Start a cluster, yield its postgres:// URL (database ``gongzhi`` created), stop and delete it on exit.

    ``tuned`` turns durability off (fsync, synchronous commit) for bulk fills; measurements keep the defaults.
    """
    bindir = find_bindir()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    scratch = Path(tempfile.mkdtemp(prefix="gongzhi-pg."))
    scratch.chmod(0o755)
    data = scratch / "data"
    data.mkdir()
    if as_postgres:
        shutil.chown(data, "postgres")
    port = _free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c max_connections=200"
    if tuned:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB"
    try:
        subprocess.run(
            [
                *as_postgres,
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
        subprocess.run(
            [
                *as_postgres,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-w",
                "-l",
                str(data / "log"),
                "-o",
                options,
                "start",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "gongzhi"],
            check=True,
            capture_output=True,
        )
        yield f"postgres://postgres@127.0.0.1:{port}/gongzhi"
    finally:
        subprocess.run(
            [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(scratch, ignore_errors=True)

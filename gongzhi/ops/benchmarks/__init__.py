"""Benchmarks behind ``gongzhi bench NAME``: a small registry of name -> run(stdout, options).

A benchmark is a module in this package that calls ``register``; the ``bench`` command discovers the modules, gives
each one a sub-command with its own arguments, and calls ``run``. A run prints readable lines with units and, as its
last line, one JSON object with the same figures (what ``run`` returns), so scripts can parse the final line.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import tempfile
from argparse import ArgumentParser
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol


class Writer(Protocol):
    """What a benchmark writes to: Django's OutputWrapper (which ends each write with a newline)."""

    def write(self, msg: str) -> Any: ...


RunFunction = Callable[[Writer, Mapping[str, Any]], dict[str, Any]]
ArgumentsFunction = Callable[[ArgumentParser], None]


@dataclass(frozen=True)
class Benchmark:
    name: str
    help: str
    run: RunFunction
    add_arguments: ArgumentsFunction | None = None


_registry: dict[str, Benchmark] = {}


def register(
    name: str, *, help: str, arguments: ArgumentsFunction | None = None
) -> Callable[[RunFunction], RunFunction]:
    """Decorator: ``@register("geo", help=..., arguments=add_arguments)`` on the benchmark's run function."""

    def decorate(run: RunFunction) -> RunFunction:
        existing = _registry.get(name)
        if existing is not None and existing.run.__module__ != run.__module__:
            raise ValueError(f"benchmark {name!r} is registered by {existing.run.__module__} and {run.__module__}")
        _registry[name] = Benchmark(name=name, help=help, run=run, add_arguments=arguments)
        return run

    return decorate


def child_step(
    stdout: Writer, options: Mapping[str, Any], steps: Mapping[str, Callable[[Any], dict[str, Any]]]
) -> dict[str, Any] | None:
    """The steps a benchmark runs in a child process (``--prepare``, ``--client JSON`` …): the first of ``steps``
    whose option is set runs with that option's value, and its figures are printed as one JSON line (what ``child``
    reads) and returned. None when the run is the benchmark itself."""
    for name, step in steps.items():
        value = options.get(name)
        if value:
            figures = step(value)
            stdout.write(json.dumps(figures))
            return figures
    return None


def registry() -> dict[str, Benchmark]:
    """Every benchmark in this package, by name (importing the modules registers them)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return dict(sorted(_registry.items()))


@contextmanager
def throwaway_environment(*, tuned: bool = False) -> Iterator[dict[str, str]]:
    """A temporary data directory and a throwaway PostgreSQL cluster (``tuned``: settings for bulk loads), as the
    environment to give ``child`` processes; both are removed afterwards."""
    from gongzhi.ops.pgserver import throwaway_postgres

    with tempfile.TemporaryDirectory(prefix="gongzhi-bench-") as tmp, throwaway_postgres(tuned=tuned) as url:
        yield {"GONGZHI_DATA_DIR": tmp, "GONGZHI_DATABASE_URL": url}


def child(args: list[str], env: Mapping[str, str] | None = None, timeout: float = 900) -> dict[str, Any]:
    """Run ``gongzhi ARGS`` in a fresh process (its own settings and database) and return the JSON object it printed
    last; ``env`` is added to this process's environment. A failure raises with the end of its output."""
    done = subprocess.run(
        [sys.executable, "-m", "gongzhi", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in done.stdout.strip().splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"`gongzhi {' '.join(args)}` failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result

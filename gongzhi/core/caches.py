"""The per-process caches, each with the function that empties it, so they can be emptied together.

DESIGN.md §8: a process keeps nothing that is not a cache — entries expire and changes made in the process drop them.
What no expiry covers is a test database rolled back under a cache: the next test is handed the same ids again, so
an entry kept from the previous test describes rows that are gone (a triage model cached for jurisdiction 1 outlived
its test and, expiring half-way through the next one, made two runs of one simulation differ). Each module that keeps
such a cache registers it here, and the test suite empties them all before and after every test (gongzhi/conftest.py).
Pure: no Django import.
"""

from __future__ import annotations

from collections.abc import Callable

_forgetters: dict[str, Callable[[], object]] = {}


def register(name: str, forget: Callable[[], object]) -> None:
    """Declare the cache ``name`` (its module's dotted name) and the call that empties it (registering again
    replaces it: a module imported twice)."""
    _forgetters[name] = forget


def registered() -> list[str]:
    return sorted(_forgetters)


def forget_all() -> None:
    """Empty every registered cache of this process."""
    for forget in _forgetters.values():
        forget()

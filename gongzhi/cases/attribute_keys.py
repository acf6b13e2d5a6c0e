"""Which keys of a case's ``attributes`` are gongzhi's own (pure, ``mypy --strict``).

A case's attributes hold what the reporter answered to its category's questions (Open311 ``attribute[CODE]``, the
exchange API's ``attributes``) and, under reserved keys, what the interfaces record for themselves: the Open311
client's photo address (``_media_url``, shown as ``media_url``), the Open311 key that filed it (``_open311_key``:
that key then sees the case in full) and its name. A client that could set those would put any address in public
answers or widen a key's view, so reserved keys are refused on every way in; only the interfaces write them, through
``cases.services.submit(internal_attributes=...)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

PREFIX: Final = "_"
# Written by the interfaces themselves (each also starts with the prefix; named here so a reader finds them).
# ``_raised_at``: "meeting:<id>", a problem raised at a meeting (书记面对面) the console filed (issue 30).
INTERNAL: Final = frozenset({"_media_url", "_open311_client", "_open311_key", "_raised_at"})


def is_reserved(key: str) -> bool:
    """Starts with "_" (after any spaces, in any case) or is one of the internal keys."""
    text = key.strip().casefold()
    return text.startswith(PREFIX) or text in INTERNAL


def reserved(keys: Iterable[str]) -> list[str]:
    """The reserved keys among ``keys``, in their order."""
    return [key for key in keys if is_reserved(key)]

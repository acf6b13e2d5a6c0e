"""Location from text: the building, compound and administrative names of the jurisdiction found in a request that
came without GPS or a building QR code. Pure: no Django import.

The gazetteer is a list of names with what they point at. The longest name found wins (幸福里小区3号楼 over
幸福里小区), then the most specific kind (building over compound over community over street over district); a name
must be at least two characters long, and short names (2 characters) must stand as a whole name with a place suffix
in the text to count, so a street called 和平 does not match 和平共处.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final


def normalise(text: str) -> str:
    """NFKC and lower case; digits stay (they tell 3栋 from 5栋)."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


KINDS: Final[tuple[str, ...]] = ("building", "compound", "micro_grid", "grid", "community", "street", "district")
SUFFIXES: Final[tuple[str, ...]] = ("小区", "社区", "街道", "路", "街", "苑", "园", "村", "号楼", "栋", "区", "镇")


@dataclass(frozen=True)
class Place:
    name: str
    kind: str
    node_id: int | None = None
    building_id: int | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Found:
    place: Place
    matched: str


def _aliases(name: str) -> set[str]:
    """The name as written, and without a generic suffix (阳光花园小区 → 阳光花园), normalised."""
    base = normalise(name)
    names = {base}
    for suffix in ("小区", "社区居委会", "居委会", "社区", "街道办事处", "街道办", "街道"):
        if base.endswith(suffix) and len(base) - len(suffix) >= 3:
            names.add(base[: -len(suffix)])
    for name in list(names):
        # Residents write 3号楼 and 3幢 for 3栋.
        for written, said in (("栋", "号楼"), ("栋", "幢"), ("号楼", "栋")):
            if name.endswith(written) and name[: -len(written)][-1:].isdigit():
                names.add(name[: -len(written)] + said)
    return {n for n in names if len(n) >= 2}


class Gazetteer:
    """Names indexed by their first two characters, so a lookup costs one probe per position of the text."""

    def __init__(self, places: Iterable[Place]) -> None:
        self._index: dict[str, list[tuple[str, Place]]] = {}
        for place in places:
            for alias in _aliases(place.name):
                self._index.setdefault(alias[:2], []).append((alias, place))
        rank = {kind: i for i, kind in enumerate(KINDS)}
        for entries in self._index.values():
            entries.sort(key=lambda e: (-len(e[0]), rank.get(e[1].kind, len(KINDS))))

    def __len__(self) -> int:
        return sum(len(v) for v in self._index.values())

    def find(self, text: str) -> Found | None:
        text = normalise(text)
        rank = {kind: i for i, kind in enumerate(KINDS)}
        best: Found | None = None
        for i in range(len(text) - 1):
            for alias, place in self._index.get(text[i : i + 2], ()):
                if not text.startswith(alias, i):
                    continue
                if len(alias) <= 2 and not text.startswith(SUFFIXES, i + len(alias)):
                    continue
                if (
                    best is None
                    or len(alias) > len(best.matched)
                    or (len(alias) == len(best.matched) and rank[place.kind] < rank[best.place.kind])
                ):
                    best = Found(place, alias)
                break  # entries are longest first: the first fitting one is the best at this position
        return best

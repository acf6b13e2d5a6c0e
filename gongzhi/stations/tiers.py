"""The tier check: which required service items a station lacks for its tier. Pure: no Django import.

What each tier requires is data (``stations.TierRequirement`` rows; the demo ships the practice's 16 / 12 / 8 item
sets for tiers 1 / 2 / 3), handed in as a mapping from tier to the required item codes in display order.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TierCheck:
    """A station's standing against its tier: the required codes, the ones it lacks (in the requirement's order)."""

    tier: int
    required: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def meets(self) -> bool:
        return not self.missing

    @property
    def offered(self) -> int:
        """How many of the required items the station offers."""
        return len(self.required) - len(self.missing)


def check(tier: int, offered: Iterable[str], requirements: Mapping[int, Sequence[str]]) -> TierCheck:
    """The tier check of a station of ``tier`` offering the item codes ``offered``. A tier with no requirements is
    met by any station; items beyond the requirement never count against it."""
    required = tuple(dict.fromkeys(requirements.get(tier, ())))
    have: Collection[str] = frozenset(offered)
    return TierCheck(tier=tier, required=required, missing=tuple(code for code in required if code not in have))

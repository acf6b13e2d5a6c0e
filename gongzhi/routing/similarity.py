"""Duplicate detection and hot-issue clustering. Pure: no Django import.

Two requests are about the same thing when their texts share most of their character bigrams (cosine over bigram
counts with the place names and stock phrases of a request weighted down) and they are close in space and time.
Look-alikes share a topic but not the specifics — "3号楼路灯不亮" and "5号楼楼道灯不亮" — so digits are *kept*
here (unlike the classifier) and the threshold sits above what topic words alone reach.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from gongzhi.routing.text import words

# Bigrams every request shares; they say nothing about which problem it is.
STOP_BIGRAMS: Final[frozenset[str]] = frozenset(
    {
        "小区",
        "请尽",
        "尽快",
        "快处",
        "处理",
        "希望",
        "麻烦",
        "谢谢",
        "相关",
        "部门",
        "反映",
        "问题",
        "我们",
        "你们",
        "一下",
        "已经",
        "现在",
        "这个",
        "那个",
        "没有",
        "不是",
        "好几",
        "几天",
        "附近",
        "的问",
        "了,",
        "请求",
        "解决",
        "居民",
        "业主",
        "情况",
        "目前",
        "一直",
        "非常",
        "严重",
        "影响",
        "我家",
        "楼下",
        "门口",
    }
)
# Characters of place words: within a few hundred metres the place says little about *which* problem it is (the
# distance check already covers where), so bigrams made of them weigh less.
PLACE_CHARS: Final[frozenset[str]] = frozenset("0123456789号楼栋幢单元门口路街巷东南西北前后左右边旁外里内上下层室区")
PLACE_WEIGHT: Final = 0.3
_SPLIT: Final = re.compile(r"[\W_]+")
EARTH_RADIUS_M: Final = 6_371_000.0
UNGROUPED_MARGIN: Final = 0.25
_NUMERALS: Final = re.compile(r"([一二三四五六七八九十]{1,3})(号楼|号|栋|幢|单元|层|楼)")
_DIGIT: Final = {c: i for i, c in enumerate("零一二三四五六七八九")}
# Texts whose vectors are kept (a few kilobytes each): more than the requests of a busy district's duplicate window.
VECTOR_CACHE: Final = 4096


def _arabic(found: re.Match[str]) -> str:
    """三号楼 → 3号楼, 十二栋 → 12栋: residents write both."""
    word = found.group(1)
    if "十" in word:
        tens, _sep, ones = word.partition("十")
        value = (_DIGIT.get(tens, 1) if tens else 1) * 10 + (_DIGIT.get(ones, 0) if ones else 0)
    else:
        value = int("".join(str(_DIGIT[c]) for c in word))
    return f"{value}{found.group(2)}"


@functools.lru_cache(maxsize=VECTOR_CACHE)
def vector(text: str) -> Mapping[str, float]:
    """L2-normalised bigram counts (digits kept: building numbers tell look-alikes apart). Remembered for the most
    recent texts: every new request is compared with up to a few hundred earlier ones nearby, the same texts again
    and again (the mapping is shared: read it, never change it)."""
    counts: Counter[str] = Counter()
    text = _NUMERALS.sub(_arabic, unicodedata.normalize("NFKC", text).lower())
    for run in _SPLIT.split(text):
        if len(run) == 1:
            counts[run] += 1
        for i in range(len(run) - 1):
            gram = run[i : i + 2]
            if gram not in STOP_BIGRAMS:
                counts[gram] += 1
    weighted = {g: n * (PLACE_WEIGHT if all(c in PLACE_CHARS for c in g) else 1.0) for g, n in counts.items()}
    norm = math.sqrt(sum(n * n for n in weighted.values()))
    return {g: n / norm for g, n in weighted.items()} if norm else {}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(g, 0.0) for g, v in a.items())


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


# ------------------------------------------------------------------------------------------------------ map cells

# The map is cut into cells of CELL_DEGREES × CELL_DEGREES (about 550 m north–south; 480 m east–west in Chengdu,
# 330 m in Mohe); each triage record keeps its cell, and the duplicate finder reads only the cells its search box
# touches (an index on jurisdiction, cell and time) instead of every request of the time window.
CELL_DEGREES: Final = 0.005
_COLUMNS: Final = 100_000  # more than the 72,000 cells around the globe
MAX_CELLS: Final = 36  # a box touching more cells than this (a search distance of kilometres) reads the window


def cell_of(lat: float, lon: float) -> int:
    """The cell holding the point, as one integer (row × 100,000 + column)."""
    return math.floor((lat + 90.0) / CELL_DEGREES) * _COLUMNS + math.floor((lon + 180.0) / CELL_DEGREES)


def cells_around(lat: float, lon: float, lat_span: float, lon_span: float) -> list[int] | None:
    """Every cell the box (lat ± lat_span, lon ± lon_span) touches, or None when there are more than MAX_CELLS."""
    first_row, last_row = (math.floor((lat + 90.0 + d) / CELL_DEGREES) for d in (-lat_span, lat_span))
    first_col, last_col = (math.floor((lon + 180.0 + d) / CELL_DEGREES) for d in (-lon_span, lon_span))
    if (last_row - first_row + 1) * (last_col - first_col + 1) > MAX_CELLS:
        return None
    return [r * _COLUMNS + c for r in range(first_row, last_row + 1) for c in range(first_col, last_col + 1)]


@dataclass(frozen=True)
class Candidate:
    """An earlier case as the duplicate finder sees it."""

    case_id: int
    text: str
    at: datetime
    lat: float | None = None
    lon: float | None = None
    node_id: int | None = None
    group: str = ""  # the suggested category: two cases in different categories are not duplicates


@dataclass(frozen=True)
class Match:
    case_id: int
    similarity: float
    distance_m: float | None


def duplicates(
    text: str,
    candidates: Iterable[Candidate],
    *,
    lat: float | None = None,
    lon: float | None = None,
    node_id: int | None = None,
    group: str = "",
    threshold: float = 0.35,
    max_distance_m: float = 300.0,
    limit: int = 3,
) -> list[Match]:
    """Earlier cases about the same problem, most similar first. Without coordinates on both sides, "nearby" means
    the same grid node. When both sides have a ``group`` (suggested category), it must be the same and the text
    similarity must reach ``threshold``; without groups to compare, the text alone must reach ``threshold`` + 0.25.
    """
    mine = vector(text)
    found = []
    for other in candidates:
        grouped = bool(group and other.group)
        if grouped and group != other.group:
            continue
        needed = threshold if grouped else threshold + UNGROUPED_MARGIN
        if lat is not None and lon is not None and other.lat is not None and other.lon is not None:
            far = distance_m(lat, lon, other.lat, other.lon)
            if far > max_distance_m:
                continue
        elif node_id is not None and other.node_id == node_id:
            far = None
        else:
            continue
        score = cosine(mine, vector(other.text))
        if score >= needed:
            found.append(Match(other.case_id, round(score, 3), None if far is None else round(far, 1)))
    found.sort(key=lambda m: (-m.similarity, m.case_id))
    return found[:limit]


# ------------------------------------------------------------------------------------------------------ hot issues


@dataclass(frozen=True)
class Item:
    case_id: int
    text: str
    at: datetime
    group: str = ""  # only items of the same group cluster together (the suggested category)
    lat: float | None = None
    lon: float | None = None
    node_id: int | None = None


@dataclass
class Cluster:
    group: str
    items: list[Item] = field(default_factory=list)
    centroid: dict[str, float] = field(default_factory=dict)

    def keywords(self, count: int = 5) -> list[str]:
        """The words (of two characters or more) most of the cluster's texts share, problem words before place
        words: 楼道 杂物 堆放, not the character pairs the similarity uses, which read as nonsense (满杂, 道里)."""
        seen: Counter[str] = Counter()
        for item in self.items:
            seen.update({w for w in words(item.text) if len(w) >= 2})
        ranked = sorted(seen.items(), key=lambda kv: (-kv[1], all(c in PLACE_CHARS for c in kv[0]), kv[0]))
        return [gram for gram, _n in ranked[:count]]


def clusters(items: Sequence[Item], *, threshold: float = 0.5, minimum: int = 2) -> list[Cluster]:
    """Leader clustering in time order within each group: an item joins the most similar cluster whose centroid it
    reaches ``threshold`` with, else starts one. Clusters of at least ``minimum`` items, biggest first."""
    found: list[Cluster] = []
    by_group: dict[str, list[Cluster]] = {}
    for item in sorted(items, key=lambda i: (i.at, i.case_id)):
        vec = vector(item.text)
        best: Cluster | None = None
        best_score = threshold
        for cluster in by_group.get(item.group, ()):
            score = cosine(vec, cluster.centroid)
            if score >= best_score:
                best, best_score = cluster, score
        if best is None:
            best = Cluster(group=item.group)
            by_group.setdefault(item.group, []).append(best)
            found.append(best)
        best.items.append(item)
        n = len(best.items)
        merged = {g: v * (n - 1) / n for g, v in best.centroid.items()}
        for g, v in vec.items():
            merged[g] = merged.get(g, 0.0) + v / n
        norm = math.sqrt(sum(v * v for v in merged.values())) or 1.0
        best.centroid = {g: v / norm for g, v in merged.items()}
    big = [c for c in found if len(c.items) >= minimum]
    big.sort(key=lambda c: (-len(c.items), c.items[0].at))
    return big

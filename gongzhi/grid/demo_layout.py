"""The demo district's shape: a deterministic five-level grid shaped like a real county district.

1 district, 4 streets, 17 communities, 115 grids, 988 micro-grids (the figures of a real county district, DESIGN.md
§1), each level a clipped Voronoi partition of its parent, so polygons never overlap and together cover the district.
Also compounds and buildings placed inside micro-grids. Pure: no Django import; ``grid.demo`` writes it to the
database and ``bench geo`` uses the polygons directly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, Polygon

SEED = 2026
# Centre of the demo district (a plausible county seat in Sichuan); the district spans about 24 km x 18 km.
CENTRE_LAT, CENTRE_LON = 30.58, 104.06
STREETS = ("城关街道", "东湖街道", "南山街道", "北苑街道")
COMMUNITIES_PER_STREET = (5, 4, 4, 4)  # 17
COMMUNITY_NAMES = (
    "幸福社区",
    "和平社区",
    "光明社区",
    "民主社区",
    "团结社区",
    "建设社区",
    "新华社区",
    "文昌社区",
    "锦绣社区",
    "长乐社区",
    "永安社区",
    "太平社区",
    "兴隆社区",
    "桂花社区",
    "柳湖社区",
    "青石社区",
    "玉泉社区",
)
GRIDS_TOTAL = 115
MICRO_GRIDS_TOTAL = 988
COMPOUND_PREFIXES = (
    "阳光",
    "金桂",
    "翠湖",
    "锦江",
    "和园",
    "春华",
    "秋实",
    "丽景",
    "书香",
    "怡和",
    "龙泉",
    "望江",
    "御景",
    "康居",
    "安居",
    "嘉园",
    "滨河",
    "紫荆",
    "银杏",
    "香樟",
    "枫林",
    "碧水",
    "蓝湾",
    "朝阳",
)
COMPOUND_SUFFIXES = ("小区", "花园", "家园", "苑", "新村", "雅居")


@dataclass(frozen=True)
class LayoutNode:
    code: str
    name: str
    level: str
    parent_code: str | None
    geometry: Any = field(compare=False)
    order: int = 0


@dataclass(frozen=True)
class LayoutCompound:
    code: str
    name: str
    node_code: str  # the grid it belongs to
    lat: float
    lon: float


@dataclass(frozen=True)
class LayoutBuilding:
    code: str
    name: str
    compound_code: str | None
    node_code: str  # the micro-grid holding it
    lat: float
    lon: float
    households: int


def spread(total: int, parts: int) -> list[int]:
    """Split ``total`` into ``parts`` whole numbers differing by at most one, larger first."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def district_polygon() -> Polygon:
    """A convex, irregular octagon: convex parents keep every clipped Voronoi cell a single convex polygon."""
    half_w, half_h = 0.125, 0.082  # degrees: ~24 km x ~18 km at this latitude
    ring = [
        (-1.0, -0.55),
        (-0.55, -1.0),
        (0.4, -0.95),
        (1.0, -0.4),
        (0.95, 0.5),
        (0.45, 1.0),
        (-0.5, 0.9),
        (-1.0, 0.35),
    ]
    return Polygon([(CENTRE_LON + x * half_w, CENTRE_LAT + y * half_h) for x, y in ring])


def _sample_inside(poly: Any, count: int, rng: random.Random) -> list[tuple[float, float]]:
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    points: list[tuple[float, float]] = []
    while len(points) < count:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(poly, x, y):
            points.append((x, y))
    return points


def partition(poly: Any, count: int, rng: random.Random, *, relax: int = 3) -> list[Any]:
    """Split a convex polygon into ``count`` convex cells (Voronoi with Lloyd relaxation), ordered west→east."""
    if count == 1:
        return [poly]
    seeds = _sample_inside(poly, count, rng)
    cells: list[Any] = []
    for step in range(relax + 1):
        diagram = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=poly.envelope.buffer(poly.length))
        by_seed = []
        for seed in seeds:
            point = Point(seed)
            cell = next(c for c in diagram.geoms if c.covers(point))
            by_seed.append(cell.intersection(poly))
        cells = by_seed
        if step < relax:  # Lloyd: move each seed to its cell's centroid for evenly sized cells
            seeds = [(c.centroid.x, c.centroid.y) for c in cells]
    cells = [shapely.set_precision(c, 1e-7) for c in cells]
    return sorted(cells, key=lambda c: (round(c.centroid.x, 4), c.centroid.y))


def build_layout(seed: int = SEED) -> list[LayoutNode]:
    """All nodes, parents before children."""
    rng = random.Random(seed)
    district = shapely.set_precision(district_polygon(), 1e-7)
    nodes = [LayoutNode("DEMO", "共治示范区", "district", None, district)]

    communities_total = sum(COMMUNITIES_PER_STREET)
    grid_counts = iter(spread(GRIDS_TOTAL, communities_total))
    micro_counts = iter(spread(MICRO_GRIDS_TOTAL, GRIDS_TOTAL))
    community_names = iter(COMMUNITY_NAMES)

    for s, (street_name, street_geom) in enumerate(
        zip(STREETS, partition(district, len(STREETS), rng), strict=True), start=1
    ):
        street_code = f"S{s:02d}"
        nodes.append(LayoutNode(street_code, street_name, "street", "DEMO", street_geom, s))
        communities = partition(street_geom, COMMUNITIES_PER_STREET[s - 1], rng)
        for c, community_geom in enumerate(communities, start=1):
            community_code = f"{street_code}C{c:02d}"
            community_name = next(community_names)
            nodes.append(LayoutNode(community_code, community_name, "community", street_code, community_geom, c))
            for g, grid_geom in enumerate(partition(community_geom, next(grid_counts), rng), start=1):
                grid_code = f"{community_code}G{g:02d}"
                nodes.append(LayoutNode(grid_code, f"{community_name}第{g}网格", "grid", community_code, grid_geom, g))
                for m, micro_geom in enumerate(partition(grid_geom, next(micro_counts), rng, relax=2), start=1):
                    nodes.append(
                        LayoutNode(
                            f"{grid_code}M{m:02d}",
                            f"{community_name}第{g}网格第{m}微网格",
                            "micro_grid",
                            grid_code,
                            micro_geom,
                            m,
                        )
                    )
    return nodes


def build_housing(nodes: list[LayoutNode], seed: int = SEED) -> tuple[list[LayoutCompound], list[LayoutBuilding]]:
    """Compounds (2–3 per grid) and buildings (1–3 per micro-grid, most in a compound of their grid)."""
    rng = random.Random(seed + 1)
    micro_by_grid: dict[str, list[LayoutNode]] = {}
    for node in nodes:
        if node.level == "micro_grid":
            assert node.parent_code is not None
            micro_by_grid.setdefault(node.parent_code, []).append(node)
    compounds: list[LayoutCompound] = []
    buildings: list[LayoutBuilding] = []
    # Unique compound names: every prefix x suffix, then second and third phases (二期, 三期) as real estates do.
    names = [f"{p}{s}{phase}" for phase in ("", "二期", "三期") for p in COMPOUND_PREFIXES for s in COMPOUND_SUFFIXES]
    first_phase = len(COMPOUND_PREFIXES) * len(COMPOUND_SUFFIXES)
    head = names[:first_phase]
    rng.shuffle(head)
    names = head + names[first_phase:]
    for grid_code, micros in micro_by_grid.items():
        chunks = np.array_split(np.arange(len(micros)), rng.choice((2, 3)))
        for k, chunk in enumerate(chunks, start=1):
            name = names.pop(0)
            code = f"{grid_code}X{k}"
            points: list[tuple[float, float]] = []
            number = 0
            for index in chunk:
                micro = micros[int(index)]
                for x, y in _sample_inside(micro.geometry, rng.randint(1, 3), rng):
                    number += 1
                    points.append((x, y))
                    buildings.append(
                        LayoutBuilding(
                            code=f"{code}B{number:02d}",
                            name=f"{name}{number}栋",
                            compound_code=code,
                            node_code=micro.code,
                            lat=round(y, 7),
                            lon=round(x, 7),
                            households=rng.choice((24, 36, 48, 60, 72)),
                        )
                    )
            lon = sum(p[0] for p in points) / len(points)
            lat = sum(p[1] for p in points) / len(points)
            compounds.append(LayoutCompound(code, name, grid_code, round(lat, 7), round(lon, 7)))
    return compounds, buildings

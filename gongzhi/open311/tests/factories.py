"""Open311 test setup: the cases test district plus a service with attributes of every datatype, and a key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gongzhi.cases.tests.factories import World, category, world
from gongzhi.open311 import keys

NOISE_ATTRIBUTES = [
    {"variable": True, "code": "periods", "datatype": "multivaluelist", "required": True, "order": 1,
     "description": "时段", "datatype_description": None,
     "values": [{"key": "night", "name": "夜间"}, {"key": "noon", "name": "午休"}, {"key": "evening", "name": "傍晚"}]},
    {"variable": True, "code": "scope", "datatype": "singlevaluelist", "required": False, "order": 2,
     "description": "范围", "datatype_description": None,
     "values": [{"key": "household", "name": "只有我家"}, {"key": "building", "name": "整栋楼"}]},
    {"variable": True, "code": "floors", "datatype": "number", "required": False, "order": 3, "description": "楼层"},
    {"variable": True, "code": "since", "datatype": "datetime", "required": False, "order": 4, "description": "开始"},
    {"variable": True, "code": "unit", "datatype": "string", "required": False, "order": 5, "description": "单元"},
    {"variable": True, "code": "detail", "datatype": "text", "required": False, "order": 6, "description": "详情"},
]  # fmt: skip


@dataclass
class Setup:
    world: World
    key: str
    noise: Any

    @property
    def jurisdiction(self) -> Any:
        return self.world.jurisdiction


def setup() -> Setup:
    w = world()
    noise = category(w.jurisdiction, "noise.night", name="夜间噪音", name_en="Night noise", attributes=NOISE_ATTRIBUTES)
    _row, raw = keys.create_key(name="city app", jurisdiction=None)
    return Setup(world=w, key=raw, noise=noise)

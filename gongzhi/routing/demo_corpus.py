"""Training text we generate ourselves for the demo catalogue: resident-style requests built from each category's
name, description and keywords, wrapped in the places, durations and asks residents use. Pure: no Django import.

No third-party text goes in. The result is only a starting model for a fresh deployment; ``gongzhi triage train``
replaces it with one learned from the deployment's own closed cases.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from gongzhi.routing.classifier import Options, Sample

# Training options for the generated text: it is easy to separate, so a stronger regularisation (small C) and a fixed
# softmax temperature keep the confidences honest (a model sure of everything would apply everything automatically);
# held-out generated text would calibrate nothing. The temperature was chosen for the plain SVM's scores, so the demo
# model stays a plain SVM (``nb=False``); models trained on a deployment's own cases use NB ratios and calibrate.
OPTIONS: Final = Options(c=0.1, calibrate=False, temperature=0.3, nb=False)

PLACES: Final[tuple[str, ...]] = (
    "我们小区",
    "{n}号楼",
    "{n}号楼{m}单元",
    "{n}栋楼下",
    "小区南门",
    "小区北门口",
    "东门外",
    "路口",
    "菜市场旁边",
    "幼儿园门口",
    "公交站旁",
    "{n}单元门口",
    "地下车库",
    "楼道里",
    "我家楼上",
    "小区广场",
    "后面那条路上",
    "社区服务站旁边",
    "学校附近",
    "超市门口",
    "",
)
OPENERS: Final[tuple[str, ...]] = ("", "你好，", "您好，", "反映一下，", "我是{n}号楼的居民，", "打扰一下，", "求助：")
DURATIONS: Final[tuple[str, ...]] = (
    "",
    "已经好几天了",
    "一个多星期了",
    "从昨天开始",
    "今天早上发现",
    "这个月已经第二次了",
    "很久了一直没人管",
    "最近经常这样",
)
ASKS: Final[tuple[str, ...]] = (
    "",
    "请尽快处理",
    "麻烦派人来看看",
    "希望有关部门管一管",
    "请帮忙解决",
    "谢谢",
    "影响大家生活，请处理",
    "请问该找谁",
)


@dataclass(frozen=True)
class CategoryText:
    code: str
    name: str
    description: str
    keywords: tuple[str, ...]
    level: str
    unit: str


def _fill(template: str, rng: random.Random) -> str:
    return template.replace("{n}", str(rng.randint(1, 30))).replace("{m}", str(rng.randint(1, 6)))


def _clauses(description: str) -> list[str]:
    return [c for c in re.split(r"[，。、；,;]", description) if len(c) >= 3]


def generate(categories: Iterable[CategoryText], *, per_category: int = 60, seed: int = 2024) -> list[Sample]:
    """``per_category`` requests per category, deterministic for a seed."""
    rng = random.Random(seed)
    samples: list[Sample] = []
    for category in categories:
        phrases = [category.name, *category.keywords] if category.keywords else [category.name]
        details = _clauses(category.description) or [category.name]
        labels = {"category": category.code, "unit": category.unit or "none", "level": category.level}
        for i in range(per_category):
            phrase = phrases[i % len(phrases)]
            other = rng.choice(phrases)
            place = _fill(rng.choice(PLACES), rng)
            shape = rng.randrange(4)
            if shape == 0:
                title = f"{place}{phrase}"
            elif shape == 1:
                title = phrase
            elif shape == 2:
                title = f"{phrase}{rng.choice(('', '问题', '没人管', '能不能处理'))}"
            else:
                title = f"{place}{other}"
            parts = [
                _fill(rng.choice(OPENERS), rng) + f"{place}{phrase}",
                rng.choice(DURATIONS),
                rng.choice(details) if rng.random() < 0.5 else other,
                rng.choice(ASKS),
            ]
            body = "，".join(p for p in parts if p) + "。"
            samples.append(Sample(title=title, body=body if rng.random() < 0.85 else "", labels=labels))
    return samples

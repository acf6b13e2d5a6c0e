"""The seed catalogue is well formed. Pure: no database, no Django."""

import re
from collections import Counter

import pytest

from gongzhi.cases import seed_catalogue as sc
from gongzhi.cases.seed_catalogue import (
    CATALOGUE,
    DATATYPES,
    DEFAULT_SLA,
    DEPARTMENT_KINDS,
    EMERGENCY_TERMS,
    KINDS,
    LEVELS,
    LIST_DATATYPES,
    URGENCIES,
    Category,
    SlaTarget,
    iter_categories,
    iter_leaves,
)

# Column sizes of CaseCategory (cases/models.py); a longer value would not fit on seeding.
CODE_MAX = 64
NAME_MAX = 100
DESCRIPTION_MAX = 300

SLUG = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
ATTRIBUTE_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
HAN = re.compile(r"[\u4e00-\u9fff]")

NODES = list(iter_categories())
LEAVES = [node for node, _parent, _sla in NODES if node.is_leaf]
BY_NAME = {node.name: node for node in LEAVES}
SLA_BY_CODE = {node.code: sla for node, _parent, sla in NODES}

# The community work the catalogue must cover, by leaf name, with the expected kind.
REQUIRED = {
    "下水道堵塞": "report",
    "污水外溢": "report",
    "管道漏水": "report",
    "路灯不亮": "report",
    "垃圾未清运": "report",
    "垃圾分类": "report",
    "公厕问题": "report",
    "施工噪音": "report",
    "商业噪音": "report",
    "邻里噪音": "report",
    "占道停车": "report",
    "消防通道堵塞": "report",
    "占道经营": "report",
    "物业服务": "report",
    "物业收费": "report",
    "暖气不热": "report",
    "电梯故障": "report",
    "被困电梯": "report",
    "房屋裂缝": "report",
    "外墙脱落": "report",
    "高空抛物": "report",
    "飞线充电": "report",
    "楼道堆物": "report",
    "树木倒伏": "report",
    "绿地破坏": "report",
    "流浪犬猫": "report",
    "邻里纠纷": "report",
    "治安隐患": "report",
    "可疑人员": "report",
    "燃气泄漏": "report",
    "火灾隐患": "report",
    "停电": "report",
    "电线裸露": "report",
    "停水": "report",
    "水质异常": "report",
    "低保申请": "errand",
    "临时救助": "errand",
    "残疾人补贴": "errand",
    "证明开具": "errand",
    "代办服务": "errand",
    "独居老人求助": "help",
    "居家养老服务": "help",
    "助餐": "help",
    "意见建议": "report",
}

EMERGENCIES = ["燃气泄漏", "被困电梯", "电线裸露", "起火冒烟", "道路塌陷"]


def test_size_of_the_tree():
    assert 12 <= len(CATALOGUE) <= 18
    assert 60 <= len(LEAVES) <= 95
    assert all(not group.is_leaf for group in CATALOGUE)


def test_codes_are_unique_slugs():
    codes = [node.code for node, _parent, _sla in NODES]
    assert [code for code, n in Counter(codes).items() if n > 1] == []
    for code in codes:
        assert SLUG.match(code), code
        assert len(code) <= CODE_MAX, code


def test_codes_follow_the_hierarchy():
    for node, parent, _sla in NODES:
        if parent is None:
            assert "." not in node.code, node.code
        else:
            assert node.code.startswith(parent + "."), (parent, node.code)
            assert node.code.count(".") == parent.count(".") + 1, node.code
        for child in node.children:
            assert child.code.startswith(node.code + "."), child.code


def test_parents_come_before_children():
    seen: set[str] = set()
    for node, parent, _sla in NODES:
        assert parent is None or parent in seen, node.code
        seen.add(node.code)


def test_every_node_has_valid_fields():
    for node, _parent, _sla in NODES:
        assert node.kind in KINDS, node.code
        assert node.default_level in LEVELS, node.code
        assert node.department is None or node.department in DEPARTMENT_KINDS, node.code
        assert node.urgency in URGENCIES, node.code
        assert set(node.sla) <= set(URGENCIES), node.code
        assert node.name.strip() and HAN.search(node.name), node.code
        assert len(node.name) <= NAME_MAX, node.code
        assert node.name_en.strip() and node.name_en.isascii(), node.code
        assert node.description.strip() and HAN.search(node.description), node.code
        assert len(node.description) <= DESCRIPTION_MAX, node.code


def test_department_kinds_match_the_grid_choices():
    # grid/choices.py needs Django; read the values from its source instead of importing it.
    from pathlib import Path

    source = (Path(sc.__file__).parent.parent / "grid" / "choices.py").read_text(encoding="utf-8")
    block = source.split("class DepartmentKind", 1)[1].split("\nclass ", 1)[0]
    assert set(re.findall(r'= "([a-z_]+)"', block)) == set(DEPARTMENT_KINDS)


def test_names_are_unique_among_leaves():
    names = [leaf.name for leaf in LEAVES]
    assert [name for name, n in Counter(names).items() if n > 1] == []


def test_leaves_have_keywords():
    for leaf in LEAVES:
        assert 5 <= len(leaf.keywords) <= 15, leaf.code
        assert len(set(leaf.keywords)) == len(leaf.keywords), leaf.code
        for word in leaf.keywords:
            assert word == word.strip() and word, leaf.code
            assert not any(ch.isspace() for ch in word), (leaf.code, word)


def test_a_keyword_that_names_a_leaf_belongs_to_that_leaf():
    # Triage would send "停水" to whichever category lists it; the one named so must be the only one.
    names = {leaf.name: leaf.code for leaf in LEAVES}
    for leaf in LEAVES:
        for word in leaf.keywords:
            if word in names:
                assert names[word] == leaf.code, (leaf.code, word)


def test_every_category_has_a_complete_effective_sla():
    for node, _parent, sla in NODES:
        assert set(sla) == set(URGENCIES), node.code
        for urgency, target in sla.items():
            assert isinstance(target, SlaTarget), (node.code, urgency)
            assert 0 < target.response_minutes <= target.resolve_minutes, (node.code, urgency)


def test_more_urgent_is_never_slower():
    for node, _parent, sla in NODES:
        emergency, urgent, normal = sla["emergency"], sla["urgent"], sla["normal"]
        assert emergency.resolve_minutes <= urgent.resolve_minutes <= normal.resolve_minutes, node.code
        assert emergency.response_minutes <= urgent.response_minutes <= normal.response_minutes, node.code
        # Minutes compare only when the more urgent target is on the faster (wall-clock) clock.
        assert not emergency.working_time, node.code
        assert not urgent.working_time or normal.working_time, node.code


def test_targets_are_realistic():
    for node, _parent, sla in NODES:
        assert sla["emergency"].response_minutes <= 30, node.code
        assert sla["emergency"].resolve_minutes <= sc.DAY, node.code
        assert sla["urgent"].response_minutes <= 2 * sc.HOUR, node.code
        assert sla["urgent"].resolve_minutes <= sc.DAY, node.code
        assert sla["normal"].response_minutes <= sc.DAY, node.code
        assert sla["normal"].resolve_minutes <= 30 * sc.DAY, node.code
    assert SLA_BY_CODE[BY_NAME["低保申请"].code]["normal"] == (sc.DAY, 30 * sc.DAY, True)


def test_sla_is_inherited_unless_overridden():
    child = Category(
        code="g.c",
        name="子",
        name_en="child",
        description="子类。",
        default_level="grid",
        sla={"urgent": SlaTarget(60, 600, False)},
    )
    group = Category(
        code="g",
        name="组",
        name_en="group",
        description="分组。",
        default_level="street",
        sla={"normal": SlaTarget(1440, 2880, True)},
        children=(child,),
    )
    rows = list(iter_categories([group]))
    assert [(node.code, parent) for node, parent, _sla in rows] == [("g", None), ("g.c", "g")]
    assert rows[0][2] == {**DEFAULT_SLA, "normal": (1440, 2880, True)}
    assert rows[1][2] == {
        "normal": (1440, 2880, True),
        "urgent": (60, 600, False),
        "emergency": DEFAULT_SLA["emergency"],
    }


def test_default_sla_is_complete():
    assert set(DEFAULT_SLA) == set(URGENCIES)


def test_attributes_are_valid_open311():
    for node, _parent, _sla in NODES:
        codes = [a.code for a in node.attributes]
        assert len(set(codes)) == len(codes), node.code
        orders = [a.order for a in node.attributes]
        assert orders == list(range(1, len(orders) + 1)), node.code
        for attribute in node.attributes:
            where = (node.code, attribute.code)
            assert ATTRIBUTE_CODE.match(attribute.code), where
            assert attribute.datatype in DATATYPES, where
            assert attribute.description.strip() and HAN.search(attribute.description), where
            if attribute.datatype in LIST_DATATYPES:
                keys = [v.key for v in attribute.values]
                assert keys, where
                assert len(set(keys)) == len(keys), where
                assert all(ATTRIBUTE_CODE.match(key) for key in keys), where
                assert all(v.name.strip() for v in attribute.values), where
            else:
                assert attribute.values == (), where


def test_attribute_to_open311():
    lift = BY_NAME["电梯故障"]
    rendered = lift.attributes_open311()
    trapped = next(a for a in rendered if a["code"] == "anyone_trapped")
    assert trapped["datatype"] == "singlevaluelist"
    assert trapped["required"] is True
    assert trapped["variable"] is True
    assert {"key": "yes", "name": "是"} in trapped["values"]
    building = next(a for a in rendered if a["code"] == "building_unit")
    assert building["datatype"] == "string"
    assert "values" not in building


@pytest.mark.parametrize(("name", "kind"), sorted(REQUIRED.items()))
def test_required_community_category(name, kind):
    assert name in BY_NAME, name
    assert BY_NAME[name].kind == kind


def test_errand_and_help_groups():
    for leaf in LEAVES:
        if leaf.code.startswith("errands."):
            assert leaf.kind == "errand", leaf.code
        if leaf.code.startswith("care."):
            assert leaf.kind == "help", leaf.code


def test_typical_handling_levels():
    assert BY_NAME["楼道堆物"].default_level == "micro_grid"
    assert BY_NAME["邻里纠纷"].default_level == "community"
    assert BY_NAME["邻里纠纷"].department is None
    assert BY_NAME["占道经营"].default_level == "street"
    assert BY_NAME["燃气泄漏"].default_level == "district"
    assert BY_NAME["燃气泄漏"].department == "gas"


def test_levels_spread_over_the_ladder():
    # The 721 shape needs most categories solvable in the community or below.
    levels = Counter(leaf.default_level for leaf in LEAVES)
    assert set(levels) == set(LEVELS)
    low = levels["micro_grid"] + levels["grid"] + levels["community"]
    assert low >= levels["district"]


@pytest.mark.parametrize("name", EMERGENCIES)
def test_emergency_categories(name):
    leaf = BY_NAME[name]
    assert leaf.urgency == "emergency"
    assert leaf.default_level == "district"


def test_every_emergency_category_is_caught_by_an_emergency_term():
    for leaf in LEAVES:
        if leaf.urgency == "emergency":
            assert any(term in word for word in leaf.keywords for term in EMERGENCY_TERMS), leaf.code


def test_no_ordinary_keyword_contains_an_emergency_term():
    # Otherwise a resident choosing the ordinary wording would be raised to an emergency.
    for leaf in LEAVES:
        if leaf.urgency != "emergency":
            hits = [(word, term) for word in leaf.keywords for term in EMERGENCY_TERMS if term in word]
            assert hits == [], leaf.code


def test_emergency_terms_and_the_negations_triage_uses():
    from gongzhi.routing.urgency import NEGATIONS

    assert {"燃气泄漏", "煤气味", "起火", "冒烟", "触电", "坠落", "被困电梯", "困在电梯"} <= set(EMERGENCY_TERMS)
    assert len(set(EMERGENCY_TERMS)) == len(EMERGENCY_TERMS)
    assert all(word and word == word.strip() for word in EMERGENCY_TERMS)
    assert not set(EMERGENCY_TERMS) & set(NEGATIONS)  # a term that is also a negation could never fire


def test_iter_leaves_matches_iter_categories():
    assert [leaf.code for leaf in iter_leaves()] == [leaf.code for leaf in LEAVES]

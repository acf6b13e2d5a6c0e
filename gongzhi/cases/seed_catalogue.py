"""The seed catalogue of case categories: a tree of groups and leaf categories. Pure data, no Django import.

The top of the tree follows the event and component classes of the national digital city-management standard
(GB/T 30428.2 部件和事件: 市容环境, 宣传广告, 施工管理, 突发事件, 街面秩序, 公用设施, 道路交通, 园林绿化,
房屋土地 …) where they apply, and adds the community work the standard leaves out: drainage and leaks, property
management, heating, lifts, neighbour disputes, social assistance, elderly care, certificates and proxy errands.
Written from public knowledge of how Chinese communities and 12345 hotlines sort requests; no third-party dataset
is copied.

A node's ``code`` is stable and becomes the Open311 ``service_code``; never rename one that has been seeded, add a
new node instead. ``sla`` on a node overrides only the urgencies it names; the others come from the parent, and at
the top from ``DEFAULT_SLA``, so every category has targets for all three urgencies (see ``iter_categories``).

Minutes are on the working-time clock of ``cases/sla.py`` when ``working_time`` is set: a working day counts whole
(1440 minutes) and days off do not count, so "1 working day" is 1440 and "5 working days" 7200.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal, NamedTuple, get_args

Kind = Literal["report", "errand", "help"]
Level = Literal["micro_grid", "grid", "community", "street", "district"]
Urgency = Literal["normal", "urgent", "emergency"]
DepartmentKind = Literal[
    "city_management",
    "housing",
    "power",
    "water",
    "environment",
    "police",
    "property",
    "civil_affairs",
    "transport",
    "market",
    "health",
    "gas",
    "emergency",
    "other",
]
Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]

KINDS: Final[tuple[Kind, ...]] = get_args(Kind)
# Lowest first: the escalation ladder 小区内循环 → 社区微循环 → 街镇小循环 → 区级大循环.
LEVELS: Final[tuple[Level, ...]] = get_args(Level)
URGENCIES: Final[tuple[Urgency, ...]] = get_args(Urgency)
DEPARTMENT_KINDS: Final[tuple[DepartmentKind, ...]] = get_args(DepartmentKind)
DATATYPES: Final[tuple[Datatype, ...]] = get_args(Datatype)
LIST_DATATYPES: Final[tuple[Datatype, ...]] = ("singlevaluelist", "multivaluelist")

HOUR: Final = 60
DAY: Final = 1440  # also one working day on the working-time clock


class SlaTarget(NamedTuple):
    response_minutes: int
    resolve_minutes: int
    working_time: bool


@dataclass(frozen=True)
class AttributeValue:
    key: str
    name: str


@dataclass(frozen=True)
class Attribute:
    """An Open311 GeoReport v2 attribute definition (the ``attributes`` of a service definition)."""

    code: str
    datatype: Datatype
    description: str
    required: bool = False
    order: int = 0
    values: tuple[AttributeValue, ...] = ()

    def to_open311(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "variable": True,
            "code": self.code,
            "datatype": self.datatype,
            "required": self.required,
            "datatype_description": None,
            "order": self.order,
            "description": self.description,
        }
        if self.datatype in LIST_DATATYPES:
            data["values"] = [{"key": v.key, "name": v.name} for v in self.values]
        return data


@dataclass(frozen=True)
class Category:
    """A group (has children) or a leaf category. Fields map onto ``CaseCategory`` plus its ``SlaPolicy`` rows."""

    code: str
    name: str
    name_en: str
    description: str
    default_level: Level
    kind: Kind = "report"
    department: DepartmentKind | None = None
    urgency: Urgency = "normal"
    # Overrides for the urgencies named; the rest are inherited.
    sla: Mapping[Urgency, SlaTarget] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    children: tuple[Category, ...] = ()
    # A light matter a volunteer may run for the handler (代办; ``CaseCategory.errand``).
    errand: bool = False

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def attributes_open311(self) -> list[dict[str, Any]]:
        return [a.to_open311() for a in self.attributes]


# Fallback for every category: emergencies answered in 30 minutes and made safe within a day, around the clock;
# urgent matters answered in 2 hours and solved within a day; the rest answered within one working day and solved
# within five.
DEFAULT_SLA: Final[Mapping[Urgency, SlaTarget]] = {
    "normal": SlaTarget(DAY, 5 * DAY, True),
    "urgent": SlaTarget(2 * HOUR, DAY, False),
    "emergency": SlaTarget(30, DAY, False),
}


def _working_days(response_days: float, resolve_days: float) -> SlaTarget:
    return SlaTarget(round(response_days * DAY), round(resolve_days * DAY), True)


def _choices(*pairs: tuple[str, str]) -> tuple[AttributeValue, ...]:
    return tuple(AttributeValue(key, name) for key, name in pairs)


def _attr(
    code: str,
    datatype: Datatype,
    description: str,
    *,
    required: bool = False,
    values: tuple[AttributeValue, ...] = (),
) -> Attribute:
    return Attribute(code=code, datatype=datatype, description=description, required=required, values=values)


def _attrs(*items: Attribute) -> tuple[Attribute, ...]:
    """Number the attributes in the order given, so the form shows them that way."""
    return tuple(replace(item, order=i) for i, item in enumerate(items, start=1))


_YES_NO_UNKNOWN: Final = _choices(("yes", "是"), ("no", "否"), ("unknown", "不清楚"))

_BUILDING_UNIT: Final = _attr("building_unit", "string", "楼栋单元，如“3号楼2单元”")
_BUILDING_UNIT_REQUIRED: Final = replace(_BUILDING_UNIT, required=True)
_SINCE: Final = _attr("since", "datetime", "问题大约从什么时候开始")
_SCOPE: Final = _attr(
    "scope",
    "singlevaluelist",
    "影响范围",
    values=_choices(
        ("household", "只有我家"),
        ("building", "整栋楼或整个单元"),
        ("compound", "整个小区"),
        ("area", "周边多个小区或整条街"),
    ),
)
_NOISE_PERIODS: Final = _attr(
    "periods",
    "multivaluelist",
    "噪音出现的时段（可多选）",
    required=True,
    values=_choices(
        ("early_morning", "清晨（6时至8时）"),
        ("daytime", "白天（8时至12时、14时至18时）"),
        ("noon", "午休（12时至14时）"),
        ("evening", "傍晚（18时至22时）"),
        ("night", "夜间（22时至次日6时）"),
    ),
)
_TRADING_PERIODS: Final = replace(_NOISE_PERIODS, description="经营时段（可多选）", required=False)
_FREQUENCY: Final = _attr(
    "frequency",
    "singlevaluelist",
    "出现的频率",
    values=_choices(("once", "偶尔一次"), ("weekly", "每周几次"), ("daily", "几乎每天")),
)
_PLATE: Final = _attr("plate", "string", "车牌号（如知道）")
_ELEVATOR_CODE: Final = _attr("elevator_code", "string", "电梯编号或应急救援识别码（见轿厢内标牌）")


CATALOGUE: Final[tuple[Category, ...]] = (
    # GB/T 30428.2 市容环境 events and components, with the community's own sanitation work.
    Category(
        code="sanitation",
        name="市容环卫",
        name_en="City appearance and sanitation",
        description="垃圾清运、环境卫生、私搭乱建、烧烤油烟等市容环境问题。",
        default_level="grid",
        department="city_management",
        sla={"normal": _working_days(1, 3)},
        children=(
            Category(
                code="sanitation.uncollected",
                name="垃圾未清运",
                name_en="Rubbish not collected",
                description="垃圾桶、垃圾站满溢或垃圾多日无人清运。",
                default_level="grid",
                department="city_management",
                # 日产日清: rubbish is cleared the day it is reported.
                sla={"normal": _working_days(1 / 6, 1)},
                keywords=(
                    "垃圾未清运",
                    "垃圾没人收",
                    "垃圾没清运",
                    "垃圾堆满",
                    "垃圾桶满了",
                    "垃圾站满了",
                    "好几天没收垃圾",
                    "垃圾外溢",
                    "垃圾发臭",
                    "清运不及时",
                ),
                attributes=_attrs(
                    _attr(
                        "days",
                        "singlevaluelist",
                        "已经多久没有清运",
                        values=_choices(("one", "1天"), ("two_three", "2至3天"), ("more", "3天以上")),
                    ),
                ),
            ),
            Category(
                code="sanitation.exposed",
                name="暴露垃圾",
                name_en="Dumped or exposed rubbish",
                description="乱扔乱倒的生活垃圾、装修垃圾、大件垃圾或积存渣土。",
                default_level="grid",
                department="city_management",
                keywords=(
                    "暴露垃圾",
                    "乱扔垃圾",
                    "乱倒垃圾",
                    "垃圾乱堆",
                    "积存垃圾",
                    "装修垃圾",
                    "建筑垃圾",
                    "偷倒垃圾",
                    "大件垃圾",
                    "旧家具",
                ),
            ),
            Category(
                code="sanitation.sorting",
                name="垃圾分类",
                name_en="Waste sorting",
                description="垃圾分类投放、分类桶设置、混装混运等问题或咨询。",
                default_level="community",
                department="city_management",
                keywords=(
                    "垃圾分类",
                    "分类投放",
                    "不分类",
                    "混投",
                    "混装混运",
                    "厨余垃圾",
                    "可回收物",
                    "有害垃圾",
                    "分类桶",
                    "定时定点",
                ),
            ),
            Category(
                code="sanitation.toilet",
                name="公厕问题",
                name_en="Public toilet problem",
                description="公共厕所脏臭、停水、设施损坏或不按时开放。",
                default_level="street",
                department="city_management",
                keywords=(
                    "公厕",
                    "公共厕所",
                    "厕所脏",
                    "厕所臭",
                    "厕所没水",
                    "厕所锁门",
                    "厕所堵了",
                    "找不到厕所",
                    "旱厕",
                ),
            ),
            Category(
                code="sanitation.road_dirty",
                name="道路不洁",
                name_en="Dirty road or uncleared snow",
                description="道路、人行道不洁，落叶油污无人清扫，或积雪结冰未清除。",
                default_level="street",
                department="city_management",
                keywords=(
                    "道路不洁",
                    "马路脏",
                    "路面脏",
                    "没人扫",
                    "路面油污",
                    "落叶没扫",
                    "积雪",
                    "没扫雪",
                    "路面结冰",
                    "路太滑",
                ),
            ),
            Category(
                code="sanitation.compound",
                name="小区公共区域卫生",
                name_en="Dirty common areas in the compound",
                description="小区道路、楼道、楼梯等公共区域保洁不到位。",
                default_level="micro_grid",
                department="property",
                keywords=(
                    "小区卫生差",
                    "楼道脏",
                    "楼梯脏",
                    "保洁不到位",
                    "没人打扫",
                    "卫生死角",
                    "脏乱差",
                    "小区脏",
                ),
            ),
            Category(
                code="sanitation.burning",
                name="焚烧垃圾树叶",
                name_en="Burning rubbish or leaves",
                description="露天焚烧垃圾、树叶、秸秆或沿街烧纸。",
                default_level="street",
                department="environment",
                urgency="urgent",
                keywords=(
                    "焚烧垃圾",
                    "烧垃圾",
                    "烧树叶",
                    "烧落叶",
                    "烧秸秆",
                    "烧纸钱",
                    "烧东西",
                    "冒黑烟",
                ),
            ),
            Category(
                code="sanitation.bbq",
                name="露天烧烤",
                name_en="Open-air barbecue",
                description="街边、小区内露天烧烤，烟熏火燎影响环境。",
                default_level="street",
                department="city_management",
                keywords=("露天烧烤", "烧烤摊", "烤串", "撸串", "炭火烧烤", "夜市烧烤", "烟熏"),
                attributes=_attrs(_TRADING_PERIODS),
            ),
            Category(
                code="sanitation.fumes",
                name="餐饮油烟",
                name_en="Cooking fumes from restaurants",
                description="餐馆油烟直排、排烟管道对着住户或油烟净化设施不运行。",
                default_level="street",
                department="environment",
                keywords=("油烟", "餐饮油烟", "油烟扰民", "排烟管道", "油烟机", "饭店油烟", "油烟味", "熏得窗户都黑了"),
            ),
            Category(
                code="sanitation.illegal_structure",
                name="私搭乱建",
                name_en="Unauthorised structures",
                description="楼顶加盖、圈占公共区域、违章搭建棚屋等违法建设。",
                default_level="street",
                department="city_management",
                # Demolition needs notice periods: two working weeks.
                sla={"normal": _working_days(1, 10)},
                keywords=(
                    "私搭乱建",
                    "违章搭建",
                    "违建",
                    "违法建设",
                    "乱搭乱建",
                    "楼顶加盖",
                    "搭棚子",
                    "圈地",
                    "阳光房",
                    "私自扩建",
                ),
                attributes=_attrs(
                    _attr(
                        "location_type",
                        "singlevaluelist",
                        "搭建位置",
                        values=_choices(
                            ("roof", "楼顶或露台"),
                            ("yard", "一楼院落"),
                            ("common", "小区公共区域"),
                            ("street", "沿街"),
                        ),
                    ),
                ),
            ),
        ),
    ),
    # GB/T 30428.2 街面秩序 and 宣传广告 events.
    Category(
        code="street",
        name="街面秩序",
        name_en="Street order and advertising",
        description="占道经营、占道堆物、乱贴小广告、违规户外广告等街面秩序问题。",
        default_level="street",
        department="city_management",
        sla={"normal": _working_days(1, 3)},
        children=(
            Category(
                code="street.vending",
                name="占道经营",
                name_en="Trading on the road or pavement",
                description="流动摊贩、占道摆卖，占用道路或人行道经营。",
                default_level="street",
                department="city_management",
                keywords=(
                    "占道经营",
                    "摆摊",
                    "路边摊",
                    "地摊",
                    "流动摊贩",
                    "小贩",
                    "占道摆卖",
                    "早市占道",
                    "卖菜的占路",
                ),
                attributes=_attrs(_TRADING_PERIODS),
            ),
            Category(
                code="street.outside_shop",
                name="店外经营",
                name_en="Business spilling out of the shop front",
                description="商户把商品、桌椅摆到店门外，或在门前洗车修车。",
                default_level="street",
                department="city_management",
                keywords=(
                    "店外经营",
                    "出店经营",
                    "门口摆放",
                    "商品摆到门外",
                    "门前堆货",
                    "占用人行道",
                    "路边洗车",
                    "占道修车",
                ),
            ),
            Category(
                code="street.piling",
                name="占道堆物",
                name_en="Materials piled on the road",
                description="在道路、人行道、盲道上乱堆乱放杂物或建材。",
                default_level="grid",
                department="city_management",
                keywords=(
                    "占道堆物",
                    "乱堆乱放",
                    "占道堆放",
                    "堆放杂物",
                    "路上堆东西",
                    "建材堆放",
                    "堆沙子",
                    "占用盲道",
                ),
            ),
            Category(
                code="street.small_ads",
                name="小广告",
                name_en="Fly-posting and graffiti",
                description="乱贴乱画、喷涂小广告，散发小卡片。",
                default_level="grid",
                department="city_management",
                keywords=(
                    "小广告",
                    "牛皮癣",
                    "乱贴",
                    "乱涂乱画",
                    "喷涂广告",
                    "办证电话",
                    "涂鸦",
                    "小卡片",
                    "贴得到处都是",
                ),
            ),
            Category(
                code="street.outdoor_ads",
                name="户外广告招牌",
                name_en="Billboards, shop signs and banners",
                description="违规设置或破损松动的广告牌、店招、灯箱、横幅。",
                default_level="street",
                department="city_management",
                keywords=(
                    "户外广告",
                    "广告牌",
                    "招牌",
                    "店招破损",
                    "牌匾松动",
                    "灯箱",
                    "横幅",
                    "条幅",
                    "落地广告",
                    "招牌要掉",
                ),
            ),
            Category(
                code="street.vagrancy",
                name="流浪乞讨人员",
                name_en="Homeless or begging person needing help",
                description="街头流浪、露宿或乞讨人员需要救助。",
                kind="help",
                default_level="street",
                department="civil_affairs",
                keywords=("流浪乞讨", "乞讨", "要饭", "流浪汉", "流浪人员", "露宿街头", "睡在路边", "无家可归"),
            ),
        ),
    ),
    # GB/T 30428.2 施工管理 events. Construction noise is under noise, where residents look for it.
    Category(
        code="construction",
        name="施工管理",
        name_en="Construction sites and roadworks",
        description="工地扬尘、渣土撒漏、占道施工、工地安全等施工管理问题。",
        default_level="street",
        department="housing",
        sla={"normal": _working_days(1, 3)},
        children=(
            Category(
                code="construction.dust",
                name="工地扬尘",
                name_en="Dust from a building site",
                description="工地未苫盖、未洒水，裸土和物料扬尘。",
                default_level="street",
                department="housing",
                keywords=("工地扬尘", "扬尘", "工地灰大", "尘土飞扬", "没有苫盖", "裸土", "没洒水", "粉尘"),
            ),
            Category(
                code="construction.muck",
                name="渣土撒漏",
                name_en="Spilled muck from trucks",
                description="渣土车、土方车沿路遗撒，车轮带泥上路。",
                default_level="street",
                department="city_management",
                keywords=("渣土撒漏", "渣土车", "泥头车", "土方车", "遗撒", "拉土车", "车轮带泥", "路上都是泥"),
            ),
            Category(
                code="construction.road_works",
                name="占道施工",
                name_en="Roadworks without permit or protection",
                description="开挖道路、占道施工未设围挡和警示，或完工后未恢复路面。",
                default_level="street",
                department="city_management",
                keywords=(
                    "占道施工",
                    "挖路",
                    "马路开挖",
                    "道路开挖",
                    "施工围挡",
                    "围挡倒了",
                    "施工坑",
                    "没有警示",
                    "挖完不填",
                ),
            ),
            Category(
                code="construction.site_safety",
                name="工地安全隐患",
                name_en="Building-site safety hazard",
                description="脚手架、塔吊、基坑、防护网等存在安全隐患。",
                default_level="street",
                department="housing",
                urgency="urgent",
                keywords=("工地安全", "脚手架", "塔吊", "基坑", "防护网破了", "没戴安全帽", "工地危险", "施工安全"),
            ),
        ),
    ),
    # GB/T 30428.2 道路交通 components, plus parking order, which fills community hotlines.
    Category(
        code="traffic",
        name="道路交通",
        name_en="Roads, traffic and parking",
        description="道路破损、交通设施、乱停车、消防通道堵塞等问题。",
        default_level="street",
        department="transport",
        sla={"normal": _working_days(1, 5)},
        children=(
            Category(
                code="traffic.road_damage",
                name="道路破损",
                name_en="Damaged road or pavement",
                description="路面坑洼、破损，人行道地砖松动缺失。",
                default_level="street",
                department="city_management",
                keywords=(
                    "道路破损",
                    "路面破损",
                    "坑洼",
                    "坑坑洼洼",
                    "路上有大坑",
                    "路坏了",
                    "地砖松动",
                    "人行道破损",
                    "路不平",
                ),
            ),
            Category(
                code="traffic.collapse",
                name="道路塌陷",
                name_en="Road collapse or sinkhole",
                description="路面塌陷、下沉出现深坑，危及行人车辆。",
                default_level="district",
                department="city_management",
                urgency="emergency",
                keywords=("道路塌陷", "路面塌陷", "塌陷", "地陷", "地面塌了", "路面下沉", "天坑", "塌了个大坑"),
            ),
            Category(
                code="traffic.signals",
                name="交通设施损坏",
                name_en="Faulty traffic lights or signs",
                description="红绿灯故障，交通标志、标线、路名牌缺损。",
                default_level="district",
                department="police",
                urgency="urgent",
                keywords=(
                    "红绿灯坏了",
                    "红绿灯不亮",
                    "信号灯故障",
                    "黄灯一直闪",
                    "交通标志",
                    "标线看不清",
                    "斑马线",
                    "路名牌",
                    "指示牌歪了",
                ),
            ),
            Category(
                code="traffic.parking",
                name="占道停车",
                name_en="Illegal parking",
                description="机动车占用道路、人行道、路口乱停乱放。",
                default_level="street",
                department="police",
                keywords=(
                    "占道停车",
                    "乱停车",
                    "违停",
                    "违章停车",
                    "停在人行道",
                    "堵路口",
                    "堵门",
                    "挡住出口",
                    "车停路上",
                ),
                attributes=_attrs(_PLATE),
            ),
            Category(
                code="traffic.fire_lane",
                name="消防通道堵塞",
                name_en="Blocked fire lane",
                description="车辆或杂物占用消防车道、生命通道。",
                default_level="community",
                department="property",
                urgency="urgent",
                keywords=(
                    "消防通道堵塞",
                    "消防通道",
                    "消防车道",
                    "生命通道",
                    "占用消防通道",
                    "消防通道停车",
                    "堵住消防通道",
                    "消防登高面",
                ),
                attributes=_attrs(_PLATE),
            ),
            Category(
                code="traffic.abandoned_vehicle",
                name="僵尸车",
                name_en="Abandoned vehicle",
                description="长期停放不动、无人认领的废弃车辆。",
                default_level="street",
                department="police",
                sla={"normal": _working_days(1, 10)},
                keywords=("僵尸车", "废弃车辆", "长期不动的车", "落满灰的车", "报废车", "无牌车", "车停了好几年"),
                attributes=_attrs(_PLATE),
            ),
            Category(
                code="traffic.bikes",
                name="非机动车乱停放",
                name_en="Bikes and e-bikes parked in disorder",
                description="共享单车、电动自行车乱停乱放，堵塞道路或盲道。",
                default_level="street",
                department="transport",
                keywords=(
                    "共享单车",
                    "单车乱停",
                    "电动车乱停",
                    "自行车乱放",
                    "单车堆积",
                    "单车堵路",
                    "哈啰单车",
                    "美团单车",
                ),
            ),
            Category(
                code="traffic.ground_lock",
                name="私装地锁",
                name_en="Private parking locks on shared spaces",
                description="私装地锁、摆放锥桶石墩占用公共车位。",
                default_level="community",
                department="property",
                keywords=("私装地锁", "地锁", "车位锁", "私占车位", "占车位", "锥桶占位", "石墩占车位", "圈车位"),
            ),
        ),
    ),
    # GB/T 30428.2 公用设施 components.
    Category(
        code="utilities",
        name="公用设施",
        name_en="Public facilities",
        description="路灯、井盖、护栏座椅、健身器材、空中线缆等公用设施问题。",
        default_level="street",
        department="city_management",
        sla={"normal": _working_days(1, 3)},
        children=(
            Category(
                code="utilities.streetlight",
                name="路灯不亮",
                name_en="Street light out",
                description="路灯不亮、闪烁、白天常亮或灯杆损坏。",
                default_level="street",
                department="city_management",
                keywords=(
                    "路灯不亮",
                    "灯不亮",
                    "黑灯",
                    "路灯坏了",
                    "路灯闪",
                    "路灯白天亮",
                    "没有路灯",
                    "晚上太黑",
                    "灯杆倒了",
                ),
                attributes=_attrs(
                    _attr("pole_number", "string", "路灯杆号（灯杆上喷涂的编号）"),
                    _attr("count", "number", "不亮的路灯数量"),
                ),
            ),
            Category(
                code="utilities.manhole",
                name="井盖缺失破损",
                name_en="Missing or broken manhole cover",
                description="井盖丢失、破损、塌陷或松动异响，易致行人坠落。",
                default_level="street",
                department="city_management",
                urgency="urgent",
                # An open shaft is a fall hazard: covered or fenced off within hours, not the usual day.
                sla={"urgent": SlaTarget(HOUR, 4 * HOUR, False), "emergency": SlaTarget(30, 2 * HOUR, False)},
                keywords=("井盖", "井盖丢了", "井盖没了", "井盖坏了", "井盖松动", "井盖塌了", "井盖响", "窨井"),
            ),
            Category(
                code="utilities.facilities",
                name="公共设施损坏",
                name_en="Damaged street furniture",
                description="护栏、座椅、隔离墩、宣传栏、信息亭等公共设施损坏。",
                default_level="street",
                department="city_management",
                keywords=("公共设施损坏", "护栏坏了", "栏杆断了", "长椅坏了", "座椅坏了", "隔离墩", "宣传栏", "报刊亭"),
            ),
            Category(
                code="utilities.fitness",
                name="健身器材损坏",
                name_en="Broken fitness equipment",
                description="小区和广场的健身器材、儿童游乐设施损坏松动。",
                default_level="community",
                keywords=("健身器材", "健身器械", "器材坏了", "器材松动", "单杠", "漫步机", "扭腰器", "滑梯坏了"),
            ),
            Category(
                code="utilities.cables",
                name="空中线缆杂乱",
                name_en="Tangled overhead cables",
                description="通信、广电线缆乱拉乱挂、下垂或废弃未拆。",
                default_level="street",
                department="other",
                keywords=("线缆杂乱", "空中蜘蛛网", "网线乱拉", "电话线", "光缆", "线缆下垂", "废弃线缆", "线太低了"),
            ),
        ),
    ),
    Category(
        code="water",
        name="供水排水",
        name_en="Water supply and drainage",
        description="停水、水质、管道漏水、下水道堵塞、污水外溢、路面积水等问题。",
        default_level="district",
        department="water",
        sla={"normal": _working_days(1, 3)},
        children=(
            Category(
                code="water.outage",
                name="停水",
                name_en="No water supply",
                description="自来水停供、水龙头不出水或水压过低。",
                default_level="district",
                department="water",
                urgency="urgent",
                keywords=(
                    "停水",
                    "没水",
                    "断水",
                    "水龙头不出水",
                    "突然停水",
                    "什么时候来水",
                    "水压低",
                    "水太小",
                    "高层没水",
                ),
                attributes=_attrs(_SCOPE, _SINCE),
            ),
            Category(
                code="water.quality",
                name="水质异常",
                name_en="Abnormal tap water",
                description="自来水发黄、浑浊、有异味或杂质。",
                default_level="district",
                department="water",
                urgency="urgent",
                keywords=("水质异常", "水发黄", "水浑", "水有异味", "漂白粉味", "水有杂质", "水发白", "水里有虫"),
                attributes=_attrs(_SCOPE, _SINCE),
            ),
            Category(
                code="water.leak",
                name="管道漏水",
                name_en="Leaking water pipe",
                description="供水管道、水表漏水或爆管冒水。",
                default_level="community",
                department="property",
                urgency="urgent",
                keywords=(
                    "管道漏水",
                    "水管漏水",
                    "水管爆了",
                    "爆管",
                    "跑水",
                    "地面冒水",
                    "水表漏水",
                    "水管破裂",
                    "哗哗流水",
                ),
                attributes=_attrs(
                    _attr(
                        "location_type",
                        "singlevaluelist",
                        "漏水位置",
                        required=True,
                        values=_choices(
                            ("indoor", "户内"),
                            ("building", "楼道或管道井"),
                            ("compound", "小区地面"),
                            ("road", "市政道路"),
                        ),
                    ),
                    _BUILDING_UNIT,
                ),
            ),
            Category(
                code="water.drain_blocked",
                name="下水道堵塞",
                name_en="Blocked drain or sewer",
                description="下水道、排水管堵塞，返水、排水不畅。",
                default_level="community",
                department="property",
                keywords=(
                    "下水道堵塞",
                    "下水道堵了",
                    "下水不通",
                    "下水慢",
                    "返水",
                    "地漏反水",
                    "排水不畅",
                    "主管道堵了",
                    "通下水道",
                ),
                attributes=_attrs(_BUILDING_UNIT),
            ),
            Category(
                code="water.sewage_overflow",
                name="污水外溢",
                name_en="Sewage overflowing",
                description="污水井、化粪池冒溢，污水横流。",
                default_level="street",
                department="water",
                urgency="urgent",
                keywords=(
                    "污水外溢",
                    "污水横流",
                    "污水冒出来",
                    "化粪池满了",
                    "化粪池外溢",
                    "粪水",
                    "污水井冒水",
                    "下水道冒水",
                    "臭水",
                ),
            ),
            Category(
                code="water.waterlogging",
                name="路面积水",
                name_en="Standing water after rain",
                description="雨后道路、小区、地下通道积水内涝。",
                default_level="street",
                department="city_management",
                urgency="urgent",
                keywords=("路面积水", "积水", "内涝", "淹水", "下雨就淹", "雨水井堵", "地下室进水", "水漫进来"),
            ),
        ),
    ),
    Category(
        code="energy",
        name="供电燃气供暖",
        name_en="Power, gas and heating",
        description="停电、电线裸露、燃气泄漏和隐患、暖气不热等问题。",
        default_level="district",
        sla={"normal": _working_days(1, 3)},
        children=(
            Category(
                code="energy.power_outage",
                name="停电",
                name_en="Power cut",
                description="小区、楼栋或整条街停电，电压不稳。",
                default_level="district",
                department="power",
                urgency="urgent",
                keywords=("停电", "没电", "断电", "突然停电", "整栋楼没电", "什么时候来电", "电压不稳", "灯一闪一闪"),
                attributes=_attrs(_SCOPE, _SINCE),
            ),
            Category(
                code="energy.exposed_wire",
                name="电线裸露",
                name_en="Exposed or fallen live wire",
                description="电线裸露、断落、垂地或配电箱敞开，有触电危险。",
                default_level="district",
                department="power",
                urgency="emergency",
                keywords=(
                    "电线裸露",
                    "电线掉下来",
                    "电线断了",
                    "电线垂地",
                    "电线破皮",
                    "漏电",
                    "触电",
                    "电线冒火花",
                    "配电箱开着",
                    "电箱没关",
                ),
            ),
            Category(
                code="energy.power_facility",
                name="电力设施隐患",
                name_en="Power facility hazard",
                description="电线杆倾斜、变压器异响、电缆井盖缺损等电力设施问题。",
                default_level="district",
                department="power",
                keywords=("电线杆歪了", "电线杆倾斜", "变压器", "变压器噪音", "箱变", "电缆井", "电表箱", "电力设施"),
            ),
            Category(
                code="energy.gas_leak",
                name="燃气泄漏",
                name_en="Gas leak",
                description="闻到燃气味请立即关阀、开窗，不开关电器，到室外拨打燃气抢修电话或119。",
                default_level="district",
                department="gas",
                urgency="emergency",
                keywords=(
                    "燃气泄漏",
                    "煤气泄漏",
                    "天然气泄漏",
                    "液化气泄漏",
                    "煤气味",
                    "燃气味",
                    "天然气味",
                    "闻到煤气",
                    "臭鸡蛋味",
                    "燃气报警器响",
                ),
                attributes=_attrs(
                    _attr("valve_closed", "singlevaluelist", "是否已关闭燃气阀门", values=_YES_NO_UNKNOWN),
                    _BUILDING_UNIT,
                ),
            ),
            Category(
                code="energy.gas_hazard",
                name="燃气设施隐患",
                name_en="Gas installation hazard",
                description="燃气管道锈蚀老化、软管过期、私改燃气管、液化气瓶违规使用。",
                default_level="district",
                department="gas",
                urgency="urgent",
                keywords=(
                    "燃气隐患",
                    "燃气管道老化",
                    "燃气管生锈",
                    "燃气软管",
                    "胶管老化",
                    "私改燃气管",
                    "燃气表",
                    "液化气罐",
                    "煤气罐",
                ),
            ),
            Category(
                code="energy.gas_outage",
                name="停气",
                name_en="Gas supply cut",
                description="燃气停供、气压不足、灶具打不着火。",
                default_level="district",
                department="gas",
                urgency="urgent",
                keywords=("停气", "没气", "燃气停了", "没有燃气", "灶打不着", "点火没反应", "气压低", "什么时候来气"),
                attributes=_attrs(_SCOPE, _SINCE),
            ),
            Category(
                code="energy.heating_cold",
                name="暖气不热",
                name_en="Radiators not warm",
                description="供暖期室内温度不达标、暖气片或地暖不热。",
                default_level="district",
                department="housing",
                # In the heating season a cold home is visited the same day and fixed within two working days.
                sla={"normal": _working_days(1 / 6, 2)},
                keywords=(
                    "暖气不热",
                    "暖气不暖",
                    "暖气凉",
                    "暖气片不热",
                    "地暖不热",
                    "家里冷",
                    "屋里太冷",
                    "室温低",
                    "温度不达标",
                    "供暖不好",
                ),
                attributes=_attrs(
                    _attr("indoor_temperature", "number", "室内温度（℃）"),
                    _BUILDING_UNIT_REQUIRED,
                    _SCOPE,
                ),
            ),
            Category(
                code="energy.heating_leak",
                name="暖气漏水",
                name_en="Leaking radiator or heating pipe",
                description="暖气片、供暖管道漏水跑水。",
                default_level="community",
                department="housing",
                urgency="urgent",
                keywords=("暖气漏水", "暖气片漏水", "暖气管漏", "暖气跑水", "暖气爆了", "地暖漏水", "暖气滴水"),
                attributes=_attrs(_BUILDING_UNIT_REQUIRED),
            ),
        ),
    ),
    # GB/T 30428.2 园林绿化 components.
    Category(
        code="greening",
        name="园林绿化",
        name_en="Trees and green spaces",
        description="树木倒伏、绿地破坏、毁绿种菜、树木修剪、病虫害等问题。",
        default_level="street",
        department="city_management",
        sla={"normal": _working_days(1, 5)},
        children=(
            Category(
                code="greening.fallen_tree",
                name="树木倒伏",
                name_en="Fallen or leaning tree",
                description="树木倒伏、倾斜或断枝，阻碍通行或压到车辆电线。",
                default_level="street",
                department="city_management",
                urgency="urgent",
                keywords=("树木倒伏", "树倒了", "大树倒了", "树歪了", "树要倒", "断枝", "树枝掉下来", "树压到车"),
                attributes=_attrs(
                    _attr("blocking", "singlevaluelist", "是否阻断道路", values=_YES_NO_UNKNOWN),
                    _attr("touching_wires", "singlevaluelist", "是否压到或挂到电线", values=_YES_NO_UNKNOWN),
                ),
            ),
            Category(
                code="greening.damage",
                name="绿地破坏",
                name_en="Damaged green space",
                description="践踏、占用、硬化绿地，擅自砍伐树木。",
                default_level="grid",
                department="city_management",
                keywords=(
                    "绿地破坏",
                    "毁绿",
                    "践踏草坪",
                    "草坪被踩",
                    "占用绿地",
                    "绿地停车",
                    "砍树",
                    "乱砍树",
                    "绿化带被毁",
                ),
            ),
            Category(
                code="greening.vegetables",
                name="毁绿种菜",
                name_en="Vegetables planted in green space",
                description="在小区和公共绿地开荒种菜、圈地。",
                default_level="community",
                department="property",
                keywords=("毁绿种菜", "种菜", "绿地种菜", "小区种菜", "开荒", "菜地", "圈地种菜", "浇粪"),
            ),
            Category(
                code="greening.pruning",
                name="树木修剪",
                name_en="Tree needs pruning",
                description="树枝过长遮挡采光、窗户、路灯或影响通行。",
                default_level="community",
                department="city_management",
                sla={"normal": _working_days(1, 10)},
                keywords=(
                    "树木修剪",
                    "修剪",
                    "修树",
                    "剪树枝",
                    "树挡光",
                    "树挡窗户",
                    "树挡路灯",
                    "树枝伸进窗户",
                    "树太高",
                ),
            ),
            Category(
                code="greening.pests",
                name="病虫害与飞絮",
                name_en="Tree pests and catkins",
                description="树木病虫害、枯死，杨柳飞絮严重。",
                default_level="street",
                department="city_management",
                keywords=("病虫害", "树上有虫", "毛毛虫", "美国白蛾", "蚜虫", "打药", "树枯死", "杨絮", "柳絮"),
            ),
        ),
    ),
    # GB/T 30428.2 房屋土地 components, seen from residents: the safety of the building they live in.
    Category(
        code="housing",
        name="房屋安全",
        name_en="Building safety",
        description="房屋裂缝、外墙脱落、高空抛物、飞线充电、楼道堆物、违规装修等问题。",
        default_level="community",
        department="housing",
        sla={"normal": _working_days(1, 5)},
        children=(
            Category(
                code="housing.cracks",
                name="房屋裂缝",
                name_en="Cracks in a building",
                description="墙体、楼板开裂，房屋倾斜或地基下沉。",
                default_level="street",
                department="housing",
                # A structural assessment (房屋安全鉴定) takes time.
                sla={"normal": _working_days(1, 10)},
                keywords=(
                    "房屋裂缝",
                    "墙裂了",
                    "墙体开裂",
                    "楼板开裂",
                    "承重墙裂",
                    "裂缝越来越大",
                    "危房",
                    "房子歪了",
                    "地基下沉",
                ),
                attributes=_attrs(_BUILDING_UNIT_REQUIRED),
            ),
            Category(
                code="housing.facade",
                name="外墙脱落",
                name_en="Falling facade",
                description="外墙砖、墙皮、保温层空鼓脱落，可能砸伤行人。",
                default_level="street",
                department="housing",
                urgency="urgent",
                keywords=(
                    "外墙脱落",
                    "外墙砖掉",
                    "瓷砖掉下来",
                    "墙皮脱落",
                    "掉墙皮",
                    "保温层脱落",
                    "外墙空鼓",
                    "差点砸到人",
                ),
                attributes=_attrs(_BUILDING_UNIT_REQUIRED),
            ),
            Category(
                code="housing.roof_leak",
                name="屋顶漏水",
                name_en="Leaking roof or wall",
                description="屋顶、外墙渗漏，下雨时室内漏水。",
                default_level="community",
                department="property",
                keywords=(
                    "屋顶漏水",
                    "房顶漏水",
                    "楼顶漏雨",
                    "顶层漏水",
                    "墙面渗水",
                    "外墙渗水",
                    "下雨漏水",
                    "天花板漏水",
                ),
                attributes=_attrs(_BUILDING_UNIT_REQUIRED),
            ),
            Category(
                code="housing.throwing",
                name="高空抛物",
                name_en="Objects thrown from height",
                description="有人从楼上向下扔东西、泼水，威胁行人安全。",
                default_level="community",
                department="police",
                urgency="urgent",
                keywords=(
                    "高空抛物",
                    "楼上扔东西",
                    "往下扔垃圾",
                    "窗户扔东西",
                    "高空坠物",
                    "楼上泼水",
                    "扔烟头",
                    "砸下来",
                ),
                attributes=_attrs(_BUILDING_UNIT, _FREQUENCY),
            ),
            Category(
                code="housing.flying_wire",
                name="飞线充电",
                name_en="Charging e-bikes with trailing leads",
                description="从窗户私拉电线、在楼道给电动车充电或电动车进楼入户。",
                default_level="micro_grid",
                department="property",
                urgency="urgent",
                keywords=(
                    "飞线充电",
                    "私拉电线",
                    "拉线充电",
                    "从窗户拉线",
                    "楼道充电",
                    "电动车充电",
                    "电瓶车充电",
                    "电动车进楼",
                    "电动车进电梯",
                ),
                attributes=_attrs(_BUILDING_UNIT),
            ),
            Category(
                code="housing.corridor_clutter",
                name="楼道堆物",
                name_en="Items piled in stairwells",
                description="楼道、楼梯间堆放杂物，堵塞疏散通道。",
                default_level="micro_grid",
                department="property",
                sla={"normal": _working_days(1, 3)},
                keywords=(
                    "楼道堆物",
                    "楼道杂物",
                    "楼道堆放",
                    "楼梯堆东西",
                    "堵楼道",
                    "占用楼道",
                    "纸箱堆楼道",
                    "楼道放柜子",
                ),
                attributes=_attrs(_BUILDING_UNIT),
            ),
            Category(
                code="housing.renovation",
                name="违规装修",
                name_en="Unauthorised structural alteration",
                description="装修拆改承重墙、破坏房屋结构或私自改变外立面。",
                default_level="street",
                department="housing",
                urgency="urgent",
                keywords=("违规装修", "拆承重墙", "砸承重墙", "改结构", "打通墙", "破坏承重", "装修拆墙", "私自改建"),
                attributes=_attrs(_BUILDING_UNIT_REQUIRED),
            ),
        ),
    ),
    Category(
        code="property",
        name="物业与电梯",
        name_en="Property management and lifts",
        description="物业服务、物业收费、小区设施维修、电梯故障和电梯困人。",
        default_level="community",
        department="property",
        sla={"normal": _working_days(1, 5)},
        children=(
            Category(
                code="property.service",
                name="物业服务",
                name_en="Property management service",
                description="物业公司服务不到位、态度差、找不到人或不履行合同。",
                default_level="community",
                department="property",
                keywords=(
                    "物业服务",
                    "物业不管",
                    "物业不作为",
                    "物业态度差",
                    "找不到物业",
                    "物业不负责",
                    "保安不管",
                    "物业管理",
                    "换物业",
                ),
            ),
            Category(
                code="property.fees",
                name="物业收费",
                name_en="Property fees and charges",
                description="物业费、停车费、公摊水电费收取不合理或不公示。",
                default_level="community",
                department="property",
                sla={"normal": _working_days(1, 7)},
                keywords=(
                    "物业收费",
                    "物业费",
                    "乱收费",
                    "物业涨价",
                    "停车费",
                    "公摊费",
                    "收费不公示",
                    "物业费太高",
                    "水电费加价",
                ),
            ),
            Category(
                code="property.repair",
                name="小区设施维修",
                name_en="Repairs to shared facilities",
                description="单元门、门禁对讲、楼道灯、扶手、信报箱等共用设施损坏。",
                default_level="micro_grid",
                department="property",
                sla={"normal": _working_days(1, 3)},
                keywords=(
                    "单元门坏了",
                    "门禁坏了",
                    "对讲坏了",
                    "楼道灯不亮",
                    "声控灯坏了",
                    "楼道窗户坏了",
                    "扶手坏了",
                    "信报箱",
                    "小区大门坏了",
                ),
                attributes=_attrs(_BUILDING_UNIT),
            ),
            Category(
                code="property.lift_fault",
                name="电梯故障",
                name_en="Lift out of order",
                description="电梯停运、异响、抖动、门关不上；如有人被困请选择“被困电梯”。",
                default_level="community",
                department="property",
                urgency="urgent",
                keywords=(
                    "电梯故障",
                    "电梯坏了",
                    "电梯停了",
                    "电梯不动",
                    "电梯停运",
                    "电梯异响",
                    "电梯抖",
                    "电梯门关不上",
                    "电梯老坏",
                ),
                attributes=_attrs(
                    _BUILDING_UNIT_REQUIRED,
                    _attr("anyone_trapped", "singlevaluelist", "是否有人被困", required=True, values=_YES_NO_UNKNOWN),
                    _ELEVATOR_CODE,
                ),
            ),
            Category(
                code="property.lift_trapped",
                name="被困电梯",
                name_en="Person trapped in a lift",
                description="有人被困电梯：请保持冷静，按轿厢内警铃或拨打96333，不要扒门。",
                default_level="district",
                department="market",
                urgency="emergency",
                # Rescuers are on site within 30 minutes under the lift-rescue rules; the person is out within 2 hours.
                sla={"emergency": SlaTarget(15, 2 * HOUR, False)},
                keywords=(
                    "被困电梯",
                    "困在电梯",
                    "电梯困人",
                    "关在电梯里",
                    "卡在电梯",
                    "电梯里出不来",
                    "电梯里有人",
                    "电梯卡住了",
                ),
                attributes=_attrs(
                    _BUILDING_UNIT_REQUIRED,
                    _attr("people", "number", "被困人数"),
                    _ELEVATOR_CODE,
                ),
            ),
        ),
    ),
    Category(
        code="noise",
        name="噪音扰民",
        name_en="Noise",
        description="施工、商业经营、邻里生活、广场舞等噪音扰民。",
        default_level="street",
        sla={"normal": _working_days(1, 3)},
        children=(
            Category(
                code="noise.construction",
                name="施工噪音",
                name_en="Construction noise",
                description="工地施工噪音扰民，夜间违规施工。",
                default_level="street",
                department="city_management",
                keywords=(
                    "施工噪音",
                    "夜间施工",
                    "半夜施工",
                    "工地噪音",
                    "工地太吵",
                    "打桩",
                    "施工扰民",
                    "机器轰鸣",
                    "搅拌车",
                ),
                attributes=_attrs(_NOISE_PERIODS, _FREQUENCY),
            ),
            Category(
                code="noise.commercial",
                name="商业噪音",
                name_en="Noise from shops and venues",
                description="商铺喇叭叫卖、音响外放，娱乐场所、空调外机噪音扰民。",
                default_level="street",
                department="city_management",
                keywords=(
                    "商业噪音",
                    "喇叭叫卖",
                    "店铺音响",
                    "促销喇叭",
                    "音乐太大声",
                    "KTV太吵",
                    "酒吧噪音",
                    "空调外机噪音",
                    "饭店太吵",
                ),
                attributes=_attrs(_NOISE_PERIODS, _FREQUENCY),
            ),
            Category(
                code="noise.neighbour",
                name="邻里噪音",
                name_en="Noise from neighbours",
                description="邻居装修、跺脚、拖拽家具、宠物叫等生活噪音。",
                default_level="community",
                department="police",
                keywords=(
                    "邻里噪音",
                    "邻居太吵",
                    "楼上太吵",
                    "楼上噪音",
                    "装修噪音",
                    "半夜吵",
                    "跺脚",
                    "拖椅子",
                    "狗一直叫",
                    "弹琴太吵",
                ),
                attributes=_attrs(_NOISE_PERIODS, _FREQUENCY, _BUILDING_UNIT),
            ),
            Category(
                code="noise.square_dance",
                name="广场舞噪音",
                name_en="Noise from square dancing",
                description="广场舞、晨练、公园唱歌音响音量过大。",
                default_level="community",
                keywords=("广场舞", "跳舞音响", "音响太大", "晨练音乐", "唱歌太吵", "扩音器", "公园唱歌", "大喇叭"),
                attributes=_attrs(_NOISE_PERIODS, _FREQUENCY),
            ),
        ),
    ),
    # Public security, fire and the 突发事件 class of GB/T 30428.2.
    Category(
        code="safety",
        name="平安消防",
        name_en="Public security and fire safety",
        description="治安隐患、可疑人员、诈骗、火灾隐患和火情。",
        default_level="community",
        department="police",
        sla={"normal": _working_days(1, 3)},
        children=(
            Category(
                code="safety.security",
                name="治安隐患",
                name_en="Public security hazard",
                description="盗窃、赌博、监控损坏等治安隐患；正在发生的违法犯罪请拨打110。",
                default_level="community",
                department="police",
                keywords=(
                    "治安隐患",
                    "治安不好",
                    "小偷",
                    "偷东西",
                    "被盗",
                    "电动车被偷",
                    "聚众赌博",
                    "监控坏了",
                    "不安全",
                ),
            ),
            Category(
                code="safety.suspicious",
                name="可疑人员",
                name_en="Suspicious person",
                description="小区内出现形迹可疑的陌生人、撬门尾随等情况。",
                default_level="community",
                department="police",
                urgency="urgent",
                keywords=("可疑人员", "陌生人", "形迹可疑", "鬼鬼祟祟", "有人撬门", "有人尾随", "陌生人敲门", "踩点"),
            ),
            Category(
                code="safety.fraud",
                name="诈骗与非法集资",
                name_en="Fraud and illegal fundraising",
                description="针对居民特别是老年人的诈骗、保健品推销、非法集资线索。",
                default_level="street",
                department="police",
                keywords=("诈骗", "被骗", "骗子", "骗老人", "保健品推销", "养老诈骗", "非法集资", "高回报", "冒充客服"),
            ),
            Category(
                code="safety.fire_hazard",
                name="火灾隐患",
                name_en="Fire hazard",
                description="消防设施损坏、灭火器过期、安全出口堵塞、易燃物堆放等隐患。",
                default_level="street",
                department="emergency",
                urgency="urgent",
                keywords=(
                    "火灾隐患",
                    "消防隐患",
                    "消防设施坏了",
                    "灭火器过期",
                    "消火栓坏了",
                    "安全出口堵了",
                    "易燃物",
                    "群租房",
                    "三合一场所",
                ),
            ),
            Category(
                code="safety.fire",
                name="起火冒烟",
                name_en="Fire or smoke",
                description="发现起火或浓烟请立即拨打119并撤离，本平台同步通知社区。",
                default_level="district",
                department="emergency",
                urgency="emergency",
                keywords=("起火", "着火", "失火", "火灾", "冒烟", "浓烟", "烧起来了", "有火光", "烟味很大"),
            ),
        ),
    ),
    # Settled by mediation and persuasion inside the community first (小区内循环, 社区微循环).
    Category(
        code="neighbourhood",
        name="邻里与宠物",
        name_en="Neighbours, disputes and animals",
        description="邻里纠纷、家庭矛盾、劳资纠纷、流浪犬猫和不文明养犬。",
        default_level="community",
        sla={"normal": _working_days(1, 5)},
        children=(
            Category(
                code="neighbourhood.dispute",
                name="邻里纠纷",
                name_en="Dispute between neighbours",
                description="邻里之间因漏水、占地、噪音等产生矛盾，请社区调解。",
                default_level="community",
                sla={"normal": _working_days(1, 10)},
                keywords=(
                    "邻里纠纷",
                    "邻居吵架",
                    "邻居矛盾",
                    "邻居纠纷",
                    "和邻居闹矛盾",
                    "楼上楼下",
                    "调解",
                    "邻居占地方",
                    "邻居漏水不修",
                ),
            ),
            Category(
                code="neighbourhood.family",
                name="家庭矛盾",
                name_en="Family conflict",
                description="夫妻、婆媳、赡养等家庭矛盾，请社区调解帮助。",
                default_level="community",
                sla={"normal": _working_days(1, 10)},
                keywords=("家庭矛盾", "家庭纠纷", "夫妻吵架", "婆媳矛盾", "不赡养老人", "子女不管", "家暴", "婚姻纠纷"),
            ),
            Category(
                code="neighbourhood.labour",
                name="劳资纠纷",
                name_en="Unpaid wages",
                description="拖欠、克扣工资等劳资纠纷。",
                default_level="street",
                department="other",
                sla={"normal": _working_days(1, 10)},
                keywords=("劳资纠纷", "欠薪", "拖欠工资", "讨薪", "不发工资", "农民工工资", "克扣工资", "老板跑了"),
            ),
            Category(
                code="neighbourhood.stray_animals",
                name="流浪犬猫",
                name_en="Stray dogs and cats",
                description="小区和街面的流浪狗、流浪猫聚集或伤人。",
                default_level="community",
                department="police",
                keywords=("流浪犬猫", "流浪狗", "流浪猫", "野狗", "野猫", "流浪犬", "狗咬人", "猫太多", "喂流浪猫"),
                attributes=_attrs(
                    _attr(
                        "animal",
                        "singlevaluelist",
                        "动物种类",
                        values=_choices(("dog", "狗"), ("cat", "猫"), ("other", "其他")),
                    ),
                    _attr("count", "number", "大约数量"),
                    _attr("aggressive", "singlevaluelist", "是否有追咬行人", values=_YES_NO_UNKNOWN),
                ),
            ),
            Category(
                code="neighbourhood.dogs",
                name="不文明养犬",
                name_en="Irresponsible dog keeping",
                description="遛狗不牵绳、犬粪不清理、违规饲养大型犬烈性犬。",
                default_level="community",
                department="police",
                keywords=(
                    "不文明养犬",
                    "遛狗不拴绳",
                    "不牵绳",
                    "狗屎",
                    "狗粪",
                    "狗便便",
                    "大型犬",
                    "烈性犬",
                    "养狗扰民",
                ),
            ),
        ),
    ),
    Category(
        code="errands",
        name="便民办事",
        name_en="Applications and errands",
        description="低保、临时救助、残疾人补贴、高龄津贴等申请，社区证明开具和代办服务。",
        kind="errand",
        default_level="community",
        department="civil_affairs",
        sla={"normal": _working_days(1, 5)},
        children=(
            Category(
                code="errands.dibao",
                name="低保申请",
                name_en="Minimum living allowance (dibao)",
                description="申请最低生活保障，社区协助准备材料并提交街道审核确认。",
                kind="errand",
                default_level="street",
                department="civil_affairs",
                # 审核确认 is due within 30 working days of acceptance.
                sla={"normal": _working_days(1, 30)},
                keywords=(
                    "低保申请",
                    "低保",
                    "申请低保",
                    "最低生活保障",
                    "吃低保",
                    "低保户",
                    "低保怎么办",
                    "低保边缘",
                ),
                attributes=_attrs(
                    _attr("household_size", "number", "共同生活的家庭人口数", required=True),
                    _attr("difficulty", "text", "家庭主要困难"),
                ),
            ),
            Category(
                code="errands.temporary_relief",
                name="临时救助",
                name_en="Temporary assistance",
                description="因突发事件、意外或重病导致生活暂时困难，申请临时救助。",
                kind="errand",
                default_level="street",
                department="civil_affairs",
                # 急难型 relief is paid first and checked after (先行救助), so an urgent request gets help the same day.
                sla={"normal": _working_days(1, 15)},
                keywords=(
                    "临时救助",
                    "急难救助",
                    "生活困难",
                    "看病没钱",
                    "突发困难",
                    "救急",
                    "困难补助",
                    "家里出事了",
                ),
                attributes=_attrs(_attr("difficulty", "text", "遇到的困难", required=True)),
            ),
            Category(
                code="errands.disability_allowance",
                name="残疾人补贴",
                name_en="Disability allowances",
                description="申请困难残疾人生活补贴和重度残疾人护理补贴（残疾人两项补贴）。",
                kind="errand",
                default_level="district",
                department="civil_affairs",
                sla={"normal": _working_days(1, 20)},
                keywords=(
                    "残疾人补贴",
                    "残疾补贴",
                    "两项补贴",
                    "护理补贴",
                    "残疾人生活补贴",
                    "重度残疾",
                    "残疾证",
                    "残联",
                ),
            ),
            Category(
                code="errands.old_age_allowance",
                name="高龄津贴",
                name_en="Old-age allowance",
                description="为高龄老人申请高龄津贴或办理相关待遇。",
                kind="errand",
                default_level="street",
                department="civil_affairs",
                sla={"normal": _working_days(1, 20)},
                keywords=("高龄津贴", "高龄补贴", "老年补贴", "八十岁补贴", "老年津贴", "长寿补贴", "百岁老人补贴"),
            ),
            Category(
                code="errands.certificate",
                name="证明开具",
                name_en="Certificate from the community",
                description="开具依法可由社区出具的证明，如居住证明。",
                kind="errand",
                default_level="community",
                sla={"normal": _working_days(1 / 6, 1)},
                keywords=("证明开具", "开证明", "居住证明", "社区证明", "开个证明", "出具证明", "盖章", "需要证明"),
                attributes=_attrs(
                    _attr(
                        "certificate_type",
                        "singlevaluelist",
                        "证明类型",
                        required=True,
                        values=_choices(
                            ("residence", "居住证明"),
                            ("hardship", "家庭经济困难情况证明"),
                            ("other", "其他（请在说明中写明）"),
                        ),
                    ),
                    _attr("purpose", "text", "用途（交给哪个单位、办理什么事项）", required=True),
                ),
            ),
            Category(
                code="errands.proxy",
                name="代办服务",
                name_en="Proxy handling of administrative matters",
                description="行动不便或不会网上办理的居民，由社区帮办代办政务服务事项。",
                kind="errand",
                default_level="community",
                keywords=(
                    "代办服务",
                    "代办",
                    "帮办",
                    "帮忙办",
                    "上门办理",
                    "不会办",
                    "代办社保",
                    "办老年卡",
                    "医保报销",
                ),
                attributes=_attrs(
                    _attr(
                        "matter",
                        "singlevaluelist",
                        "代办事项",
                        required=True,
                        values=_choices(
                            ("social_insurance", "社保、医保"),
                            ("senior_card", "老年卡、优待证"),
                            ("disability", "残疾证"),
                            ("household", "户籍、证件"),
                            ("other", "其他"),
                        ),
                    ),
                ),
            ),
        ),
    ),
    # 群众下单 → 社区派单 → 管家接单.
    Category(
        code="care",
        name="养老助困",
        name_en="Elderly care and help",
        description="独居老人求助、居家养老服务、老年助餐和困境儿童帮扶。",
        kind="help",
        default_level="community",
        department="civil_affairs",
        sla={"normal": _working_days(1 / 3, 3)},
        children=(
            Category(
                code="care.lone_elderly",
                name="独居老人求助",
                name_en="Help for an older person living alone",
                description="独居、空巢老人身体不适、生活困难或长时间联系不上。",
                kind="help",
                default_level="community",
                department="civil_affairs",
                urgency="urgent",
                keywords=(
                    "独居老人求助",
                    "独居老人",
                    "空巢老人",
                    "孤寡老人",
                    "老人没人管",
                    "老人联系不上",
                    "老人好几天没出门",
                    "老人摔倒",
                    "老人生病",
                ),
                attributes=_attrs(
                    _attr(
                        "situation",
                        "singlevaluelist",
                        "老人目前情况",
                        required=True,
                        values=_choices(
                            ("unwell", "身体不适"),
                            ("fallen", "摔倒"),
                            ("unreachable", "联系不上"),
                            ("daily_life", "生活困难"),
                            ("other", "其他"),
                        ),
                    ),
                    _BUILDING_UNIT,
                ),
            ),
            Category(
                code="care.home_care",
                name="居家养老服务",
                name_en="Home care for older people",
                description="预约助洁、助浴、陪诊、上门护理、适老化改造等居家养老服务。",
                kind="help",
                default_level="community",
                department="civil_affairs",
                sla={"normal": _working_days(1, 5)},
                keywords=(
                    "居家养老服务",
                    "居家养老",
                    "上门服务",
                    "助浴",
                    "助洁",
                    "陪诊",
                    "上门护理",
                    "适老化改造",
                    "照护",
                ),
            ),
            Category(
                code="care.meals",
                errand=True,  # a meal taken to the door
                name="助餐",
                name_en="Meal service for older people",
                description="老年助餐、送餐上门、社区长者食堂就餐。",
                kind="help",
                default_level="community",
                department="civil_affairs",
                keywords=("助餐", "老年餐", "老年食堂", "长者饭堂", "社区食堂", "送餐上门", "助餐点", "老人吃饭难"),
                attributes=_attrs(
                    _attr(
                        "delivery",
                        "singlevaluelist",
                        "就餐方式",
                        values=_choices(("dine_in", "到助餐点就餐"), ("delivery", "送餐上门")),
                    ),
                    _attr("people", "number", "用餐人数"),
                ),
            ),
            # Everyday errands for an older or housebound neighbour: light enough for a vetted volunteer to run.
            Category(
                code="care.errand",
                name="生活代办",
                name_en="Everyday errands run for someone",
                description="为行动不便的老人或居民代买药品、代缴费用、代取物品等日常小事。",
                kind="help",
                default_level="community",
                department="civil_affairs",
                errand=True,
                keywords=(
                    "生活代办",
                    "代买药品",
                    "代买药",
                    "帮忙买药",
                    "代缴费用",
                    "代缴水电费",
                    "代取快递",
                    "代取物品",
                    "帮忙取快递",
                    "跑腿",
                ),
            ),
            Category(
                code="care.children",
                name="困境儿童帮扶",
                name_en="Help for children in difficulty",
                description="留守、无人照料或遭受侵害的困境儿童需要帮扶保护。",
                kind="help",
                default_level="community",
                department="civil_affairs",
                urgency="urgent",
                keywords=(
                    "困境儿童",
                    "留守儿童",
                    "孩子没人管",
                    "孩子独自在家",
                    "流浪儿童",
                    "儿童保护",
                    "孩子被打",
                    "失学",
                ),
            ),
            # An application a visit took down for a vulnerable resident (the care registry files it as 求助; the
            # civil-affairs errands above are residents' own applications at a desk).
            Category(
                code="care.assistance",
                name="困难救助申请",
                name_en="Assistance application taken on a visit",
                description="走访中发现困难群众需要救助，代为提出低保、特困供养、临时救助或养老、残疾补贴等申请。",
                kind="help",
                default_level="community",
                department="civil_affairs",
                sla={"normal": _working_days(1, 10)},
                keywords=(
                    "困难救助申请",
                    "走访发现困难",
                    "代为申请救助",
                    "申请救助",
                    "困难群众",
                    "困难帮扶申请",
                    "特困供养",
                    "需要救助",
                ),
            ),
        ),
    ),
    Category(
        code="other",
        name="意见建议及其他",
        name_en="Suggestions and other matters",
        description="对社区工作的意见建议，以及不属于以上类别的问题。",
        default_level="community",
        sla={"normal": _working_days(1, 15)},
        children=(
            Category(
                code="other.suggestion",
                name="意见建议",
                name_en="Suggestion",
                description="对社区治理、公共服务和环境建设的意见建议。",
                default_level="community",
                keywords=("意见建议", "提建议", "提意见", "我有个建议", "建议", "希望社区", "能不能增加", "金点子"),
            ),
            Category(
                code="other.misc",
                name="其他问题",
                name_en="Other matter",
                description="不知道该选哪一类的问题，由社区先受理再分办。",
                default_level="community",
                sla={"normal": _working_days(1, 5)},
                keywords=("其他问题", "不知道找谁", "反映问题", "咨询", "问一下", "找谁管", "帮忙看看"),
            ),
        ),
    ),
)


# Phrases that mean someone may be in danger right now. Triage raises the urgency to "emergency" when one appears
# and no negation hint stands shortly before it. Match on text, not on segmented words, and beware of overlaps a
# segmenter would split: 打不着火 (a stove that will not light) contains 着火; 火灾隐患 is why 火灾 alone is not here.
EMERGENCY_TERMS: Final[tuple[str, ...]] = (
    "燃气泄漏",
    "煤气泄漏",
    "天然气泄漏",
    "液化气泄漏",
    "煤气味",
    "燃气味",
    "天然气味",
    "闻到煤气",
    "燃气报警器响",
    "煤气中毒",
    "一氧化碳",
    "爆炸",
    "起火",
    "着火",
    "失火",
    "发生火灾",
    "冒烟",
    "浓烟",
    "火光",
    "烧起来了",
    "触电",
    "电线掉下来",
    "电线垂地",
    "电线冒火花",
    "坠落",
    "坠楼",
    "掉下去了",
    "掉进井里",
    "被困电梯",
    "困在电梯",
    "电梯困人",
    "关在电梯里",
    "卡在电梯",
    "塌陷",
    "塌方",
    "倒塌",
    "地陷",
    "有人受伤",
    "昏迷",
    "晕倒",
    "不省人事",
    "溺水",
    "救命",
)


def merge_sla(base: Mapping[Urgency, SlaTarget], override: Mapping[Urgency, SlaTarget]) -> dict[Urgency, SlaTarget]:
    merged = dict(base)
    merged.update(override)
    return merged


def iter_categories(
    roots: Sequence[Category] = CATALOGUE,
    *,
    default_sla: Mapping[Urgency, SlaTarget] = DEFAULT_SLA,
) -> Iterator[tuple[Category, str | None, dict[Urgency, SlaTarget]]]:
    """Every node as (node, parent code or None, effective SLA), parents before children, in catalogue order."""

    def walk(
        nodes: Sequence[Category], parent: str | None, inherited: Mapping[Urgency, SlaTarget]
    ) -> Iterator[tuple[Category, str | None, dict[Urgency, SlaTarget]]]:
        for node in nodes:
            effective = merge_sla(inherited, node.sla)
            yield node, parent, effective
            yield from walk(node.children, node.code, effective)

    yield from walk(roots, None, default_sla)


# Report (报事) categories whose requests are about people rather than a public place or thing, seeded as private
# (``CaseCategory.private``). A code names the category and everything under it. 办事/求助 are private by kind.
PRIVATE_CODES = (
    "safety.security",
    "safety.suspicious",
    "safety.fraud",
    "neighbourhood.dispute",
    "neighbourhood.family",
    "neighbourhood.labour",
    "noise.neighbour",
    "street.vagrancy",
    "errands",
    "care",
)


def seeded_private(code: str) -> bool:
    return any(code == c or code.startswith(c + ".") for c in PRIVATE_CODES)


def iter_leaves(roots: Sequence[Category] = CATALOGUE) -> Iterator[Category]:
    for node, _parent, _sla in iter_categories(roots):
        if node.is_leaf:
            yield node

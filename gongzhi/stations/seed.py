"""The service-item catalogue, the practice's tier requirements (16 / 12 / 8 items for tiers 1 / 2 / 3) and the demo's
matters (办事). Plain data: ``services.install_catalogue`` and ``services.install_matters`` write it (idempotent)."""

from __future__ import annotations

from typing import Final

# code, Chinese name, English name, part of the outdoor workers' facilities (couriers, sanitation workers)
ITEMS: Final[tuple[tuple[str, str, str, bool], ...]] = (
    ("drinking-water", "饮用水", "Drinking water", True),
    ("phone-charging", "手机充电", "Phone charging", True),
    ("rest-area", "休息区", "Rest area", True),
    ("microwave", "微波炉热饭", "Microwave", True),
    ("toilet", "卫生间", "Toilet", True),
    ("first-aid", "应急药箱", "First aid kit", False),
    ("umbrella", "爱心雨伞借用", "Umbrella lending", False),
    ("tools", "便民工具箱", "Handy tools", False),
    ("policy-advice", "政策咨询", "Policy advice", False),
    ("errands", "代办服务", "Errands handled for you", False),
    ("wifi", "无线网络", "Wi-Fi", False),
    ("blood-pressure", "血压测量", "Blood-pressure check", False),
    ("reading-room", "阅览室", "Reading room", False),
    ("mother-baby", "母婴室", "Mother-and-baby room", False),
    ("legal-advice", "法律咨询", "Legal advice", False),
    ("mediation", "矛盾调解", "Mediation", False),
    ("reading-glasses", "老花镜", "Reading glasses", False),
    ("parcels", "快递代收", "Parcel holding", False),
    ("aed", "AED 除颤仪", "AED defibrillator", False),
    ("after-school", "四点半课堂", "After-school room", False),
)

TIER_3: Final = (
    "drinking-water",
    "phone-charging",
    "rest-area",
    "first-aid",
    "umbrella",
    "tools",
    "policy-advice",
    "errands",
)
TIER_2: Final = (*TIER_3, "microwave", "wifi", "blood-pressure", "reading-room")
TIER_1: Final = (*TIER_2, "toilet", "mother-baby", "legal-advice", "mediation")
REQUIREMENTS: Final[dict[int, tuple[str, ...]]] = {1: TIER_1, 2: TIER_2, 3: TIER_3}

ID_CARD: Final = "居民身份证原件及复印件"
HOUSEHOLD: Final = "户口簿原件及复印件"
PHOTO: Final = "近期一寸免冠照片 1 张"

# code, name, mode, materials, where handled, working days, case category code, accepted from tier (3: every
# station; 2: tiers 1–2; 1: the streets' centres; 0: none, online only)
MATTERS: Final[tuple[tuple[str, str, str, tuple[str, ...], str, int, str, int], ...]] = (
    ("elderly-card", "老年人优待证办理", "proxy", (ID_CARD, PHOTO), "街道便民服务中心", 5, "errands.proxy", 3),
    (
        "residence-proof",
        "居住证明开具",
        "proxy",
        (ID_CARD, HOUSEHOLD, "房屋产权证明或租赁合同"),
        "社区党群服务中心",
        1,
        "errands.certificate",
        3,
    ),
    (
        "medical-insurance",
        "城乡居民医保参保登记",
        "proxy",
        (ID_CARD, HOUSEHOLD),
        "街道便民服务中心",
        3,
        "errands.proxy",
        3,
    ),
    (
        "old-age-allowance",
        "高龄津贴申领",
        "proxy",
        (ID_CARD, "本人银行卡或社保卡"),
        "街道便民服务中心",
        10,
        "errands.old_age_allowance",
        2,
    ),
    (
        "disability-review",
        "残疾人证年审",
        "proxy",
        ("残疾人证", ID_CARD, PHOTO),
        "区残联（街道代收）",
        7,
        "errands.disability_allowance",
        2,
    ),
    (
        "dibao",
        "最低生活保障申请",
        "proxy",
        (ID_CARD, HOUSEHOLD, "家庭收入及财产申报材料"),
        "街道社会救助窗口",
        20,
        "errands.dibao",
        2,
    ),
    (
        "temporary-relief",
        "临时救助申请",
        "proxy",
        (ID_CARD, "困难情况说明及相关证明"),
        "街道社会救助窗口",
        10,
        "errands.temporary_relief",
        2,
    ),
    ("elderly-meal-card", "老年助餐卡办理", "proxy", (ID_CARD,), "社区党群服务中心", 3, "errands.proxy", 2),
    ("social-security-card", "社保卡补换", "proxy", (ID_CARD, PHOTO), "街道便民服务中心", 10, "errands.proxy", 2),
    ("unemployment", "失业登记", "proxy", (ID_CARD, "解除劳动合同证明"), "街道劳动保障窗口", 3, "errands.proxy", 2),
    (
        "residence-permit",
        "居住证申领",
        "proxy",
        (ID_CARD, PHOTO, "居住证明"),
        "派出所（街道代收）",
        15,
        "errands.proxy",
        1,
    ),
    (
        "business-licence",
        "个体工商户营业执照代办",
        "proxy",
        (ID_CARD, "经营场所证明"),
        "区政务服务中心",
        5,
        "errands.proxy",
        1,
    ),
    (
        "veteran-card",
        "退役军人优待证申领",
        "proxy",
        (ID_CARD, "退役证件", PHOTO),
        "街道退役军人服务站",
        15,
        "errands.proxy",
        1,
    ),
    (
        "pension-check",
        "养老金领取资格认证",
        "online",
        (ID_CARD,),
        "“掌上 12333” App 或国家社会保险公共服务平台人脸认证",
        1,
        "errands.proxy",
        0,
    ),
    (
        "housing-fund",
        "住房公积金提取",
        "online",
        (ID_CARD, "本人银行卡"),
        "住房公积金管理中心网上服务大厅",
        3,
        "errands.proxy",
        0,
    ),
)

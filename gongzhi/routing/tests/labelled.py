"""Labelled examples we wrote for the triage tests: urgency (with negations and indirect phrasing) and duplicate
pairs (near-duplicates, and look-alikes that are not the same problem)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from gongzhi.routing import similarity

DUPLICATE_THRESHOLD = 0.35  # GONGZHI_TRIAGE_DUPLICATE_SIMILARITY's default
AT = datetime(2026, 5, 1, 8, tzinfo=UTC)


def found_duplicate(earlier: str, new: str, group: Callable[[str], str] = lambda text: "") -> bool:
    """Whether the duplicate finder takes ``new`` for a repeat of ``earlier`` (same place; ``group`` gives each text's
    suggested category)."""
    candidate = similarity.Candidate(1, earlier, AT, 30.0, 120.0, group=group(earlier))
    found = similarity.duplicates(
        new, [candidate], lat=30.0, lon=120.0, group=group(new), threshold=DUPLICATE_THRESHOLD
    )
    return bool(found)


def precision_recall(found: list[tuple[bool, bool]]) -> tuple[float, float]:
    """(precision, recall) of (found, really the same) pairs."""
    tp = sum(1 for f, same in found if f and same)
    fp = sum(1 for f, same in found if f and not same)
    fn = sum(1 for f, same in found if same and not f)
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1)


# (text, is an emergency happening now)
URGENCY: list[tuple[str, bool]] = [
    # direct
    ("3号楼2单元燃气泄漏，味道很大", True),
    ("厨房有很浓的煤气味，不敢开灯", True),
    ("楼下饭店着火了，火很大", True),
    ("地下车库有电动车起火", True),
    ("小孩触电了，快来人", True),
    ("有人被困电梯，已经半个小时了", True),
    ("工地有工人从脚手架上坠落", True),
    ("路面突然塌陷，一辆车陷进去了", True),
    ("老人在家晕倒了", True),
    ("河边有人溺水", True),
    # indirect phrasing
    ("楼道里闻到一股臭鸡蛋味，越来越浓", True),
    ("电梯停在两层中间，里面有个老人出不来", True),
    ("电梯门打不开，里面有人在喊", True),
    ("对门老太太摔倒在卫生间，叫不醒", True),
    ("配电箱在冒火花，噼啪响", True),
    ("隔壁窗户里往外冒黑烟", True),
    ("阳台的墙皮整块掉下来砸到人了", True),
    ("孩子掉进了没盖的井里", True),
    ("小孩爬到窗外挂在阳台外面", True),
    ("暴雨后水漫进了地下室配电间", True),
    # negated, past, worries, hazards — not happening now
    ("没有漏气，只是灶台打不着火", False),
    ("师傅来看过了，没有煤气味，是下水道的味道", False),
    ("昨晚着火已经扑灭了，想问问后续怎么赔偿", False),
    ("担心燃气泄漏，想请人上门检查一下管道", False),
    ("楼道堆满纸箱，有火灾隐患", False),
    ("小区什么时候组织消防演练", False),
    ("燃气灶点不着火", False),
    ("排除了燃气泄漏，是邻居在做饭", False),
    ("自行车轮胎漏气了，附近哪里能补胎", False),
    ("楼下烧烤冒烟，油烟很大", False),
    ("路灯不亮，晚上很黑", False),
    ("电梯经常停，希望维修一下", False),
    ("防止触电，建议给配电箱加锁", False),
    ("手机掉进下水道了", False),
    ("垃圾好几天没人收", False),
]

# (earlier case, new case, same problem)
DUPLICATES: list[tuple[str, str, bool]] = [
    # near-duplicates: the same problem told by another neighbour
    ("3号楼门口的路灯不亮了，晚上很黑", "3号楼门口路灯好几天不亮了", True),
    ("3号楼门口的路灯不亮了，晚上很黑", "三号楼门口路灯坏了不亮，晚上黑", True),
    ("小区东门垃圾桶满了好几天没人收", "东门垃圾桶满了，好几天没人收垃圾", True),
    ("5栋楼道里有人用飞线给电动车充电", "5栋楼道飞线充电，电线从窗户拉下来", True),
    ("幸福路和光明路口的井盖丢了", "幸福路光明路路口井盖没了，很危险", True),
    ("12号楼下水道堵了，污水冒出来", "12号楼下水道堵塞，污水冒到路上", True),
    ("广场舞音响太吵，晚上十点还在跳", "晚上十点广场舞音响还很吵", True),
    ("8号楼楼上天天半夜装修，电钻声很吵", "8号楼半夜装修电钻声太吵了", True),
    ("菜市场门口有人占道摆摊卖菜", "菜市场门口占道摆摊的又来了", True),
    ("2单元电梯坏了，停在三楼不动", "2单元电梯坏了不动，停在3楼", True),
    ("南门外的树倒了，挡住了路", "南门外大树倒了挡路", True),
    ("小区北门地锁太多，私装地锁占车位", "北门私装地锁占了好多车位", True),
    # look-alikes: same topic, another place or another problem
    ("3号楼门口的路灯不亮了，晚上很黑", "5号楼楼道灯不亮", False),
    ("3号楼门口的路灯不亮了，晚上很黑", "3号楼门口的垃圾桶满了", False),
    ("小区东门垃圾桶满了好几天没人收", "小区西门有人乱倒装修垃圾", False),
    ("5栋楼道里有人用飞线给电动车充电", "5栋楼道里堆满了纸箱", False),
    ("幸福路和光明路口的井盖丢了", "幸福路和光明路口红绿灯坏了", False),
    ("12号楼下水道堵了，污水冒出来", "12号楼屋顶漏水", False),
    ("广场舞音响太吵，晚上十点还在跳", "工地晚上十点还在施工，很吵", False),
    ("8号楼楼上天天半夜装修，电钻声很吵", "8号楼楼上天天往下扔垃圾", False),
    ("菜市场门口有人占道摆摊卖菜", "菜市场门口的共享单车乱停", False),
    ("2单元电梯坏了，停在三楼不动", "2单元楼道灯坏了", False),
    ("南门外的树倒了，挡住了路", "南门外的树需要修剪", False),
    ("小区北门地锁太多，私装地锁占车位", "北门有僵尸车停了半年", False),
    ("想申请低保，需要什么材料", "想申请高龄津贴，需要什么材料", False),
    ("楼上漏水，我家天花板湿了", "楼上太吵，我家孩子睡不着", False),
]

"""Emergency detection: is someone in danger right now? Pure: no Django import.

Two kinds of evidence: direct terms (燃气泄漏, 着火, 被困电梯 …) and indirect phrasing that names no emergency but
describes one (闻到一股臭鸡蛋味, 电梯停在两层中间里面有人, 老人摔倒了叫不醒). A term does not count when its own
clause denies it or puts it in the past or the future: a negation shortly before it (没有煤气味, 没闻到煤气味, 担心会
漏气), or an all-clear right after it (着火已经扑灭了, 煤气味已经没有了). Clauses end at punctuation, so
"没有暖气，闻到煤气味" still counts. Overlaps a word list would trip on are listed as exceptions (打不着火 is a
stove that will not light; 火灾隐患 is a hazard, not a fire).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from gongzhi.routing.text import normalise

# Direct terms, matched on the normalised text (digits folded to 0).
TERMS: Final[tuple[str, ...]] = (
    "燃气泄漏",
    "煤气泄漏",
    "天然气泄漏",
    "液化气泄漏",
    "燃气泄露",
    "煤气泄露",
    "漏气",
    "煤气味",
    "燃气味",
    "天然气味",
    "液化气味",
    "燃气报警器响",
    "报警器一直响",
    "煤气中毒",
    "一氧化碳中毒",
    "爆炸",
    "起火",
    "着火",
    "失火",
    "火灾",
    "冒烟",
    "浓烟",
    "火光",
    "烧起来",
    "触电",
    "漏电",
    "电线冒火花",
    "电线掉下来",
    "电线垂地",
    "坠落",
    "坠楼",
    "跳楼",
    "掉下去",
    "掉进井",
    "掉进",
    "被困电梯",
    "困在电梯",
    "电梯困人",
    "关在电梯",
    "卡在电梯",
    "塌陷",
    "塌方",
    "倒塌",
    "坍塌",
    "地陷",
    "有人受伤",
    "受伤流血",
    "昏迷",
    "晕倒",
    "不省人事",
    "溺水",
    "救命",
    "砸伤",
    "砸到人",
)

# Indirect phrasing: (pattern, reason). Patterns run on the normalised text of one clause at a time.
PATTERNS: Final[tuple[tuple[str, str], ...]] = (
    (
        r"(闻到|有|一股|好大的?)[^，。！？]{0,6}(臭鸡蛋|煤气|燃气|液化气|天然气|焦糊|烧焦)的?(味|气味)",
        "gas or burning smell",
    ),
    (
        r"(电梯)[^，。！？]{0,10}(出不来|打不开|卡住|停在|困住|关住)[^，。！？]{0,8}(人|孩子|老人|里面|里头)",
        "people in a stuck lift",
    ),
    (r"(人|孩子|小孩|老人)[^，。！？]{0,6}(关|困|卡)在[^，。！？]{0,4}电梯", "people in a stuck lift"),
    (
        r"(老人|老太|老爷子|大爷|大妈|人|孩子|小孩|邻居)[^，。！？]{0,8}(摔倒|倒地|倒在地上|晕过去|昏过去)",
        "someone collapsed",
    ),
    (r"(叫不醒|喊不醒|没有反应|没反应了|一动不动|不能动了|起不来)", "someone unresponsive"),
    (r"(电线|电缆|电箱|配电箱|插座)[^，。！？]{0,6}(冒火花|打火|冒烟|烧了|烧焦|发烫冒烟|噼啪)", "electrical fire risk"),
    (r"(黑烟|浓烟|烟雾)[^，。！？]{0,6}(冒|滚|窜|弥漫)", "smoke"),
    (r"(冒|窜)出?[^，。！？]{0,3}(火苗|明火|黑烟|浓烟)", "fire"),
    (r"(掉|落|摔)(进|到|下)[^，。！？]{0,6}(井|河|水里|楼下|坑)", "someone fell"),
    (
        r"(墙|天花板|吊顶|阳台|屋顶|楼板|广告牌|招牌)[^，。！？]{0,6}(塌了|砸下来|掉下来|砸到人|整块掉)",
        "structure falling",
    ),
    (r"(孩子|小孩|老人|人)[^，。！？]{0,6}(挂在|悬在|爬到)[^，。！？]{0,6}(窗外|阳台外|楼顶)", "someone about to fall"),
    (r"(水|洪水)[^，。！？]{0,6}(漫进|灌进|淹到)[^，。！？]{0,6}(屋|家|配电|电箱)", "flooding with power"),
)

# Indirect phrasing that spans clauses ("电梯卡住了，里面有个老人出不来"); matched on the whole text.
SPANNING: Final[tuple[tuple[str, str], ...]] = (
    (
        r"电梯.{0,16}(里面|里头|轿厢里).{0,4}(有人|有个|有位|有老人|有孩子|有小孩).{0,8}(出不来|困|关|卡|喊)",
        "people in a stuck lift",
    ),
    (
        r"电梯.{0,10}(卡住|停在|不动了|门打不开|停了).{0,12}(里面|里头)有(人|个|位|老人|孩子|小孩)",
        "people in a stuck lift",
    ),
)

# Words that, shortly before a term in the same clause, deny it or make it a worry; and all-clears right after it.
NEGATIONS: Final[tuple[str, ...]] = (
    "没有",
    "没",
    "未",
    "无",
    "不是",
    "并非",
    "并未",
    "不存在",
    "排除",
    "已排除",
    "担心",
    "万一",
    "以防",
    "预防",
    "防止",
    "会不会",
    "是否",
    "怕",
    "害怕",
    "小心",
    "谨防",
    "避免",
    "有没有",
    "检查",
    "排查",
    "演练",
    "宣传",
    "知识",
)
ALL_CLEAR: Final[tuple[str, ...]] = (
    "已经灭了",
    "已灭",
    "已扑灭",
    "已经扑灭",
    "被扑灭",
    "已处理",
    "已经处理",
    "已修好",
    "已经修好",
    "已恢复",
    "没有了",
    "已经没了",
    "散了",
    "误报",
    "隐患",
    "演练",
    "知识",
    "宣传",
    "检查",
)
# Text that contains a term but is no emergency.
EXCEPTIONS: Final[tuple[str, ...]] = (
    "打不着火",
    "点不着火",
    "火灾隐患",
    "消防隐患",
    "防火",
    "消防演练",
    "冒烟的烧烤",
    "烧烤冒烟",
    "油烟",
    "抽烟",
    "吸烟",
    "冒烟头",
    "着火点",
    "掉进去了一个",
    "手机掉进",
    "钥匙掉进",
    "东西掉下去",
    "衣服掉下去",
    "漏气的车胎",
    "轮胎漏气",
    "车胎漏气",
    "自行车漏气",
    "气球",
)
NEGATION_WINDOW: Final = 6  # characters looked back from a term, inside its clause
CLAUSE: Final = re.compile(r"[，,。.!！?？;；\n]+")

_COMPILED: Final = tuple((re.compile(p), reason) for p, reason in PATTERNS)
_SPANNING: Final = tuple((re.compile(p), reason) for p, reason in SPANNING)


@dataclass(frozen=True)
class Urgency:
    emergency: bool
    reasons: tuple[str, ...]  # the terms or patterns that fired, for the dispatcher to see


def _negated(clause: str, start: int, end: int) -> bool:
    before = clause[max(0, start - NEGATION_WINDOW) : start]
    after = clause[end:]
    return any(word in before for word in NEGATIONS) or any(word in after for word in ALL_CLEAR)


def _masked(clause: str) -> str:
    """The clause with the exception phrases blanked out, so their terms do not match."""
    for phrase in EXCEPTIONS:
        if phrase in clause:
            clause = clause.replace(phrase, "＿" * len(phrase))
    return clause


def detect(text: str) -> Urgency:
    """Whether the text describes an emergency happening now, and why."""
    reasons: list[str] = []
    whole = normalise(text)
    for pattern, reason in _SPANNING:
        found = pattern.search(whole)
        if found and not any(w in whole[max(0, found.start() - NEGATION_WINDOW) : found.start()] for w in NEGATIONS):
            reasons.append(reason)
    for clause in CLAUSE.split(whole):
        if not clause:
            continue
        clause = _masked(clause)
        for term in TERMS:
            start = clause.find(term)
            while start >= 0:
                if not _negated(clause, start, start + len(term)):
                    reasons.append(term)
                    break
                start = clause.find(term, start + 1)
        for pattern, reason in _COMPILED:
            for found in pattern.finditer(clause):
                # A negation inside the phrase counts too (有没有煤气味): look back from where its last part starts.
                if not _negated(clause, found.start(found.lastindex or 0), found.end()):
                    reasons.append(reason)
                    break
    unique = tuple(dict.fromkeys(reasons))
    return Urgency(emergency=bool(unique), reasons=unique)

"""Text normalisation and character n-grams for Chinese requests. Pure: no Django import.

Character n-grams need no segmenter and no dictionary, survive typos and the missing spaces of Chinese, and catch
domain terms a generic segmenter splits (路灯/不亮, 飞线/充电): 路灯 is a bigram whatever jieba thinks. Digits are
folded to 0 so "3号楼" and "5号楼" share features; Latin letters are lower-cased; full-width forms become half-width
(NFKC).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, Final

_DIGITS: Final = re.compile(r"[0-9]+")
_SPACE: Final = re.compile(r"\s+")
# Punctuation and symbols split the text into runs; n-grams do not cross them.
_SPLIT: Final = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """NFKC, lower case, digits folded to 0, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _DIGITS.sub("0", text)
    return _SPACE.sub(" ", text).strip()


def runs(text: str) -> list[str]:
    """The normalised text cut at punctuation and spaces, empty pieces dropped."""
    return [piece for piece in _SPLIT.split(normalise(text)) if piece]


def ngrams(text: str, *, orders: Iterable[int] = (1, 2, 3), prefix: str = "") -> Iterator[str]:
    """Character n-grams of each run (``prefix`` marks the field, e.g. title n-grams apart from body ones)."""
    orders = tuple(orders)
    for run in runs(text):
        length = len(run)
        for n in orders:
            for i in range(length - n + 1):
                yield prefix + run[i : i + n]


def bigram_counts(text: str) -> Counter[str]:
    """Bigrams (and unigrams of one-character runs): the representation used for similarity."""
    counts: Counter[str] = Counter()
    for run in runs(text):
        if len(run) == 1:
            counts[run] += 1
        else:
            counts.update(run[i : i + 2] for i in range(len(run) - 1))
    return counts


# Words the generic dictionary cuts wrongly or does not know (路灯不亮 comes out as 路/灯不亮 without them).
DOMAIN_WORDS: Final[tuple[str, ...]] = (
    "路灯",
    "不亮",
    "下水道",
    "窨井盖",
    "井盖",
    "高空抛物",
    "飞线充电",
    "电动车",
    "楼道",
    "化粪池",
    "物业费",
    "业委会",
    "噪音",
    "油烟",
    "违建",
    "违章搭建",
    "占道经营",
    "共享单车",
    "垃圾分类",
    "垃圾清运",
    "积水",
    "漏水",
    "渗水",
    "停水",
    "停电",
    "燃气",
    "煤气",
    "电梯",
    "广场舞",
    "流浪狗",
    "养老金",
    "社保",
    "医保",
    "公积金",
    "拖欠工资",
    "学区",
    "网约车",
    "公交车",
)
_WORD: Final = re.compile(r"\w")
_segmenter: Any = None


def _cutter() -> Any:
    global _segmenter  # one segmenter per process, its dictionary extended once
    if _segmenter is None:
        import rjieba

        for word in DOMAIN_WORDS:
            rjieba.add_word(word, 100_000, "n")
        _segmenter = rjieba.cut
    return _segmenter


def words(text: str, *, prefix: str = "") -> list[str]:
    """Dictionary words (rjieba with DOMAIN_WORDS) of the normalised text, punctuation and spaces dropped."""
    cut = _cutter()
    return [prefix + w for w in cut(normalise(text)) if _WORD.match(w)]

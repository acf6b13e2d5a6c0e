"""Masking of personal data for lists and public pages (DESIGN.md §6). Pure functions.

``find_personal_data`` finds what looks like personal data in free text — phone numbers, ID numbers, bank cards,
e-mail addresses, names after a label, flats (5单元1203室) — and says where it is; ``mask_text`` masks exactly what
it finds. The staff's public-summary editor flags the same findings (one set of patterns for both), so what staff are
warned about is what the public pages would mask.

Numbers are read the way people write them to get past a filter: digits split by spaces, dots, dashes, slashes,
underscores or brackets (138.1234.5678, 13812 345678, 1 3 8 1 2 3 4 5 6 7 8, (010)1234-5678), full-width digits
(１３８…), an ID number in groups (110101 19900307 123X), a mobile number in Chinese digits (一三八一二三四五六七八).
A number is masked when its *shape* is a phone or an ID number (or a UnionPay card, or it follows a label such as
电话/手机/身份证/卡号); other numbers — order numbers, asset tags (路灯编号 0731256), dates, amounts — are left as
they are, so a public text keeps what it means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final


def mask_phone(phone: str) -> str:
    """13812341234 -> 138****1234; short or odd numbers keep at most their last 2 digits."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if not digits:
        return ""
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***; Latin names keep the first letter of the first word."""
    name = name.strip()
    if not name:
        return ""
    if name.isascii():
        first = name.split()[0]
        return first[0] + "*" * max(len(first) - 1, 2)
    return name[0] + "*" * max(len(name) - 1, 1)


def coarse_point(lat: float | None, lon: float | None, *, places: int = 3) -> tuple[float, float] | None:
    """A point rounded to ``places`` decimals (3: a cell of about 110 m × 100 m), for public maps: never the
    resident's own GPS fix."""
    if lat is None or lon is None:
        return None
    return round(lat, places), round(lon, places)


# ------------------------------------------------------------------------------------------------ finding in text

PHONE: Final = "phone"
ID_NUMBER: Final = "id_number"
BANK_CARD: Final = "bank_card"
EMAIL: Final = "email"
NAME: Final = "name"
NUMBER: Final = "number"  # a long number after a phone/ID/card label, whatever its shape
FLAT: Final = "flat"  # a household's door: 5单元1203室, 502室, 3-2-502 (the building alone is public)
KINDS: Final = (PHONE, ID_NUMBER, BANK_CARD, EMAIL, NAME, NUMBER, FLAT)


@dataclass(frozen=True)
class Finding:
    """Personal data found in a text: ``text[start:end]`` is it, ``masked`` what a public page shows instead."""

    kind: str
    start: int
    end: int
    text: str
    masked: str


# Digits as people type them: ASCII, full-width. Chinese digits are read only as a whole mobile number (below).
_DIGIT_VALUE: Final = {**{chr(0x30 + i): str(i) for i in range(10)}, **{chr(0xFF10 + i): str(i) for i in range(10)}}
_D: Final = "0-9\uff10-\uff19"
# Between two digits: up to two spaces, at most one mark (. - / _ · — brackets, and their full-width forms), up to
# two spaces. A comma or a colon never joins digits (1,234.56 and 13:45 are amounts and times).
_SEP: Final = r"[ \t\u00a0\u3000]{0,2}[-./_·•—–－．／＿\\()（）]?[ \t\u00a0\u3000]{0,2}"
_SPAN: Final = re.compile(rf"(?<![{_D}])[{_D}](?:{_SEP}[{_D}])*(?:{_SEP}[Xx](?![A-Za-z]))?")
_CHUNK: Final = re.compile(rf"[{_D}]+|[Xx]")
_CN_DIGITS: Final = {c: str(i) for i, c in enumerate("零一二三四五六七八九")} | {"〇": "0", "幺": "1", "两": "2"}
_CN_RUN: Final = re.compile("[零一二三四五六七八九〇幺两]{11}")

_MOBILE: Final = re.compile(r"1[3-9]\d{9}")
# Region (first digit 1–9), birth date 18xx–20xx with a real month and day, sequence, check digit or X.
_ID18: Final = re.compile(r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]")
_ID15: Final = re.compile(r"[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}")
_EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_FLAT: Final = re.compile(
    rf"(?:[{_D}]{{1,2}}|[一二三四五六七八九十]{{1,2}})[ \t]*单元[ \t]*"
    rf"(?:[{_D}]{{1,4}}[ \t]*(?:室|号|房)|[{_D}]{{3,4}}(?![{_D}]))"
    rf"|(?<![{_D}.])[{_D}]{{3,4}}[ \t]*(?:室|房)(?!间)"
    rf"|(?<![{_D}-])[{_D}]{{1,3}}-[{_D}]{{1,2}}-[{_D}]{{3,4}}(?![{_D}-])"
)
# A label that says the number after it is personal: whatever its shape, 7 or more digits after it are masked.
_NUMBER_LABEL: Final = re.compile(
    r"(?:联系电话|联系方式|电话|手机|座机|固话|号码|身份证|证件|卡号|银行卡|账号|帐号|户号|qq|QQ|微信|tel|Tel|TEL|"
    r"phone|Phone|mobile|Mobile)(?:号码|号)?[ \t\u3000]*[:：]?[ \t\u3000]*(?:是|为)?[ \t\u3000]*$"
)
_LABEL_WINDOW: Final = 16

# Names after a label (联系人李四, 我叫张三, 姓名：王五, 名字叫赵六, 已联系王五).
_NAME_LABELS: Final = (
    "业主姓名|居民姓名|姓名|名字|联系人|户主|申请人|反映人|报事人|当事人|求助人|收件人|我叫|我是|本人|叫做|联系"
)
_NAME_LABEL: Final = re.compile(
    rf"(?P<label>{_NAME_LABELS})"
    r"(?P<sep>[ \t\u3000]*[:：]?[ \t\u3000]*(?:是|叫|为)?[ \t\u3000]*)"
    r"(?P<name>[\u4e00-\u9fff]{2,4})"
)
_CERTAIN: Final = frozenset({"姓名", "名字", "业主姓名", "居民姓名"})
_PAIRS: Final = "欧阳司马上官诸葛东方皇甫令狐慕容尉迟公孙长孙宇文司徒夏侯轩辕端木独孤南宫西门百里"
_COMPOUND_SURNAMES: Final = frozenset(_PAIRS[i : i + 2] for i in range(0, len(_PAIRS), 2))
_SURNAMES: Final = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢"
    "安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路"
    "游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全"
    "佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚"
    "鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮"
    "都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元"
    "束檀衣信展阴昝智幸奉植衡富尧闭由"
)
# Characters that end a name: what usually follows one in a report (电话, 住在, 3号楼 …).
# Single characters that are rarely part of a given name, and two-character words whose first character often is
# (小区 but 小美, 大爷 but 大海, 家里 but 家豪, 先生 …).
_NAME_STOP: Final = frozenset(
    "电话手机号码联系住在的是与及跟先女士师傅阿姨爷楼栋单室反映投诉说称等要请帮已于今昨身份证件地址微邮箱因为了也都就还又再式"
)
_NAME_STOP_WORDS: Final = frozenset(
    {"先生", "女士", "同志", "大爷", "大妈", "大姐", "大哥", "小区", "小姐", "社区", "家里", "家中", "家的", "老人",
     "老师", "和我", "和他", "和她", "生活", "元旦", "同学", "同事"}
)  # fmt: skip


def _digits(chunk: str) -> str:
    return "".join(_DIGIT_VALUE.get(c, c.upper()) for c in chunk)


def _luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _stars_keep(chars: str, keep: int) -> str:
    """``chars`` (the digit characters as written) with all but the last ``keep`` replaced by ``*``."""
    return "*" * (len(chars) - keep) + chars[len(chars) - keep :]


@dataclass(frozen=True)
class _Chunk:
    start: int  # in the text
    end: int
    written: str  # the characters as written
    digits: str  # ASCII digits (or X)


def _shape(chunks: list[_Chunk], labelled: bool) -> tuple[str, int] | None:
    """The kind of personal number ``chunks`` (consecutive pieces of one written number, read together) make, and
    how many of them it takes from the first — or None."""
    joined = ""
    best: tuple[str, int] | None = None
    for n, chunk in enumerate(chunks, start=1):
        joined += chunk.digits
        if len(joined) > 19:
            break
        size = len(joined)
        if chunk.digits == "X" and size != 18:
            break
        if size == 18 and _ID18.fullmatch(joined):
            return ID_NUMBER, n
        mobile = size == 11 or (size in (13, 15) and joined.startswith(("86", "0086")))  # +86, 0086
        if mobile and _MOBILE.fullmatch(joined[size - 11 :]):
            best = best or (PHONE, n)
        elif 16 <= size <= 19 and "X" not in joined and (labelled or joined.startswith("62")) and _luhn(joined):
            best = (BANK_CARD, n)
        elif labelled and size == 15 and _ID15.fullmatch(joined):
            best = (ID_NUMBER, n)
    if best is not None:
        return best
    # A landline: an area code of 3–4 digits starting with 0 written apart from 7–8 more digits (010-12345678,
    # (0816) 234 5678), or 10–12 digits in one piece starting with 0[1-9] (01012345678).
    first = chunks[0].digits
    if len(chunks) == 1 and 10 <= len(first) <= 12 and re.fullmatch(r"0[1-9]\d+", first):
        return PHONE, 1
    if 3 <= len(first) <= 4 and re.fullmatch(r"0[1-9]\d+", first):
        rest = ""
        for n, chunk in enumerate(chunks[1:], start=2):
            rest += chunk.digits
            if 7 <= len(rest) <= 8 and rest[0] != "0" and "X" not in rest:
                following = chunks[n].digits if n < len(chunks) else ""
                if not following or len(rest + following) > 8:
                    return PHONE, n
            if len(rest) > 8:
                break
    return None


def _mask_for(kind: str, written: str, digits: str) -> str:
    """What replaces a found number: phones keep their first 3 and last 4 digits, other numbers their last 4 (or 2
    when short); the digits keep the way they were written (full-width stays full-width)."""
    if kind == PHONE:
        if len(digits) > 11 and digits.startswith(("86", "0086")) and _MOBILE.fullmatch(digits[-11:]):
            written = written[len(digits) - 11 :]
        return f"{written[:3]}****{written[-4:]}" if len(written) >= 11 else _stars_keep(written, 2)
    return _stars_keep(written, 4 if len(written) >= 12 else 2)


def _numbers(text: str) -> list[Finding]:
    found: list[Finding] = []
    for span in _SPAN.finditer(text):
        chunks = [
            _Chunk(span.start() + m.start(), span.start() + m.end(), m.group(), _digits(m.group()))
            for m in _CHUNK.finditer(span.group())
        ]
        before = text[max(span.start() - _LABEL_WINDOW, 0) : span.start()]
        labelled = bool(_NUMBER_LABEL.search(before))
        hits: list[Finding] = []
        k = 0
        while k < len(chunks):
            shape = _shape(chunks[k:], labelled)
            if shape is None:
                k += 1
                continue
            kind, taken = shape
            pieces = chunks[k : k + taken]
            start, end = pieces[0].start, pieces[-1].end
            if kind == PHONE and k > 0 and chunks[k - 1].digits in ("86", "0086"):
                start = chunks[k - 1].start  # +86 138 …: the country code goes with the number
            if kind == PHONE and start > 0 and text[start - 1] == "+":
                start -= 1  # +86 …: the plus goes with the number
            if kind == PHONE and start > 0 and text[start - 1] in "(（" and any(c in text[start:end] for c in ")）"):
                start -= 1  # (010)1234-5678: the bracket opened inside the number goes with it
            written = "".join(c.written for c in chunks if start <= c.start < end)
            digits = "".join(c.digits for c in chunks if start <= c.start < end)
            hits.append(Finding(kind, start, end, text[start:end], _mask_for(kind, written, digits)))
            k += taken
        if not hits and labelled:
            digits = "".join(c.digits for c in chunks)
            if len(digits) >= 7:
                written = "".join(c.written for c in chunks)
                hits.append(Finding(NUMBER, span.start(), span.end(), span.group(), _mask_for(NUMBER, written, digits)))
        found += hits
    for run in _CN_RUN.finditer(text):
        digits = "".join(_CN_DIGITS[c] for c in run.group())
        if _MOBILE.fullmatch(digits):
            written = run.group()
            found.append(Finding(PHONE, run.start(), run.end(), written, f"{written[:3]}****{written[-4:]}"))
    return found


def _ends_name(text: str, at: int) -> bool:
    return text[at] in _NAME_STOP or text[at : at + 2] in _NAME_STOP_WORDS


def _names(text: str) -> list[Finding]:
    found: list[Finding] = []
    pos = 0
    while (m := _NAME_LABEL.search(text, pos)) is not None:
        pos = m.start() + 1  # labels may overlap (联系户主王五): a label that is not followed by a name tells nothing
        name = m.group("name")
        surname = 2 if name[:2] in _COMPOUND_SURNAMES else 1
        # After 姓名：/名字 a name always follows; after other labels only when it starts with a surname, so that
        # 联系人不在 or 我叫了物业 stay as they are.
        certain = m.group("label") in _CERTAIN or any(c in m.group("sep") for c in ":：")
        if not certain and surname == 1 and name[0] not in _SURNAMES:
            continue
        length = surname
        while length < min(len(name), surname + 2) and not _ends_name(text, m.start("name") + length):
            length += 1
        if length < 2:
            continue
        start = m.start("name")
        found.append(Finding(NAME, start, start + length, name[:length], mask_name(name[:length])))
        pos = start + length
    return found


def _flats(text: str) -> list[Finding]:
    """A flat (房号): its digits are starred, the words stay (*单元****室), so the text still says it was a flat."""
    return [
        Finding(FLAT, m.start(), m.end(), m.group(), re.sub(rf"[{_D}一二三四五六七八九十]", "*", m.group()))
        for m in _FLAT.finditer(text)
    ]


def _emails(text: str) -> list[Finding]:
    return [
        Finding(EMAIL, m.start(), m.end(), m.group(), m.group()[0] + "***@" + m.group().split("@", 1)[1])
        for m in _EMAIL.finditer(text)
    ]


def find_personal_data(text: str) -> list[Finding]:
    """Everything in ``text`` that looks like personal data, in order, without overlaps (where two findings overlap,
    the one that starts first — or, starting together, the longer — wins). The staff's summary editor flags these;
    ``mask_text`` masks them."""
    if not text:
        return []
    candidates = sorted(
        [*_emails(text), *_numbers(text), *_names(text), *_flats(text)], key=lambda f: (f.start, -(f.end - f.start))
    )
    kept: list[Finding] = []
    for finding in candidates:
        if kept and finding.start < kept[-1].end:
            continue
        kept.append(finding)
    return kept


def mask_text(text: str) -> str:
    """Free text with personal data masked, for lists and public pages: what ``find_personal_data`` finds is replaced
    by its masked form — 138****5678, **************123X, 张*, z***@example.com — and everything else is left as it
    is. Masking twice changes nothing more."""
    if not text:
        return ""
    out: list[str] = []
    at = 0
    for finding in find_personal_data(text):
        out.append(text[at : finding.start])
        out.append(finding.masked)
        at = finding.end
    out.append(text[at:])
    return "".join(out)

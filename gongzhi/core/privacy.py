"""Masking of personal data for lists and public pages (DESIGN.md §6). Pure functions."""

from __future__ import annotations

import re


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


# Free text (descriptions, results, addresses) written by residents and staff often carries personal data. What a
# public page shows of such text goes through ``mask_text``: ID numbers, phone numbers, other long digit runs (bank
# cards, account numbers), e-mail addresses and names written after a label (姓名：张三) are masked. Names written
# freely in a sentence cannot be recognised reliably; sensitive kinds of requests must not be shown at all.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_SEPARATED_PHONE = re.compile(
    r"(?<!\d)(?:(?:\+|００)?(?:86|８６)[\s-]?)?1\d{2}(?:[\s-]\d{4}){2}(?!\d)"  # 138 1234 5678, +86-138-1234-5678
    r"|(?<!\d)0\d{2,3}[\s-]\d{7,8}(?!\d)"  # 010-12345678
)
_DIGIT_RUN = re.compile(r"(?<!\d)\d{7,}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LABELLED_NAME = re.compile(
    r"(?P<label>姓名|联系人|户主|申请人|反映人|报事人|当事人|我叫)(?P<sep>\s*[:：]?\s*)(?P<name>[\u4e00-\u9fff]{2,4})"
)


def _mask_digits(digits: str) -> str:
    """All but the last 4 (runs of 12 or more) or the last 2 (shorter runs) digits become ``*``; 11-digit
    numbers look like phones and are masked as phones."""
    if len(digits) == 11:
        return mask_phone(digits) or "*" * 11
    keep = 4 if len(digits) >= 12 else 2
    return "*" * (len(digits) - keep) + digits[-keep:]


def mask_text(text: str) -> str:
    """Free text with personal data masked, for lists and public pages:

    ID numbers (18 characters, last one may be X) and runs of 7 or more digits keep only their last digits
    (``**************1234``), phone numbers are masked as ``mask_phone`` does (``138****5678``; also when written
    with spaces or dashes), e-mail addresses keep their first character and domain, and a name after a label such as
    姓名/联系人/申请人 is masked as ``mask_name`` does. Anything else is left as it is."""
    if not text:
        return ""
    text = _ID_NUMBER.sub(lambda m: "*" * 14 + m.group()[-4:], text)
    text = _SEPARATED_PHONE.sub(lambda m: mask_phone(m.group()), text)
    text = _DIGIT_RUN.sub(lambda m: _mask_digits(m.group()), text)
    text = _EMAIL.sub(lambda m: m.group()[0] + "***@" + m.group().split("@", 1)[1], text)
    return _LABELLED_NAME.sub(lambda m: m.group("label") + m.group("sep") + mask_name(m.group("name")), text)

"""Masking of personal data for lists and public pages (DESIGN.md §6). Pure functions."""

from __future__ import annotations


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

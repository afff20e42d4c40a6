"""Masking of personal data for display (PIPL: show only what the viewer needs).

There is no national display format; these follow common practice: phone 138****8000, ID number first 6 and
last 4 characters. Masking is for display only: it never replaces the stored value.
"""

from __future__ import annotations


def mask_phone(value: str | None) -> str:
    """`13812348000` → `138****8000`; short or odd values keep at most their last 2 characters."""
    if not value:
        return ""
    digits = value.strip()
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 2, 1) + digits[-2:] if len(digits) > 2 else "*" * len(digits)


def mask_id_number(value: str | None) -> str:
    """An 18-character ID number → first 6 + 8 stars + last 4; shorter values keep their ends alike."""
    if not value:
        return ""
    v = value.strip()
    if len(v) <= 10:
        return "*" * len(v)
    return f"{v[:6]}{'*' * (len(v) - 10)}{v[-4:]}"


def mask_name(value: str | None) -> str:
    """`张三丰` → `张**`; Latin names keep their first letter."""
    if not value:
        return ""
    v = value.strip()
    return v[0] + "*" * (len(v) - 1) if len(v) > 1 else "*"

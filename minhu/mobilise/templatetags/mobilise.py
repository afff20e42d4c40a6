"""Template filters of the call-out pages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def num(value: Any) -> str:
    """A quantity without trailing zeros: 21.00 → 21, 1.50 → 1.5 (None → 0)."""
    if value is None or value == "":
        return "0"
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return format(d.normalize(), "f")

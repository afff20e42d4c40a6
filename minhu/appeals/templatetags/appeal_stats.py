"""Filters for the statistics pages: a rate is shown with its per cent sign, or "—" without a denominator."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def pct(value: Decimal | float | None) -> str:
    """62.5 → "62.5%"; None (no denominator) → "—", never 0 %."""
    if value is None:
        return "—"
    return f"{value}%"

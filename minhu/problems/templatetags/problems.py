from __future__ import annotations

from django import template

from minhu.appeals.models import Channel

register = template.Library()


@register.filter
def channel_label(code: str) -> str:
    try:
        return str(Channel(code).label)
    except ValueError:
        return code


@register.filter
def bar_height(n: int, series: list[int]) -> str:
    """The height of a trend bar as a fraction of the series' largest value (CSS `--h`)."""
    top = max(series or [0])
    return f"{(n / top) if top else 0:.2f}"

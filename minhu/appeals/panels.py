"""Panels other apps add to the staff's appeal page, so that appeals need not know them (the problem
list's "similar appeals and problems" is one). A panel is a function of (request, appeal) returning HTML
(already escaped, e.g. from render_to_string) or "" for nothing; panels show in registration order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from minhu.appeals.models import Appeal

Panel = Callable[[HttpRequest, Appeal], str]
_PANELS: dict[str, Panel] = {}


def register_detail_panel(name: str, panel: Panel) -> None:
    """Add (or replace) the panel called `name`."""
    _PANELS[name] = panel


def detail_panels(request: HttpRequest, appeal: Appeal) -> list[SafeString]:
    shown: list[SafeString] = []
    for panel in _PANELS.values():
        html: Any = panel(request, appeal)
        if html:
            shown.append(mark_safe(html))  # noqa: S308 - panels return rendered templates
    return shown

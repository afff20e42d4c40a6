"""Panels other apps add to the staff's appeal pages, so that appeals need not know them (the problem
list's "similar appeals and problems" is one). A detail panel is a function of (request, appeal); an intake
hint, shown on the record form while staff type, a function of (request, text, unit or None). Both return
HTML (already escaped, e.g. from render_to_string) or "" for nothing, and show in registration order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from minhu.appeals.models import Appeal

Panel = Callable[[HttpRequest, Appeal], str]
Hint = Callable[[HttpRequest, str, Any], str]
_PANELS: dict[str, Panel] = {}
_HINTS: dict[str, Hint] = {}


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


def register_intake_hint(name: str, hint: Hint) -> None:
    """Add (or replace) the intake hint called `name`."""
    _HINTS[name] = hint


def intake_hints(request: HttpRequest, text: str, unit: Any) -> list[SafeString]:
    shown: list[SafeString] = []
    for hint in _HINTS.values():
        html: Any = hint(request, text, unit)
        if html:
            shown.append(mark_safe(html))  # noqa: S308 - hints return rendered templates
    return shown

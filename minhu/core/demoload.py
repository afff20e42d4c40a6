"""Demo data, contributed by each app.

Every installed Minhu app may have a `demo.py` with `load() -> list[tuple[str, str, str]]` (the demo logins
it creates: user name, password, role label). They run in INSTALLED_APPS order, which follows the dependency
order of DESIGN.md, each in its own transaction. Each loader must be idempotent: a second run creates
nothing new and overwrites nothing a person changed.

A `demo.py` may also have `notes() -> list[str]`: lines printed after the demo logins (such as an API key
to try), read after loading.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from types import ModuleType

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import translation

from minhu.core import context


def _demo_modules() -> list[ModuleType]:
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("minhu."):
            continue
        module_name = f"{config.name}.demo"
        if find_spec(module_name) is not None:
            found.append(import_module(module_name))
    return found


def demo_load() -> list[tuple[str, str, str]]:
    logins: list[tuple[str, str, str]] = []
    # Commands run with translations off; demo texts and the printed role names are in the default language.
    with context.bind(request_id="demo"), translation.override(settings.LANGUAGE_CODE):
        for module in _demo_modules():
            with transaction.atomic():
                logins.extend(module.load())
    return logins


def demo_notes() -> list[str]:
    """The lines the demo modules want printed with the logins, in INSTALLED_APPS order."""
    lines: list[str] = []
    with translation.override(settings.LANGUAGE_CODE):
        for module in _demo_modules():
            if hasattr(module, "notes"):
                lines.extend(module.notes())
    return lines

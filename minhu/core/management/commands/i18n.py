"""`minhu i18n compile|update|check`: the message catalogues, without needing gettext to run Minhu.

- compile: .po → .mo with polib (pure Python), for every catalogue; `minhu run` calls it.
- update:  makemessages for zh_Hans and en (needs gettext); English entries are filled with their source
           text, since the code is written in English.
- check:   update into the working tree, then fail if any zh_Hans or en entry is untranslated or fuzzy, or
           if a placeholder differs between source and translation; the catalogues are restored afterwards.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

LANGS = ("zh_Hans", "en")
IGNORE = [".venv/*", "var/*", "build/*", "node_modules/*", "*/tests/*", "tests/*", "dev.py"]
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


def catalogues() -> list[Path]:
    root = Path(settings.BASE_DIR)
    found = list(root.glob("locale/*/LC_MESSAGES/*.po"))
    found += list((root / "minhu").glob("*/locale/*/LC_MESSAGES/*.po"))
    return sorted(found)


def _fill_english(path: Path) -> None:
    po = polib.pofile(str(path))
    for entry in po:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            if not any(entry.msgstr_plural.values()):
                entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
        elif not entry.msgstr:
            entry.msgstr = entry.msgid
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            entry.msgstr = entry.msgid
    po.save()


def problems(path: Path) -> list[str]:
    po = polib.pofile(str(path))
    out = []
    for entry in po:
        if entry.obsolete:
            continue
        where = f"{path}: {entry.msgid[:60]!r}"
        if "fuzzy" in entry.flags:
            out.append(f"{where} is fuzzy")
            continue
        strs = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if not all(strs):
            out.append(f"{where} is untranslated")
            continue
        wanted = sorted(set(_PLACEHOLDER.findall(entry.msgid)))
        for s in strs:
            if sorted(set(_PLACEHOLDER.findall(s))) != wanted:
                out.append(f"{where}: placeholders differ ({wanted} in the source)")
    return out


def clashes(paths: list[Path]) -> list[str]:
    """The same source text translated differently in two catalogues of one language. Django merges all
    catalogues into one, so only one translation would show everywhere (the first app's in
    INSTALLED_APPS): give one of them a context (pgettext) or use the same words."""
    seen: dict[tuple[str, str | None, str], tuple[Path, str]] = {}
    out = []
    for path in paths:
        lang = path.parts[-3]
        for entry in polib.pofile(str(path)):
            if entry.obsolete or entry.msgid_plural or not entry.msgstr:
                continue
            key = (lang, entry.msgctxt, entry.msgid)
            if key in seen and seen[key][1] != entry.msgstr:
                other, text = seen[key]
                out.append(
                    f"{path}: {entry.msgid[:60]!r} is {entry.msgstr!r} here but {text!r} in {other}: "
                    "only one can show"
                )
            seen.setdefault(key, (path, entry.msgstr))
    return out


class Command(BaseCommand):
    help = "Compile, update or check the zh-hans and en message catalogues."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["compile", "update", "check"])

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "compile":
            for path in catalogues():
                polib.pofile(str(path)).save_as_mofile(str(path.with_suffix(".mo")))
            return
        if action == "update":
            self._update()
            return
        with tempfile.TemporaryDirectory() as tmp:
            saved = {p: Path(tmp) / str(i) for i, p in enumerate(catalogues())}
            for original, copy in saved.items():
                shutil.copy2(original, copy)
            try:
                self._update(fill_english=False)
                found = [msg for path in catalogues() for msg in problems(path)]
                found += clashes(catalogues())
            finally:
                for original, copy in saved.items():
                    shutil.copy2(copy, original)
        if found:
            for msg in found:
                self.stderr.write(msg)
            raise CommandError(
                f"{len(found)} catalogue problem(s); run `minhu i18n update` and translate them"
            )
        self.stdout.write(f"{len(saved)} catalogues complete")

    def _update(self, fill_english: bool = True) -> None:
        root = Path(settings.BASE_DIR)
        cwd = os.getcwd()
        os.chdir(root)
        try:
            call_command(
                "makemessages",
                locale=list(LANGS),
                ignore_patterns=IGNORE,
                add_location="file",
                no_obsolete=True,
                verbosity=0,
            )
        finally:
            os.chdir(cwd)
        if fill_english:
            for path in catalogues():
                if path.parts[-3] == "en":
                    _fill_english(path)

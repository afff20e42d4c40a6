"""`minhu i18n check` refuses one source text translated two ways in two catalogues (only one could show)."""

from __future__ import annotations

from pathlib import Path

import polib

from minhu.core.management.commands.i18n import clashes


def _po(path: Path, entries: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True)
    po = polib.POFile()
    for msgid, msgstr in entries.items():
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    po.save(str(path))
    return path


def test_a_clash_between_two_apps_is_reported(tmp_path: Path) -> None:
    a = _po(tmp_path / "a/locale/zh_Hans/LC_MESSAGES/django.po", {"description": "描述", "year": "年份"})
    b = _po(tmp_path / "b/locale/zh_Hans/LC_MESSAGES/django.po", {"description": "摘要", "year": "年份"})
    en = _po(tmp_path / "b/locale/en/LC_MESSAGES/django.po", {"description": "description"})
    found = clashes([a, b, en])
    assert len(found) == 1
    assert "'description'" in found[0]
    assert "摘要" in found[0]
    assert "描述" in found[0]

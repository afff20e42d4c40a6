"""The JSON API's OpenAPI schema is committed as docs/openapi.json, so that every change to the API's shape
shows up as a diff in review (docs/api.md). This test fails when the live schema differs from the file.

To accept a change on purpose, rewrite the file and commit it with the change that caused it:

    MINHU_UPDATE_OPENAPI=1 .venv/bin/python -m pytest -q tests/test_openapi_snapshot.py
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

from django.utils import translation

from config.api import api

SNAPSHOT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
UPDATE = "MINHU_UPDATE_OPENAPI"
DIFF_LINES = 60  # enough to see what changed; the whole diff is one `git diff` away after updating


def render(schema: dict[str, Any]) -> str:
    """The one stable rendering: keys sorted, two-space indent, Chinese kept readable, a final newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def live_schema() -> str:
    # The schema's texts are English source strings; render them in English whatever the test's language.
    with translation.override("en"):
        return render(api.get_openapi_schema())


def test_the_openapi_schema_matches_the_committed_snapshot() -> None:
    live = live_schema()
    if os.environ.get(UPDATE) == "1":
        SNAPSHOT.write_text(live, encoding="utf-8")
    committed = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
    if live == committed:
        return
    diff = list(
        difflib.unified_diff(
            committed.splitlines(),
            live.splitlines(),
            fromfile="docs/openapi.json (committed)",
            tofile="/api/v1/openapi.json (live)",
            lineterm="",
        )
    )
    shown = "\n".join(diff[:DIFF_LINES])
    more = f"\n… and {len(diff) - DIFF_LINES} more diff lines" if len(diff) > DIFF_LINES else ""
    raise AssertionError(
        f"The API's OpenAPI schema differs from docs/openapi.json:\n{shown}{more}\n\n"
        f"If the change is intended, update the snapshot and commit it with the change:\n"
        f"    {UPDATE}=1 .venv/bin/python -m pytest -q tests/test_openapi_snapshot.py"
    )


def test_the_snapshot_is_in_its_stable_rendering() -> None:
    """A hand edit (reordered keys, other indentation) would make the next update's diff noisy."""
    text = SNAPSHOT.read_text(encoding="utf-8")
    assert text == render(json.loads(text))

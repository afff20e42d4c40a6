from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from conftest import make_persona
from minhu.grid.services import post_create

# Like the grid and appeals tests, these compare messages in English (the source language).
from minhu.grid.tests.conftest import (
    START,
    _english,  # noqa: F401
)
from minhu.insights.services import rollup_refresh
from minhu.insights.tests.world import World, build_world


def _refresh_all() -> None:
    for month in (date(2024, 3, 1), date(2025, 3, 1), date(2026, 2, 1), date(2026, 3, 1)):
        rollup_refresh(month=month)
    for i in range(24):
        index = 2024 * 12 + 3 + i
        rollup_refresh(month=date(index // 12, index % 12 + 1, 1))


@pytest.fixture
def world(db: Any) -> World:
    w = build_world()
    _refresh_all()
    return w


@pytest.fixture
def alice_street(world: World) -> Any:
    alice = make_persona("alice")
    post_create(user=alice, unit=world.tree.street, title="街道干部", start=START, actor=None)
    return alice

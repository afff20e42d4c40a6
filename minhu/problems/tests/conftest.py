"""The grid's test tree (see minhu/grid/tests/conftest.py): bob is a cadre of village A (马耳山村), alice
street staff, carol household A1a-1's party member, dave lives there. `raise_appeal` takes an appeal in
through the real intake."""

from __future__ import annotations

from typing import Any

import pytest

from minhu.appeals.models import Appeal, Category
from minhu.appeals.services import IntakeData, appeal_submit
from minhu.appeals.tests.conftest import ordinary  # noqa: F401
from minhu.grid.tests.conftest import Tree, _english, build_tree, staffed, tree  # noqa: F401


def raise_appeal(
    unit: Any,
    text: str,
    category: Category,
    *,
    channel: str = "web",
    phone: str = "",
    name: str = "",
    address: str = "",
    anonymous: bool = False,
    caller: Any = None,
    kind: str = "complaint",
) -> Appeal:
    result = appeal_submit(
        data=IntakeData(
            kind=kind,
            channel=channel,
            category=category,
            description=text,
            unit=unit,
            address=address or text[:20],
            caller_phone=phone,
            caller_name=name,
            anonymous=anonymous,
            caller=caller,
        )
    )
    assert result.created
    assert result.repeat_of is None
    return result.appeal


@pytest.fixture
def raise_() -> Any:
    return raise_appeal

from __future__ import annotations

from typing import Any

import pytest

from minhu.appeals.models import Category, PeriodUnit, Urgency
from minhu.open311.models import Client
from minhu.open311.services import client_issue
from minhu.open311.tests.georeport import GeoReport


@pytest.fixture
def ordinary(db: Any) -> Category:
    """A category that asks for nothing beyond GeoReport's own arguments (metadata false)."""
    return Category.objects.create(
        code="T01",
        name="环境卫生",
        name_en="Sanitation",
        keywords="垃圾 卫生",
        group="环境",
        urgency=Urgency.ORDINARY,
        response_hours=24,
        resolution_amount=5,
        resolution_unit=PeriodUnit.WORKING_DAYS,
    )


@pytest.fixture
def demanding(db: Any) -> Category:
    """A category requiring everything a category can: one attribute each."""
    return Category.objects.create(
        code="T02",
        name="设施损坏",
        name_en="Broken facilities",
        required_fields=["household", "phone", "photo", "location"],
        resolution_amount=7,
    )


@pytest.fixture
def issued(db: Any) -> tuple[Client, str]:
    return client_issue(name="Test city app", contact="dev@example.org", actor=None)


@pytest.fixture
def api_key(issued: tuple[Client, str]) -> str:
    return issued[1]


@pytest.fixture
def georeport(client: Any) -> GeoReport:
    return GeoReport(client)


# The grid's test tree and personas (carol is household A1a-1's party member), as in the appeals tests;
# services run with English active and the test client asks for English.
from minhu.grid.tests.conftest import Tree, _english, build_tree, staffed, tree  # noqa: E402, F401

from __future__ import annotations

from typing import Any

import pytest

from minhu.appeals.models import Category, PeriodUnit, Urgency


@pytest.fixture
def ordinary(db: Any) -> Category:
    return Category.objects.create(
        code="T01",
        name="环境卫生",
        name_en="Sanitation",
        urgency=Urgency.ORDINARY,
        response_hours=24,
        resolution_amount=5,
        resolution_unit=PeriodUnit.WORKING_DAYS,
    )


@pytest.fixture
def needs_photo(db: Any) -> Category:
    return Category.objects.create(
        code="T02", name="设施损坏", required_fields=["photo", "phone"], resolution_amount=7
    )


# The grid's test tree (district → street → villages A and B → areas → blocks → households), with the
# personas placed in village A: carol is household A1a-1's party member, bob a village-A cadre, alice street
# staff. See minhu/grid/tests/conftest.py. Like the grid tests, these compare messages in English.
from minhu.grid.tests.conftest import Tree, _english, build_tree, staffed, tree  # noqa: E402, F401

from __future__ import annotations

from typing import Any

from minhu.accounts import demo as accounts_demo
from minhu.accounts.models import User
from minhu.core.models import Event
from minhu.grid import demo
from minhu.grid.models import Household, Person, Unit
from minhu.grid.selectors import coverage_gaps, households_visible_to, units_visible_to


def test_demo_loads_once_with_chains_and_gaps(db: Any) -> None:
    accounts_demo.load()
    assert demo.load() == []
    counts = (Unit.objects.count(), Household.objects.count(), Person.objects.count(), Event.objects.count())
    assert demo.load() == []
    assert (
        Unit.objects.count(),
        Household.objects.count(),
        Person.objects.count(),
        Event.objects.count(),
    ) == counts
    assert Household.objects.count() == 320
    street = User.objects.get(username="street")
    gaps = {g.unit.name for g in coverage_gaps(street)}
    assert gaps == {"来胜堡村", "第2片第2块"}
    cadre = User.objects.get(username="cadre")
    assert set(units_visible_to(cadre).filter(kind="village").values_list("name", flat=True)) == {"马耳山村"}
    resident = User.objects.get(username="resident")
    assert households_visible_to(resident).count() == 1
    member = User.objects.get(username="member")
    assert households_visible_to(member).count() == 5

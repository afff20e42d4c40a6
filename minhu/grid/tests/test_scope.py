from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from minhu.accounts.models import User
from minhu.core.models import Event
from minhu.grid.models import Person
from minhu.grid.selectors import (
    can_reveal,
    coverage_gaps,
    coverage_numbers,
    households_visible_to,
    people_visible_to,
    units_visible_to,
)
from minhu.grid.services import person_reveal, scope_grant_create
from minhu.grid.tests.conftest import Tree


def codes(user: User) -> list[str]:
    return list(units_visible_to(user).order_by("path").values_list("code", flat=True))


def test_street_staff_sees_the_street(staffed: Tree, alice: User) -> None:
    assert codes(alice)[0] == "210111001"
    assert len(codes(alice)) == 7
    assert households_visible_to(alice).count() == 3


def test_village_cadre_sees_only_the_village(staffed: Tree, bob: User) -> None:
    assert codes(bob) == ["210111001001", "210111001001A", "210111001001001"]
    assert set(households_visible_to(bob)) == {staffed.hh_a1, staffed.hh_a2}


def test_party_member_sees_only_their_households(staffed: Tree, carol: User) -> None:
    assert codes(carol) == []
    assert list(households_visible_to(carol)) == [staffed.hh_a1]


def test_resident_sees_only_own_household(staffed: Tree, dave: User) -> None:
    assert codes(dave) == []
    assert list(households_visible_to(dave)) == [staffed.hh_a1]
    assert list(people_visible_to(dave)) == [staffed.dave_person]


def test_superuser_sees_everything(staffed: Tree, root: User) -> None:
    assert len(codes(root)) == 8


def test_scope_grant_adds_a_subtree(staffed: Tree, bob: User) -> None:
    scope_grant_create(user=bob, unit=staffed.village_b, reason="代管", actor=None)
    bob = User.objects.get(pk=bob.pk)
    assert len(codes(bob)) == 6


def test_cadre_reveals_and_it_is_recorded(staffed: Tree, bob: User) -> None:
    data = person_reveal(person=staffed.neighbour, actor=bob)
    assert data == {
        "phone": "13900001111",
        "id_number": "210111196002025678",
        "sensitive": ["elderly, living alone"],
    }
    event = Event.objects.get(verb="person.reveal")
    assert (event.actor, event.target_id) == (bob, str(staffed.neighbour.pk))


@pytest.mark.parametrize("who", ["carol", "dave"])
def test_non_cadres_cannot_reveal(staffed: Tree, who: str, request: Any) -> None:
    user = request.getfixturevalue(who)
    assert can_reveal(user, staffed.dave_person) is False
    with pytest.raises(PermissionDenied):
        person_reveal(person=staffed.dave_person, actor=user)
    assert Event.objects.filter(verb="person.reveal").count() == 0


def test_cadre_cannot_reveal_other_village(staffed: Tree, bob: User) -> None:
    with pytest.raises(PermissionDenied):
        person_reveal(person=Person.objects.get(pk=staffed.b_person.pk), actor=bob)
    assert Event.objects.filter(verb="person.reveal").count() == 0


def test_coverage_gaps_fall_back_to_nearest_ancestor(staffed: Tree, alice: User) -> None:
    gaps = coverage_gaps(alice)
    assert [(g.unit.code, g.fallback_unit) for g in gaps] == [
        ("210111001002", None),
        ("210111001002A", None),
        ("210111001002001", None),
    ]
    numbers = coverage_numbers(alice)
    assert (numbers.units, numbers.uncovered_units, numbers.households, numbers.uncovered_households) == (
        6,
        3,
        3,
        2,
    )


def test_coverage_fallback_names_the_village_leader(staffed: Tree, alice: User) -> None:
    from minhu.grid.models import Responsibility
    from minhu.grid.services import responsibility_end

    responsibility_end(responsibility=Responsibility.objects.get(role="group_leader"), actor=None)
    gaps = [g for g in coverage_gaps(alice) if g.unit == staffed.block_a]
    assert len(gaps) == 1
    assert gaps[0].fallback_unit == staffed.area_a
    assert [r.holder_label() for r in gaps[0].fallback] == ["孙委员"]

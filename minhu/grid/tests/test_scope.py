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


def test_term_comparison(tree: Tree, alice: User) -> None:
    from datetime import date

    from minhu.grid.selectors import term_comparison
    from minhu.grid.services import cadre_add, post_create, term_create

    post_create(user=alice, unit=tree.street, title="街道", start=date(2020, 1, 1), actor=None)
    # 2018: A — ages 50 and 40 (junior, senior), secretary not director; B — age 60 (primary), 一肩挑
    a18 = term_create(unit=tree.village_a, start_year=2018, end_year=2021, actor=None)
    cadre_add(
        term=a18, name="甲", birth_date=date(1968, 1, 1), education="junior", is_secretary=True, actor=None
    )
    cadre_add(
        term=a18, name="乙", birth_date=date(1978, 1, 1), education="senior", is_director=True, actor=None
    )
    b18 = term_create(unit=tree.village_b, start_year=2018, end_year=2021, actor=None)
    cadre_add(
        term=b18,
        name="丙",
        birth_date=date(1958, 1, 1),
        education="primary",
        is_secretary=True,
        is_director=True,
        actor=None,
    )
    # 2021: A — ages 40 and 30 (college, bachelor), 一肩挑;
    # B — dispatched secretary (left out of the 一肩挑 rate), age 35
    a21 = term_create(unit=tree.village_a, start_year=2021, end_year=2026, actor=None)
    cadre_add(
        term=a21,
        name="丁",
        birth_date=date(1981, 1, 1),
        education="college",
        is_secretary=True,
        is_director=True,
        actor=None,
    )
    cadre_add(term=a21, name="戊", birth_date=date(1991, 1, 1), education="bachelor", actor=None)
    b21 = term_create(
        unit=tree.village_b, start_year=2021, end_year=2026, dispatched_secretary=True, actor=None
    )
    cadre_add(
        term=b21,
        name="己",
        birth_date=date(1986, 1, 1),
        education="junior",
        is_secretary=True,
        dispatched=True,
        actor=None,
    )
    c = term_comparison(User.objects.get(pk=alice.pk), 2018, 2021)
    assert (c.before.average_age, c.after.average_age, c.average_age_change) == (50.0, 35.0, -15.0)
    assert (c.before.high_school_or_above_percent, c.after.high_school_or_above_percent) == (33.3, 66.7)
    assert (c.before.one_shoulder_percent, c.after.one_shoulder_percent, c.one_shoulder_change) == (
        50.0,
        100.0,
        50.0,
    )
    assert c.after.villages_counted_for_one_shoulder == 1

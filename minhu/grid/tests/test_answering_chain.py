"""The answering chain: who answers for a unit or a household, level by level, as logins.

The staffed tree (see conftest): household A1a-1 has carol (a login) as its 包户 party member; block A1a
has 周组长, area A1 孙委员 and village A 老王 — people, without logins unless a test links one; nobody
answers at the street or the district.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from minhu.accounts.models import User
from minhu.grid.models import Household, Person, Responsibility
from minhu.grid.selectors import (
    LEVEL_ORDER,
    answering_chain,
    chain_handlers,
    logins_answering_under,
)
from minhu.grid.services import person_create, person_link_user, responsibility_assign, responsibility_end
from minhu.grid.tests.conftest import START, Tree


def _link(name: str, user: User) -> None:
    person_link_user(person=Person.objects.get(name=name), user=user, actor=None)


def _levels(chain: list[Any]) -> list[tuple[str, list[str]]]:
    return [(a.level, [u.username for u in a.users]) for a in chain]


def test_levels_from_the_household_up_skip_those_where_nobody_answers(staffed: Tree) -> None:
    chain = answering_chain(staffed.hh_a1)
    # the street and the district have nobody: left out (属地兜底), not returned empty
    assert _levels(chain) == [("household", ["carol"]), ("block", []), ("area", []), ("village", [])]
    assert [a.where for a in chain] == ["1号", "一块", "一片", "马耳山村"]
    assert chain[0].household == staffed.hh_a1
    assert chain[0].unit is None
    assert [a.unit for a in chain[1:]] == [staffed.block_a, staffed.area_a, staffed.village_a]
    assert [[r.holder_label() for r in a.responsibilities] for a in chain] == [
        ["张卡"],
        ["周组长"],
        ["孙委员"],
        ["老王"],
    ]


def test_another_households_chain_has_no_foreign_bao_hu(staffed: Tree) -> None:
    assert [a.level for a in answering_chain(staffed.hh_a2)] == ["block", "area", "village"]


def test_a_unit_has_no_household_level(staffed: Tree) -> None:
    assert [a.level for a in answering_chain(staffed.block_a)] == ["block", "area", "village"]
    assert [a.level for a in answering_chain(staffed.village_b)] == []


def test_from_level_starts_higher_up(staffed: Tree) -> None:
    assert [a.level for a in answering_chain(staffed.hh_a1, from_level="area")] == ["area", "village"]
    assert [a.level for a in answering_chain(staffed.hh_a1, from_level="street")] == []
    # an unknown level counts as the household (the catalogue's default)
    assert [a.level for a in answering_chain(staffed.hh_a1, from_level="nowhere")] == [
        "household",
        "block",
        "area",
        "village",
    ]
    assert LEVEL_ORDER == ["household", "block", "area", "village", "street", "district"]


def test_a_persons_linked_login_answers(staffed: Tree, bob: User, alice: User) -> None:
    _link("孙委员", bob)
    _link("老王", alice)
    assert _levels(answering_chain(staffed.hh_a1)) == [
        ("household", ["carol"]),
        ("block", []),
        ("area", ["bob"]),
        ("village", ["alice"]),
    ]


def test_role_preference_orders_a_level_not_the_alphabet_or_the_start(
    staffed: Tree, alice: User, erin: User
) -> None:
    # grid_member sorts before group_leader by name, and this one started earlier: the group leader still
    # answers first (ROLE_PREFERENCE)
    responsibility_assign(
        unit=staffed.block_a,
        role=Responsibility.Role.GRID_MEMBER,
        user=alice,
        start=START - timedelta(days=100),
        actor=None,
    )
    _link("周组长", erin)
    block = answering_chain(staffed.hh_a1, from_level="block")[0]
    assert [r.role for r in block.responsibilities] == ["group_leader", "grid_member"]
    assert [u.username for u in block.users] == ["erin", "alice"]
    assert block.user == erin
    assert chain_handlers(staffed.hh_a1, "block")[0][0] == erin


def test_roles_filter_the_chain(staffed: Tree) -> None:
    chain = answering_chain(staffed.hh_a1, roles={Responsibility.Role.STREET_LEADER})
    assert [a.level for a in chain] == ["village"]
    care = answering_chain(
        staffed.hh_a1, roles=(Responsibility.Role.PARTY_MEMBER, Responsibility.Role.COMMITTEE_MEMBER)
    )
    assert [a.level for a in care] == ["household", "area"]


def test_inactive_logins_are_left_out(staffed: Tree, carol: User, bob: User) -> None:
    _link("孙委员", bob)
    User.objects.filter(pk=carol.pk).update(is_active=False)
    chain = answering_chain(Household.objects.get(pk=staffed.hh_a1.pk))
    # the household still has its 包户 (a level with someone), but no login to tell there
    assert _levels(chain)[0] == ("household", [])
    assert [(u.username, a.level) for u, a in chain_handlers(staffed.hh_a1)] == [("bob", "area")]


def test_an_ended_responsibility_no_longer_answers(staffed: Tree, erin: User, bob: User) -> None:
    _link("周组长", erin)
    _link("孙委员", bob)
    leader = Responsibility.objects.get(role=Responsibility.Role.GROUP_LEADER)
    today = timezone.localdate()
    responsibility_end(responsibility=leader, actor=None, end=today)
    assert [a.level for a in answering_chain(staffed.hh_a2)] == ["area", "village"]
    assert [u.username for u, _a in chain_handlers(staffed.hh_a2, "block")] == ["bob"]
    # the chain of the day before still had the group leader
    yesterday = today - timedelta(days=1)
    assert [a.level for a in answering_chain(staffed.hh_a2, on=yesterday)] == ["block", "area", "village"]


def test_a_login_is_counted_once(staffed: Tree, carol: User, bob: User) -> None:
    # carol answers twice at the block (as herself and through a person linked to her), and at the household
    carols = person_create(name="张卡本人", actor=None)
    person_link_user(person=carols, user=carol, actor=None)
    responsibility_assign(
        unit=staffed.block_a, role=Responsibility.Role.GRID_MEMBER, user=carol, start=START, actor=None
    )
    responsibility_assign(
        unit=staffed.block_a, role=Responsibility.Role.GRID_MEMBER, person=carols, start=START, actor=None
    )
    _link("孙委员", bob)
    chain = answering_chain(staffed.hh_a1)
    assert _levels(chain)[:3] == [("household", ["carol"]), ("block", ["carol"]), ("area", ["bob"])]
    # up the chain a login answers at its lowest level only
    assert [(u.username, a.level) for u, a in chain_handlers(staffed.hh_a1)] == [
        ("carol", "household"),
        ("bob", "area"),
    ]


def test_a_responsibilitys_own_login_goes_before_its_persons(staffed: Tree, alice: User, bob: User) -> None:
    someone = person_create(name="两号人", actor=None)
    person_link_user(person=someone, user=bob, actor=None)
    responsibility_assign(
        unit=staffed.street,
        role=Responsibility.Role.GRID_MEMBER,
        person=someone,
        user=alice,
        start=START,
        actor=None,
    )
    assert _levels(answering_chain(staffed.street)) == [("street", ["alice"])]
    assert set(logins_answering_under(staffed.street).values_list("username", flat=True)) == {
        "alice",
        "carol",
    }


def test_logins_answering_under_a_unit(staffed: Tree, carol: User, erin: User, bob: User) -> None:
    _link("周组长", erin)
    _link("老王", bob)

    def under(unit: Any) -> set[str]:
        return set(logins_answering_under(unit).values_list("username", flat=True))

    assert under(staffed.village_a) == {"carol", "erin", "bob"}
    assert under(staffed.block_a) == {"carol", "erin"}
    assert under(staffed.village_b) == set()
    User.objects.filter(pk=carol.pk).update(is_active=False)
    responsibility_end(
        responsibility=Responsibility.objects.get(role=Responsibility.Role.GROUP_LEADER),
        actor=None,
        end=timezone.localdate(),
    )
    assert under(staffed.village_a) == {"bob"}


def test_the_chain_takes_a_fixed_number_of_queries(
    staffed: Tree, alice: User, bob: User, erin: User, django_assert_num_queries: Any
) -> None:
    """Three queries whatever the depth and however many logins come through people (no N+1)."""
    _link("周组长", erin)
    _link("孙委员", bob)
    _link("老王", alice)
    for i in range(3):
        extra = person_create(name=f"网格员{i}", actor=None)
        responsibility_assign(
            unit=staffed.area_a, role=Responsibility.Role.GRID_MEMBER, person=extra, start=START, actor=None
        )
    household = Household.objects.get(pk=staffed.hh_a1.pk)
    with django_assert_num_queries(3):
        chain = answering_chain(household)
        levels = _levels(chain)  # the logins are read here: no query more
    assert levels == [
        ("household", ["carol"]),
        ("block", ["erin"]),
        ("area", ["bob"]),
        ("village", ["alice"]),
    ]
    with django_assert_num_queries(3):
        assert [u.username for u, _a in chain_handlers(household)] == ["carol", "erin", "bob", "alice"]
    with django_assert_num_queries(1):
        assert len(logins_answering_under(staffed.village_a)) == 4

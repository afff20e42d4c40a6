"""Grid fixtures: a five-level tree (district → street → two villages → areas → blocks) with households,
people and a complete chain in village A, and the personas given posts and responsibilities in it.

    苏家屯区 (D)
      永乐街道 (S)            alice: post (street staff); 街道领导 老王 包村 A
        马耳山村 (A)          bob: post (village cadre); committee member 孙委员 包片 A1
          一片 (A1)
            一块 (A1a)        group leader 周组长 包块; carol 包户 A1a-1
              A1a-1  (dave lives here), A1a-2
        互助村 (B)            no one answers for it (a coverage gap)
          一片 (B1)
            一块 (B1a)
              B1a-1
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.utils import translation

from minhu.accounts.models import User
from minhu.grid.models import Household, Person, Responsibility, Unit
from minhu.grid.services import (
    household_create,
    person_create,
    person_link_user,
    post_create,
    responsibility_assign,
    unit_create,
)

START = date(2024, 1, 1)


@dataclass
class Tree:
    district: Unit
    street: Unit
    village_a: Unit
    area_a: Unit
    block_a: Unit
    village_b: Unit
    area_b: Unit
    block_b: Unit
    hh_a1: Household
    hh_a2: Household
    hh_b1: Household
    dave_person: Person
    neighbour: Person
    b_person: Person


def build_tree() -> Tree:
    d = unit_create(kind="district", name="苏家屯区", code="210111", parent=None, actor=None)
    s = unit_create(kind="street", name="永乐街道", code="210111001", parent=d, actor=None)
    va = unit_create(kind="village", name="马耳山村", code="210111001001", parent=s, actor=None)
    aa = unit_create(kind="area", name="一片", code="210111001001A", parent=va, actor=None)
    ba = unit_create(kind="block", name="一块", code="210111001001001", parent=aa, actor=None)
    vb = unit_create(kind="village", name="互助村", code="210111001002", parent=s, actor=None)
    ab = unit_create(kind="area", name="一片", code="210111001002A", parent=vb, actor=None)
    bb = unit_create(kind="block", name="一块", code="210111001002001", parent=ab, actor=None)
    h1 = household_create(unit=ba, number="1号", actor=None)
    h2 = household_create(unit=ba, number="2号", actor=None)
    hb = household_create(unit=bb, number="1号", actor=None)
    dave_p = person_create(
        name="刘大",
        household=h1,
        is_head=True,
        phone="13812348000",
        id_number="210111195001011234",
        actor=None,
    )
    neighbour = person_create(
        name="赵邻",
        household=h2,
        is_head=True,
        phone="13900001111",
        id_number="210111196002025678",
        elderly_alone=True,
        actor=None,
    )
    b_person = person_create(
        name="钱乙",
        household=hb,
        is_head=True,
        phone="13700002222",
        id_number="210111197003039999",
        actor=None,
    )
    return Tree(d, s, va, aa, ba, vb, ab, bb, h1, h2, hb, dave_p, neighbour, b_person)


@pytest.fixture
def tree(db: Any) -> Tree:
    return build_tree()


@pytest.fixture
def staffed(tree: Tree, alice: User, bob: User, carol: User, dave: User) -> Tree:
    """The tree with a complete chain for household A1a-1, and the personas placed in it."""
    leader = person_create(name="老王", actor=None)
    committee = person_create(name="孙委员", actor=None)
    group = person_create(name="周组长", actor=None)
    responsibility_assign(
        unit=tree.village_a, role=Responsibility.Role.STREET_LEADER, person=leader, start=START, actor=None
    )
    responsibility_assign(
        unit=tree.area_a, role=Responsibility.Role.COMMITTEE_MEMBER, person=committee, start=START, actor=None
    )
    responsibility_assign(
        unit=tree.block_a, role=Responsibility.Role.GROUP_LEADER, person=group, start=START, actor=None
    )
    responsibility_assign(
        unit=tree.block_a,
        household=tree.hh_a1,
        role=Responsibility.Role.PARTY_MEMBER,
        user=carol,
        start=START,
        actor=None,
    )
    post_create(user=alice, unit=tree.street, title="街道干部", start=START, actor=None)
    post_create(user=bob, unit=tree.village_a, title="村两委", start=START, actor=None)
    person_link_user(person=tree.dave_person, user=dave, actor=None)
    return tree


@pytest.fixture(autouse=True)
def _english(client: Any, settings: Any) -> Iterator[None]:
    """The grid tests compare messages in English (the source language): services run with English active,
    and the test client asks for English pages. Chinese rendering is covered by the layout tests."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield

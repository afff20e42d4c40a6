"""Call-out and care fixtures on the grid's test tree (minhu/grid/tests/conftest.py):

    马耳山村 (A)   bob: village cadre (post)
      一片 (A1)    committee member 孙委员 (login kate)
        一块 (A1a) group leader 周组长 (login gina)
          A1a-1    dave lives here; carol answers for it (包户)
          A1a-2    赵邻 (elderly, living alone); carol lives here, a party member; so does 孙大 (no login)
                   frank, a party member, lives in A1a-1
    互助村 (B)     ivan: village cadre (post); henry, a party member, lives in B1a-1
    永乐街道       alice: street staff; 街道领导 老王 (login leo) 包村 A

Like the grid tests, these compare messages in English; notifications are written in the default language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group

from conftest import PASSWORD
from minhu.accounts.models import User
from minhu.accounts.roles import Role
from minhu.accounts.services import user_create
from minhu.grid.models import PartyMember, Person
from minhu.grid.services import party_member_set, person_create, person_link_user, post_create
from minhu.grid.tests.conftest import START, Tree, _english, build_tree, staffed, tree  # noqa: F401


@pytest.fixture(autouse=True)
def _role_groups(db: Any) -> None:
    """The role groups come from a data migration, and a transactional test's flush removes them: put them
    back before any persona is made, or a persona made after such a test would have no role."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)


def make_user(username: str, display: str, role: Role) -> User:
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing
    return user_create(username=username, password=PASSWORD, actor=None, display_name=display, roles=[role])


@dataclass
class Squad:
    tree: Tree
    carol: PartyMember
    frank: PartyMember
    sun: PartyMember  # no login
    henry: PartyMember  # lives in village B
    frank_user: User
    henry_user: User
    ivan: User  # village B cadre


@pytest.fixture
def squad(staffed: Tree, carol: User) -> Squad:  # noqa: F811
    frank_user = make_user("frank", "冯兰", Role.GRID_MEMBER)
    henry_user = make_user("henry", "韩亨", Role.GRID_MEMBER)
    ivan = make_user("ivan", "尹凡", Role.VILLAGE_CADRE)
    post_create(user=ivan, unit=staffed.village_b, title="村两委", start=START, actor=None)
    pms = {}
    for name, household, user in (
        ("张卡", staffed.hh_a2, carol),
        ("冯兰", staffed.hh_a1, frank_user),
        ("孙大", staffed.hh_a2, None),
        ("韩亨", staffed.hh_b1, henry_user),
    ):
        person = person_create(name=name, household=household, user=user, actor=None)
        pms[name] = party_member_set(person=person, party_group="一块党小组", actor=None)
    return Squad(
        tree=staffed,
        carol=pms["张卡"],
        frank=pms["冯兰"],
        sun=pms["孙大"],
        henry=pms["韩亨"],
        frank_user=frank_user,
        henry_user=henry_user,
        ivan=ivan,
    )


@dataclass
class ChainLogins:
    gina: User  # party-group leader 周组长 (包块)
    kate: User  # committee member 孙委员 (包片)
    leo: User  # street leader 老王 (包村)


@pytest.fixture
def chain_logins(staffed: Tree) -> ChainLogins:  # noqa: F811
    """Logins for the people of household A1a-1's chain, so that escalations reach an inbox."""
    users = {}
    for username, display, person_name in (
        ("gina", "周组长", "周组长"),
        ("kate", "孙委员", "孙委员"),
        ("leo", "老王", "老王"),
    ):
        user = make_user(username, display, Role.GRID_MEMBER)
        person_link_user(person=Person.objects.get(name=person_name), user=user, actor=None)
        users[username] = user
    return ChainLogins(**users)

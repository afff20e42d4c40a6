"""Meeting fixtures on the grid's test tree (minhu/grid/tests/conftest.py):

    永乐街道       alice: street staff (post); 街道领导 老王 (login leo) 包村 A
      马耳山村 (A) bob: village cadre (post), convenes A's meetings; carol (party member) owns actions
      互助村 (B)   ivan: village cadre (post) — A's meetings are outside his scope

Like the grid tests, these compare messages in English.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from conftest import PASSWORD
from minhu.accounts.models import User
from minhu.accounts.roles import Role
from minhu.accounts.services import user_create
from minhu.grid.models import Person
from minhu.grid.services import person_link_user, post_create
from minhu.grid.tests.conftest import START, Tree, _english, build_tree, staffed, tree  # noqa: F401
from minhu.meetings.models import Meeting
from minhu.meetings.services import Attendee, meeting_create


@pytest.fixture(autouse=True)
def _role_groups(db: Any) -> None:
    """The role groups come from a data migration that a transactional test's flush removes."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)


def make_user(username: str, display: str, role: Role) -> User:
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing
    return user_create(username=username, password=PASSWORD, actor=None, display_name=display, roles=[role])


@pytest.fixture
def ivan(staffed: Tree) -> User:  # noqa: F811
    user = make_user("ivan", "尹凡", Role.VILLAGE_CADRE)
    post_create(user=user, unit=staffed.village_b, title="村两委", start=START, actor=None)
    return user


@pytest.fixture
def leo(staffed: Tree) -> User:  # noqa: F811
    """The street leader 老王 who answers for village A (包村): where A's overdue actions are escalated."""
    user = make_user("leo", "老王", Role.GRID_MEMBER)
    person_link_user(person=Person.objects.get(name="老王"), user=user, actor=None)
    return user


def starts() -> datetime:
    return timezone.now() + timedelta(days=1)


ATTENDEES = [
    Attendee("街道党工委", "王书记", "副书记"),
    Attendee("物业党支部", "陈经理", "支部书记"),
    Attendee("党员业主代表", "刘大", "3栋业主"),
]


@pytest.fixture
def meeting(staffed: Tree, bob: User) -> Meeting:  # noqa: F811
    return meeting_create(
        actor=bob,
        unit=staffed.village_a,
        title="马耳山村三方联席会议",
        place="村党群服务站",
        starts_at=starts(),
        attendees=ATTENDEES,
    )

"""The escalation sweep with time frozen and moved forward: one reminder, then one level up the chain per
missed response window, overdue at the resolution deadline — each exactly once, one notification per
recipient, also when two sweeps run at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from conftest import PASSWORD
from minhu.accounts.models import User
from minhu.accounts.roles import Role
from minhu.accounts.services import user_create
from minhu.appeals.models import Appeal, Category, PeriodUnit
from minhu.appeals.services import IntakeData, appeal_rate, appeal_resolve, appeal_respond, appeal_submit
from minhu.appeals.services.escalation import escalation_sweep, schedule
from minhu.core.models import Event, Notification
from minhu.core.tests.concurrency import at_once
from minhu.grid.models import Responsibility
from minhu.grid.services import person_link_user
from minhu.grid.tests.conftest import Tree

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 5, 10, 0, tzinfo=SH)  # a Thursday


@pytest.fixture
def chain(staffed: Tree) -> dict[str, User]:
    """Logins for the whole chain above carol (party member of A1a-1): group leader, committee member,
    street leader."""
    users = {}
    for role, username in [
        (Responsibility.Role.GROUP_LEADER, "zhou"),
        (Responsibility.Role.COMMITTEE_MEMBER, "sun"),
        (Responsibility.Role.STREET_LEADER, "wang"),
    ]:
        r = Responsibility.objects.select_related("person").get(
            role=role, unit__path__startswith=staffed.village_a.path
        )
        assert r.person is not None
        user = user_create(
            username=username,
            password=PASSWORD,
            display_name=r.person.name,
            roles=[Role.GRID_MEMBER],
            actor=None,
        )
        person_link_user(person=r.person, user=user, actor=None)
        users[username] = user
    return users


@pytest.fixture
def category(db: Any) -> Category:
    return Category.objects.create(
        code="T05",
        name="楼道照明",
        response_hours=24,
        resolution_amount=5,
        resolution_unit=PeriodUnit.WORKING_DAYS,
    )


def _appeal(staffed: Tree, category: Category) -> Appeal:
    with time_machine.travel(T0, tick=False):
        return appeal_submit(
            data=IntakeData(
                kind="help",
                channel="hotline",
                category=category,
                description="楼道灯坏了",
                household=staffed.hh_a1,
            )
        ).appeal


def _sweep_at(at: datetime) -> Any:
    with time_machine.travel(at, tick=False):
        return escalation_sweep()


def notes(user: User, kind: str) -> int:
    return Notification.objects.filter(recipient=user, kind=kind).count()


def test_unanswered_appeal_climbs_the_chain_once_per_level(
    staffed: Tree, chain: dict[str, User], category: Category, carol: User
) -> None:
    appeal = _appeal(staffed, category)
    assert appeal.handler == carol
    assert _sweep_at(T0 + timedelta(hours=17))["reminders"] == 0
    # 75 % of the 24-hour response window: a reminder to carol, once
    _sweep_at(T0 + timedelta(hours=18, minutes=1))
    _sweep_at(T0 + timedelta(hours=19))
    assert notes(carol, "appeal.reminder") == 1
    # the response deadline passes: level 1, the party-group leader
    report = _sweep_at(T0 + timedelta(hours=24, minutes=1))
    assert report["escalations"] == 1
    appeal.refresh_from_db()
    assert (appeal.escalation_level, appeal.escalated_to) == (1, chain["zhou"])
    _sweep_at(T0 + timedelta(hours=30))  # nothing new in between
    # another response window: level 2, the committee member; then 3, the street leader; then nobody more
    _sweep_at(T0 + timedelta(hours=48, minutes=1))
    _sweep_at(T0 + timedelta(hours=72, minutes=1))
    _sweep_at(T0 + timedelta(hours=200))
    appeal.refresh_from_db()
    assert (appeal.escalation_level, appeal.escalated_to) == (3, chain["wang"])
    assert Event.objects.filter(verb="appeal.escalate").count() == 3
    for name in ("zhou", "sun", "wang"):
        assert notes(chain[name], "appeal.escalated") == 1
    assert notes(carol, "appeal.escalated") == 3  # told of each level
    # five working days from Thu 5 Mar: 6, 9, 10, 11, 12 → overdue after 12 Mar, counted once
    appeal.refresh_from_db()
    assert appeal.overdue_at == datetime(2026, 3, 12, 23, 59, 59, tzinfo=SH)
    assert Event.objects.filter(verb="appeal.overdue").count() == 1
    assert _sweep_at(T0 + timedelta(days=30)).objects == 0


def test_a_response_in_time_stops_the_climb(
    staffed: Tree, chain: dict[str, User], category: Category
) -> None:
    appeal = _appeal(staffed, category)
    with time_machine.travel(T0 + timedelta(hours=20), tick=False):
        appeal_respond(appeal=appeal, actor=appeal.handler)
    _sweep_at(T0 + timedelta(hours=49))
    appeal.refresh_from_db()
    assert appeal.escalation_level == 0
    assert not Event.objects.filter(verb="appeal.escalate").exists()


def test_resolved_appeals_are_left_alone_and_a_reopen_starts_afresh(
    staffed: Tree, chain: dict[str, User], category: Category, carol: User
) -> None:
    appeal = _appeal(staffed, category)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        appeal = appeal_respond(appeal=appeal, actor=carol)
        appeal = appeal_resolve(appeal=appeal, result="换了灯泡", actor=carol)
    assert schedule(appeal) == []
    _sweep_at(T0 + timedelta(days=20))
    assert not Event.objects.filter(verb__in=["appeal.escalate", "appeal.overdue"]).exists()
    reopened_at = T0 + timedelta(days=21)
    with time_machine.travel(reopened_at, tick=False):
        appeal = appeal_rate(appeal=appeal, resolved_ok=False, satisfaction="not")
    _sweep_at(reopened_at + timedelta(hours=25))
    appeal.refresh_from_db()
    assert (appeal.escalation_level, appeal.escalated_to) == (1, chain["zhou"])
    assert notes(carol, "appeal.reminder") == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_escalate_once(staffed: Tree, chain: dict[str, User], category: Category) -> None:
    appeal = _appeal(staffed, category)
    reports = at_once(escalation_sweep, at=T0 + timedelta(hours=24, minutes=1))
    assert sum(r["escalations"] for r in reports) == 1
    assert Event.objects.filter(verb="appeal.escalate", target_id=str(appeal.pk)).count() == 1
    assert notes(chain["zhou"], "appeal.escalated") == 1
    assert notes(appeal.handler, "appeal.reminder") == 1  # type: ignore[arg-type]

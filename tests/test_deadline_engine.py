"""The core deadline engine's contract, held by every watched kind (minhu.core.deadlines).

Each registered kind has a maker here: it builds one object of the kind with a moment falling due, and
returns it with a time after that moment and a way to count what the moment's handling wrote (events and
notifications about the object). For every kind, on the real database:

- a sweep handles the due moment, leaves the bookmark at `now` and the next watch after it (or none);
- a second sweep at the same moment writes nothing more (idempotent);
- two sweeps at once handle it exactly once;
- a kind whose handling raises for one object rolls that object back alone, counts it as failed, retries it
  later, and still handles the other objects of the batch.

A kind registered without a maker fails `test_every_watched_kind_has_a_contract_test`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import models

from minhu.appeals.tests.conftest import ordinary  # noqa: F401
from minhu.core import deadlines
from minhu.core.models import Event, Notification
from minhu.core.tests.concurrency import at_once
from minhu.grid.tests.conftest import Tree, _english, build_tree, staffed, tree  # noqa: F401

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 5, 10, 0, tzinfo=SH)  # a Thursday


@dataclass
class Due:
    """One object of a kind with a moment due by `at`; `written()` counts what handling it wrote."""

    obj: models.Model
    at: datetime

    def written(self) -> tuple[int, int]:
        return Event.objects.for_target(self.obj).count(), Notification.objects.count()


def _appeal(request: pytest.FixtureRequest) -> Due:
    from minhu.appeals.tests.test_escalation import T0 as FILED
    from minhu.appeals.tests.test_escalation import _appeal as filed

    assert FILED == T0
    appeal = filed(request.getfixturevalue("staffed"), request.getfixturevalue("ordinary"))
    assert appeal.handler is not None
    assert appeal.watch_at is not None
    return Due(appeal, T0 + timedelta(hours=19))  # the response reminder (75 % of 24 h) has come


def _action(request: pytest.FixtureRequest) -> Due:
    from minhu.meetings.services import meeting_create
    from minhu.meetings.tests.conftest import ATTENDEES
    from minhu.meetings.tests.test_services import decided, held

    grid: Tree = request.getfixturevalue("staffed")
    bob, carol = request.getfixturevalue("bob"), request.getfixturevalue("carol")
    with time_machine.travel(T0, tick=False):
        meeting = meeting_create(
            actor=bob,
            unit=grid.village_a,
            title="马耳山村三方联席会议",
            place="村党群服务站",
            starts_at=T0 + timedelta(hours=1),
            attendees=ATTENDEES,
        )
        held(meeting, bob)
        action = decided(meeting, bob, carol).actions.get()
    assert action.watch_at is not None
    return Due(action, action.due_at + timedelta(minutes=1))  # overdue: escalated (to the convener)


def _care(request: pytest.FixtureRequest) -> Due:
    from minhu.mobilise.services import care_plan_set

    grid: Tree = request.getfixturevalue("staffed")
    with time_machine.travel(T0, tick=False):
        plan = care_plan_set(household=grid.hh_a1, cadence_days=7, actor=None)  # due Thursday 12 March
    assert plan.watch_at is not None
    # two working days' grace (Friday 13, Monday 16): the 包户 member is told after Monday
    return Due(plan, datetime(2026, 3, 17, 10, 0, tzinfo=SH))


MAKERS: dict[str, Callable[[pytest.FixtureRequest], Due]] = {
    "appeals.appeal": _appeal,
    "meetings.action": _action,
    "mobilise.care": _care,
}


def _sweep(kind: deadlines.Watched[Any], at: datetime) -> deadlines.SweepReport:
    with time_machine.travel(at, tick=False):
        return deadlines.sweep(kind)


def test_every_watched_kind_has_a_contract_test() -> None:
    assert {k.name for k in deadlines.watched_kinds()} == set(MAKERS)


KINDS = pytest.mark.parametrize("name", sorted(MAKERS))


@KINDS
def test_a_due_moment_is_handled_once_and_the_bookmark_moves_on(
    name: str, request: pytest.FixtureRequest
) -> None:
    kind = deadlines.kind_named(name)
    due = MAKERS[name](request)
    before = due.written()
    report = _sweep(kind, due.at)
    assert (report.objects, report.failed) == (1, 0)
    due.obj.refresh_from_db()
    assert due.obj.watched_until == due.at  # type: ignore[attr-defined]
    assert due.obj.watch_at is None or due.obj.watch_at > due.at  # type: ignore[attr-defined]
    after = due.written()
    assert after != before  # the moment wrote something (an event or a notification)
    again = _sweep(kind, due.at)
    assert again.objects == 0
    assert due.written() == after


@KINDS
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_handle_a_moment_once(name: str, request: pytest.FixtureRequest) -> None:
    kind = deadlines.kind_named(name)
    due = MAKERS[name](request)
    before = due.written()
    reports = at_once(lambda: deadlines.sweep(kind), at=due.at)
    assert sum(r.objects for r in reports) == 1
    # the same as one sweep alone would write
    once = due.written()
    assert once != before
    assert _sweep(kind, due.at).objects == 0
    assert due.written() == once


@KINDS
def test_a_failing_object_is_rolled_back_alone_and_retried(
    name: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    kind = deadlines.kind_named(name)
    due = MAKERS[name](request)
    bookmark = due.obj.watched_until  # type: ignore[attr-defined]
    before = due.written()
    real = kind.handle

    def broken(obj: Any, moment: deadlines.Moment, report: deadlines.SweepReport) -> None:
        real(obj, moment, report)  # writes, then fails: the savepoint must take the writes back
        raise RuntimeError("planted")

    monkeypatch.setattr(kind, "handle", broken)
    report = _sweep(kind, due.at)
    assert (report.objects, report.failed) == (1, 1)
    assert due.written() == before
    due.obj.refresh_from_db()
    assert due.obj.watched_until == bookmark  # type: ignore[attr-defined]
    assert due.obj.watch_at == due.at + deadlines.RETRY_AFTER  # type: ignore[attr-defined]
    monkeypatch.setattr(kind, "handle", real)
    assert _sweep(kind, due.at).objects == 0  # not before the retry time
    retried = _sweep(kind, due.at + deadlines.RETRY_AFTER)
    assert (retried.objects, retried.failed) == (1, 0)
    assert due.written() != before


def test_ladders_on_the_working_day_calendar_skip_rest_days() -> None:
    friday = datetime(2026, 3, 6, 18, 0, tzinfo=SH)
    moments = deadlines.ladder_working_days(friday, levels=3)
    assert [(m.level, m.at.date().isoformat()) for m in moments] == [
        (1, "2026-03-06"),
        (2, "2026-03-09"),  # Monday: the weekend is skipped
        (3, "2026-03-10"),
    ]
    calendar_days = deadlines.ladder_calendar_days(friday, days=1, levels=2)
    assert [m.at.date().isoformat() for m in calendar_days] == ["2026-03-06", "2026-03-07"]

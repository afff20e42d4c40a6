"""The sweep over action items: a reminder before the due time, overdue marking and escalation up the meeting
unit's chain at it, nothing for a done action, and nothing twice however often it runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from minhu.accounts.models import User
from minhu.core.models import Event, Notification
from minhu.meetings.escalation import actions_sweep, schedule
from minhu.meetings.models import ActionItem, Meeting
from minhu.meetings.services import action_done
from minhu.meetings.tests.test_services import decided, held

MINUTE = timedelta(minutes=1)


def an_action(meeting: Meeting, bob: User, carol: User) -> ActionItem:
    held(meeting, bob)
    return decided(meeting, bob, carol).actions.get()


def inbox(user: User, kind: str = "meeting.action") -> list[str]:
    return list(
        Notification.objects.filter(recipient=user, kind=kind)
        .order_by("id")
        .values_list("subject", flat=True)
    )


def test_nothing_happens_before_the_reminder(meeting: Meeting, bob: User, carol: User, leo: User) -> None:
    action = an_action(meeting, bob, carol)
    report = actions_sweep(now=action.due_at - timedelta(days=2))
    assert (report.objects, report["reminders"], report["escalations"]) == (0, 0, 0)


def test_the_owner_is_reminded_a_day_before_once(meeting: Meeting, bob: User, carol: User, leo: User) -> None:
    action = an_action(meeting, bob, carol)
    at = action.due_at - timedelta(days=1) + MINUTE
    report = actions_sweep(now=at)
    assert (report.objects, report["reminders"], report["escalations"]) == (1, 1, 0)
    assert actions_sweep(now=at)["reminders"] == 0  # the same sweep again
    assert actions_sweep(now=at + MINUTE)["reminders"] == 0  # and a later one before the deadline
    reminders = [s for s in inbox(carol) if s.startswith("Action due by")]
    assert reminders == [f"Action due by {timezone.localtime(action.due_at):%Y-%m-%d}: {action.title}"]


def test_at_the_deadline_it_is_overdue_and_escalated_up_the_chain(
    meeting: Meeting, bob: User, carol: User, leo: User
) -> None:
    action = an_action(meeting, bob, carol)
    at = action.due_at + MINUTE
    report = actions_sweep(now=at)
    # the missed reminder too
    assert (report["reminders"], report["overdue"], report["escalations"]) == (1, 1, 1)
    action.refresh_from_db()
    assert (action.escalation_level, action.overdue_at) == (1, action.due_at)
    assert [s for s in inbox(leo) if s.startswith("Overdue action escalated to you")]
    assert [s for s in inbox(carol) if s.startswith("Your overdue action was escalated to 老王")]
    events = list(Event.objects.for_target(action).order_by("id").values_list("verb", "actor_label"))
    assert events == [("action.overdue", "system"), ("action.escalate", "system")]

    # twice, and later: nothing more (no one above leo in village A's chain for level 2)
    n = Notification.objects.count()
    actions_sweep(now=at)
    later = actions_sweep(now=at + timedelta(days=5))
    assert later["escalations"] == 0
    assert Notification.objects.count() == n
    assert Event.objects.for_target(action).count() == 2


def test_a_done_action_is_not_chased(meeting: Meeting, bob: User, carol: User, leo: User) -> None:
    action = an_action(meeting, bob, carol)
    action_done(action=action, actor=carol, result="已完成")
    action.refresh_from_db()
    assert schedule(action) == []
    report = actions_sweep(now=action.due_at + timedelta(days=3))
    assert (report.objects, report["reminders"], report["escalations"]) == (0, 0, 0)
    assert not Event.objects.filter(verb__in=["action.overdue", "action.escalate"]).exists()


def test_without_anyone_up_the_chain_the_convener_is_told(meeting: Meeting, bob: User, carol: User) -> None:
    action = an_action(meeting, bob, carol)  # no leo: 老王 has no login
    actions_sweep(now=action.due_at + MINUTE)
    assert [s for s in inbox(bob) if s.startswith("Overdue action escalated to you")]


def test_the_levels_climb_in_working_days(meeting: Meeting, bob: User, carol: User) -> None:
    action = an_action(meeting, bob, carol)
    action.due_at = datetime(2026, 3, 6, 23, 59, 59, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Friday
    moments = [(m.what, m.level, f"{timezone.localtime(m.at):%a %d %H:%M}") for m in schedule(action)]
    assert moments == [
        ("remind", 0, "Thu 05 23:59"),
        ("escalate", 1, "Fri 06 23:59"),
        ("escalate", 2, "Mon 09 23:59"),  # the weekend does not count
        ("escalate", 3, "Tue 10 23:59"),
    ]

"""Reminders and escalation of action items: one kind of the core deadline engine (`minhu.core.deadlines`,
registered as "meetings.action" in `MeetingsConfig.ready()`).

Schedule of an open action: a reminder to its owner (or, without a login, the convener) one day before it is
due; at its due time it is marked overdue (counted, one event) and escalated to the first login up the
meeting unit's responsible chain (level 1); each further working day after, one level more, up to
`MAX_LEVELS` (`deadlines.ladder_working_days`, on the calendar the sweep read once). A done action is not
watched; one refused at verification is watched again from the refusal, keeping the levels it reached.

The engine claims the due actions in sets, works through every moment in (`watched_until`, now] and keeps
the bookmark; every notification carries a dedupe key, so even a redo after a crash sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.core import deadlines
from minhu.core.deadlines import Moment, SweepReport
from minhu.core.services import event_record, notification_send
from minhu.grid.selectors import chain_handlers
from minhu.meetings.models import ActionItem

if TYPE_CHECKING:
    from minhu.accounts.models import User

MAX_LEVELS = 3
REMIND_BEFORE = timedelta(days=1)


def schedule(action: ActionItem) -> list[Moment]:
    """Every moment of the action's schedule, in time order (empty unless it is open)."""
    if action.state != ActionItem.State.OPEN:
        return []
    moments = [
        Moment(action.due_at - REMIND_BEFORE, "remind"),
        *deadlines.ladder_working_days(action.due_at, levels=MAX_LEVELS),
    ]
    return sorted(moments, key=lambda m: (m.at, m.level))


class ActionDeadlines(deadlines.Watched[ActionItem]):
    """The watched deadlines of open action items (see the module docstring)."""

    name = "meetings.action"
    model = ActionItem

    def due(self) -> QuerySet[ActionItem]:
        return ActionItem.objects.select_related("owner", "item__meeting__unit", "item__meeting__convener")

    def schedule(self, obj: ActionItem) -> list[Moment]:
        return schedule(obj)

    def start(self, obj: ActionItem) -> datetime:
        return obj.created_at

    def handle(self, obj: ActionItem, moment: Moment, report: SweepReport) -> None:
        _handle(obj, moment, report)


WATCH = ActionDeadlines()  # registered with the engine in MeetingsConfig.ready()


def rewatch(action: ActionItem) -> None:
    """After a change, the next moment of the action's schedule after its bookmark (its creation at first)."""
    deadlines.rewatch(WATCH, action)


def actions_sweep(*, now: datetime | None = None, limit: int | None = None) -> SweepReport:
    """Work through every action item whose next moment has come (the engine's sweep of this kind)."""
    return deadlines.sweep(WATCH, now=now, limit=limit)


def chain_above(action: ActionItem, memo: dict[Any, Any] | None = None) -> list[Any]:
    """The logins up the meeting unit's responsible chain (the area's committee member, the street leader…),
    the owner left out; the convener if there is no one else. The chain above one unit is read once per
    sweep (`memo`)."""
    meeting = action.item.meeting
    key = ("action-chain", meeting.unit_id)
    if memo is not None and key in memo:
        chain: list[Any] = memo[key]
    else:
        chain = [u for u, _link in chain_handlers(meeting.unit, "area")]
        if memo is not None:
            memo[key] = chain
    users = [u for u in chain if u.pk != action.owner_id]
    if not users and meeting.convener_id != action.owner_id:
        users = [meeting.convener]
    return users


def _notify(action: ActionItem, user: User, subject: str, key: str) -> None:
    notification_send(
        recipient=user,
        kind="meeting.action",
        subject=subject,
        body=action.item.title,
        url=reverse("meetings:detail", args=[action.item.meeting_id]),
        dedupe_key=f"action:{action.pk}:{key}:u{user.pk}",
    )


def _handle(action: ActionItem, moment: Moment, report: SweepReport) -> None:
    due = f"{timezone.localtime(action.due_at):%Y-%m-%d}"
    if moment.what == "remind":
        who = action.owner if action.owner is not None else action.item.meeting.convener
        _notify(
            action, who, _("Action due by %(due)s: %(title)s") % {"due": due, "title": action.title}, "remind"
        )
        report.tally("reminders")
        return
    if moment.level == 1 and action.overdue_at is None:
        deadlines.mark_overdue(action, moment, verb="action.overdue", report=report)
    above = chain_above(action, report.memo)
    if moment.level > len(above) or action.escalation_level >= moment.level:
        return
    supervisor = above[moment.level - 1]
    before = {"escalation_level": action.escalation_level}
    action.escalation_level = moment.level
    ActionItem.objects.filter(pk=action.pk).update(escalation_level=moment.level)
    event_record(
        actor=None,
        actor_label="system",
        verb="action.escalate",
        target=action,
        before=before,
        after={"escalation_level": moment.level, "escalated_to": supervisor.pk},
        note=_("Not done by its deadline"),
    )
    _notify(
        action,
        supervisor,
        _("Overdue action escalated to you: %(title)s (due %(due)s)") % {"title": action.title, "due": due},
        f"escalate{moment.level}",
    )
    if action.owner is not None:
        _notify(
            action,
            action.owner,
            _("Your overdue action was escalated to %(name)s: %(title)s")
            % {"name": supervisor, "title": action.title},
            f"escalate{moment.level}",
        )
    report.tally("escalations")

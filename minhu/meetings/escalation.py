"""Reminders and escalation of action items, on the pattern of minhu/appeals/services/escalation.py.

Schedule of an open action: a reminder to its owner (or, without a login, the convener) one day before it is
due; at its due time it is marked overdue (counted, one event) and escalated to the first login up the
meeting unit's responsible chain (level 1); each further working day after, one level more, up to
`MAX_LEVELS`. A done action is not watched; one refused at verification is watched again from the refusal,
keeping the levels it reached.

The sweep claims each action with a conditional UPDATE on its bookmark (`watch_at`, `watched_until`), so of
two sweeps at once exactly one handles it, and works through every moment in (`watched_until`, now] in the
same transaction; every notification carries a dedupe key, so even a redo after a crash sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.core.services import event_record, notification_send
from minhu.core.workdays import work_calendar
from minhu.meetings.models import ActionItem

MAX_LEVELS = 3
REMIND_BEFORE = timedelta(days=1)
SWEEP_BATCH = 500


@dataclass(frozen=True)
class Moment:
    at: datetime
    what: str  # "remind" | "escalate"
    level: int = 0


def schedule(action: ActionItem) -> list[Moment]:
    """Every moment of the action's schedule, in time order (empty unless it is open)."""
    if action.state != ActionItem.State.OPEN:
        return []
    moments = [Moment(action.due_at - REMIND_BEFORE, "remind")]
    cal = work_calendar()
    for level in range(1, MAX_LEVELS + 1):
        at = action.due_at if level == 1 else cal.add_working_days(action.due_at, level - 1).at
        moments.append(Moment(at, "escalate", level))
    return sorted(moments, key=lambda m: (m.at, m.level))


def next_watch(action: ActionItem, after: datetime) -> datetime | None:
    return next((m.at for m in schedule(action) if m.at > after), None)


def rewatch(action: ActionItem) -> None:
    """After a change, the next moment of the action's schedule after its bookmark (its creation at first)."""
    if action.watched_until is None:
        action.watched_until = action.created_at
    action.watch_at = next_watch(action, action.watched_until)
    ActionItem.objects.filter(pk=action.pk).update(
        watch_at=action.watch_at, watched_until=action.watched_until
    )


def chain_above(action: ActionItem) -> list[Any]:
    """The logins up the meeting unit's responsible chain (the area's committee member, the street leader…),
    the owner left out; the convener if there is no one else."""
    from minhu.grid.selectors import chain_handlers

    meeting = action.item.meeting
    users = [u for u, _link in chain_handlers(meeting.unit, "area") if u.pk != action.owner_id]
    if not users and meeting.convener_id != action.owner_id:
        users = [meeting.convener]
    return users


def _notify(action: ActionItem, user: Any, subject: str, key: str) -> None:
    notification_send(
        recipient=user,
        kind="meeting.action",
        subject=subject,
        body=action.item.title,
        url=reverse("meetings:detail", args=[action.item.meeting_id]),
        dedupe_key=f"action:{action.pk}:{key}:u{user.pk}",
    )


@dataclass
class SweepReport:
    actions: int = 0
    reminders: int = 0
    overdue: int = 0
    escalations: int = 0
    skipped: int = 0  # claimed by another worker first


def _handle(action: ActionItem, moment: Moment, report: SweepReport) -> None:
    due = f"{timezone.localtime(action.due_at):%Y-%m-%d}"
    if moment.what == "remind":
        who = action.owner if action.owner is not None else action.item.meeting.convener
        _notify(
            action, who, _("Action due by %(due)s: %(title)s") % {"due": due, "title": action.title}, "remind"
        )
        report.reminders += 1
        return
    if moment.level == 1 and action.overdue_at is None:
        action.overdue_at = moment.at
        ActionItem.objects.filter(pk=action.pk).update(overdue_at=moment.at)
        event_record(
            actor=None,
            actor_label="system",
            verb="action.overdue",
            target=action,
            after={"overdue_at": moment.at},
        )
        report.overdue += 1
    above = chain_above(action)
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
    report.escalations += 1


def sweep_one(action: ActionItem, now: datetime, report: SweepReport) -> None:
    with transaction.atomic():
        claimed = ActionItem.objects.filter(
            pk=action.pk, watch_at=action.watch_at, watched_until=action.watched_until
        ).update(watched_until=now, watch_at=None)
        if claimed != 1:
            report.skipped += 1
            return
        since = action.watched_until or action.created_at
        for moment in schedule(action):
            if since < moment.at <= now:
                _handle(action, moment, report)
        ActionItem.objects.filter(pk=action.pk).update(watch_at=next_watch(action, now))
        report.actions += 1


def actions_sweep(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> SweepReport:
    """Work through every action item whose next moment has come (in batches of `limit`, oldest first)."""
    now = now or timezone.now()
    report = SweepReport()
    while True:
        due = list(
            ActionItem.objects.select_related("owner", "item__meeting__unit", "item__meeting__convener")
            .filter(watch_at__isnull=False, watch_at__lte=now)
            .order_by("watch_at", "pk")[:limit]
        )
        for action in due:
            sweep_one(action, now, report)
        if len(due) < limit:
            return report

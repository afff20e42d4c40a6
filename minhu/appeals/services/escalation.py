"""No deadline slips silently: reminders, escalation up the grid, overdue marking (issue 5).

Each open appeal has a **schedule** of moments computed from its own timestamps and the category's
windows (so the working-day calendar already sits in the deadlines):

- while dispatched and not yet responded to: a reminder to the handler at 75 % of the response window;
  the response deadline, when it escalates to the next person up the chain (level 1); and every further
  response window after it, one level more (up to `MAX_LEVELS`): household party member → party-group
  leader → committee member → street leader…;
- while not resolved: a reminder at 75 % of the resolution window; the resolution deadline, when the appeal
  is marked overdue (counted) and escalated one level more.

`watch_at` is the next moment of the schedule after `watched_until`. The sweep takes the appeals whose
`watch_at` has come (one indexed range), claims each with a conditional UPDATE on (`watch_at`,
`watched_until`) — so of two workers sweeping at once, exactly one handles an appeal — and, in the same
transaction, works through every moment in (`watched_until`, now]: events, the escalation fields and
notifications (each with a dedupe key, so even a redo after a crash sends nothing twice). A crash before
commit rolls the claim back with everything else: the next sweep does it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals.models import Appeal, State, Urgency
from minhu.appeals.routing import handlers_up_the_chain
from minhu.core import failpoints
from minhu.core.services import event_record, notification_send

MAX_LEVELS = 4
REMINDER_SHARE = 0.75
SWEEP_BATCH = 500


@dataclass(frozen=True)
class Moment:
    at: datetime
    what: str  # "remind_response" | "escalate_response" | "remind_resolution" | "overdue"
    level: int = 0


def schedule(appeal: Appeal) -> list[Moment]:
    """Every moment of the appeal's current schedule, in time order (empty when nothing is pending)."""
    start = appeal.dispatched_at
    if start is None or appeal.state not in (State.DISPATCHED, State.RESPONDED, State.IN_PROGRESS):
        return []
    moments: list[Moment] = []
    if appeal.state == State.DISPATCHED and appeal.response_due_at is not None:
        window = appeal.response_due_at - start
        moments.append(Moment(start + window * REMINDER_SHARE, "remind_response"))
        step = max(window, timedelta(hours=1))
        for level in range(1, MAX_LEVELS + 1):
            moments.append(Moment(appeal.response_due_at + step * (level - 1), "escalate_response", level))
    if appeal.resolution_due_at is not None and appeal.overdue_at is None:
        window = appeal.resolution_due_at - start
        moments.append(Moment(start + window * REMINDER_SHARE, "remind_resolution"))
        moments.append(Moment(appeal.resolution_due_at, "overdue"))
    return sorted(moments, key=lambda m: (m.at, m.what))


def next_watch(appeal: Appeal, after: datetime) -> datetime | None:
    return next((m.at for m in schedule(appeal) if m.at > after), None)


def rewatch(appeal: Appeal, *, restart: bool) -> None:
    """After a transition, the next moment of the new schedule. A (re)dispatch starts a new cycle from its
    dispatch time; any other move keeps the bookmark, so a moment already due but not yet swept is still
    handled by the next sweep."""
    if restart or appeal.watched_until is None:
        appeal.watched_until = appeal.dispatched_at or timezone.now()
    appeal.watch_at = next_watch(appeal, appeal.watched_until)
    Appeal.objects.filter(pk=appeal.pk).update(watch_at=appeal.watch_at, watched_until=appeal.watched_until)


@dataclass
class SweepReport:
    appeals: int = 0
    reminders: int = 0
    escalations: int = 0
    overdue: int = 0
    skipped: int = 0  # claimed by another worker first
    details: list[str] = field(default_factory=list)
    # The chain above each (anchor, level) met in this sweep: appeals of one block share it, so a sweep of
    # many reads it once (a reassignment made during the sweep is seen by the next one).
    chains: dict[tuple[str, int, str], list[Any]] = field(default_factory=dict, repr=False)


def _chain_above(appeal: Appeal, chains: dict[tuple[str, int, str], list[Any]] | None = None) -> list[Any]:
    """The logins up the appeal's chain above its handler (the handler's own level and below excluded)."""
    anchor = appeal.household or appeal.unit
    if anchor is None:
        return []
    key = (anchor._meta.label, anchor.pk, appeal.category.handling_level)
    if chains is not None and key in chains:
        users = chains[key]
    else:
        users = [u for u, _link in handlers_up_the_chain(anchor, appeal.category.handling_level)]
        if chains is not None:
            chains[key] = users
    ids = [u.pk for u in users]
    if appeal.handler_id in ids:
        return users[ids.index(appeal.handler_id) + 1 :]
    return [u for u in users if u.pk != appeal.handler_id]


def _cycle(appeal: Appeal) -> str:
    """Names one dispatch of the appeal (a reopen starts a new cycle with fresh reminders and levels)."""
    return str(int(appeal.dispatched_at.timestamp())) if appeal.dispatched_at else "0"


def _notify(appeal: Appeal, user: Any, kind: str, subject: str, key: str) -> None:
    notification_send(
        recipient=user,
        kind=kind,
        subject=subject,
        body=appeal.description[:200],
        url=reverse("appeals:detail", args=[appeal.pk]),
        dedupe_key=f"appeal:{appeal.pk}:{_cycle(appeal)}:{key}:u{user.pk}",
        urgent=appeal.category.urgency == Urgency.EMERGENCY,  # never held for a daily digest
    )


def _escalate(appeal: Appeal, *, level: int, reason: str, now: datetime, report: SweepReport) -> None:
    above = _chain_above(appeal, report.chains)
    if level > len(above) or appeal.escalation_level >= level:
        return
    supervisor = above[level - 1]
    before = {"escalation_level": appeal.escalation_level, "escalated_to": appeal.escalated_to_id}
    appeal.escalation_level = level
    appeal.escalated_to = supervisor
    Appeal.objects.filter(pk=appeal.pk).update(escalation_level=level, escalated_to=supervisor)
    event_record(
        actor=None,
        actor_label="system",
        verb="appeal.escalate",
        target=appeal,
        before=before,
        after={"escalation_level": level, "escalated_to": supervisor.pk, "reason": reason},
        note=reason,
    )
    failpoints.hit("escalation.after_event")  # the crash test kills the worker here, mid-transaction
    subject = _("Escalated to you: %(code)s %(category)s") % {
        "code": appeal.tracking_code,
        "category": appeal.category.name,
    }
    _notify(appeal, supervisor, "appeal.escalated", subject, f"escalate{level}")
    if appeal.handler is not None:
        _notify(
            appeal,
            appeal.handler,
            "appeal.escalated",
            _("%(code)s was escalated to %(name)s") % {"code": appeal.tracking_code, "name": supervisor},
            f"escalate{level}",
        )
    report.escalations += 1


def _handle(appeal: Appeal, moment: Moment, now: datetime, report: SweepReport) -> None:
    if moment.what == "remind_response" and appeal.handler is not None:
        _notify(
            appeal,
            appeal.handler,
            "appeal.reminder",
            _("Please contact the caller of %(code)s by %(due)s")
            % {
                "code": appeal.tracking_code,
                "due": timezone.localtime(appeal.response_due_at).strftime("%m-%d %H:%M"),
            },
            "remind_response",
        )
        report.reminders += 1
    elif moment.what == "remind_resolution" and appeal.handler is not None:
        _notify(
            appeal,
            appeal.handler,
            "appeal.reminder",
            _("%(code)s is due to be resolved by %(due)s")
            % {
                "code": appeal.tracking_code,
                "due": timezone.localtime(appeal.resolution_due_at).strftime("%m-%d %H:%M"),
            },
            "remind_resolution",
        )
        report.reminders += 1
    elif moment.what == "escalate_response":
        _escalate(
            appeal,
            level=moment.level,
            reason=_("No response by the response deadline"),
            now=now,
            report=report,
        )
    elif moment.what == "overdue":
        appeal.overdue_at = moment.at
        Appeal.objects.filter(pk=appeal.pk).update(overdue_at=moment.at)
        event_record(
            actor=None,
            actor_label="system",
            verb="appeal.overdue",
            target=appeal,
            after={"overdue_at": moment.at.isoformat()},
        )
        report.overdue += 1
        _escalate(
            appeal,
            level=appeal.escalation_level + 1,
            reason=_("Not resolved by the resolution deadline"),
            now=now,
            report=report,
        )


def sweep_one(appeal: Appeal, now: datetime, report: SweepReport) -> None:
    with transaction.atomic():
        claimed = Appeal.objects.filter(
            pk=appeal.pk, watch_at=appeal.watch_at, watched_until=appeal.watched_until
        ).update(watched_until=now, watch_at=None)
        if claimed != 1:
            report.skipped += 1
            return
        since = appeal.watched_until or appeal.dispatched_at or now
        for moment in schedule(appeal):
            if since < moment.at <= now:
                _handle(appeal, moment, now, report)
        Appeal.objects.filter(pk=appeal.pk).update(watch_at=next_watch(appeal, now))
        report.appeals += 1


def escalation_sweep(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> SweepReport:
    """Work through every appeal whose next moment has come (in batches of `limit`, oldest first)."""
    now = now or timezone.now()
    report = SweepReport()
    while True:
        due = list(
            Appeal.objects.select_related("category", "handler", "household", "unit")
            .filter(watch_at__isnull=False, watch_at__lte=now)
            .order_by("watch_at", "pk")[:limit]
        )
        for appeal in due:
            sweep_one(appeal, now, report)
        if len(due) < limit:
            return report

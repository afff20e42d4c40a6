"""No deadline slips silently: reminders, escalation up the grid, overdue marking (issue 5).

Each open appeal has a **schedule** of moments computed from its own timestamps and the category's
windows (so the working-day calendar already sits in the deadlines):

- while dispatched and not yet responded to: a reminder to the handler at 75 % of the response window;
  the response deadline, when it escalates to the next person up the chain (level 1); and every further
  response window after it, one level more (up to `MAX_LEVELS`): household party member → party-group
  leader → committee member → street leader…;
- while not resolved: a reminder at 75 % of the resolution window; the resolution deadline, when the appeal
  is marked overdue (counted) and escalated one level more.

Appeals are one kind of the core deadline engine (`minhu.core.deadlines`, registered as
"appeals.appeal"): the engine claims the due appeals in sets, works through every moment in
(`watched_until`, now] and keeps the bookmark; this module says what the moments are and what each does —
events, the escalation fields and notifications (each with a dedupe key, so even a redo after a crash sends
nothing twice).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals.models import Appeal, State, Urgency
from minhu.appeals.routing import handlers_up_the_chain
from minhu.core import deadlines, failpoints
from minhu.core.deadlines import Moment, SweepReport, ladder_elapsed
from minhu.core.services import event_record, notification_send

if TYPE_CHECKING:
    from minhu.accounts.models import User

MAX_LEVELS = 4
REMINDER_SHARE = 0.75


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
        moments += ladder_elapsed(
            appeal.response_due_at, step=step, levels=MAX_LEVELS, what="escalate_response"
        )
    if appeal.resolution_due_at is not None and appeal.overdue_at is None:
        window = appeal.resolution_due_at - start
        moments.append(Moment(start + window * REMINDER_SHARE, "remind_resolution"))
        moments.append(Moment(appeal.resolution_due_at, "overdue"))
    return sorted(moments, key=lambda m: (m.at, m.what))


class AppealDeadlines(deadlines.Watched[Appeal]):
    """The watched deadlines of open appeals (see the module docstring)."""

    name = "appeals.appeal"
    model = Appeal

    def due(self) -> QuerySet[Appeal]:
        return Appeal.objects.select_related("category", "handler", "household", "unit")

    def schedule(self, obj: Appeal) -> list[Moment]:
        return schedule(obj)

    def start(self, obj: Appeal) -> datetime:
        return obj.dispatched_at or timezone.now()

    def handle(self, obj: Appeal, moment: Moment, report: SweepReport) -> None:
        _handle(obj, moment, report)


WATCH = AppealDeadlines()  # registered with the engine in AppealsConfig.ready()


def next_watch(appeal: Appeal, after: datetime) -> datetime | None:
    return WATCH.next_watch(appeal, after)


def rewatch(appeal: Appeal, *, restart: bool) -> None:
    """After a transition, the next moment of the new schedule. A (re)dispatch starts a new cycle from its
    dispatch time; any other move keeps the bookmark, so a moment already due but not yet swept is still
    handled by the next sweep."""
    deadlines.rewatch(WATCH, appeal, restart=restart)


def escalation_sweep(*, now: datetime | None = None, limit: int | None = None) -> SweepReport:
    """Work through every appeal whose next moment has come (the engine's sweep of this kind)."""
    return deadlines.sweep(WATCH, now=now, limit=limit)


def _chain_above(appeal: Appeal, memo: dict[Any, Any] | None = None) -> list[Any]:
    """The logins up the appeal's chain above its handler (the handler's own level and below excluded). The
    chain above one anchor is read once per sweep (`memo`): appeals of one block share it."""
    anchor = appeal.household or appeal.unit
    if anchor is None:
        return []
    key = ("appeal-chain", anchor._meta.label, anchor.pk, appeal.category.handling_level)
    if memo is not None and key in memo:
        users: list[Any] = memo[key]
    else:
        users = [u for u, _link in handlers_up_the_chain(anchor, appeal.category.handling_level)]
        if memo is not None:
            memo[key] = users
    ids = [u.pk for u in users]
    if appeal.handler_id in ids:
        return users[ids.index(appeal.handler_id) + 1 :]
    return [u for u in users if u.pk != appeal.handler_id]


def _cycle(appeal: Appeal) -> str:
    """Names one dispatch of the appeal (a reopen starts a new cycle with fresh reminders and levels)."""
    return str(int(appeal.dispatched_at.timestamp())) if appeal.dispatched_at else "0"


def _notify(appeal: Appeal, user: User, kind: str, subject: str, key: str) -> None:
    notification_send(
        recipient=user,
        kind=kind,
        subject=subject,
        body=appeal.description[:200],
        url=reverse("appeals:detail", args=[appeal.pk]),
        dedupe_key=f"appeal:{appeal.pk}:{_cycle(appeal)}:{key}:u{user.pk}",
        urgent=appeal.category.urgency == Urgency.EMERGENCY,  # never held for a daily digest
    )


def _escalate(appeal: Appeal, *, level: int, reason: str, report: SweepReport) -> None:
    above = _chain_above(appeal, report.memo)
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
    report.tally("escalations")


def _handle(appeal: Appeal, moment: Moment, report: SweepReport) -> None:
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
        report.tally("reminders")
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
        report.tally("reminders")
    elif moment.what == "escalate_response":
        _escalate(
            appeal,
            level=moment.level,
            reason=_("No response by the response deadline"),
            report=report,
        )
    elif moment.what == "overdue":
        deadlines.mark_overdue(appeal, moment, verb="appeal.overdue", report=report)
        _escalate(
            appeal,
            level=appeal.escalation_level + 1,
            reason=_("Not resolved by the resolution deadline"),
            report=report,
        )

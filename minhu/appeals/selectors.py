"""Reads of appeals. Every list takes the user and applies the scope rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.accounts.roles import Role
from minhu.appeals.models import OPEN_STATES, Appeal, State
from minhu.core.models import Event

# Public labels for the timeline: what happened, never who (no personal data on the tracking page).
TIMELINE_LABELS = {
    "appeal.submit": _("Received"),
    "appeal.repeat": _("Linked to a matter already being handled"),
    "appeal.dispatch": _("Sent to the person responsible"),
    "appeal.respond": _("The person responsible has been in touch"),
    "appeal.start": _("Being handled"),
    "appeal.resolve": _("Reported as resolved"),
    "appeal.resolve_shared": _("Resolved with the shared problem it was part of"),
    "appeal.rate_close": _("Rated by the caller and closed out"),
    "appeal.reopen": _("Reopened: the caller was not satisfied"),
    "appeal.answer_on_spot": _("Answered and closed"),
    "appeal.return": _("Returned for re-dispatch"),
    "appeal.transfer": _("Transferred to another handler"),
    "appeal.escalate": _("Escalated"),
    "appeal.overdue": _("Past its deadline"),
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    verb: str
    label: str
    actor: str  # staff see names; the public page shows nothing here
    note: str


def appeal_timeline(appeal: Appeal, *, public: bool) -> list[TimelineEntry]:
    events = Event.objects.for_target(appeal).order_by("at", "id")
    return [
        TimelineEntry(
            at=e.at,
            verb=e.verb,
            label=str(TIMELINE_LABELS.get(e.verb, e.verb)),
            actor="" if public else e.actor_label,
            note="" if public else e.note,
        )
        for e in events
    ]


def appeals_visible_to(user: Any) -> QuerySet[Appeal]:
    """The scope rule for appeals: what a user handles, raised or recorded; everything located in the units
    of their grid scope (subtrees of their posts, responsibilities and grants, and the households they answer
    for); and, for street and district staff (the dispatchers), the appeals no unit could be found for.
    Administrators see all."""
    qs = Appeal.objects.select_related("category", "handler")
    if not user.is_authenticated:
        return qs.none()
    from minhu.grid.selectors import scope_for

    scope = scope_for(user)
    if scope.everything:
        return qs
    q = Q(handler=user) | Q(caller=user) | Q(recorded_by=user) | Q(escalated_to=user)
    if scope.paths:
        q |= Q(unit__isnull=False) & scope.unit_q("unit__")
    if scope.households:
        q |= Q(household_id__in=sorted(scope.households))
    if user.roles() & {Role.STREET_STAFF, Role.DISTRICT_STAFF}:
        q |= Q(unit__isnull=True)
    return qs.filter(q)


@dataclass(frozen=True)
class Workbench:
    mine: list[Appeal]
    to_dispatch: list[Appeal]
    escalated: list[Appeal]


def workbench_for(user: Any, *, now: datetime | None = None) -> Workbench:
    """My open appeals by deadline, and (for dispatchers) the unassigned ones in my scope."""
    now = now or timezone.now()
    mine = list(
        Appeal.objects.select_related("category")
        .filter(handler=user, state__in=OPEN_STATES)
        .order_by("resolution_due_at", "id")[:200]
    )
    to_dispatch = list(
        appeals_visible_to(user)
        .filter(state=State.SUBMITTED, handler__isnull=True)
        .order_by("submitted_at")[:200]
    )
    escalated = list(
        Appeal.objects.select_related("category")
        .filter(escalated_to=user, state__in=OPEN_STATES)
        .order_by("resolution_due_at", "id")[:200]
    )
    for a in [*mine, *to_dispatch, *escalated]:
        a.flag = flag(a, now)  # type: ignore[attr-defined]
    return Workbench(mine=mine, to_dispatch=to_dispatch, escalated=escalated)


def flag(appeal: Appeal, now: datetime) -> str:
    """overdue / due-soon (within 24 h) / '' for the workbench. A resolved appeal waits for its caller's
    rating, not for its handler: it carries no flag."""
    if appeal.state not in (State.SUBMITTED, State.DISPATCHED, State.RESPONDED, State.IN_PROGRESS):
        return ""
    due = appeal.resolution_due_at
    if appeal.state in (State.DISPATCHED,) and appeal.response_due_at and appeal.response_due_at < now:
        return "overdue"
    if due is None:
        return ""
    if due < now:
        return "overdue"
    if due - now < timedelta(hours=24):
        return "due-soon"
    return ""

"""Reads of appeals. Every list takes the user and applies the scope rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.accounts.roles import Role
from minhu.appeals.models import OPEN_STATES, Appeal, Category, State, overdue_q
from minhu.core.models import Event
from minhu.core.types import Viewer
from minhu.grid.models import Unit, subtree_q
from minhu.grid.selectors import scope_for

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
    "appeal.caller_reveal": _("The caller's full phone was shown"),
}
# Staff-only acts: on the staff timeline (with who did them), never on the public one.
INTERNAL_VERBS = frozenset({"appeal.caller_reveal"})


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    verb: str
    label: str
    actor: str  # staff see names; the public page shows nothing here
    note: str


def appeal_timeline(appeal: Appeal, *, public: bool) -> list[TimelineEntry]:
    events = Event.objects.for_target(appeal).order_by("at", "id")
    if public:
        events = events.exclude(verb__in=INTERNAL_VERBS)
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


def appeals_visible_to(user: Viewer) -> QuerySet[Appeal]:
    """The scope rule for appeals: what a user handles, raised or recorded; everything located in the units
    of their grid scope (subtrees of their posts, responsibilities and grants, and the households they answer
    for); and, for street and district staff (the dispatchers), the appeals no unit could be found for.
    Administrators see all."""
    qs = Appeal.objects.select_related("category", "handler")
    if not user.is_authenticated:
        return qs.none()
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


# --- search -------------------------------------------------------------------------------------------

_CODE_SEPARATORS = re.compile(r"[\s\-_.·]+")
_CODE = re.compile(r"[0-9A-Z]{6,16}")
SEARCH_MAX = 100


def normalise_code(text: str) -> str:
    """A tracking code as people write or read it out (`abcd efgh-ijkl`) → as stored (`ABCDEFGHIJKL`):
    spaces, dashes and dots dropped, upper case."""
    return _CODE_SEPARATORS.sub("", text).upper()


def search_q(text: str) -> Q | None:
    """The one search box of the list, its export, the API and the workbench, as one condition (None: the
    box is empty, nothing narrows): the tracking code (spaces, dashes and case ignored; exact, so the
    code's unique index answers it), the caller's phone tail (exactly four digits: the last four, which
    the masked phone shows anyway), or a keyword in the description or address (`icontains`). It only
    narrows: the caller applies it to a queryset already in the user's scope."""
    text = text.strip()[:SEARCH_MAX]
    if not text:
        return None
    q = Q(description__icontains=text) | Q(address__icontains=text)
    code = normalise_code(text)
    if _CODE.fullmatch(code):
        q |= Q(tracking_code=code)
    if len(text) == 4 and text.isdigit():
        q |= Q(caller_phone__endswith=text)
    return q


@dataclass(frozen=True)
class Workbench:
    mine: list[Appeal]
    to_dispatch: list[Appeal]
    escalated: list[Appeal]


def workbench_for(user: Viewer, *, now: datetime | None = None, q: str = "") -> Workbench:
    """My open appeals by deadline, and (for dispatchers) the unassigned ones in my scope; `q` narrows each
    queue with the list's search (`search_q`)."""
    if not user.is_authenticated:
        return Workbench(mine=[], to_dispatch=[], escalated=[])
    now = now or timezone.now()
    found = search_q(q) or Q()
    mine = list(
        Appeal.objects.select_related("category")
        .filter(found, handler=user, state__in=OPEN_STATES)
        .order_by("resolution_due_at", "id")[:200]
    )
    to_dispatch = list(
        appeals_visible_to(user)
        .filter(found, state=State.SUBMITTED, handler__isnull=True)
        .order_by("submitted_at")[:200]
    )
    escalated = list(
        Appeal.objects.select_related("category")
        .filter(found, escalated_to=user, state__in=OPEN_STATES)
        .order_by("resolution_due_at", "id")[:200]
    )
    for a in [*mine, *to_dispatch, *escalated]:
        a.flag = flag(a, now)  # type: ignore[attr-defined]
    return Workbench(mine=mine, to_dispatch=to_dispatch, escalated=escalated)


def flag(appeal: Appeal, now: datetime) -> str:
    """overdue / due-soon / '' for the workbench and the list: `Appeal.deadline_flag` (overdue as
    `models.overdue_q` defines it). A resolved appeal waits for its caller's rating, not for its handler: it
    carries no flag."""
    return appeal.deadline_flag(now)


# --- the list of appeals -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AppealFilter:
    """What narrows the list of appeals: the staff list page's form (`forms_stats.ListForm.filters()`), its
    export and the JSON API (`GET /api/v1/appeals`) each build one and call `appeal_list`, so the same filter
    gives the same rows everywhere. Empty fields do not narrow. The builders check that `unit` is in the
    user's scope (a unit outside it is an invalid filter, not an empty list)."""

    state: str = ""
    kind: str = ""
    channel: str = ""
    category: Category | None = None
    unit: Unit | None = None  # located in this unit or under it
    submitted_from: datetime | None = None  # included
    submitted_before: datetime | None = None  # excluded
    overdue: bool | None = None  # True: only overdue ones (`Appeal.objects.overdue`); False: none of them
    mine: bool = False  # only those the user handles
    q: str = ""  # the search box (`search_q`): tracking code, phone tail or keyword

    def record(self) -> dict[str, Any]:
        """The filter as plain values, for the record of an export."""
        return {
            "state": self.state,
            "kind": self.kind,
            "channel": self.channel,
            "category": self.category.code if self.category else "",
            "unit": self.unit.code if self.unit else "",
            "from": self.submitted_from.isoformat() if self.submitted_from else "",
            "before": self.submitted_before.isoformat() if self.submitted_before else "",
            "overdue": self.overdue,
            "mine": self.mine,
            "q": self.q,
        }


def appeal_list(user: Viewer, filters: AppealFilter, *, now: datetime | None = None) -> QuerySet[Appeal]:
    """The appeals `user` sees (`appeals_visible_to`), narrowed by `filters`, newest first, with what a row
    of the page, the export and the API shows. Overdue is judged at `now` (default: now)."""
    qs = appeals_visible_to(user).select_related("unit", "street", "village", "repeat_of")
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.category is not None:
        qs = qs.filter(category=filters.category)
    if filters.unit is not None:
        qs = qs.filter(subtree_q("unit__path", filters.unit.path))
    if filters.submitted_from is not None:
        qs = qs.filter(submitted_at__gte=filters.submitted_from)
    if filters.submitted_before is not None:
        qs = qs.filter(submitted_at__lt=filters.submitted_before)
    if filters.overdue is True:
        qs = qs.filter(overdue_q(now))
    elif filters.overdue is False:
        qs = qs.exclude(overdue_q(now))
    if filters.mine:
        qs = qs.filter(handler_id=user.pk)
    found = search_q(filters.q)
    if found is not None:
        qs = qs.filter(found)
    return qs.order_by("-submitted_at", "-id")

"""Reads of meetings, scoped by the grid's one rule: a user sees the meetings of the units under their posts,
responsibilities and grants, and the meetings they sit at or owe an action to."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from minhu.accounts.roles import Role
from minhu.core.types import Viewer
from minhu.grid.models import Unit
from minhu.meetings.models import ActionItem, AgendaItem, Attendance, Meeting

# Who runs meetings (convenes, adds items, decides, verifies, closes out) within their scope.
MANAGER_ROLES = {Role.VILLAGE_CADRE, Role.STREET_STAFF, Role.DISTRICT_STAFF}


def may_manage(user: Viewer, unit: Any) -> bool:
    """Cadres and staff whose scope covers the unit run its meetings; administrators run all."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    from minhu.grid.selectors import scope_for

    return bool(user.roles() & MANAGER_ROLES) and scope_for(user).covers_path(unit.path)


def units_for_meetings(user: Viewer) -> QuerySet[Unit]:
    """The units a user may convene a meeting for (the create form's choices)."""
    if not user.is_authenticated:
        return Unit.objects.none()
    if not (user.is_superuser or user.roles() & MANAGER_ROLES):
        return Unit.objects.none()
    from minhu.grid.selectors import units_visible_to

    return units_visible_to(user).exclude(kind=Unit.Kind.BLOCK).order_by("path")


def meetings_visible_to(user: Viewer) -> QuerySet[Meeting]:
    """Meetings of units in the user's scope, and those the user attends or owes an action to."""
    if not user.is_authenticated:
        return Meeting.objects.none()
    from minhu.grid.selectors import scope_for

    qs = Meeting.objects.select_related("type", "unit", "convener")
    scope = scope_for(user)
    if scope.everything:
        return qs
    q = Q(convener=user) | Q(pk__in=Attendance.objects.filter(user=user).values("meeting_id"))
    q |= Q(pk__in=ActionItem.objects.filter(owner=user).values("item__meeting_id"))
    if scope.paths:
        q |= scope.unit_q("unit__")
    return qs.filter(q)


def meeting_list(user: Viewer, *, state: str = "", limit: int = 100) -> list[Meeting]:
    """The list page: newest first, with the number of items and of items closed out (one query)."""
    qs = meetings_visible_to(user)
    if state:
        qs = qs.filter(state=state)
    return list(
        qs.annotate(
            n_items=Count("items", distinct=True),
            n_closed=Count("items", filter=Q(items__state=AgendaItem.State.CLOSED), distinct=True),
        ).order_by("-starts_at", "-id")[:limit]
    )


def meeting_detail(user: Viewer, pk: int) -> Meeting | None:
    """One meeting with its attendance, items and actions (four queries), or None outside the user's sight."""
    return (
        meetings_visible_to(user)
        .prefetch_related(
            "attendance",
            Prefetch(
                "items",
                queryset=AgendaItem.objects.select_related("owner", "subject_type").prefetch_related(
                    Prefetch("actions", queryset=ActionItem.objects.select_related("owner"))
                ),
            ),
        )
        .filter(pk=pk)
        .first()
    )


def actions_for(user: Viewer) -> list[ActionItem]:
    """My actions not yet verified, soonest due first, with their item and meeting (one query)."""
    if not user.is_authenticated:
        return []
    return list(
        ActionItem.objects.open()
        .filter(owner=user)
        .select_related("item__meeting__unit")
        .order_by("due_at", "id")[:200]
    )


def actions_to_verify(user: Viewer) -> list[ActionItem]:
    """Actions reported done, waiting for a verification by this manager: in meetings of units the user
    manages, not their own (an owner never verifies their own action). Oldest report first (one query)."""
    if not user.is_authenticated:
        return []
    if not (user.is_superuser or user.roles() & MANAGER_ROLES):
        return []
    from minhu.grid.selectors import scope_for

    scope = scope_for(user)
    if not (scope.everything or scope.paths):
        return []
    return list(
        ActionItem.objects.filter(state=ActionItem.State.DONE)
        .filter(scope.unit_q("item__meeting__unit__"))
        .exclude(owner=user)
        .select_related("item__meeting__unit", "owner")
        .order_by("done_at", "id")[:200]
    )

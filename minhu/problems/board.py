"""What the public board of a community shows, and the meeting facts of a problem: read from the problem
list and from the agenda items about each problem (minhu.meetings). Public text is scrubbed of anything
that looks like a phone or ID number, in case staff typed one into a title or a decision."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.utils import timezone

from minhu.core.types import Viewer
from minhu.grid.models import Unit, path_ids
from minhu.problems.models import Problem
from minhu.problems.selectors import public_problems

if TYPE_CHECKING:
    from minhu.meetings.models import Meeting

_NUMBERS = re.compile(r"\d[\d\s-]{6,}\d[Xx]?")


def scrub(text: str) -> str:
    """Public text without long digit runs (phones, ID numbers): each becomes ＊＊＊."""
    return _NUMBERS.sub("＊＊＊", text or "")


@dataclass(frozen=True)
class Decision:
    """One agenda item about a problem: the meeting, and what it decided (the party responsible by role)."""

    meeting: str
    held: date | None
    solution: str
    owner_role: str
    deadline: date | None
    state: str
    state_label: str
    item_id: int = 0
    meeting_id: int = 0


@dataclass(frozen=True)
class BoardRow:
    problem: Problem
    title: str
    decisions: list[Decision]


def _decisions(problems: list[Problem], *, public: bool) -> dict[int, list[Decision]]:
    """The agenda items about each problem, oldest first: one query for the whole list."""
    from django.contrib.contenttypes.models import ContentType

    from minhu.meetings.models import AgendaItem

    out: dict[int, list[Decision]] = {p.pk: [] for p in problems}
    if not problems:
        return out
    items = (
        AgendaItem.objects.filter(
            subject_type=ContentType.objects.get_for_model(Problem), subject_id__in=list(out)
        )
        .select_related("meeting")
        .order_by("meeting__starts_at", "number", "pk")
    )
    for item in items:
        held = item.meeting.held_at
        out[int(item.subject_id or 0)].append(
            Decision(
                meeting=scrub(item.meeting.title) if public else item.meeting.title,
                held=timezone.localtime(held).date() if held else None,
                solution=scrub(item.solution) if public else item.solution,
                owner_role=scrub(item.owner_role) if public else item.owner_role,
                deadline=item.deadline,
                state=item.state,
                state_label=str(item.get_state_display()),
                item_id=item.pk,
                meeting_id=item.meeting_id,
            )
        )
    return out


def for_problem(problem: Problem) -> list[Decision]:
    return _decisions([problem], public=False)[problem.pk]


def meetings_for(user: Viewer, problem: Problem) -> list[Meeting]:
    """The meetings not yet closed, visible to `user`, of the problem's unit or a unit above it (a street's
    joint meeting takes an estate's matter), soonest first: where the problem can go on the agenda."""
    from minhu.meetings.models import Meeting
    from minhu.meetings.selectors import meetings_visible_to

    return list(
        meetings_visible_to(user)
        .filter(unit_id__in=path_ids(problem.unit.path))
        .exclude(state=Meeting.State.CLOSED)
        .order_by("starts_at", "pk")[:20]
    )


def detail_extras(request: HttpRequest, problem: Problem) -> dict[str, Any]:
    """For the problem's page: where it can be put on an agenda, if it is open and not on one already."""
    from minhu.meetings.selectors import may_manage

    if not problem.is_open or not may_manage(request.user, problem.unit):
        return {}
    on_agenda = any(d.state != "closed" for d in for_problem(problem))
    return {
        "template": "problems/_agenda.html",
        "meetings": [] if on_agenda else meetings_for(request.user, problem),
        "on_agenda": on_agenda,
    }


def public_rows(unit: Unit) -> list[BoardRow]:
    problems = list(public_problems(unit)[:200])
    decisions = _decisions(problems, public=True)
    return [BoardRow(problem=p, title=scrub(p.title), decisions=decisions[p.pk]) for p in problems]

"""JSON API: the problem list — a community's public board (no token), and, with an `appeals:read` token,
the problems in the caller's scope with their merged appeals (tracking codes and states; callers never)."""

# No "from __future__ import annotations": django-ninja reads these annotations at import time.

from datetime import date, datetime
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from minhu.accounts.api import require_scope
from minhu.accounts.models import Scope
from minhu.core.api import PUBLIC_ERRORS, TOKEN_ERRORS, ApiError, Paged
from minhu.grid.models import Unit, subtree_q
from minhu.problems import board as board_data
from minhu.problems.models import Problem
from minhu.problems.selectors import COMMUNITY_KINDS, problems_visible_to

# Literals, not the models' TextChoices: their class names (State, Source) would clash with the appeals'
# enums in the schema's components.
ProblemState = Literal["open", "solved", "dismissed"]
ProblemSource = Literal["staff", "appeal", "insight"]

router = Router(tags=["problems"])
public = Router(tags=["public"])


class DecisionOut(Schema):
    meeting: str
    held: date | None
    solution: str
    owner_role: str = Field(description="the responsible party, by role: never a person's name")
    deadline: date | None
    state: str


class ProblemOut(Schema):
    id: int
    unit_id: int
    unit_code: str = Field(alias="unit.code")
    title: str
    description: str
    category: str | None = Field(None, alias="category.code")
    source: ProblemSource
    state: ProblemState
    appeal_count: int
    first_seen: datetime | None
    last_seen: datetime | None
    resolution: str
    closed_at: datetime | None


class MergedAppealOut(Schema):
    tracking_code: str
    channel: str
    state: str
    submitted_at: datetime


class ProblemDetailOut(ProblemOut):
    appeals: list[MergedAppealOut]
    decisions: list[DecisionOut]

    @staticmethod
    def resolve_appeals(obj: Problem) -> list[MergedAppealOut]:
        return [
            MergedAppealOut(
                tracking_code=link.appeal.tracking_code,
                channel=link.appeal.channel,
                state=link.appeal.state,
                submitted_at=link.appeal.submitted_at,
            )
            for link in obj.links.select_related("appeal").order_by("appeal__submitted_at", "pk")
        ]

    @staticmethod
    def resolve_decisions(obj: Problem) -> list[DecisionOut]:
        return [_decision(d) for d in board_data.for_problem(obj)]


class ProblemFilters(Schema):
    state: ProblemState | None = None
    unit: int | None = Field(None, description="problems of this unit and the units under it")


class BoardProblemOut(Schema):
    id: int
    title: str
    category: str | None
    state: ProblemState
    appeal_count: int
    closed_at: datetime | None
    decisions: list[DecisionOut]


class BoardOut(Schema):
    unit_code: str
    unit_name: str
    problems: list[BoardProblemOut]


@router.get("/problems", response={200: list[ProblemOut], **TOKEN_ERRORS}, summary="Problems in your scope")
@paginate(Paged)
def problems(request: HttpRequest, filters: Query[ProblemFilters]) -> QuerySet[Problem]:
    user = require_scope(request, Scope.APPEALS_READ)
    qs = problems_visible_to(user)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.unit is not None:
        unit = Unit.objects.filter(pk=filters.unit).first()
        if unit is None:
            raise ApiError(404, "not_found", _("No unit with this id in your scope."), "unit")
        qs = qs.filter(subtree_q("unit__path", unit.path))
    return qs.order_by("-last_seen", "-id")


@router.get(
    "/problems/{problem_id}",
    response={200: ProblemDetailOut, **TOKEN_ERRORS},
    summary="One problem, its merged appeals and its decisions",
)
def problem(request: HttpRequest, problem_id: int) -> Problem:
    user = require_scope(request, Scope.APPEALS_READ)
    p = problems_visible_to(user).filter(pk=problem_id).first()
    if p is None:
        raise ApiError(404, "not_found", _("No problem with this id in your scope."), "problem_id")
    return p


def _decision(d: board_data.Decision) -> DecisionOut:
    return DecisionOut(
        meeting=d.meeting,
        held=d.held,
        solution=d.solution,
        owner_role=d.owner_role,
        deadline=d.deadline,
        state=d.state,
    )


@public.get(
    "/boards/{unit_code}",
    response={200: BoardOut, **PUBLIC_ERRORS},
    auth=None,
    summary="A community's public problem board (no personal data)",
)
def public_board(request: HttpRequest, unit_code: str) -> BoardOut:
    unit = Unit.objects.filter(code=unit_code, kind__in=COMMUNITY_KINDS).first()
    if unit is None:
        raise ApiError(404, "not_found", _("No village, community or estate with this code."), "unit_code")
    return BoardOut(
        unit_code=unit.code,
        unit_name=unit.name,
        problems=[
            BoardProblemOut(
                id=r.problem.pk,
                title=r.title,
                category=r.problem.category.name if r.problem.category else None,
                state=r.problem.state,  # type: ignore[arg-type]
                appeal_count=r.problem.appeal_count,
                closed_at=r.problem.closed_at,
                decisions=[_decision(d) for d in r.decisions],
            )
            for r in board_data.public_rows(unit)
        ],
    )

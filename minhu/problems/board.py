"""What the public board of a community shows, and the meeting facts of a problem: read from the problem
list and from the agenda items about each problem (minhu.meetings). Public text is scrubbed of anything
that looks like a phone or ID number, in case staff typed one into a title or a decision."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.http import HttpRequest

from minhu.grid.models import Unit
from minhu.problems.models import Problem
from minhu.problems.selectors import public_problems

_NUMBERS = re.compile(r"\d[\d\s-]{6,}\d[Xx]?")


def scrub(text: str) -> str:
    """Public text without long digit runs (phones, ID numbers): each becomes ＊＊＊."""
    return _NUMBERS.sub("＊＊＊", text or "")


@dataclass(frozen=True)
class Decision:
    meeting: str
    held: date | None
    solution: str
    owner_role: str
    deadline: date | None
    state: str
    state_label: str


@dataclass(frozen=True)
class BoardRow:
    problem: Problem
    title: str
    decisions: list[Decision]


def _decisions(problems: list[Problem], *, public: bool) -> dict[int, list[Decision]]:
    return {p.pk: [] for p in problems}


def for_problem(problem: Problem) -> list[Decision]:
    return _decisions([problem], public=False)[problem.pk]


def detail_extras(request: HttpRequest, problem: Problem) -> dict[str, Any]:
    return {}


def public_rows(unit: Unit) -> list[BoardRow]:
    problems = list(public_problems(unit)[:200])
    decisions = _decisions(problems, public=True)
    return [BoardRow(problem=p, title=scrub(p.title), decisions=decisions[p.pk]) for p in problems]

"""Reads of the problem list. Every list takes the user and applies the grid's scope rule; the public board
reads only what may be shown to anyone (no names, no phone numbers)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from minhu.accounts.roles import Role
from minhu.appeals.models import Appeal, State
from minhu.core.textsim import SUGGEST_THRESHOLD, Corpus
from minhu.core.types import Viewer
from minhu.grid.models import Unit, path_ids, subtree_q
from minhu.grid.selectors import scope_for
from minhu.problems.models import Problem

MANAGER_ROLES = {Role.VILLAGE_CADRE, Role.STREET_STAFF, Role.DISTRICT_STAFF}
# Where a problem list is kept: a village or community, or an estate run with its property company's party
# branch (the seed's 泮江翡翠城) — the lowest of these a unit lies in.
COMMUNITY_KINDS = (Unit.Kind.VILLAGE, Unit.Kind.COMMUNITY, Unit.Kind.ESTATE)
# How far back open appeals are compared with a new one, and how many at most (the newest).
SIMILAR_DAYS = 90
SIMILAR_POOL = 400
# Same grid or block, and same category, lift a text match in the ordering (never past the threshold).
PLACE_WEIGHT = 0.5
CATEGORY_WEIGHT = 0.25


def community_of(unit: Unit) -> Unit | None:
    """The estate, village or community `unit` lies in, the lowest of them (itself if it is one); None
    above that level."""
    if unit.kind in COMMUNITY_KINDS:
        return unit
    return Unit.objects.filter(pk__in=path_ids(unit.path), kind__in=COMMUNITY_KINDS).order_by("-path").first()


def can_manage(user: Viewer, unit: Unit) -> bool:
    """Village and community cadres, street and district staff, within their scope, keep the list."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(user.roles() & MANAGER_ROLES) and scope_for(user).covers_path(unit.path)


def problems_visible_to(user: Viewer) -> QuerySet[Problem]:
    """Problems of the communities in the user's unit scope (residents: none; they read the public board)."""
    qs = Problem.objects.select_related("unit", "category")
    if not user.is_authenticated:
        return qs.none()
    scope = scope_for(user)
    if scope.everything:
        return qs
    if not scope.paths:
        return qs.none()
    # a post at a grid or an estate sees the problems of its community too (they are about its streets)
    return qs.filter(scope.unit_q("unit__") | Q(pk__in=_problems_above(scope.paths)))


def _problems_above(paths: tuple[str, ...]) -> Any:
    communities = [pk for p in paths for pk in path_ids(p)]
    return Problem.objects.filter(unit_id__in=communities).values("pk")


def communities_visible_to(user: Viewer) -> QuerySet[Unit]:
    scope = scope_for(user)
    qs = Unit.objects.filter(kind__in=COMMUNITY_KINDS)
    if scope.everything:
        return qs
    if not scope.paths:
        return qs.none()
    return qs.filter(scope.unit_q() | Q(pk__in=[pk for p in scope.paths for pk in path_ids(p)]))


@dataclass
class Row:
    """A problem with what the list shows about it."""

    problem: Problem
    channels: dict[str, int] = field(default_factory=dict)
    trend: list[int] = field(default_factory=list)  # appeals per month, oldest first


def month_starts(now: datetime, months: int) -> list[datetime]:
    local = timezone.localtime(now)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = [first]
    for _i in range(months - 1):
        prev = (starts[-1] - timedelta(days=1)).replace(day=1)
        starts.append(prev)
    return list(reversed(starts))


def with_figures(problems: list[Problem], *, months: int = 6, now: datetime | None = None) -> list[Row]:
    """Channels and the monthly trend of each problem's appeals: two grouped queries for the whole page."""
    rows = [Row(problem=p) for p in problems]
    if not rows:
        return rows
    ids = [p.pk for p in problems]
    by_id = {r.problem.pk: r for r in rows}
    linked = Appeal.objects.filter(problem_link__problem_id__in=ids)
    for pid, channel, n in linked.values_list("problem_link__problem_id", "channel").annotate(n=Count("pk")):
        by_id[pid].channels[channel] = n
    starts = month_starts(now or timezone.now(), months)
    counts: dict[int, dict[Any, int]] = defaultdict(dict)
    for pid, month, n in (
        linked.filter(submitted_at__gte=starts[0])
        .annotate(month=TruncMonth("submitted_at"))
        .values_list("problem_link__problem_id", "month")
        .annotate(n=Count("pk"))
    ):
        counts[pid][timezone.localtime(month).date() if isinstance(month, datetime) else month] = n
    for r in rows:
        r.trend = [counts[r.problem.pk].get(s.date(), 0) for s in starts]
    return rows


def problem_list(
    user: Viewer, *, unit: Unit | None = None, state: str = "", query: str = ""
) -> QuerySet[Problem]:
    qs = problems_visible_to(user)
    if unit is not None:
        qs = qs.filter(subtree_q("unit__path", unit.path))
    if state:
        qs = qs.filter(state=state)
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(description__icontains=query))
    return qs.order_by("state", "-last_seen", "-pk")


def public_problems(unit: Unit) -> QuerySet[Problem]:
    """What the public board of a community lists: its problems and its estates', open first, without
    dismissed ones."""
    return (
        Problem.objects.filter(subtree_q("unit__path", unit.path))
        .exclude(state=Problem.State.DISMISSED)
        .select_related("category")
        .order_by("state", "-last_seen", "-pk")
    )


# --- similar appeals and problems ----------------------------------------------------------------------


@dataclass(frozen=True)
class Similar:
    score: float
    appeal: Appeal | None = None
    problem: Problem | None = None


def _problem_text(p: Problem) -> str:
    return f"{p.title} {p.description}"


def similar_to(
    user: Viewer,
    *,
    text: str,
    unit: Unit | None,
    category_id: int | None = None,
    exclude: Appeal | None = None,
    now: datetime | None = None,
    limit: int = 5,
) -> list[Similar]:
    """Open appeals (of the last SIMILAR_DAYS days, not yet on the list) and open problems of the same
    community whose text is like `text` (character-bigram TF-IDF, `minhu.core.textsim`), best first. The
    text must pass the threshold on its own; the same grid or block and the same category then lift a match
    in the order. Only what `user` may see is compared."""
    if unit is None or not text.strip():
        return []
    community = community_of(unit)
    if community is None:
        return []
    from minhu.appeals.selectors import appeals_visible_to

    since = (now or timezone.now()) - timedelta(days=SIMILAR_DAYS)
    appeals_qs = (
        appeals_visible_to(user)
        .filter(
            subtree_q("unit__path", community.path),
            submitted_at__gte=since,
            state__in=[State.SUBMITTED, State.DISPATCHED, State.RESPONDED, State.IN_PROGRESS, State.RESOLVED],
            problem_link__isnull=True,
        )
        .order_by("-submitted_at")
    )
    if exclude is not None:
        appeals_qs = appeals_qs.exclude(pk=exclude.pk)
    appeals = list(appeals_qs[:SIMILAR_POOL])
    problems = list(problems_visible_to(user).filter(unit=community, state=Problem.State.OPEN)[:SIMILAR_POOL])
    texts = [a.description for a in appeals] + [_problem_text(p) for p in problems]
    if not texts:
        return []
    corpus = Corpus(texts)
    found: list[Similar] = []
    for match in corpus.similar(text, threshold=SUGGEST_THRESHOLD, limit=len(texts)):
        if match.index < len(appeals):
            a = appeals[match.index]
            lift = (
                1 + PLACE_WEIGHT * (a.unit_id == unit.pk) + CATEGORY_WEIGHT * (a.category_id == category_id)
            )
            found.append(Similar(score=match.score * lift, appeal=a))
        else:
            p = problems[match.index - len(appeals)]
            lift = 1 + CATEGORY_WEIGHT * (p.category_id == category_id and category_id is not None)
            found.append(Similar(score=match.score * lift, problem=p))
    found.sort(key=lambda s: -s.score)
    return found[:limit]

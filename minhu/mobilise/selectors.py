"""Reads of call-outs and care visits. Every list takes the user and applies the grid's one scope rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.accounts.models import User
from minhu.accounts.roles import Role
from minhu.core.types import Viewer
from minhu.grid.models import Household, PartyMember, Person, Responsibility, Unit, subtree_q
from minhu.grid.selectors import REVEAL_ROLES, Scope, answering_chain, scope_for
from minhu.mobilise.models import (
    CARE_FLAGS,
    CallOut,
    CallOutMember,
    CallOutQuerySet,
    CallOutTarget,
    CarePlan,
    CareVisit,
    ProgressReport,
)

# Who raises and runs call-outs and sets care plans: village cadres and above, within their scope.
ORGANISER_ROLES = {Role.VILLAGE_CADRE, Role.STREET_STAFF, Role.DISTRICT_STAFF}

# The chain a missed visit climbs, above the household's own 包户 party member.
CHAIN_ROLES = (
    Responsibility.Role.GROUP_LEADER,
    Responsibility.Role.COMMITTEE_MEMBER,
    Responsibility.Role.STREET_LEADER,
)
# Who is told of a missed visit: the household's 包户 party member, then the chain above it.
CARE_ROLES = (Responsibility.Role.PARTY_MEMBER, *CHAIN_ROLES)

CARE_LABEL = _("Care household")


def _is_organiser(user: Viewer) -> bool:
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser) or bool(user.roles() & ORGANISER_ROLES)


def _unit_path(unit_id: int) -> str:
    return str(Unit.objects.values_list("path", flat=True).get(pk=unit_id))


def household_path(household: Household) -> str:
    """The path of the household's unit, without a query when the unit is already loaded."""
    if Household.unit.is_cached(household):
        return household.unit.path
    return _unit_path(household.unit_id)


# --- call-outs -----------------------------------------------------------------------------------------


def units_for_callouts(user: Viewer) -> QuerySet[Unit]:
    """The units a user may raise a call-out for: those of their unit scope, if they are an organiser."""
    if not _is_organiser(user):
        return Unit.objects.none()
    scope = scope_for(user)
    if not scope.everything and not scope.paths:
        return Unit.objects.none()
    return Unit.objects.filter(scope.unit_q()).order_by("path")


def can_raise(user: Viewer, unit: Unit) -> bool:
    """Village cadres and above raise call-outs for units in their scope."""
    return _is_organiser(user) and scope_for(user).covers_path(unit.path or _unit_path(unit.pk))


def can_manage(user: Viewer, callout: CallOut) -> bool:
    """The organiser, and organisers whose scope covers the call-out's unit, run it (tasks, answers taken on
    the phone, reports for the squad, closing)."""
    if not user.is_authenticated:
        return False
    if not _is_organiser(user):
        return False
    path = callout.unit.path if CallOut.unit.is_cached(callout) else _unit_path(callout.unit_id)
    return callout.organiser_id == user.pk or scope_for(user).covers_path(path)


def callouts_visible_to(user: Viewer) -> CallOutQuerySet:
    """Call-outs a user sees: those they organise, those they are on the roster of, and those of units in
    their unit scope. Anything else is a 404 on the pages."""
    qs = CallOut.objects.select_related("unit", "organiser")
    if not user.is_authenticated:
        return qs.none()
    scope = scope_for(user)
    if scope.everything:
        return qs
    q = Q(organiser=user) | Q(pk__in=CallOutMember.objects.filter(user=user).values("callout_id"))
    if scope.paths:
        q |= scope.unit_q("unit__")
    return qs.filter(q)


def party_members_in(unit: Unit, on: date | None = None) -> QuerySet[PartyMember]:
    """The party members of a unit's subtree: those who live there, those registered there (双报到), and
    those who answer for a unit or household there (包保) — once each, with their person and login."""
    day = on or timezone.localdate()
    resp = Responsibility.objects.active(day).filter(subtree_q("unit__path", unit.path))
    q = (
        subtree_q("person__household__unit__path", unit.path)
        | subtree_q("registered_unit__path", unit.path)
        | Q(person_id__in=resp.filter(person__isnull=False).values("person_id"))
        | Q(person__user_id__in=resp.filter(user__isnull=False).values("user_id"))
    )
    return PartyMember.objects.filter(q).select_related("person__user").order_by("person__name", "pk")


def roster(callout: CallOut) -> list[CallOutMember]:
    """The roster: coming first, then no answer yet, then cannot come; by name."""
    order: dict[str, int] = {
        CallOutMember.Answer.ACCEPTED: 0,
        CallOutMember.Answer.INVITED: 1,
        CallOutMember.Answer.DECLINED: 2,
    }
    members: list[CallOutMember] = list(
        CallOutMember.objects.filter(callout=callout)
        .select_related("party_member__person", "user")
        .annotate(
            n_reports=Count("reports", distinct=True),
            hours=Sum("reports__hours"),
        )
    )
    members.sort(key=lambda m: (order[m.answer], m.party_member.person.name, m.pk))
    return members


def membership(user: Viewer, callout: CallOut) -> CallOutMember | None:
    """The user's own row on the call-out's roster, if any."""
    if not user.is_authenticated:
        return None
    return (
        CallOutMember.objects.filter(callout=callout, user=user)
        .select_related("party_member__person")
        .first()
    )


@dataclass(frozen=True)
class TargetFigure:
    name: str
    unit_label: str
    goal: Decimal
    achieved: Decimal

    @property
    def percent(self) -> int:
        return int(self.achieved * 100 / self.goal) if self.goal else 0


@dataclass(frozen=True)
class Figures:
    """A call-out's numbers: the live page shows them, closing freezes them into the summary."""

    invited: int
    accepted: int
    declined: int
    no_answer: int
    head_count: int
    names: list[str]
    hours: Decimal
    reports: int
    tasks: int
    tasks_done: int
    targets: list[TargetFigure]
    first_work_on: date | None
    last_work_on: date | None


def callout_figures(callout: CallOut) -> Figures:
    """Who answered, hours, reports, tasks and each target's progress, from the rows (four queries)."""
    answers = dict(
        CallOutMember.objects.filter(callout=callout)
        .values_list("answer")
        .annotate(n=Count("pk"))
        .values_list("answer", "n")
    )
    # sorted here, not by the database: the same order (code points) on SQLite and PostgreSQL
    names = sorted(
        CallOutMember.objects.filter(callout=callout, answer=CallOutMember.Answer.ACCEPTED).values_list(
            "party_member__person__name", flat=True
        )
    )
    reports = ProgressReport.objects.filter(callout=callout).aggregate(
        n=Count("pk"),
        hours=Sum("hours"),
        first=Min("worked_on"),
        last=Max("worked_on"),
    )
    tasks = callout.tasks.aggregate(n=Count("pk"), done=Count("pk", filter=Q(done=True)))
    targets = [
        TargetFigure(name=t.name, unit_label=t.unit_label, goal=t.goal, achieved=t.progress)
        for t in CallOutTarget.objects.filter(callout=callout).order_by("position", "pk")
    ]
    invited = sum(answers.values())
    return Figures(
        invited=invited,
        accepted=answers.get(CallOutMember.Answer.ACCEPTED, 0),
        declined=answers.get(CallOutMember.Answer.DECLINED, 0),
        no_answer=answers.get(CallOutMember.Answer.INVITED, 0),
        head_count=callout.head_count,
        names=names,
        hours=reports["hours"] or Decimal(0),
        reports=reports["n"],
        tasks=tasks["n"],
        tasks_done=tasks["done"],
        targets=targets,
        first_work_on=reports["first"],
        last_work_on=reports["last"],
    )


def recent_reports(callout: CallOut, limit: int = 20) -> list[ProgressReport]:
    return list(
        ProgressReport.objects.filter(callout=callout)
        .select_related("member__party_member__person", "reported_by")
        .prefetch_related("amounts__target")
        .order_by("-reported_at", "-id")[:limit]
    )


# --- care visits ---------------------------------------------------------------------------------------


def grace_days() -> int:
    """Working days after a visit falls due before the first escalation, and between further levels (at
    least 1)."""
    return max(1, int(settings.CARE_VISIT_GRACE_DAYS))


def _baohu_q(user: Viewer) -> Q:
    return Q(user=user) | Q(person__user=user)


def visits_due_for(user: Viewer) -> list[CarePlan]:
    """My visits due: the active plans of the households I answer for (包户), soonest due first."""
    if not user.is_authenticated:
        return []
    households = (
        Responsibility.objects.active()
        .filter(_baohu_q(user), role=Responsibility.Role.PARTY_MEMBER, household__isnull=False)
        .values("household_id")
    )
    return list(
        CarePlan.objects.active()
        .filter(household_id__in=households)
        .select_related("household__unit")
        .order_by("due_on", "pk")
    )


def care_plans_visible_to(user: Viewer) -> QuerySet[CarePlan]:
    """Active plans of the households in the user's scope."""
    scope = scope_for(user)
    return (
        CarePlan.objects.active().filter(scope.household_q("household__")).select_related("household__unit")
    )


def care_overview(user: Viewer, root: Unit | None = None) -> list[CarePlan]:
    """For staff: the plans of their unit scope (under `root`), soonest due first, each with its 包户
    holders (`baohu`, a list of names; empty when nobody answers for the household)."""
    scope = scope_for(user)
    if not scope.everything and not scope.paths:
        return []
    qs = CarePlan.objects.active().filter(scope.unit_q("household__unit__")).select_related("household__unit")
    if root is not None:
        qs = qs.filter(subtree_q("household__unit__path", root.path))
    plans = list(qs.order_by("due_on", "pk")[:500])
    holders: dict[int, list[str]] = {}
    for r in (
        Responsibility.objects.active()
        .filter(household_id__in=[p.household_id for p in plans], role=Responsibility.Role.PARTY_MEMBER)
        .select_related("person", "user")
    ):
        holders.setdefault(r.household_id or 0, []).append(r.holder_label())
    for p in plans:
        p.baohu = holders.get(p.household_id, [])  # type: ignore[attr-defined]
    return plans


def can_visit(user: Viewer, household: Household) -> bool:
    """The household's 包户 party member, and anyone whose unit scope covers it (the chain above, cadres),
    may record a visit; a resident of the household may not."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if (
        Responsibility.objects.active()
        .filter(_baohu_q(user), household=household, role=Responsibility.Role.PARTY_MEMBER)
        .exists()
    ):
        return True
    scope = scope_for(user)
    return bool(scope.paths) and scope.covers_path(household_path(household))


def can_manage_care(user: Viewer, household: Household) -> bool:
    """Village cadres and above set and end care plans of households in their unit scope."""
    return _is_organiser(user) and scope_for(user).covers_path(household_path(household))


def reveal_scope(user: Viewer) -> Scope | None:
    """The scope in which `user` may see the reasons for care (the grid's reveal rule, `can_reveal`: a
    superuser, or a cadre of a reveal role within their unit scope); None if nowhere."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Scope(everything=True)
    if not user.roles() & REVEAL_ROLES:
        return None
    scope = scope_for(user)
    return Scope(paths=scope.paths)  # unit scope only: not merely a 包户 or one's own household


def can_see_reason(user: Viewer, household: Household) -> bool:
    """The reason for care is a sensitive category: only where the grid lets the user reveal it."""
    scope = reveal_scope(user)
    return scope is not None and scope.covers_path(household_path(household))


def care_reasons_for(plans: list[CarePlan]) -> dict[int, list[str]]:
    """Why each household is cared for: its members' care categories and the plan's note (one query).
    Sensitive: only for those `can_see_reason` allows, through the recorded reveal (`care_reveal`)."""
    by_household: dict[int, list[str]] = {p.household_id: [] for p in plans}
    people = Person.objects.filter(household_id__in=list(by_household)).order_by(
        "household", "-is_head", "name"
    )
    for person in people:
        for f in CARE_FLAGS:
            if getattr(person, f):
                field_name = Person._meta.get_field(f).verbose_name  # type: ignore[union-attr]
                label = f"{person.name}: {field_name}"
                by_household[person.household_id or 0].append(label)
    return {p.pk: [*by_household[p.household_id], *([p.note] if p.note else [])] for p in plans}


def household_visits(household: Household, limit: int = 50) -> list[CareVisit]:
    return list(
        CareVisit.objects.filter(household=household)
        .select_related("visitor")
        .order_by("-visited_at", "-id")[:limit]
    )


@dataclass
class Level:
    """One level a missed visit climbs: who answers there (a role, a unit, their responsibilities) and their
    active logins (`logins`, from the grid's answering chain)."""

    number: int
    role: str
    unit: Unit | None
    responsibilities: list[Responsibility] = field(default_factory=list)
    logins: tuple[User, ...] = ()

    def users(self) -> list[User]:
        """The logins to tell, once each (a person's linked login, or the responsibility's own)."""
        return list(self.logins)

    def holders(self) -> list[str]:
        return [r.holder_label() for r in self.responsibilities]


def care_levels(household: Household, on: date | None = None) -> list[Level]:
    """The levels a missed visit to `household` climbs: its 包户 party member, then the party-group leader
    (包块), the committee member (包片) and the street leader (包村) — skipping a level where nobody answers
    (属地兜底: the next one up answers instead). The grid's answering chain with the care roles (three
    queries)."""
    return [
        Level(
            number=number,
            role=answerer.responsibilities[0].role,
            unit=answerer.unit,
            responsibilities=list(answerer.responsibilities),
            logins=answerer.users,
        )
        for number, answerer in enumerate(answering_chain(household, roles=CARE_ROLES, on=on), start=1)
    ]


def flag_for(plan: CarePlan, today: date) -> str:
    """overdue (past due) / due-soon (today or within two days) / '' for the due lists."""
    if plan.due_on < today:
        return "overdue"
    if plan.due_on <= today + timedelta(days=2):
        return "due-soon"
    return ""


def now_local() -> datetime:
    return timezone.localtime()

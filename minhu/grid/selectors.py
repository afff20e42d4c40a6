"""Reads of the grid. Every selector that returns rows takes the user and applies the one scope rule:

- a superuser sees everything;
- a login sees the subtrees of the units where it holds an active post, an active responsibility (as the
  login itself or as the person linked to it) or an explicit, unexpired scope grant — district staff hold a
  post at their district and so see all of it;
- a 包户 responsibility adds only its household, not the whole block;
- a resident (a person linked to the login) sees their own household.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from minhu.accounts.models import User
from minhu.accounts.roles import Role
from minhu.core.types import Viewer
from minhu.grid.models import (
    Cadre,
    Household,
    Person,
    Post,
    Responsibility,
    ScopeGrant,
    Term,
    Unit,
    path_ids,
    subtree_q,
)

# Roles whose work needs full contact data and the sensitive categories (within their scope).
REVEAL_ROLES = {Role.VILLAGE_CADRE, Role.STREET_STAFF, Role.DISTRICT_STAFF}

# The role expected to answer for a unit of each kind (属地: the level's own responsible person).
EXPECTED_ROLE: dict[str, str] = {
    Unit.Kind.VILLAGE: Responsibility.Role.STREET_LEADER,
    Unit.Kind.COMMUNITY: Responsibility.Role.STREET_LEADER,
    Unit.Kind.ESTATE: Responsibility.Role.COMMITTEE_MEMBER,
    Unit.Kind.AREA: Responsibility.Role.COMMITTEE_MEMBER,
    Unit.Kind.BLOCK: Responsibility.Role.GROUP_LEADER,
}


@dataclass(frozen=True)
class Scope:
    """What a login may see: everything, or the subtrees under `paths` plus single `households`."""

    everything: bool = False
    paths: tuple[str, ...] = ()
    households: frozenset[int] = frozenset()

    def unit_q(self, prefix: str = "") -> Q:
        if self.everything:
            return Q()
        return subtree_q(f"{prefix}path", *self.paths)

    def household_q(self, prefix: str = "") -> Q:
        if self.everything:
            return Q()
        return subtree_q(f"{prefix}unit__path", *self.paths) | Q(**{f"{prefix}pk__in": self.households})

    def covers_path(self, path: str) -> bool:
        return self.everything or any(path.startswith(p) for p in self.paths)


def scope_for(user: Viewer, on: date | None = None) -> Scope:
    """The scope of `user` (cached on the user object for the request). Three queries at most."""
    if not user.is_authenticated:
        return Scope()
    cached: Scope | None = getattr(user, "_grid_scope", None)
    if cached is not None and on is None:
        return cached
    if user.is_superuser:
        scope = Scope(everything=True)
    else:
        day = on or timezone.localdate()
        live = Q(end__isnull=True) | Q(end__gt=day)
        unit_ids = set(Post.objects.filter(live, user=user, start__lte=day).values_list("unit_id", flat=True))
        unit_ids |= set(
            ScopeGrant.objects.filter(Q(until__isnull=True) | Q(until__gt=day), user=user).values_list(
                "unit_id", flat=True
            )
        )
        households: set[int] = set()
        for unit_id, household_id in (
            Responsibility.objects.active(day)
            .filter(Q(user=user) | Q(person__user=user))
            .values_list("unit_id", "household_id")
        ):
            if household_id is None:
                unit_ids.add(unit_id)
            else:
                households.add(household_id)
        own = Person.objects.filter(user=user, household__isnull=False).values_list("household_id", flat=True)
        households |= set(own)
        paths = tuple(Unit.objects.filter(pk__in=unit_ids).values_list("path", flat=True)) if unit_ids else ()
        scope = Scope(paths=paths, households=frozenset(households))
    if on is None:
        setattr(user, "_grid_scope", scope)  # noqa: B010 (an attribute User does not declare: the request's cache)
    return scope


def users_with_scope_over(unit: Unit, on: date | None = None) -> QuerySet[User]:
    """The logins whose scope (as `scope_for` computes it) covers `unit`: superusers, and holders of an
    active post, an active unit-level responsibility (as the login or its linked person) or an unexpired
    grant at the unit or one of its ancestors. A 包户 responsibility covers a household, not a unit, so it
    does not count. One query (the sources are subqueries)."""
    day = on or timezone.localdate()
    ids = path_ids(unit.path)
    live = Q(end__isnull=True) | Q(end__gt=day)
    posts = Post.objects.filter(live, unit_id__in=ids, start__lte=day).values("user_id")
    grants = ScopeGrant.objects.filter(Q(until__isnull=True) | Q(until__gt=day), unit_id__in=ids).values(
        "user_id"
    )
    active = Responsibility.objects.active(day).filter(unit_id__in=ids, household__isnull=True)
    as_login = active.filter(user__isnull=False).values("user_id")
    as_person = active.filter(person__user__isnull=False).values("person__user_id")
    return User.objects.filter(
        Q(is_superuser=True) | Q(pk__in=posts) | Q(pk__in=grants) | Q(pk__in=as_login) | Q(pk__in=as_person)
    )


def units_visible_to(user: Viewer) -> QuerySet[Unit]:
    """The units `user` sees and acts on (their subtrees; a resident sees none)."""
    return Unit.objects.filter(scope_for(user).unit_q())


def households_visible_to(user: Viewer) -> QuerySet[Household]:
    return Household.objects.filter(scope_for(user).household_q()).select_related("unit")


def people_visible_to(user: Viewer) -> QuerySet[Person]:
    scope = scope_for(user)
    if scope.everything:
        return Person.objects.all()
    # People outside a household (cadres from elsewhere) are visible only to those who see everything.
    return Person.objects.filter(scope.household_q("household__"))


def tree_roots(user: Viewer) -> list[Unit]:
    """The top units of the user's scope, for the tree browser."""
    scope = scope_for(user)
    if scope.everything:
        return list(Unit.objects.filter(parent__isnull=True).order_by("name"))
    return list(Unit.objects.filter(path__in=scope.paths).order_by("path"))


def unit_children(user: Viewer, unit: Unit) -> list[Unit]:
    return list(
        units_visible_to(user)
        .filter(parent=unit)
        .annotate(n_households=Count("households"))
        .order_by("code", "name")
    )


def can_reveal(user: Viewer, person: Person) -> bool:
    """True if `user` may see `person`'s full phone, ID number and sensitive categories: a superuser, or a
    cadre (village or above) whose unit scope — not merely a 包户 or their own household — covers the
    person's household."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if not any(user.has_role(r) for r in REVEAL_ROLES):
        return False
    if person.household_id is None:
        return False
    path = Unit.objects.filter(households=person.household_id).values_list("path", flat=True).get()
    return scope_for(user).covers_path(path)


def can_import(user: Viewer) -> bool:
    """Lists are imported by cadres (village and above) and administrators, into their own scope."""
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser) or any(user.has_role(r) for r in REVEAL_ROLES)


# --- the chain -----------------------------------------------------------------------------------

# The levels of the chain (the catalogue's handling levels), lowest first, and the unit kinds of each.
LEVELS: dict[str, tuple[str, ...]] = {
    "household": (),
    "block": (Unit.Kind.BLOCK,),
    "area": (Unit.Kind.AREA, Unit.Kind.ESTATE),
    "village": (Unit.Kind.VILLAGE, Unit.Kind.COMMUNITY),
    "street": (Unit.Kind.STREET,),
    "district": (Unit.Kind.DISTRICT,),
}
LEVEL_ORDER = list(LEVELS)

# Within one level of the chain, who answers first.
ROLE_PREFERENCE = [
    Responsibility.Role.PARTY_MEMBER,
    Responsibility.Role.GROUP_LEADER,
    Responsibility.Role.COMMITTEE_MEMBER,
    Responsibility.Role.STREET_LEADER,
    Responsibility.Role.GRID_MEMBER,
    Responsibility.Role.FOUR_FIRST_SECRETARY,
    Responsibility.Role.FOUR_STREET_SECRETARY,
    Responsibility.Role.FOUR_PAIRED_DEPARTMENT,
    Responsibility.Role.FOUR_DISTRICT_LEADER,
]
_ROLE_RANK: dict[str, int] = {role: i for i, role in enumerate(ROLE_PREFERENCE)}


@dataclass
class ChainLink:
    """One level of the chain: a unit (or the household) and who answers for it there."""

    unit: Unit | None
    household: Household | None
    responsibilities: list[Responsibility] = field(default_factory=list)


def responsible_chain(target: Household | Unit, on: date | None = None) -> list[ChainLink]:
    """Who answers for `target`, level by level, from the household (包户) up to the district: always
    three queries (the target's unit, its ancestors, and every active responsibility of them with its person
    and the logins), whatever the depth. A household's own link holds only its 包户 responsibilities."""
    day = on or timezone.localdate()
    household = target if isinstance(target, Household) else None
    unit_id = target.unit_id if isinstance(target, Household) else target.pk
    path = Unit.objects.values_list("path", flat=True).get(pk=unit_id)
    ids = path_ids(path)
    units = {u.pk: u for u in Unit.objects.filter(pk__in=ids)}
    resp_q = Q(household__isnull=True)
    if household is not None:
        resp_q |= Q(household=household)
    resps = (
        Responsibility.objects.active(day)
        .filter(resp_q, unit_id__in=ids)
        .select_related("person__user", "user")
        .order_by("role", "start", "pk")
    )
    by_unit: dict[int, list[Responsibility]] = {i: [] for i in ids}
    own: list[Responsibility] = []
    for r in resps:
        (own if r.household_id is not None else by_unit[r.unit_id]).append(r)
    chain = [ChainLink(unit=units[i], household=None, responsibilities=by_unit[i]) for i in reversed(ids)]
    if household is not None:
        chain.insert(0, ChainLink(unit=None, household=household, responsibilities=own))
    return chain


def level_of(link: ChainLink) -> str:
    """The level (a key of LEVELS) of a link of the chain."""
    if link.household is not None or link.unit is None:
        return "household"
    for level, kinds in LEVELS.items():
        if link.unit.kind in kinds:
            return level
    return "district"


def responsibility_login(responsibility: Responsibility) -> User | None:
    """The login through which a responsibility answers: its own login, or else its person's linked one;
    None if there is none or it is inactive. Reads only what `responsible_chain` loaded."""
    if responsibility.user_id is not None:
        user: User | None = responsibility.user
    elif responsibility.person_id is not None and responsibility.person is not None:
        user = responsibility.person.user
    else:
        user = None
    return user if user is not None and user.is_active else None


@dataclass(frozen=True)
class Answerer:
    """One level of the answering chain: its level (a key of LEVELS), its link (the unit, or the household
    for 包户), who answers there by ROLE_PREFERENCE (then by start), and their active logins, once each in
    that order."""

    level: str
    unit: Unit | None
    household: Household | None
    responsibilities: tuple[Responsibility, ...]
    users: tuple[User, ...]

    @property
    def user(self) -> User | None:
        """The login who answers first at this level."""
        return self.users[0] if self.users else None

    @property
    def where(self) -> str:
        """The household's door number or the unit's name."""
        if self.household is not None:
            return self.household.number
        return self.unit.name if self.unit is not None else ""


def answering_chain(
    target: Household | Unit,
    *,
    from_level: str = "household",
    roles: Collection[str] | None = None,
    on: date | None = None,
) -> list[Answerer]:
    """Who answers for `target`, level by level from `from_level` (a key of LEVELS; an unknown one counts as
    the household) up to the district, as responsibilities and logins (each by `responsibility_login`, the
    one definition of "responsibility → login"). Only responsibilities of `roles` (all by default) count, and
    a level where none is in force is left out (属地兜底: the next one up answers instead); a level whose
    responsibilities have no active login is kept, with no users. Three queries (`responsible_chain`'s),
    whatever the depth."""
    start = LEVEL_ORDER.index(from_level) if from_level in LEVEL_ORDER else 0
    chain: list[Answerer] = []
    for link in responsible_chain(target, on=on):
        level = level_of(link)
        if LEVEL_ORDER.index(level) < start:
            continue
        resps = sorted(
            (r for r in link.responsibilities if roles is None or r.role in roles),
            key=lambda r: _ROLE_RANK.get(r.role, len(_ROLE_RANK)),
        )
        if not resps:
            continue
        users: dict[int, User] = {}
        for r in resps:
            user = responsibility_login(r)
            if user is not None:
                users.setdefault(user.pk, user)
        chain.append(
            Answerer(
                level=level,
                unit=link.unit,
                household=link.household,
                responsibilities=tuple(resps),
                users=tuple(users.values()),
            )
        )
    return chain


def chain_handlers(
    target: Household | Unit, from_level: str = "household", on: date | None = None
) -> list[tuple[User, Answerer]]:
    """The first login of each level of the answering chain from `from_level` up, with its level; a level
    whose first login already answers lower down is passed over. The first is the handler, the rest are
    where escalation goes."""
    found: list[tuple[User, Answerer]] = []
    for answerer in answering_chain(target, from_level=from_level, on=on):
        user = answerer.user
        if user is not None and all(user.pk != u.pk for u, _a in found):
            found.append((user, answerer))
    return found


def logins_answering_under(unit: Unit, on: date | None = None) -> QuerySet[User]:
    """The active logins answering (`responsibility_login`) for `unit` or anything under it, down to a
    household's 包户 party member. One query when evaluated; composable as a subquery."""
    day = on or timezone.localdate()
    logins = (
        Responsibility.objects.active(day)
        .filter(subtree_q("unit__path", unit.path))
        .annotate(login=Coalesce("user_id", "person__user_id"))
        .values("login")
    )
    return User.objects.filter(pk__in=logins, is_active=True)


# --- coverage (属地兜底) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """A unit with no active responsible person at its level, and who answers instead."""

    unit: Unit
    fallback_unit: Unit | None
    fallback: tuple[Responsibility, ...]


def coverage_gaps(user: Viewer, root: Unit | None = None, on: date | None = None) -> list[Gap]:
    """Units in the user's scope (under `root` if given) of the kinds that should have someone answering for
    them (village/community, estate, area, block) but have no active unit-level responsibility; each with
    its fallback: the nearest ancestor that has one (属地兜底). Three queries whatever the size."""
    day = on or timezone.localdate()
    units_qs = units_visible_to(user).filter(kind__in=list(EXPECTED_ROLE))
    if root is not None:
        units_qs = units_qs.filter(subtree_q("path", root.path))
    units = list(units_qs.order_by("path"))
    if not units:
        return []
    ancestor_ids = {i for u in units for i in path_ids(u.path)}
    all_units = {u.pk: u for u in units}
    missing = ancestor_ids - set(all_units)
    if missing:
        all_units.update({u.pk: u for u in Unit.objects.filter(pk__in=missing)})
    covered: dict[int, list[Responsibility]] = {}
    for r in (
        Responsibility.objects.active(day)
        .filter(household__isnull=True, unit_id__in=ancestor_ids)
        .select_related("person", "user")
        .order_by("role", "start", "pk")
    ):
        covered.setdefault(r.unit_id, []).append(r)
    gaps = []
    for u in units:
        if u.pk in covered:
            continue
        fallback_unit = None
        for anc_id in reversed(u.ancestor_ids()):
            if anc_id in covered:
                fallback_unit = all_units[anc_id]
                break
        gaps.append(
            Gap(
                unit=u,
                fallback_unit=fallback_unit,
                fallback=tuple(covered[fallback_unit.pk]) if fallback_unit else (),
            )
        )
    return gaps


@dataclass(frozen=True)
class Coverage:
    units: int
    uncovered_units: int
    households: int
    uncovered_households: int

    @property
    def percent(self) -> float:
        """Share of units answered for at their own level (100 when there are none)."""
        return 100.0 if not self.units else round(100.0 * (self.units - self.uncovered_units) / self.units, 1)


def coverage_numbers(user: Viewer, root: Unit | None = None, on: date | None = None) -> Coverage:
    """The coverage as numbers: units that should be answered for and are not; households without 包户."""
    day = on or timezone.localdate()
    units_qs = units_visible_to(user).filter(kind__in=list(EXPECTED_ROLE))
    hh_qs = households_visible_to(user)
    if root is not None:
        units_qs = units_qs.filter(subtree_q("path", root.path))
        hh_qs = hh_qs.filter(subtree_q("unit__path", root.path))
    active = Responsibility.objects.active(day)
    n_units = units_qs.count()
    uncovered = units_qs.exclude(pk__in=active.filter(household__isnull=True).values("unit_id")).count()
    n_hh = hh_qs.count()
    uncovered_hh = hh_qs.exclude(pk__in=active.filter(household__isnull=False).values("household_id")).count()
    return Coverage(
        units=n_units, uncovered_units=uncovered, households=n_hh, uncovered_households=uncovered_hh
    )


# --- unit and household pages ----------------------------------------------------------------------


def unit_households(user: Viewer, unit: Unit) -> QuerySet[Household]:
    """The households at or under `unit` that the user sees, with their head and member count."""
    return (
        households_visible_to(user)
        .filter(subtree_q("unit__path", unit.path))
        .annotate(n_members=Count("members"))
        .order_by("unit__path", "number")
    )


def household_members(user: Viewer, household: Household) -> list[Person]:
    return list(
        people_visible_to(user)
        .filter(household=household)
        .select_related("party_member")
        .order_by("-is_head", "name")
    )


def unit_members(unit: Unit) -> list[Responsibility]:
    """Everyone answering for the unit itself (not its households), active today, with their people."""
    return list(
        Responsibility.objects.active()
        .filter(unit=unit, household__isnull=True)
        .select_related("person", "user")
        .order_by("role", "start")
    )


def responsibility_history(user: Viewer, unit: Unit) -> QuerySet[Responsibility]:
    """Every assignment ever made for the unit (ended ones too), newest first, if the unit is in scope."""
    return (
        Responsibility.objects.filter(unit=unit, unit__in=units_visible_to(user))
        .select_related("person", "user", "household")
        .order_by("-start", "-pk")
    )


# --- cadre roster ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TermStats:
    cadres: int
    average_age: float | None
    high_school_or_above_percent: float | None
    one_shoulder_percent: float | None  # 一肩挑 among terms without a dispatched secretary
    villages: int
    villages_counted_for_one_shoulder: int


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def term_stats(user: Viewer, start_year: int) -> TermStats:
    """The two committees of every village in scope for the term that began in `start_year`: average age
    (at the term's first 1 January), share with high school or above, and the 一肩挑 rate (secretary also
    director) among villages whose secretary was not dispatched from above. Two queries."""
    terms = list(
        Term.objects.filter(start_year=start_year, unit__in=units_visible_to(user)).prefetch_related(
            Prefetch("cadres", queryset=Cadre.objects.order_by("pk"))
        )
    )
    on = date(start_year, 1, 1)
    cadres = [c for t in terms for c in t.cadres.all()]
    ages = [_age(c.birth_date, on) for c in cadres]
    educated = [c for c in cadres if c.education in Cadre.HIGH_SCHOOL_OR_ABOVE]
    counted = [t for t in terms if not t.dispatched_secretary]
    both = [t for t in counted if any(c.is_secretary and c.is_director for c in t.cadres.all())]
    return TermStats(
        cadres=len(cadres),
        average_age=round(sum(ages) / len(ages), 1) if ages else None,
        high_school_or_above_percent=round(100.0 * len(educated) / len(cadres), 1) if cadres else None,
        one_shoulder_percent=round(100.0 * len(both) / len(counted), 1) if counted else None,
        villages=len(terms),
        villages_counted_for_one_shoulder=len(counted),
    )


@dataclass(frozen=True)
class TermComparison:
    before: TermStats
    after: TermStats

    @staticmethod
    def _delta(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else round(b - a, 1)

    @property
    def average_age_change(self) -> float | None:
        return self._delta(self.before.average_age, self.after.average_age)

    @property
    def high_school_change(self) -> float | None:
        return self._delta(self.before.high_school_or_above_percent, self.after.high_school_or_above_percent)

    @property
    def one_shoulder_change(self) -> float | None:
        return self._delta(self.before.one_shoulder_percent, self.after.one_shoulder_percent)


def term_comparison(user: Viewer, before_year: int, after_year: int) -> TermComparison:
    return TermComparison(before=term_stats(user, before_year), after=term_stats(user, after_year))


def term_years(user: Viewer) -> list[int]:
    return sorted(
        set(Term.objects.filter(unit__in=units_visible_to(user)).values_list("start_year", flat=True))
    )


def ids_of(objs: Iterable[Any]) -> list[int]:
    return [o.pk for o in objs]


def undelivered_notifications_q(user: Viewer) -> Q | None:
    """Which undelivered messages `user` may see and retry (the failures page), or None for none at all.

    Street and district staff see the messages whose recipient lies in their scope (holds a post or a
    responsibility there, or lives in a household of it) or whose subject does (`about_path`, the unit the
    message is about, e.g. a caller's SMS about their appeal); system administrators (and superusers), who
    run the gateways, see every one. Everyone else, security auditors included, sees none: auditors read
    each retry in the audit log instead (docs/security.md).
    """
    roles = user.roles() if user.is_authenticated else set()
    if user.is_superuser or Role.ADMINISTRATOR in roles:
        return Q()
    if not roles & {Role.STREET_STAFF, Role.DISTRICT_STAFF}:
        return None
    scope = scope_for(user)
    if scope.everything:
        return Q()
    day = timezone.localdate()
    posts = Post.objects.filter(
        scope.unit_q("unit__"), Q(end__isnull=True) | Q(end__gt=day), start__lte=day
    ).values("user_id")
    answering = Responsibility.objects.active(day).filter(scope.unit_q("unit__"))
    residents = Person.objects.filter(scope.household_q("household__"), user__isnull=False).values("user_id")
    return (
        subtree_q("about_path", *scope.paths)
        | Q(recipient__in=posts)
        | Q(recipient__in=answering.filter(user__isnull=False).values("user_id"))
        | Q(recipient__in=answering.filter(person__user__isnull=False).values("person__user_id"))
        | Q(recipient__in=residents)
    )

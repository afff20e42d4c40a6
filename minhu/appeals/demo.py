"""Demo: a year of appeals (民呼我应) over the demo grid — the twelve months up to the moment it is loaded.

About 2,000 appeals over 苏家屯区永乐街道's seven villages and 罗定市泮江翡翠城: every kind, channel and
category of the shipped catalogue, and every outcome — closed satisfied or basically satisfied, reopened
after dissatisfaction and then closed, consultations answered on the spot, returned and re-dispatched,
transferred, still open past the deadline, repeats linked to an open matter — with the estate's problems
from the seed (electric-bike charging, missing facilities, sanitation dead corners) coming in through the
suggestion box, the hotline and the WeChat butler. The demo `member` has a live queue (overdue, due soon,
fresh, one awaiting the rating), the `cadre` a few open matters, and a few of the newest matters wait in
the dispatchers' queue.

Each appeal is replayed in memory through the same moves as `minhu.appeals.services`, at historical times:
the same allowed states, changed fields, event verbs and before/after, deadlines from `deadlines_for()` at
each (re)dispatch. The appeals and their events are then written with `bulk_create` (a service call per
move would take minutes and stamp every event with the load time). Routing is the real one: the handler is
the first login up the answering chain (`minhu.grid.selectors.chain_handlers`); where the chain has no
login, the street's dispatcher sends the matter by name to the responsible committee (a department, no
handler).

Deterministic for a given load time (one seeded random.Random). Idempotent: once an appeal whose
idempotency key starts with `demo:` exists, nothing more is created.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone

from minhu.accounts.models import User
from minhu.appeals import demo_texts as texts
from minhu.appeals.models import Appeal, Category, Channel, Kind, Satisfaction, State, Urgency
from minhu.appeals.services import deadlines_for
from minhu.appeals.services.escalation import next_watch
from minhu.core import context
from minhu.core.models import Event
from minhu.core.workdays import WorkCalendar, work_calendar
from minhu.grid.models import Household, Person, Post, Responsibility, Unit, path_ids
from minhu.grid.selectors import LEVEL_ORDER, chain_handlers

MARKER = "demo:"
SEED = 4  # issue 4
APPEALS = 2000
DEMO_DISTRICTS = ("210111", "445381")  # 苏家屯区 and 罗定市, from minhu.grid.demo
REPEAT_WINDOW = timedelta(days=30)  # minhu.appeals.services.intake.REPEAT_WINDOW
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # minhu.appeals.models.new_tracking_code's
ESTATE_SHARE = 0.22

# Category weights (villages, estate): the estate has no heating, and the seed's problems weigh there.
WEIGHTS: dict[str, tuple[float, float]] = {
    "E01": (1.5, 1.5),
    "U01": (8, 6),
    "U02": (14, 0),
    "G01": (12, 14),
    "G02": (2, 15),
    "G03": (11, 13),
    "G04": (2, 13),
    "G05": (8, 5),
    "G06": (4, 7),
    "G07": (5, 9),
    "P01": (15, 6),
    "H01": (9, 3),
    "C01": (4, 2),
    "C02": (3, 2),
    "S01": (7, 6),
}
CHANNELS: dict[str, dict[str, float]] = {
    texts.RURAL: {"hotline": 36, "grid": 22, "web": 14, "wechat": 14, "box": 12, "open311": 0.6, "api": 0.6},
    texts.ESTATE: {"wechat": 34, "hotline": 25, "box": 17, "web": 15, "grid": 7, "open311": 0.8, "api": 0.5},
}
# Shenyang heats from 1 November to 31 March; summer brings noise, rubbish and charging trouble.
SEASON: dict[str, dict[int, float]] = {
    "U02": {11: 1.6, 12: 1.4, 1: 1.2, 2: 1.0, 3: 0.6, **dict.fromkeys(range(4, 11), 0.0)},
    "G06": {6: 1.5, 7: 1.6, 8: 1.5, 9: 1.2},
    "G01": {6: 1.3, 7: 1.4, 8: 1.4},
    "G02": {6: 1.3, 7: 1.4, 8: 1.3},
    "P01": {9: 1.3, 10: 1.4, 11: 1.5, 12: 1.4},
}
STALLS = {"C01": 0.2, "C02": 0.15, "G03": 0.03, "G04": 0.03}  # left open past the deadline (last 150 days)
PERSONAL = ("P01", "H01", "G05", "U02")  # about a household, never a street corner
PUBLIC_SPACE = ("G01", "G03", "G04", "G07")  # what a party member passes to the area's committee member
COMMITTEE: dict[str, tuple[str, str]] = {
    Unit.Kind.VILLAGE: ("village", "{}村民委员会"),
    Unit.Kind.COMMUNITY: ("village", "{}居民委员会"),
    Unit.Kind.ESTATE: ("area", "{}物业服务中心"),
    Unit.Kind.STREET: ("street", "{}办事处"),
    Unit.Kind.DISTRICT: ("district", "{}人民政府"),
}

Who = tuple[User | None, str]  # who acts: a login, or nobody and the name the event shows


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    # Before and after as minhu.core.services.event_record stores them.
    return dict(json.loads(json.dumps(data, cls=DjangoJSONEncoder)))


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


# --- the grid the appeals happen in -------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    unit: Unit
    street: Unit | None
    village: Unit | None
    district: Unit | None
    estate: Unit | None
    chain: tuple[Unit, ...]  # the unit and its ancestors, nearest first

    @property
    def region(self) -> str:
        return texts.ESTATE if self.estate is not None else texts.RURAL


@dataclass(frozen=True)
class Route:
    handler: User | None
    department: str
    note: str
    next_logins: tuple[User, ...]  # further up the chain: where a transfer goes


@dataclass
class World:
    """The demo grid, read in a dozen queries; a responsible chain is asked only where a login can be."""

    places: dict[int, Place]
    households: dict[int, list[Household]]  # block id → its households
    people: dict[int, list[tuple[str, str]]]  # household id → (name, phone), head first
    categories: dict[str, Category]
    users: dict[str, User]
    posts: dict[int, User]  # unit id → a login holding a post there
    login_paths: tuple[str, ...]  # units where a login is responsible
    login_households: frozenset[int]  # households a login answers for (包户)
    chains: dict[tuple[str, int, str], list[tuple[User, str]]] = field(default_factory=dict)

    @classmethod
    def read(cls) -> World | None:
        districts = list(Unit.objects.filter(code__in=DEMO_DISTRICTS, parent__isnull=True))
        if len(districts) != len(DEMO_DISTRICTS):
            return None
        units = {u.pk: u for u in Unit.objects.filter(district__in=districts)}
        places = {}
        for unit in units.values():
            chain = tuple(units[i] for i in reversed(path_ids(unit.path)))
            kinds = {u.kind: u for u in chain}
            places[unit.pk] = Place(
                unit=unit,
                street=kinds.get(Unit.Kind.STREET),
                village=kinds.get(Unit.Kind.VILLAGE) or kinds.get(Unit.Kind.COMMUNITY),
                district=kinds.get(Unit.Kind.DISTRICT),
                estate=kinds.get(Unit.Kind.ESTATE),
                chain=chain,
            )
        households: dict[int, list[Household]] = {}
        for hh in Household.objects.filter(district__in=districts).order_by("unit_id", "pk"):
            hh.unit = units[hh.unit_id]
            households.setdefault(hh.unit_id, []).append(hh)
        people: dict[int, list[tuple[str, str]]] = {}
        for hh_id, name, phone in (
            Person.objects.filter(household__district__in=districts)
            .order_by("household_id", "-is_head", "pk")
            .values_list("household_id", "name", "phone")
        ):
            people.setdefault(hh_id, []).append((name, phone))
        today = timezone.localdate()
        posts: dict[int, User] = {}
        live = Q(end__isnull=True) | Q(end__gt=today)
        posts_qs = Post.objects.filter(live, unit__in=list(units), start__lte=today).order_by("start", "pk")
        for post in posts_qs.select_related("user"):
            posts.setdefault(post.unit_id, post.user)
        login_paths: list[str] = []
        login_households: set[int] = set()
        for path, household_id in (
            Responsibility.objects.active()
            .filter(Q(user__isnull=False) | Q(person__user__isnull=False), unit__in=list(units))
            .values_list("unit__path", "household_id")
        ):
            if household_id is None:
                login_paths.append(path)
            else:
                login_households.add(household_id)
        return cls(
            places=places,
            households=households,
            people=people,
            categories={c.code: c for c in Category.objects.filter(active=True)},
            users={u.username: u for u in User.objects.filter(username__in=["cadre", "member", "resident"])},
            posts=posts,
            login_paths=tuple(login_paths),
            login_households=frozenset(login_households),
        )

    def route(self, category: Category, household: Household | None, unit: Unit) -> Route | None:
        """What minhu.appeals.routing.choose() picks at intake; None: nobody with a login answers."""
        if category.department:
            return Route(None, category.department, "", ())
        level = category.handling_level
        key = ("h", household.pk, level) if household is not None else ("u", unit.pk, level)
        if key not in self.chains:
            possible = (household is not None and household.pk in self.login_households) or any(
                unit.path.startswith(p) for p in self.login_paths
            )
            found = chain_handlers(household or unit, level) if possible else []
            self.chains[key] = [(user, answerer.where) for user, answerer in found]
        found_here = self.chains[key]
        if not found_here:
            return None
        return Route(found_here[0][0], "", found_here[0][1], tuple(u for u, _ in found_here[1:]))

    def committee(self, place: Place, level: str) -> str:
        """Where a dispatcher sends a matter when nobody in the chain has a login: the nearest village or
        community committee, estate property service centre, street or district at or above the category's
        handling level."""
        want = LEVEL_ORDER.index(level) if level in LEVEL_ORDER else 0
        for unit in place.chain:
            if unit.kind in COMMITTEE and LEVEL_ORDER.index(COMMITTEE[unit.kind][0]) >= want:
                return COMMITTEE[unit.kind][1].format(unit.name)
        return f"{place.chain[-1].name}人民政府"

    def dispatcher(self, place: Place) -> Who:
        user = self.posts.get(place.street.pk) if place.street else None
        return (user, "") if user else (None, f"{place.street}网格中心")


# --- one appeal's life --------------------------------------------------------------------------------------


class _Later(Exception):
    """The next move would happen after now: the appeal stays where it is."""


class Replay:
    """One appeal moved through the lifecycle in memory as minhu.appeals.services moves it (allowed states,
    changed fields, the event's verb and before/after), at the given times, never after `now`."""

    COUNTERS = ("reopen_count", "return_count", "transfer_count")  # F() + 1 in the services

    def __init__(self, appeal: Appeal, place: Place, now: datetime, calendar: WorkCalendar) -> None:
        self.appeal = appeal
        self.place = place
        self.now = now
        self.calendar = calendar
        self.last = appeal.submitted_at
        self.events: list[Event] = []
        self.original: Replay | None = None

    def _next(self, at: datetime) -> datetime:
        """The time of the next move: whole seconds, at least a second after the last one, not after now."""
        at = max(at.replace(microsecond=0), self.last + timedelta(seconds=1))
        if at > self.now:
            raise _Later
        return at

    def _event(self, at: datetime, verb: str, who: Who, before: Any, after: Any, note: str = "") -> None:
        user, label = who
        self.events.append(
            Event(
                at=at,
                actor=user,
                actor_label=user.get_username() if user is not None else label[:150],
                verb=verb,
                before=_jsonable(before),
                after=_jsonable(after),
                note=note,
                request_id=context.current().request_id,
            )
        )

    def _move(
        self,
        at: datetime,
        allowed: Sequence[str],
        to: str,
        verb: str,
        who: Who,
        changes: dict[str, Any],
        note: str = "",
    ) -> None:
        """minhu.appeals.services._transition, in memory."""
        a = self.appeal
        if a.state not in allowed:
            raise RuntimeError(f"demo script error: {verb} from {a.state}")
        before: dict[str, Any] = {"state": a.state}
        before.update({k: getattr(a, k) for k in changes if k not in self.COUNTERS})
        for k, v in changes.items():
            setattr(a, k, getattr(a, k) + 1 if k in self.COUNTERS else v)
        a.state = to
        a.version += 1
        after: dict[str, Any] = {"state": a.state}
        after.update({k: getattr(a, k) for k in changes})
        for d in (before, after):
            if d.get("handler") is not None:
                d["handler"] = d["handler"].pk
        self.last = at
        self._event(at, verb, who, before, after, note)

    def _deadlines(self, at: datetime) -> dict[str, Any]:
        response, resolution, exact = deadlines_for(self.appeal.category, at, calendar=self.calendar)
        return {
            "response_due_at": _utc(response),
            "resolution_due_at": _utc(resolution),
            "deadline_exact": exact,
        }

    def _intake(self) -> dict[str, Any]:
        a = self.appeal
        return {"state": a.state, "channel": a.channel, "kind": a.kind, "category": a.category.code}

    def submit(self, who: Who) -> None:
        self._event(self.appeal.submitted_at, "appeal.submit", who, {}, {**self._intake(), "repeat_of": None})

    def merge(self, original: Replay, who: Who) -> None:
        """A repeat of an open matter: linked to it and closed at once, as appeal_submit does."""
        a = self.appeal
        a.state, a.closed_at, a.repeat_of = State.MERGED, a.submitted_at, original.appeal
        self.original = original
        after = {**self._intake(), "repeat_of": original.appeal.tracking_code}
        self._event(a.submitted_at, "appeal.repeat", who, {}, after)

    def dispatch(self, at: datetime, handler: User | None, department: str, who: Who, note: str) -> None:
        t = self._next(at)
        changes = {"handler": handler, "department": department, "dispatched_at": t, **self._deadlines(t)}
        self._move(t, [State.SUBMITTED], State.DISPATCHED, "appeal.dispatch", who, changes, note)

    def respond(self, at: datetime, who: Who) -> None:
        t = self._next(at)
        self._move(t, [State.DISPATCHED], State.RESPONDED, "appeal.respond", who, {"responded_at": t})

    def start(self, at: datetime, who: Who) -> None:
        self._move(self._next(at), [State.RESPONDED], State.IN_PROGRESS, "appeal.start", who, {})

    def resolve(self, at: datetime, result: str, who: Who) -> None:
        t = self._next(at)
        allowed = [State.RESPONDED, State.IN_PROGRESS]
        self._move(t, allowed, State.RESOLVED, "appeal.resolve", who, {"result": result, "resolved_at": t})

    def rate(self, at: datetime, resolved_ok: bool, satisfaction: str, comment: str, who: Who) -> None:
        """Resolved and (basically) satisfied closes out; anything else reopens with fresh deadlines."""
        t = self._next(at)
        rating = {"resolved_ok": resolved_ok, "satisfaction": satisfaction, "rating_comment": comment}
        if resolved_ok and satisfaction != Satisfaction.NOT:
            closed = {**rating, "confirmed_at": t, "closed_at": t}
            self._move(t, [State.RESOLVED], State.CLOSED, "appeal.rate_close", who, closed)
            return
        reopened = {
            **rating,
            "reopen_count": 1,
            "responded_at": None,
            "resolved_at": None,
            **self._deadlines(t),
        }
        self._move(t, [State.RESOLVED], State.DISPATCHED, "appeal.reopen", who, reopened, comment)

    def answer(self, at: datetime, answer: str, who: Who) -> None:
        t = self._next(at)
        changes = {"result": answer, "responded_at": t, "resolved_at": t, "closed_at": t}
        allowed = [State.SUBMITTED, State.DISPATCHED]
        self._move(t, allowed, State.CLOSED, "appeal.answer_on_spot", who, changes)

    def return_(self, at: datetime, reason: str, who: Who) -> None:
        changes = {"handler": None, "return_count": 1}
        allowed = [State.DISPATCHED, State.RESPONDED]
        self._move(self._next(at), allowed, State.SUBMITTED, "appeal.return", who, changes, reason)

    def transfer(self, at: datetime, to: User, reason: str, who: Who) -> None:
        changes = {"handler": to, "transfer_count": 1}
        allowed = [State.DISPATCHED, State.RESPONDED, State.IN_PROGRESS]
        self._move(self._next(at), allowed, self.appeal.state, "appeal.transfer", who, changes, reason)


# --- the year -----------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What comes in: when, where, about what, through which channel."""

    at: datetime
    place: Place
    household: Household | None
    address: str
    where: str  # the place in the caller's words, for the texts' {where}
    category: Category
    kind: str
    text: str  # what the caller says
    result: str  # what the handler will report (for a consultation: the answer)
    channel: str
    chase: bool = False  # a caller chasing a matter already open nearby
    script: list[tuple[str, float]] | None = None  # live queue: (move, hours after submission)


# The live queue (category, which of the member's households, hours ago, channel, moves): due soon, overdue,
# fresh, awaiting the rating, reopened; the first household is the demo resident's.
_RESOLVED = [("respond", 1.0), ("start", 2.0), ("resolve", 48.0)]
MEMBER_QUEUE: list[tuple[str, int, float, str, list[tuple[str, float]]]] = [
    ("U01", 1, 10, "hotline", [("respond", 0.5), ("start", 1.5)]),
    ("U01", 2, 21, "wechat", [("respond", 1)]),
    ("G05", 3, 30, "web", []),  # nobody has called back within 24 hours
    ("G01", 2, 24 * 13, "grid", [("respond", 3), ("start", 20)]),
    ("H01", 4, 2, "hotline", []),
    ("G03", 1, 24 * 3, "box", [("respond", 2)]),
    ("P01", 0, 5, "web", []),
    ("G04", 3, 48, "wechat", [("respond", 1), ("start", 3), ("resolve", 30)]),
    ("G06", 2, 24 * 9, "hotline", [*_RESOLVED, ("reopen", 70), ("respond", 72)]),  # handled again
    ("G03", 0, 24 * 90, "web", [("respond", 3), ("start", 20), ("resolve", 70), ("close", 80)]),
    ("G07", 4, 50, "grid", [("respond", 1), ("transfer", 3)]),  # now in the cadre's queue
]
# The cadre's area (category, which block, hours ago, channel, moves).
CADRE_QUEUE: list[tuple[str, int, float, str, list[tuple[str, float]]]] = [
    ("G03", 0, 40, "grid", [("respond", 2)]),
    ("G07", 1, 6, "hotline", []),
    ("G01", 0, 24 * 10, "box", [("respond", 4), ("start", 24)]),
]
# Just in, waiting for the dispatcher (category, village index, hours ago, channel).
WAITING: list[tuple[str, int, float, str]] = [
    ("G03", 1, 1.5, "web"),
    ("G01", 3, 0.7, "wechat"),
    ("H01", 5, 3, "hotline"),
]


class Year:
    """The twelve months before `now`: what came in (plans), each replayed in time order."""

    def __init__(self, world: World, now: datetime) -> None:
        self.world = world
        self.now = now
        self.rng = random.Random(SEED)  # noqa: S311 -- demo data, not security
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.calendar = work_calendar()
        self.codes: set[str] = set()
        units = sorted((p.unit for p in world.places.values()), key=lambda u: u.code)
        self.villages = [u for u in units if u.kind in (Unit.Kind.VILLAGE, Unit.Kind.COMMUNITY)]
        self.estates = [u for u in units if u.kind == Unit.Kind.ESTATE]
        self.blocks = [u for u in units if u.kind == Unit.Kind.BLOCK]
        self.member_households: list[Household] = []
        self.cadre_blocks: list[Unit] = []
        self.resident_household: int | None = None
        self.resident_caller = ("", "")
        self._demo_logins()

    def _demo_logins(self) -> None:
        users = self.world.users
        all_households = [hh for hhs in self.world.households.values() for hh in hhs]
        if "resident" in users:
            row = Person.objects.filter(user=users["resident"]).values_list("household_id", "name", "phone")
            for household_id, name, phone in row:
                self.resident_household, self.resident_caller = household_id, (name, phone)
        if "member" in users:
            mine = set(
                Responsibility.objects.active()
                .filter(user=users["member"], household__isnull=False)
                .values_list("household_id", flat=True)
            )
            self.member_households = sorted(
                (hh for hh in all_households if hh.pk in mine),
                key=lambda hh: hh.pk != self.resident_household,
            )
        if "cadre" in users:
            areas = set(
                Responsibility.objects.active()
                .filter(user=users["cadre"], household__isnull=True)
                .values_list("unit_id", flat=True)
            )
            self.cadre_blocks = [b for b in self.blocks if b.parent_id in areas]

    # -- chance and time

    def minutes(self, lo: float, hi: float) -> timedelta:
        return timedelta(seconds=self.rng.randint(int(lo * 60), int(hi * 60)))

    def hours(self, lo: float, hi: float) -> timedelta:
        return self.minutes(lo * 60, hi * 60)

    def pick(self, weights: dict[str, float]) -> str:
        keys = [k for k, w in weights.items() if w > 0]
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]

    def office(self, at: datetime) -> datetime:
        """The next moment in office hours (8:30–17:30 on a working day) at or after `at`."""
        local = at.astimezone(self.tz)
        day = local.date()
        working = self.calendar.is_working_day(day)
        if working and time(8, 30) <= local.time() < time(17, 30):
            return at
        if not working or local.time() >= time(17, 30):
            day += timedelta(days=1)
            while not self.calendar.is_working_day(day):
                day += timedelta(days=1)
        return _utc(datetime.combine(day, time(8, 30), self.tz) + self.minutes(0, 90))

    def when(self, channel: str) -> datetime:
        """A moment in the past year when a matter comes in through `channel`."""
        today = self.now.astimezone(self.tz).date()
        while True:
            day = today - timedelta(days=self.rng.randrange(365))
            rest = not self.calendar.is_working_day(day)
            if (channel == Channel.SUGGESTION_BOX and rest) or (rest and self.rng.random() < 0.25):
                continue  # the box is opened on working days; fewer calls on rest days
            if channel == Channel.HOTLINE:
                by_hour = [1, 1, 1, 1, 1, 2, 4, 8, 12, 12, 11, 9, 6, 7, 10, 10, 9, 8, 7, 7, 6, 4, 3, 2]
                hour = self.rng.choices(range(24), weights=by_hour)[0]
            elif channel == Channel.SUGGESTION_BOX:
                hour = self.rng.choice((9, 9, 10, 10, 11, 14, 15))
            elif channel == Channel.GRID:
                hour = self.rng.randint(8, 17)
            else:
                by_hour = [2, 5, 8, 9, 9, 8, 10, 8, 7, 7, 7, 7, 8, 9, 10, 9, 6, 3]
                hour = self.rng.choices(range(6, 24), weights=by_hour)[0]
            at = datetime.combine(day, time(hour, self.rng.randrange(60), self.rng.randrange(60)), self.tz)
            if at < self.now - timedelta(minutes=5):
                return _utc(at)

    def tracking_code(self) -> str:
        while True:
            code = "".join(self.rng.choice(ALPHABET) for _ in range(12))
            if code not in self.codes:
                self.codes.add(code)
                return code

    # -- what comes in

    def place(self, estate: bool, members_too: bool, home: bool) -> tuple[Place, Household | None, str, str]:
        """Somewhere in a village or the estate: (place, household or None, address, the words for it in
        the texts — in the estate the building or 小区, in a village the caller's doorstep or a spot)."""
        rng, places = self.rng, self.world.places
        top = rng.choice(self.estates if estate else self.villages)
        block = rng.choice([b for b in self.blocks if b.path.startswith(top.path)])
        if home or rng.random() < (0.5 if estate else 0.6):
            households = self.world.households.get(block.pk, [])
            households = [hh for hh in households if members_too or hh not in self.member_households]
            if households:
                hh = rng.choice(households)
                where = block.name if estate else rng.choice(texts.HOME_SPOTS)
                return places[block.pk], hh, hh.address, where
        if estate and rng.random() < 0.7:
            address = f"{top.name}{block.name}{rng.choice(texts.ESTATE_SPOTS)}"
            return places[block.pk], None, address, block.name
        if estate:
            return places[top.pk], None, f"{top.name}{rng.choice(texts.ESTATE_WIDE_SPOTS)}", "小区"
        roll = rng.random()
        if roll < 0.8:
            unit = block if roll < 0.65 or block.parent_id is None else places[block.parent_id].unit
            where = f"{unit.name}{rng.choice(texts.RURAL_SPOTS)}"
            return places[unit.pk], None, f"{top.name}{where}", where
        where = f"{top.name}{rng.choice(texts.VILLAGE_SPOTS)}"
        return places[top.pk], None, where, where

    def describe(self, code: str, region: str, where: str) -> tuple[str, str, str] | None:
        """(kind, what the caller says, what the handler will report) for a matter of this category here."""
        options = [
            (k, t, done) for k, r, t, done in texts.DESCRIPTIONS.get(code, []) if r in (region, texts.ANY)
        ]
        if not options:
            return None
        kind, text, done = self.rng.choice(options)
        return kind, text.format(where=where), done

    def plans(self) -> list[Plan]:
        rng, cats = self.rng, self.world.categories
        plans: list[Plan] = []
        while len(plans) < APPEALS:
            estate = rng.random() < ESTATE_SHARE
            region = texts.ESTATE if estate else texts.RURAL
            channel = self.pick(CHANNELS[region])
            at = self.when(channel)
            month = at.astimezone(self.tz).month
            season = {
                c: w[1 if estate else 0] * SEASON.get(c, {}).get(month, 1.0) for c, w in WEIGHTS.items()
            }
            code = self.pick({c: w for c, w in season.items() if c in cats})
            # The member's households' last month belongs to the live queue below.
            members_too = at < self.now - REPEAT_WINDOW
            place, household, address, where = self.place(estate, members_too, home=code in PERSONAL)
            said = self.describe(code, region, where)
            if said is not None:
                chase = said[0] != Kind.SUGGESTION and rng.random() < 0.05
                plans.append(Plan(at, place, household, address, where, cats[code], *said, channel, chase))
        plans.extend(self.live_queue())
        plans.sort(key=lambda p: p.at)
        return plans

    def live_queue(self) -> list[Plan]:
        """Matters open right now: the member's and the cadre's queues, and a few waiting for dispatch."""
        world, cats, plans = self.world, self.world.categories, []

        def add(
            code: str,
            hours_ago: float,
            place: Place,
            hh: Household | None,
            address: str,
            where: str,
            channel: str,
            moves: list[tuple[str, float]] | None,
        ) -> None:
            said = self.describe(code, place.region, where)
            if code in cats and said is not None:
                at = _utc(self.now - timedelta(hours=hours_ago))
                plans.append(
                    Plan(at, place, hh, address, where, cats[code], *said, channel=channel, script=moves)
                )

        for code, i, ago, channel, moves in MEMBER_QUEUE if self.member_households else []:
            hh = self.member_households[i % len(self.member_households)]
            add(code, ago, world.places[hh.unit_id], hh, hh.address, texts.HOME_SPOTS[0], channel, moves)
        for code, i, ago, channel, moves in CADRE_QUEUE if self.cadre_blocks else []:
            block = self.cadre_blocks[i % len(self.cadre_blocks)]
            place = world.places[block.pk]
            where = f"{block.name}{texts.RURAL_SPOTS[i]}"
            add(code, ago, place, None, f"{place.village or ''}{where}", where, channel, moves)
        for code, i, ago, channel in WAITING:
            village = self.villages[i % len(self.villages)]
            block = next(
                b for b in self.blocks if b.path.startswith(village.path) and b not in self.cadre_blocks
            )
            place, where = world.places[block.pk], f"{block.name}{texts.RURAL_SPOTS[-1]}"
            add(code, ago, place, None, f"{village.name}{where}", where, channel, [("wait", 0)])
        return plans

    # -- replaying it

    def appeal(self, plan: Plan, n: int, route: Route | None) -> Appeal:
        rng, place = self.rng, plan.place
        anonymous = plan.script is None and (
            (plan.kind == Kind.REPORT and rng.random() < 0.25)
            or (plan.channel == Channel.SUGGESTION_BOX and rng.random() < 0.3)
            or rng.random() < 0.03
        )
        name, phone, caller = self.caller(plan, anonymous)
        recorder = None  # the login that typed it in: the street's hotline seat, the village's box, on foot
        if plan.channel == Channel.HOTLINE and place.street is not None:
            recorder = self.world.posts.get(place.street.pk)
        elif plan.channel == Channel.SUGGESTION_BOX and place.village is not None:
            recorder = self.world.posts.get(place.village.pk)
        elif plan.channel == Channel.GRID and route is not None:
            recorder = route.handler
        lat = long = None
        anchor = next((u for u in place.chain if u.latitude is not None and u.longitude is not None), None)
        if plan.channel == Channel.OPEN311 and anchor is not None:
            lat, long = (self.jitter(anchor.latitude), self.jitter(anchor.longitude))
        return Appeal(
            tracking_code=self.tracking_code(),
            idempotency_key=f"{MARKER}{n:05d}",
            kind=plan.kind,
            channel=plan.channel,
            category=plan.category,
            description=plan.text,
            unit=place.unit,
            street=place.street,
            village=place.village,
            district=place.district,
            household=plan.household,
            address=plan.address,
            lat=lat,
            long=long,
            caller_name=name,
            caller_phone=phone,
            anonymous=anonymous,
            caller=caller,
            recorded_by=recorder,
            state=State.SUBMITTED,
            submitted_at=plan.at,
        )

    def jitter(self, value: Decimal | None) -> Decimal:
        offset = Decimal(self.rng.randint(-900, 900)) / 1000000  # within about 100 m
        return (Decimal(value or 0) + offset).quantize(Decimal("0.000001"))

    def caller(self, plan: Plan, anonymous: bool) -> tuple[str, str, User | None]:
        rng = self.rng
        if anonymous:
            return "", "", None
        hh = plan.household
        if (
            hh is not None
            and hh.pk == self.resident_household
            and plan.channel in (Channel.WEB, Channel.WECHAT)
        ):
            return *self.resident_caller, self.world.users.get("resident")
        if hh is None:  # someone living nearby
            top = plan.place.village or plan.place.estate or plan.place.unit
            block = rng.choice([b for b in self.blocks if b.path.startswith(top.path)] or self.blocks)
            neighbours = self.world.households.get(block.pk, [])
            hh = rng.choice(neighbours) if neighbours else None
        people = (self.world.people.get(hh.pk) if hh is not None else None) or [("", "")]
        name, phone = people[0] if rng.random() < 0.7 else rng.choice(people)
        if plan.channel == Channel.SUGGESTION_BOX and rng.random() < 0.5:
            phone = ""  # a note in the box, signed
        return name, phone, None

    def intake_who(self, appeal: Appeal) -> Who:
        # appeal_submit's actor: the login that recorded it, else "resident".
        return (appeal.recorded_by, "") if appeal.recorded_by is not None else (None, "resident")

    def service_who(self, appeal: Appeal) -> Who:
        # A service called with that actor (route() at intake; appeal_rate from the tracking page): "system".
        return (appeal.recorded_by, "") if appeal.recorded_by is not None else (None, "system")

    def rater(self, appeal: Appeal) -> Who:
        return (appeal.caller, "") if appeal.caller is not None else (None, "system")

    def desk(self, plan: Plan, appeal: Appeal) -> Who:
        """Who answers a consultation on the spot when nobody was routed to: the WeChat butler, the
        hotline seat, or the street's dispatcher."""
        if plan.channel == Channel.WECHAT:
            return None, "微信小管家"
        if appeal.recorded_by is not None:
            return appeal.recorded_by, ""
        if plan.channel == Channel.HOTLINE:
            return None, "24小时服务热线"
        return self.world.dispatcher(plan.place)

    def competent(self, plan: Plan) -> str:
        """The department a returned matter really belongs to."""
        street, district = plan.place.street, plan.place.district
        template = texts.DEPARTMENTS.get(plan.category.code, "{street}党政办")
        return template.format(
            street=street.name if street else "", district=district.name if district else ""
        )

    def open_original(self, plan: Plan, recent: list[Replay]) -> Replay | None:
        """As the intake's find_repeat when `plan` comes in; a chasing caller picks an open matter
        nearby and raises it again."""
        if plan.kind == Kind.SUGGESTION:
            return None
        t = plan.at

        def is_open(r: Replay) -> bool:
            a = r.appeal
            return t - REPEAT_WINDOW <= a.submitted_at <= t and (a.closed_at is None or a.closed_at > t)

        for r in recent:
            a = r.appeal
            if a.category_id != plan.category.pk or not is_open(r):
                continue
            if (plan.household is not None and a.household_id == plan.household.pk) or (
                plan.household is None and a.unit_id == plan.place.unit.pk and a.address == plan.address
            ):
                return r
        if plan.chase:
            near = [
                r
                for r in recent
                if is_open(r)
                and r.appeal.kind != Kind.SUGGESTION
                and r.appeal.district_id == plan.place.chain[-1].pk
            ]
            if near:
                r = self.rng.choice(near)
                a = r.appeal
                plan.category, plan.kind, plan.place = a.category, a.kind, r.place
                plan.household, plan.address = a.household, a.address
                plan.text = self.rng.choice(texts.REPEAT_PREFIXES) + a.description
                return r
        return None

    def replay(self, plan: Plan, n: int, recent: list[Replay]) -> Replay:
        original = self.open_original(plan, recent)
        route = None if original else self.world.route(plan.category, plan.household, plan.place.unit)
        r = Replay(self.appeal(plan, n, route), plan.place, self.now, self.calendar)
        if original is not None:
            r.merge(original, self.intake_who(r.appeal))
            return r
        r.submit(self.intake_who(r.appeal))
        with contextlib.suppress(_Later):  # still open: the rest of its life has not happened yet
            self.lifecycle(plan, r, route)
        recent.append(r)
        return r

    def lifecycle(self, plan: Plan, r: Replay, route: Route | None) -> None:
        rng, a, cat = self.rng, r.appeal, plan.category
        urgent = cat.urgency in (Urgency.EMERGENCY, Urgency.UTILITIES)
        handler: Who | None = None
        if route is not None:  # dispatched at intake
            handler = (route.handler, "") if route.handler is not None else (None, route.department)
            r.dispatch(a.submitted_at, route.handler, route.department, self.service_who(a), route.note)
        if plan.script is not None:
            self.scripted(plan, r, handler, route)
            return
        if plan.kind == Kind.CONSULT and rng.random() < 0.55:  # answered on the spot
            r.answer(r.last + self.minutes(2, 60), plan.result, handler or self.desk(plan, a))
            return
        if handler is None:  # the dispatcher sends it to the committee that answers for the place
            at = r.last + self.minutes(5, 40) if urgent else self.office(r.last + self.minutes(20, 300))
            handler = self.hand_dispatch(plan, r, at, self.world.committee(plan.place, cat.handling_level))
        if rng.random() < 0.045:  # the wrong desk: returned, and sent where it belongs
            right = self.competent(plan)
            at = self.working(r.last + self.hours(1, 20), handler, urgent)
            r.return_(at, texts.RETURN_REASON.format(department=right), handler)
            handler = self.hand_dispatch(
                plan, r, self.office(r.last + self.minutes(30, 300)), right, again=True
            )
            route = None
        recent = a.submitted_at > self.now - timedelta(days=150)
        stalls = recent and rng.random() < STALLS.get(cat.code, 0.004)
        for round_ in range(3):
            self.respond(r, handler, urgent)
            nearby = route.next_logins if route is not None and route.handler is not None else ()
            if round_ == 0 and nearby and rng.random() < (0.5 if cat.code in PUBLIC_SPACE else 0.1):
                # the party member hands a public-space matter to the area's committee member
                at = self.working(r.last + self.hours(0.5, 8), handler, urgent)
                r.transfer(at, nearby[0], texts.TRANSFER_REASON, handler)
                handler = (nearby[0], "")
            resolve_at = self.resolve_at(r)
            if cat.urgency != Urgency.EMERGENCY and rng.random() < 0.7:
                at = r.last + (resolve_at - r.last) * rng.uniform(0.05, 0.3)
                r.start(self.working(at, handler, urgent), handler)
            if stalls:
                return
            r.resolve(self.working(resolve_at, handler, urgent), plan.result, handler)
            at = self.awake(r.last + self.hours(1, 60))
            if round_ < 2 and rng.random() < (0.09 if round_ == 0 else 0.15):
                resolved_ok = rng.random() < 0.25  # done, but not to the caller's satisfaction
                r.rate(at, resolved_ok, Satisfaction.NOT, rng.choice(texts.REOPEN_COMMENTS), self.rater(a))
                continue
            satisfaction = Satisfaction.SATISFIED if rng.random() < 0.8 else Satisfaction.BASIC
            comment = rng.choice(texts.PRAISE) if rng.random() < 0.4 else ""
            r.rate(at, True, satisfaction, comment, self.rater(a))
            return

    def hand_dispatch(self, plan: Plan, r: Replay, at: datetime, body: str, again: bool = False) -> Who:
        """The street's dispatcher sends the matter by name to a body without a login in the grid."""
        r.dispatch(at, None, body, self.world.dispatcher(plan.place), f"{'重新' if again else ''}派至{body}")
        return None, body

    def working(self, at: datetime, who: Who, urgent: bool) -> datetime:
        """When the handler would really do it: at once for emergencies and utilities; a committee or
        department in office hours; a person with a login while awake (party members work after hours)."""
        if urgent:
            return at
        return self.office(at) if who[0] is None else self.awake(at)

    def awake(self, at: datetime) -> datetime:
        local = at.astimezone(self.tz)
        if 7 <= local.hour < 22:
            return at
        day = local.date() + timedelta(days=1 if local.hour >= 22 else 0)
        return _utc(datetime.combine(day, time(7, 30), self.tz) + self.minutes(0, 90))

    def respond(self, r: Replay, handler: Who, urgent: bool) -> None:
        """First contact, a phone call (evenings and rest days too): mostly within the response deadline,
        sometimes late."""
        window = max((r.appeal.response_due_at or r.last) - r.last, timedelta(minutes=10))
        share = self.rng.uniform(1.05, 2.0) if self.rng.random() < 0.06 else self.rng.uniform(0.05, 0.7)
        at = r.last + window * share
        r.respond(at if urgent else self.awake(at), handler)

    def resolve_at(self, r: Replay) -> datetime:
        """Mostly within the resolution deadline, sometimes late."""
        due = r.appeal.resolution_due_at or r.last
        if due > r.last and self.rng.random() < 0.94:
            return r.last + max((due - r.last) * self.rng.uniform(0.1, 0.8), timedelta(minutes=5))
        return max(due, r.last) + self.hours(2, 72)

    def scripted(self, plan: Plan, r: Replay, handler: Who | None, route: Route | None) -> None:
        """The live queue: exactly the moves given, at the hours given."""
        a, moves = r.appeal, plan.script or []
        if handler is None:
            if ("wait", 0) in moves:
                return  # still in the dispatchers' queue
            body = self.world.committee(plan.place, plan.category.handling_level)
            handler = self.hand_dispatch(plan, r, a.submitted_at + self.minutes(5, 20), body)
        for move, hours in moves:
            at = a.submitted_at + timedelta(hours=hours)
            if move == "respond":
                r.respond(at, handler)
            elif move == "start":
                r.start(at, handler)
            elif move == "resolve":
                r.resolve(at, plan.result, handler)
            elif move == "reopen":
                r.rate(at, False, Satisfaction.NOT, texts.REOPEN_COMMENTS[0], self.rater(a))
            elif move == "close":
                r.rate(at, True, Satisfaction.SATISFIED, texts.PRAISE[0], self.rater(a))
            elif move == "transfer" and route is not None and route.next_logins:
                r.transfer(at, route.next_logins[0], texts.TRANSFER_REASON, handler)
                handler = (route.next_logins[0], "")

    def run(self) -> list[Replay]:
        replays: list[Replay] = []
        recent: list[Replay] = []
        for n, plan in enumerate(self.plans(), start=1):
            recent = [r for r in recent if r.appeal.submitted_at >= plan.at - REPEAT_WINDOW]
            replays.append(self.replay(plan, n, recent))
        return replays


LIVE_WINDOW = timedelta(days=3)  # the open matters whose messages the demo leaves in the inboxes


def save(replays: list[Replay]) -> None:
    """Appeals in two bulk inserts (the originals first, so that repeats can point at them), then events."""
    Appeal.objects.bulk_create([r.appeal for r in replays if r.original is None], batch_size=500)
    repeats = []
    for r in replays:
        if r.original is not None:
            r.appeal.repeat_of = r.original.appeal  # now with its primary key
            repeats.append(r.appeal)
    Appeal.objects.bulk_create(repeats, batch_size=500)
    target_type = ContentType.objects.get_for_model(Appeal)
    events = []
    for r in replays:
        label = str(r.appeal)[:200]
        for event in r.events:
            event.target_type, event.target_id, event.target_label = target_type, str(r.appeal.pk), label
            events.append(event)
    Event.objects.bulk_create(events, batch_size=1000)
    # The escalation sweep's bookmark: what was due before the load counts as handled; the worker picks
    # the open appeals up from their next reminder or deadline on.
    now = timezone.now()
    for r in replays:
        a = r.appeal
        if a.is_open and a.dispatched_at is not None:
            a.watched_until = now
            a.watch_at = next_watch(a, now)
    Appeal.objects.bulk_update(
        [r.appeal for r in replays if r.appeal.watched_until is not None],
        ["watch_at", "watched_until"],
        batch_size=500,
    )
    _tell_live(replays, now)


def _tell_live(replays: list[Replay], now: datetime) -> None:
    """The messages of the live queue (open matters of the last days), as the services would have sent them:
    the handlers (the demo `member`) have their new matters in the inbox, the dispatchers (`cadre`, `street`)
    the matters waiting in their queue, and the callers their acceptance by SMS (the worker prints them to the
    console without a gateway)."""
    from minhu.appeals.services import notify

    for r in replays:
        a = r.appeal
        if a.is_open and a.repeat_of_id is None and a.submitted_at >= now - LIVE_WINDOW:
            notify.appeal_accepted(a)
            if a.dispatched_at is not None:
                notify.appeal_dispatched(a)


def load() -> list[tuple[str, str, str]]:
    if Appeal.objects.filter(idempotency_key__startswith=MARKER).exists():
        return []
    world = World.read()
    if world is None:
        return []  # no demo grid to put them in
    save(Year(world, timezone.now().replace(microsecond=0)).run())
    return []

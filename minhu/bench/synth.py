"""A deterministic synthetic deployment at the scales of DESIGN.md ("Data and scale").

The `*_rows` and `*_chunk` functions give, table by table, the exact rows to write: the same (scale, seed,
until, id bases) always give the same rows (seeded `random.Random` generators — one per chunk of the big
tables — no clock, no hash order). `synth_load()` writes them in one transaction by the bulk path of the
database — `COPY … FROM STDIN` fed by worker processes on PostgreSQL, with the big tables' indexes and
foreign keys built after the rows; `executemany` in large batches on SQLite — and reports rows per second
per table (docs/performance.md, "Synthetic data").

The tree is district → street → community → area (片, a "grid") → block (块); households live in blocks,
people in households. Logins: one per block (party-group leader, 包块), area (committee member, 包片) and
community (street leader, 包村), one street-staff login per street and one district-staff login per
district, each with its role group, post or responsibility, so routing, scope and escalation work on the
data as on real data. Appeals cover the year before `until`, with the catalogue's categories (Zipf-like
weights), kinds, channels, states by age, deadlines from the category windows (calendar days: the
working-day calendar is not replayed), outcomes and ratings; each has its `appeal.submit` event.
"""

from __future__ import annotations

import bisect
import multiprocessing
import os
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.db import connection, models, transaction

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉梅兵凤春"
PLACE_A = "泮江翡翠金桂和平幸福光明东兴西湖南山北岭花园锦绣阳光滨河春晓丰收长青新村柳塘枫林"
CHANNEL_WEIGHTS = {"hotline": 45, "wechat": 25, "web": 12, "grid": 10, "box": 3, "open311": 3, "api": 2}
KINDS = ["consult", "help", "complaint", "report", "suggestion"]
PASSWORD = "bench-only-password-0"  # noqa: S105 -- the synthetic logins' published password


@dataclass(frozen=True)
class Scale:
    name: str
    districts: int
    streets: int
    communities: int
    areas_per_community: int
    blocks_per_area: int
    households: int
    people: int
    appeals: int


SCALES = {
    "tiny": Scale("tiny", 1, 1, 3, 2, 2, 120, 300, 400),
    "street": Scale("street", 1, 1, 20, 3, 4, 30_000, 80_000, 20_000),
    "district": Scale("district", 1, 10, 200, 3, 4, 150_000, 450_000, 150_000),
    # ~15 k grids (areas): 7,000 communities × 2
    "city": Scale("city", 16, 350, 7_000, 2, 4, 4_000_000, 10_000_000, 20_000_000),
}


@dataclass
class Plan:
    """What to generate: a scale, optionally only its first `districts` districts (a bounded slice of a city,
    with that share of households, people and appeals), from explicit id bases so the rows are fixed."""

    scale: Scale
    seed: int
    until: datetime
    districts: int | None = None
    base: dict[str, int] = field(default_factory=dict)
    chunk: int = 20_000  # rows per generation chunk (see "the big tables, in chunks")

    def chunks(self, n: int) -> int:
        return -(-n // self.chunk)

    def span(self, n: int, k: int) -> range:
        return range(k * self.chunk, min(n, (k + 1) * self.chunk))

    @property
    def share(self) -> float:
        return (self.districts or self.scale.districts) / self.scale.districts

    def n(self, what: str) -> int:
        total: int = getattr(self.scale, what)
        return max(1, round(total * self.share))

    @property
    def prefix(self) -> str:
        return f"S{self.seed}-"


@dataclass
class Tree:
    districts: list[int] = field(default_factory=list)
    streets: list[tuple[int, int]] = field(default_factory=list)  # (id, district)
    communities: list[tuple[int, int, int]] = field(default_factory=list)  # (id, street, district)
    areas: list[tuple[int, int]] = field(default_factory=list)  # (id, community)
    blocks: list[tuple[int, int]] = field(default_factory=list)  # (id, area)
    names: dict[int, str] = field(default_factory=dict)
    codes: dict[int, str] = field(default_factory=dict)
    # logins
    user_of_unit: dict[int, int] = field(default_factory=dict)


def _path(*ids: int) -> str:
    from minhu.grid.models import path_segment

    return "".join(path_segment(i) for i in ids)


def _place_name(rng: random.Random, i: int) -> str:
    a = PLACE_A[(i * 7) % len(PLACE_A)] + PLACE_A[(i * 13 + 5) % len(PLACE_A)]
    return f"{a}{i + 1}"


def tree_rows(plan: Plan, tree: Tree) -> Iterator[tuple[Any, ...]]:
    """Units: (id, kind, name, code, parent_id, path, depth, district_id, under_rectification)."""
    s = plan.scale
    rng = random.Random(f"{plan.seed}:units")  # noqa: S311 -- synthetic data, not security
    nd = plan.districts or s.districts
    ns, nc = plan.n("streets"), plan.n("communities")
    next_id = plan.base["unit"]

    def new() -> int:
        nonlocal next_id
        next_id += 1
        return next_id - 1

    for d in range(nd):
        did = new()
        tree.districts.append(did)
        tree.names[did], tree.codes[did] = f"合成{d + 1}区", f"{plan.prefix}D{d}"
        yield (did, "district", tree.names[did], tree.codes[did], None, _path(did), 1, did, False)
        for st in range(d * ns // nd, (d + 1) * ns // nd):
            sid = new()
            tree.streets.append((sid, did))
            tree.names[sid], tree.codes[sid] = f"{_place_name(rng, st)}街道", f"{plan.prefix}S{st}"
            yield (sid, "street", tree.names[sid], tree.codes[sid], did, _path(did, sid), 2, did, False)
            for c in range(st * nc // ns, (st + 1) * nc // ns):
                cid = new()
                tree.communities.append((cid, sid, did))
                tree.names[cid], tree.codes[cid] = f"{_place_name(rng, c + 31)}社区", f"{plan.prefix}C{c}"
                rect = rng.random() < 0.03
                yield (
                    cid,
                    "community",
                    tree.names[cid],
                    tree.codes[cid],
                    sid,
                    _path(did, sid, cid),
                    3,
                    did,
                    rect,
                )
                for a in range(s.areas_per_community):
                    aid = new()
                    tree.areas.append((aid, cid))
                    tree.names[aid], tree.codes[aid] = f"第{a + 1}片", f"{plan.prefix}C{c}A{a}"
                    yield (
                        aid,
                        "area",
                        tree.names[aid],
                        tree.codes[aid],
                        cid,
                        _path(did, sid, cid, aid),
                        4,
                        did,
                        False,
                    )
                    for b in range(s.blocks_per_area):
                        bid = new()
                        tree.blocks.append((bid, aid))
                        tree.names[bid] = f"{a + 1}片{b + 1}块"
                        tree.codes[bid] = f"{plan.prefix}C{c}A{a}B{b}"
                        path = _path(did, sid, cid, aid, bid)
                        yield (bid, "block", tree.names[bid], tree.codes[bid], aid, path, 5, did, False)


def _unit_parents(tree: Tree) -> dict[int, tuple[int, int, int, int]]:
    """block → (area, community, street, district)."""
    area_c = dict(tree.areas)
    comm = {c: (s, d) for c, s, d in tree.communities}
    out = {}
    for b, a in tree.blocks:
        c = area_c[a]
        s, d = comm[c]
        out[b] = (a, c, s, d)
    return out


def login_rows(plan: Plan, tree: Tree) -> dict[str, list[tuple[Any, ...]]]:
    """Users, their role groups, posts and responsibilities (all small: one per unit at most)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    groups = dict(Group.objects.values_list("name", "pk"))
    # One hash for every login (PBKDF2 is slow on purpose; the salt is fixed so the rows are too).
    password = make_password(PASSWORD, salt=f"minhubench{plan.seed:08d}")
    joined = plan.until - timedelta(days=730)
    start = joined.date()
    uid = plan.base["user"]
    users: list[tuple[Any, ...]] = []
    user_groups: list[tuple[Any, ...]] = []
    posts: list[tuple[Any, ...]] = []
    resps: list[tuple[Any, ...]] = []
    district_of = {**dict(tree.streets), **{d: d for d in tree.districts}}
    district_of.update({c: d for c, _s, d in tree.communities})
    for a, c in tree.areas:
        district_of[a] = district_of[c]
    for b, a in tree.blocks:
        district_of[b] = district_of[a]

    def login(unit: int, role: str, label: str) -> int:
        nonlocal uid
        u = uid
        uid += 1
        name = f"{plan.prefix}{label}{unit}".lower()
        users.append((u, password, None, False, name, "", "", "", False, True, joined, label, ""))
        user_groups.append((u, groups[role]))
        tree.user_of_unit[unit] = u
        return u

    for d in tree.districts:
        posts.append((login(d, "district_staff", "d"), d, "区指挥中心", start, None))
    for s, _d in tree.streets:
        posts.append((login(s, "street_staff", "s"), s, "街道办", start, None))
    for c, _s, _d in tree.communities:
        resps.append(
            (c, None, "street_leader", None, login(c, "village_cadre", "c"), "", start, None, district_of[c])
        )
    for a, _c in tree.areas:
        resps.append(
            (a, None, "committee_member", None, login(a, "grid_member", "a"), "", start, None, district_of[a])
        )
    for b, _a in tree.blocks:
        resps.append(
            (b, None, "group_leader", None, login(b, "grid_member", "b"), "", start, None, district_of[b])
        )
    return {"users": users, "user_groups": user_groups, "posts": posts, "responsibilities": resps}


def tracking_code(i: int, seed: int) -> str:
    """Unique per (i, seed): a bijection of i modulo 31**12 written in the tracking alphabet."""
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    n = (i * 1_000_000_007 + seed * 7_919) % 31**12
    out = []
    for _ in range(12):
        n, r = divmod(n, 31)
        out.append(alphabet[r])
    return "".join(out)


@dataclass(frozen=True)
class Cat:
    pk: int
    code: str
    kind: str
    level: str
    department: str
    response_hours: int
    resolution: timedelta


def categories() -> list[Cat]:
    from minhu.appeals.models import Category

    out = []
    for c in Category.objects.filter(active=True).order_by("code"):
        if c.resolution_unit == "hours":
            res = timedelta(hours=c.resolution_amount)
        elif c.resolution_unit == "working_days":
            res = timedelta(days=c.resolution_amount * 7 / 5)
        else:
            res = timedelta(days=c.resolution_amount)
        out.append(Cat(c.pk, c.code, c.default_kind, c.handling_level, c.department, c.response_hours, res))
    return out


def texts_for(code: str) -> list[str]:
    from minhu.appeals.demo_texts import DESCRIPTIONS

    return [t for _k, _w, t, _r in DESCRIPTIONS.get(code, [])] or [
        "{where}有问题需要处理，请尽快派人来看看。"
    ]


APPEAL_COLUMNS = [
    "id",
    "tracking_code",
    "kind",
    "channel",
    "category_id",
    "description",
    "unit_id",
    "district_id",
    "street_id",
    "village_id",
    "household_id",
    "address",
    "caller_name",
    "caller_phone",
    "anonymous",
    "state",
    "handler_id",
    "department",
    "escalation_level",
    "overdue_at",
    "watch_at",
    "watched_until",
    "repeat_of_id",
    "submitted_at",
    "dispatched_at",
    "responded_at",
    "resolved_at",
    "confirmed_at",
    "closed_at",
    "response_due_at",
    "resolution_due_at",
    "deadline_exact",
    "result",
    "resolved_ok",
    "satisfaction",
    "rating_comment",
    "reopen_count",
    "return_count",
    "transfer_count",
    "version",
]


# --- the big tables, in chunks --------------------------------------------------------------------------
#
# Households, people, appeals and events are generated in chunks of `Plan.chunk` rows. Each chunk has its
# own seeded generator and depends on nothing but the plan and the tree, so chunk k is the same whoever
# builds it, in whatever order: `synth_load` builds them in worker processes on PostgreSQL while the main
# process streams the finished ones into COPY.


@dataclass
class Gen:
    """Everything a chunk needs, and nothing that touches the database (it is sent to worker processes)."""

    plan: Plan
    tree: Tree
    cats: list[Cat]
    appeal_ct: int = 0
    parents: dict[int, tuple[int, int, int, int]] = field(init=False)
    blocks: list[int] = field(init=False)
    texts: dict[str, list[str]] = field(init=False)
    cum: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self.parents = _unit_parents(self.tree)
        self.blocks = [b for b, _a in self.tree.blocks]
        self.texts = {c.code: texts_for(c.code) for c in self.cats}
        total, self.cum = 0.0, []
        for i in range(len(self.cats)):  # Zipf-like: the catalogue's first categories are the common ones
            total += 1 / (i + 1) ** 0.9
            self.cum.append(total)


def household_chunk(g: Gen, k: int) -> list[tuple[Any, ...]]:
    """(id, unit_id, district_id, number, address, created_at); door numbers count up within each block."""
    plan, tree, blocks = g.plan, g.tree, g.blocks
    nh, nb = plan.n("households"), len(blocks)
    created = plan.until - timedelta(days=400)
    out = []
    for h in plan.span(nh, k):
        bi = h * nb // nh
        b = blocks[bi]
        door = h - (-(-bi * nh // nb)) + 1  # the block's first household is ⌈bi·nh/nb⌉
        _a, c, _s, d = g.parents[b]
        out.append(
            (
                plan.base["household"] + h,
                b,
                d,
                f"{door}号",
                f"{tree.names[c]}{tree.names[b]}{door}号",
                created,
            )
        )
    return out


def person_chunk(g: Gen, k: int) -> list[tuple[Any, ...]]:
    """(id, name, gender, birth_date, phone, id_number, household_id, is_head, district_id, elderly_alone,
    disability, low_income, special_population); a household's first person is its head."""
    plan = g.plan
    rng = random.Random(f"{plan.seed}:people:{k}")  # noqa: S311 -- synthetic data, not security
    nh, nb, np_ = plan.n("households"), len(g.blocks), plan.n("people")
    out = []
    for p in plan.span(np_, k):
        h = p * nh // np_
        d = g.parents[g.blocks[h * nb // nh]][3]
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(80 * 365))
        seq = p % 1000
        out.append(
            (
                plan.base["person"] + p,
                rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else ""),
                rng.choice("fm"),
                born,
                f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                f"210111{born:%Y%m%d}{seq:03d}{rng.randrange(10)}",
                plan.base["household"] + h,
                p == 0 or (p - 1) * nh // np_ != h,
                d,
                born.year < 1955 and rng.random() < 0.1,
                rng.random() < 0.02,
                rng.random() < 0.03,
                rng.random() < 0.005,
            )
        )
    return out


def _rows(g: Gen, build: Callable[[Gen, int], list[tuple[Any, ...]]], n: int) -> Iterator[tuple[Any, ...]]:
    for k in range(g.plan.chunks(n)):
        yield from build(g, k)


def household_rows(plan: Plan, tree: Tree) -> Iterator[tuple[Any, ...]]:
    return _rows(Gen(plan, tree, []), household_chunk, plan.n("households"))


def person_rows(plan: Plan, tree: Tree) -> Iterator[tuple[Any, ...]]:
    return _rows(Gen(plan, tree, []), person_chunk, plan.n("people"))


def appeal_chunk(g: Gen, k: int) -> list[tuple[Any, ...]]:
    plan, tree, cats, cum = g.plan, g.tree, g.cats, g.cum
    rng = random.Random(f"{plan.seed}:appeals:{k}")  # noqa: S311 -- synthetic data, not security
    nh, nb, na = plan.n("households"), len(g.blocks), plan.n("appeals")
    t = cum[-1]
    channels, cweights = list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values())
    year = timedelta(days=365)
    start = plan.until - year
    out = []
    for i in plan.span(na, k):
        pk = plan.base["appeal"] + i
        submitted = start + year * (i / na) + timedelta(seconds=rng.randrange(60))
        cat = cats[_pick(cum, rng.random() * t)]
        h = rng.randrange(nh)
        block = g.blocks[h * nb // nh]
        area, community, street, district = g.parents[block]
        with_household = rng.random() < 0.6
        where = tree.names[block]
        description = rng.choice(g.texts[cat.code]).replace("{where}", where)
        kind = cat.kind if rng.random() < 0.8 else rng.choice(KINDS)
        age = plan.until - submitted
        u = rng.random()
        closed_share = min(0.95, age / timedelta(days=20))
        state = "closed"
        repeat_of = None
        if u < 0.03 and i > 0:
            state = "merged"
            repeat_of = plan.base["appeal"] + rng.randrange(i)
        elif u >= closed_share:
            state = rng.choices(
                ["submitted", "dispatched", "responded", "in_progress", "resolved", "confirmed"],
                [2, 20, 20, 30, 20, 8],
            )[0]
        handler = None
        department = ""
        if cat.department:
            department = cat.department
        elif cat.level in ("household", "block"):
            handler = tree.user_of_unit[block]
        elif cat.level == "area":
            handler = tree.user_of_unit[area]
        elif cat.level == "village":
            handler = tree.user_of_unit[community]
        elif cat.level == "street":
            handler = tree.user_of_unit[street]
        else:
            handler = tree.user_of_unit[district]
        dispatched: datetime | None = None
        responded: datetime | None = None
        resolved: datetime | None = None
        confirmed: datetime | None = None
        closed: datetime | None = None
        response_due: datetime | None = None
        resolution_due: datetime | None = None
        overdue: datetime | None = None
        watch: datetime | None = None
        watched: datetime | None = None
        satisfaction, resolved_ok, result = "", None, ""
        if state not in ("submitted", "merged"):
            sent = submitted + timedelta(minutes=rng.randrange(5, 90))
            respond_by = sent + timedelta(hours=cat.response_hours)
            resolve_by = sent + cat.resolution
            dispatched, response_due, resolution_due = sent, respond_by, resolve_by
            if state != "dispatched":
                responded = sent + (respond_by - sent) * rng.uniform(0.05, 1.1)
            if state in ("resolved", "confirmed", "closed"):
                done_at = sent + (resolve_by - sent) * rng.uniform(0.1, 1.08)
                resolved = done_at
                result = "已处理完毕，现场复核无误。"
                if done_at > resolve_by:
                    overdue = resolve_by
                if state in ("confirmed", "closed"):
                    confirmed = done_at + timedelta(hours=rng.uniform(1, 72))
                    resolved_ok = rng.random() < 0.93
                    satisfaction = rng.choices(["satisfied", "basic", "not"], [85, 10, 5])[0]
                    if state == "closed":
                        closed = confirmed + timedelta(hours=rng.uniform(1, 48))
            if state in ("dispatched", "responded", "in_progress"):
                if resolve_by < plan.until:
                    overdue = resolve_by
                else:
                    watch, watched = resolve_by, plan.until
        if state == "merged":
            closed = submitted
        if closed is not None and closed > plan.until:
            closed = plan.until
        anonymous = rng.random() < 0.05
        out.append((
            pk, tracking_code(i, plan.seed), kind, rng.choices(channels, cweights)[0], cat.pk, description,
            block, district, street, community, plan.base["household"] + h if with_household else None,
            "" if with_household else f"{tree.names[community]}{where}", "" if anonymous else "居民",
            "" if anonymous else f"13{rng.randrange(10**9):09d}", anonymous, state, handler, department, 0,
            overdue, watch, watched, repeat_of, submitted, dispatched, responded, resolved, confirmed, closed,
            response_due, resolution_due, True, result, resolved_ok, satisfaction, "", 0, 0, 0, 1,
        ))  # fmt: skip
    return out


def appeal_rows(plan: Plan, tree: Tree, cats: list[Cat]) -> Iterator[tuple[Any, ...]]:
    return _rows(Gen(plan, tree, cats), appeal_chunk, plan.n("appeals"))


def _pick(cum: list[float], x: float) -> int:
    return min(bisect.bisect_left(cum, x), len(cum) - 1)


EVENT_COLUMNS = [
    "actor_id",
    "actor_label",
    "verb",
    "target_type_id",
    "target_id",
    "target_label",
    "before",
    "after",
    "note",
    "request_id",
    "client_addr",
    "at",
]


def event_chunk(g: Gen, k: int) -> list[tuple[Any, ...]]:
    """One `appeal.submit` event per appeal (the detail page's timeline reads them)."""
    plan = g.plan
    na = plan.n("appeals")
    year = timedelta(days=365)
    start = plan.until - year
    out = []
    for i in plan.span(na, k):
        at = start + year * (i / na)
        out.append((
            None, "resident", "appeal.submit", g.appeal_ct, str(plan.base["appeal"] + i),
            tracking_code(i, plan.seed), "{}", '{"state": "submitted"}', "", "synth", None, at,
        ))  # fmt: skip
    return out


def event_rows(plan: Plan, appeal_ct: int) -> Iterator[tuple[Any, ...]]:
    return _rows(Gen(plan, Tree(), [], appeal_ct), event_chunk, plan.n("appeals"))


# --- writing ------------------------------------------------------------------------------------------


@dataclass
class TableReport:
    table: str
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _sqlite_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(v, date):
        return v.isoformat()
    return v


def bulk_write(
    table: str, columns: list[str], rows: Iterator[tuple[Any, ...]] | list[tuple[Any, ...]], batch: int = 5000
) -> TableReport:
    """Write rows by the database's bulk path (COPY on PostgreSQL; executemany on SQLite)."""
    t0 = time.perf_counter()
    n = 0
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur, cur.cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
    else:
        # Table and column names come from the models' own metadata, quoted; the values are parameters.
        sql = f"INSERT INTO {qn(table)} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
        chunk: list[tuple[Any, ...]] = []
        with connection.cursor() as cur:
            for row in rows:
                chunk.append(tuple(_sqlite_value(v) for v in row))
                if len(chunk) >= batch:
                    cur.executemany(sql, chunk)
                    n += len(chunk)
                    chunk = []
            if chunk:
                cur.executemany(sql, chunk)
                n += len(chunk)
    return TableReport(table, n, time.perf_counter() - t0)


def _next_id(model: type[models.Model]) -> int:
    top = model._default_manager.aggregate(m=models.Max("pk"))["m"]
    return int(top or 0) + 1


def plan_for(scale: str, seed: int, until: datetime, districts: int | None = None) -> Plan:
    from minhu.accounts.models import User
    from minhu.appeals.models import Appeal
    from minhu.grid.models import Household, Person, Unit

    plan = Plan(SCALES[scale], seed, until, districts)
    plan.base = {
        "unit": _next_id(Unit),
        "user": _next_id(User),
        "household": _next_id(Household),
        "person": _next_id(Person),
        "appeal": _next_id(Appeal),
    }
    return plan


def already_loaded(seed: int) -> bool:
    from minhu.grid.models import Unit

    return Unit.objects.filter(code__startswith=f"S{seed}-").exists()


# --- building chunks in parallel --------------------------------------------------------------------------

_GEN: Gen | None = None  # the worker process's copy, set by its initializer
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(v: Any) -> str:
    """One value in PostgreSQL's COPY text format (NULL, booleans, numbers, timestamps, dates, text)."""
    if v is None:
        return "\\N"
    if v is True:
        return "t"
    if v is False:
        return "f"
    if isinstance(v, str):
        return v.translate(_COPY_ESCAPES)
    if isinstance(v, date):  # datetime too: ISO 8601 with its offset
        return v.isoformat()
    return str(v)


def copy_text(rows: list[tuple[Any, ...]]) -> bytes:
    """Rows as the body of `COPY … FROM STDIN` (text format)."""
    return "".join("\t".join(map(_copy_value, row)) + "\n" for row in rows).encode()


def _worker_init(g: Gen) -> None:
    global _GEN  # one Gen per worker process, received once
    _GEN = g


def _worker_build(build: Callable[[Gen, int], list[tuple[Any, ...]]], k: int) -> bytes:
    if _GEN is None:
        raise RuntimeError("a builder worker runs without its Gen")
    return copy_text(build(_GEN, k))


class Builders:
    """Worker processes that build chunks as COPY text, at most 2 × workers ahead of the writer (so memory
    stays bounded). With 0 workers the chunks are built in this process, one at a time."""

    def __init__(self, g: Gen, workers: int) -> None:
        self.g = g
        self.pool: ProcessPoolExecutor | None = None
        self.window = 2 * workers
        if workers > 0:
            # spawn, not fork: the parent holds a database connection and may run threads.
            ctx = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init, initargs=(g,))

    def text(self, build: Callable[[Gen, int], list[tuple[Any, ...]]], n: int) -> Iterator[bytes]:
        """The COPY text of chunks 0 … ⌈n / plan.chunk⌉ − 1, in order."""
        total = self.g.plan.chunks(n)
        if self.pool is None:
            for k in range(total):
                yield copy_text(build(self.g, k))
            return
        pending: deque[Future[bytes]] = deque()
        submitted = 0
        while submitted < total or pending:
            while submitted < total and len(pending) < self.window:
                pending.append(self.pool.submit(_worker_build, build, submitted))
                submitted += 1
            yield pending.popleft().result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def write_chunks(
    table: str,
    columns: list[str],
    build: Callable[[Gen, int], list[tuple[Any, ...]]],
    n: int,
    builders: Builders,
) -> TableReport:
    """Write n generated rows of a table: on PostgreSQL one COPY fed by the builders, on SQLite executemany
    per chunk."""
    t0 = time.perf_counter()
    qn = connection.ops.quote_name
    if connection.vendor == "postgresql":
        cols = ", ".join(qn(c) for c in columns)
        with connection.cursor() as cur, cur.cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
            for data in builders.text(build, n):
                copy.write(data)
        return TableReport(table, n, time.perf_counter() - t0)
    report = bulk_write(table, columns, _rows(builders.g, build, n))
    return TableReport(table, report.rows, time.perf_counter() - t0)


# --- PostgreSQL: indexes and foreign keys after the rows ------------------------------------------------


def _deferred_ddl(tables: list[str]) -> tuple[list[str], list[str]]:
    """For PostgreSQL's bulk-loading recipe ("Populating a Database": load, then index, then add the foreign
    keys): the statements that drop the tables' secondary indexes, their unreferenced unique constraints and
    their foreign keys, and the statements that create them again. Primary keys and the unique constraints
    other tables' foreign keys rely on stay. Run inside the load's transaction, so a failure restores all."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT c.relname, con.conname, con.contype, pg_get_constraintdef(con.oid)
            FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
            WHERE c.relname = ANY(%s) AND c.relnamespace = 'public'::regnamespace
              AND (con.contype = 'f' OR (con.contype = 'u' AND NOT EXISTS (
                    SELECT 1 FROM pg_constraint ref WHERE ref.contype = 'f' AND ref.conindid = con.conindid)))
            ORDER BY c.relname, con.contype DESC, con.conname
            """,
            [tables],
        )
        constraints = cur.fetchall()
        cur.execute(
            """
            SELECT ic.relname, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
            WHERE c.relname = ANY(%s) AND c.relnamespace = 'public'::regnamespace
              AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)
            ORDER BY c.relname, ic.relname
            """,
            [tables],
        )
        indexes = cur.fetchall()
    qn = connection.ops.quote_name
    # Foreign keys go first and come back last; unique constraints come back before them.
    fks = [(t, name, d) for t, name, k, d in constraints if k == "f"]
    uniques = [(t, name, d) for t, name, k, d in constraints if k == "u"]
    drop = [f"ALTER TABLE {qn(t)} DROP CONSTRAINT {qn(name)}" for t, name, _d in fks + uniques]
    drop += [f"DROP INDEX {qn(name)}" for name, _d in indexes]
    create = [definition for _name, definition in indexes]
    create += [f"ALTER TABLE {qn(t)} ADD CONSTRAINT {qn(name)} {d}" for t, name, d in uniques + fks]
    return drop, create


def ensure_postgres_database(url: str) -> None:
    """Create the database a postgres:// URL names if the server does not have it yet."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        return
    name = parts.path.lstrip("/")
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def synth_load(
    plan: Plan, progress: Callable[[TableReport], None] | None = None, workers: int | None = None
) -> list[TableReport]:
    """Write the plan's rows in one transaction, then reset the sequences and refresh the planner's
    statistics. Returns one report per table (and, on PostgreSQL, one for the indexes and foreign keys
    built after the rows). `workers` build the big tables' chunks in parallel on PostgreSQL (default: one
    per core where there is more than one chunk; SQLite builds in this process)."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.color import no_style

    from minhu.accounts.models import User
    from minhu.appeals.models import Appeal
    from minhu.core.models import Event
    from minhu.grid.models import Household, Person, Post, Responsibility, Unit

    reports: list[TableReport] = []

    def done(r: TableReport) -> None:
        reports.append(r)
        if progress:
            progress(r)

    postgres = connection.vendor == "postgresql"
    if not postgres:
        workers = 0
    elif workers is None:
        workers = (os.cpu_count() or 1) if plan.chunks(plan.n("people")) > 1 else 0
    tree = Tree()
    cats = categories()
    appeal_ct = ContentType.objects.get_for_model(Appeal).pk
    big = [Household, Person, Appeal, Event]
    with transaction.atomic():
        rebuild: list[str] = []
        if postgres:
            drop, rebuild = _deferred_ddl([m._meta.db_table for m in big])
            with connection.cursor() as cur:
                # A table with deferred checks still pending cannot be altered: check every foreign key at
                # the end of its statement in this transaction instead (the small tables keep theirs).
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for sql in drop:
                    cur.execute(sql)
        unit_cols = [
            "id",
            "kind",
            "name",
            "code",
            "parent_id",
            "path",
            "depth",
            "district_id",
            "under_rectification",
        ]
        done(
            bulk_write(
                Unit._meta.db_table, [*unit_cols, "polygon"], ((*r, "") for r in tree_rows(plan, tree))
            )
        )
        logins = login_rows(plan, tree)
        user_cols = [
            "id",
            "password",
            "last_login",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
            "display_name",
            "phone",
        ]
        done(bulk_write(User._meta.db_table, user_cols, logins["users"]))
        done(bulk_write(User.groups.through._meta.db_table, ["user_id", "group_id"], logins["user_groups"]))
        done(
            bulk_write(Post._meta.db_table, ["user_id", "unit_id", "title", "start", "end"], logins["posts"])
        )
        resp_cols = [
            "unit_id",
            "household_id",
            "role",
            "person_id",
            "user_id",
            "department",
            "start",
            "end",
            "district_id",
        ]
        done(bulk_write(Responsibility._meta.db_table, resp_cols, logins["responsibilities"]))
        builders = Builders(Gen(plan, tree, cats, appeal_ct), workers)
        try:
            hh_cols = ["id", "unit_id", "district_id", "number", "address", "created_at"]
            nh, np_, na = plan.n("households"), plan.n("people"), plan.n("appeals")
            done(write_chunks(Household._meta.db_table, hh_cols, household_chunk, nh, builders))
            person_cols = [
                "id",
                "name",
                "gender",
                "birth_date",
                "phone",
                "id_number",
                "household_id",
                "is_head",
                "district_id",
                "elderly_alone",
                "disability",
                "low_income",
                "special_population",
            ]
            done(write_chunks(Person._meta.db_table, person_cols, person_chunk, np_, builders))
            done(write_chunks(Appeal._meta.db_table, APPEAL_COLUMNS, appeal_chunk, na, builders))
            done(write_chunks(Event._meta.db_table, EVENT_COLUMNS, event_chunk, na, builders))
        finally:
            builders.close()
        if postgres:
            t0 = time.perf_counter()
            with connection.cursor() as cur:
                cur.execute("SET LOCAL maintenance_work_mem = '1GB'")  # room to sort the indexes in memory
                for sql in rebuild:
                    cur.execute(sql)
                for sql in connection.ops.sequence_reset_sql(
                    no_style(), [Unit, User, Household, Person, Appeal]
                ):
                    cur.execute(sql)
            done(TableReport(f"indexes, foreign keys ({len(rebuild)})", 0, time.perf_counter() - t0))
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return reports

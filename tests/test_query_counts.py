"""Query-count baselines for the pages each user lives on, committed in tests/query_counts.json.

One world is built once for this module — the grid's test tree and the personas of conftest.py, with
enough rows on every list that an N+1 shows: 26 households, 28 appeals with their timelines (3 by Open311),
4 problems, 3 meetings (one with decided items and action items), a call-out with a roster of 12, 12 care
plans with visits, a published quarter of sunshine accounts, an API token — inside a transaction rolled back
when the module ends. With about twice as many rows of each, every page's count stayed the same, except the
JSON API's appeal list, which today reads the user's roles three times per appeal (its `actions`).
Each test then asks for one page as the person who lives on it and compares the number of queries with the
baseline of the database in use (SQLite and PostgreSQL may differ — savepoints, vendor-guarded queries — so
each has its own; today they agree).

The comparison is exact, both ways. With the time frozen and the world fixed, a page's count is a property of
the code, not of chance: more queries than the baseline is a regression (usually a loop that queries per row);
fewer is an improvement that the baseline must record, so that a later regression back to the old count is
caught — a tolerance would let exactly that slip through.

Each page is requested twice and the second request is counted: the first fills the process's caches (content
types, the working-day calendar), so the count does not depend on which test ran before.

When a change alters a count on purpose, rewrite the baselines of the database in use and commit the file:

    MINHU_UPDATE_QUERY_COUNTS=1 .venv/bin/python -m pytest -q tests/test_query_counts.py

and again with `DATABASE_URL=postgres://…` set for PostgreSQL's (`python3 dev.py test` checks both).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import make_persona
from minhu.accounts.models import Scope, User
from minhu.accounts.services import token_issue
from minhu.appeals.models import Appeal, Category, PeriodUnit, Urgency
from minhu.appeals.services import (
    IntakeData,
    appeal_dispatch,
    appeal_resolve,
    appeal_respond,
    appeal_start,
    appeal_submit,
)
from minhu.grid.models import Household, Responsibility
from minhu.grid.services import (
    household_create,
    party_member_set,
    person_create,
    person_link_user,
    post_create,
    responsibility_assign,
)
from minhu.grid.tests.conftest import START, Tree, build_tree
from minhu.ledger.models import Disclosure, Organisation
from minhu.ledger.services import ledger_period_close, organisation_link_unit
from minhu.ledger.tests.conftest import q1_fixture
from minhu.meetings.models import Meeting
from minhu.meetings.services import (
    agenda_item_add,
    agenda_item_decide,
    attendance_sign_in,
    meeting_create,
    meeting_hold,
)
from minhu.meetings.tests.conftest import ATTENDEES
from minhu.mobilise.models import CallOut
from minhu.mobilise.services import (
    TargetSpec,
    callout_answer,
    callout_raise,
    care_plan_set,
    care_visit_record,
)
from minhu.open311.forms import RequestInput
from minhu.open311.services import client_issue, request_submit
from minhu.problems.models import Problem
from minhu.problems.services import problem_create

BASELINES = Path(__file__).resolve().parent / "query_counts.json"
UPDATE = "MINHU_UPDATE_QUERY_COUNTS"
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 4, 15, 10, 0, tzinfo=SH)  # a Wednesday, a working day, after the sunshine quarter
HOUSEHOLDS = 24  # beyond the tree's own two in block A1a
APPEALS = 25  # the last five in village B
PARTY = 12  # party members of village A
CARED = 12  # households on a care plan
PROBLEMS = 4  # each merging five of village A's appeals, each on the first meeting's agenda
MEETINGS = 3


@dataclass
class World:
    tree: Tree
    alice: User  # street staff (post on the street)
    bob: User  # village A cadre (post on the village)
    carol: User  # party member answering for every household of block A1a
    erin: User  # district staff
    appeals: list[Appeal]
    problem: Problem
    meeting: Meeting
    callout: CallOut
    estate: Organisation
    disclosure: Disclosure
    api_token: str


def _households(tree: Tree, carol: User) -> list[Household]:
    """Block A1a's households, every one answered for by carol, a third of them an elder living alone."""
    households = [tree.hh_a1, tree.hh_a2]
    for i in range(3, HOUSEHOLDS + 3):
        hh = household_create(unit=tree.block_a, number=f"{i}号", actor=None)
        person_create(
            name=f"住户{i}",
            household=hh,
            is_head=True,
            phone=f"1390000{i:04d}",
            elderly_alone=i % 3 == 0,
            actor=None,
        )
        households.append(hh)
    for hh in households:
        if hh != tree.hh_a1:  # A1a-1 is carol's already (below, as in the grid's `staffed`)
            responsibility_assign(
                unit=tree.block_a,
                household=hh,
                role=Responsibility.Role.PARTY_MEMBER,
                user=carol,
                start=START,
                actor=None,
            )
    return households


def _staff(tree: Tree) -> tuple[User, User, User, User]:
    """The grid's `staffed` fixture, plus erin on the district."""
    alice, bob, carol, dave, erin = (make_persona(n) for n in ("alice", "bob", "carol", "dave", "erin"))
    for name, unit, role in (
        ("老王", tree.village_a, Responsibility.Role.STREET_LEADER),
        ("孙委员", tree.area_a, Responsibility.Role.COMMITTEE_MEMBER),
        ("周组长", tree.block_a, Responsibility.Role.GROUP_LEADER),
    ):
        responsibility_assign(
            unit=unit, role=role, person=person_create(name=name, actor=None), start=START, actor=None
        )
    responsibility_assign(
        unit=tree.block_a,
        household=tree.hh_a1,
        role=Responsibility.Role.PARTY_MEMBER,
        user=carol,
        start=START,
        actor=None,
    )
    post_create(user=alice, unit=tree.street, title="街道干部", start=START, actor=None)
    post_create(user=bob, unit=tree.village_a, title="村两委", start=START, actor=None)
    post_create(user=erin, unit=tree.district, title="区直部门", start=START, actor=None)
    person_link_user(person=tree.dave_person, user=dave, actor=None)
    return alice, bob, carol, erin


def _appeals(tree: Tree, households: list[Household], carol: User, alice: User) -> list[Appeal]:
    """25 appeals through the real intake: 20 from block A1a's households (routed to carol), in every state
    from dispatched to resolved; 5 from village B, where no one answers, left to the street's queue (two of
    them dispatched by hand to carol)."""
    t01 = Category.objects.create(
        code="T01",
        name="环境卫生",
        name_en="Sanitation",
        urgency=Urgency.ORDINARY,
        response_hours=24,
        resolution_amount=5,
        resolution_unit=PeriodUnit.WORKING_DAYS,
    )
    t02 = Category.objects.create(
        code="T02", name="设施损坏", name_en="Broken facilities", resolution_amount=7
    )
    kinds = ("complaint", "help", "suggestion", "consult")
    channels = ("web", "hotline", "wechat", "box")
    appeals = []
    for i in range(APPEALS):
        in_a = i < APPEALS - 5
        with time_machine.travel(NOW - timedelta(days=APPEALS - i, hours=i % 5), tick=False):
            appeal = appeal_submit(
                data=IntakeData(
                    kind=kinds[i % 4],
                    channel=channels[i % 4],
                    category=t01 if i % 2 else t02,
                    description=f"第{i}件：楼道{i}号灯不亮，垃圾{i}天没清",
                    household=households[i] if in_a else None,
                    unit=None if in_a else tree.block_b,
                    address=f"{i}号楼",
                    caller_name=f"住户{i}",
                    caller_phone=f"1390000{i:04d}",
                )
            ).appeal
            if not in_a and i % 2:
                appeal = appeal_dispatch(appeal=appeal, handler=carol, actor=alice)
            if in_a and i % 4 >= 1:
                appeal = appeal_respond(appeal=appeal, actor=carol, note="已电话联系")
            if in_a and i % 4 >= 2:
                appeal = appeal_start(appeal=appeal, actor=carol)
            if in_a and i % 4 == 3:
                appeal = appeal_resolve(appeal=appeal, result="已修好", actor=carol)
        appeals.append(appeal)
    return appeals


TITLES = ("楼道灯不亮", "垃圾清运不及时", "电动车充电难", "缺少休闲设施")


def _problems(tree: Tree, bob: User, appeals: list[Appeal]) -> list[Problem]:
    return [
        problem_create(
            actor=bob,
            unit=tree.village_a,
            title=title,
            description=f"{title}，多户反映",
            appeals=appeals[start : start + 5],
        )
        for title, start in ((f"{TITLES[n % len(TITLES)]}（{n + 1}）", 5 * n) for n in range(PROBLEMS))
    ]


def _meetings(tree: Tree, bob: User, carol: User, problems: list[Problem]) -> Meeting:
    """Three meetings of village A; the first has every problem on its agenda, decided, with actions."""
    meetings = [
        meeting_create(
            actor=bob,
            unit=tree.village_a,
            title=f"马耳山村三方联席会议（第{n}次）",
            place="村党群服务站",
            starts_at=NOW + timedelta(days=n - 1, hours=-2),
            attendees=ATTENDEES,
        )
        for n in range(1, MEETINGS + 1)
    ]
    for problem in problems:
        agenda_item_add(meeting=meetings[0], actor=bob, title=problem.title, subject=problem)
    for attendance in meetings[0].attendance.all():
        attendance_sign_in(attendance=attendance, actor=bob)
    meeting_hold(meeting=meetings[0], actor=bob, minutes="三方到会，逐项议定")
    for item in meetings[0].items.all():
        agenda_item_decide(
            item=item,
            actor=bob,
            solution=f"{item.title}：物业限期整改",
            owner_role="物业党支部",
            owner=carol,
            deadline=NOW.date() + timedelta(days=10),
            budget=Decimal("1200.00"),
            actions=["通知物业", "上门回访"],
        )
    return meetings[0]


def _mobilise(tree: Tree, bob: User, carol: User, households: list[Household]) -> CallOut:
    """Twelve party members in village A answer a call-out; twelve households are on care plans, visited."""
    members = [party_member_set(person=p, party_group="一块党小组", actor=None) for p in _party(tree, carol)]
    callout = callout_raise(
        unit=tree.village_a,
        title="除雪突击队",
        description="七点半村委会集合，带铁锹",
        head_count=10,
        targets=[
            TargetSpec(name="打通田间作业路", unit_label="公里", goal=Decimal(21)),
            TargetSpec(name="清理大棚积雪", unit_label="栋", goal=Decimal(1500)),
        ],
        actor=bob,
    )
    for n, member in enumerate(callout.members.all()):
        callout_answer(member=member, accept=n % 3 != 0, actor=bob)
    assert len(members) == callout.members.count() == PARTY
    for hh in households[:CARED]:
        care_plan_set(household=hh, cadence_days=7, actor=bob, start=NOW.date() - timedelta(days=20))
        care_visit_record(
            household=hh,
            actor=carol,
            outcome="well",
            notes="身体尚好",
            visited_at=NOW - timedelta(days=3),
        )
    return callout


def _party(tree: Tree, carol: User) -> list[Any]:
    people = [person_create(name="张卡", household=tree.hh_a2, user=carol, actor=None)]
    people += [person_create(name=f"党员{i}", household=tree.hh_a1, actor=None) for i in range(PARTY - 1)]
    return people


def _ledger(tree: Tree, alice: User, bob: User) -> tuple[Organisation, Disclosure]:
    from minhu.ledger.models import Account

    estate = Organisation.objects.create(name="泮江翡翠城小区", slug="panjiang", kind="estate")
    for code, name, klass, maint in [
        ("I01", "物业费", "income", False),
        ("I02", "广告收入", "income", False),
        ("I03", "停车费", "income", False),
        ("C01", "保洁", "cost", False),
        ("C02", "保安", "cost", False),
        ("C03", "公共设施维修", "cost", True),
    ]:
        Account.objects.create(organisation=estate, code=code, name=name, klass=klass, is_maintenance=maint)
    estate = organisation_link_unit(organisation=estate, unit=tree.village_a, actor=None)
    q1_fixture(estate, alice, bob)
    disclosure = ledger_period_close(
        organisation=estate, period="quarter", start=date(2026, 1, 1), end=date(2026, 3, 31), actor=alice
    )
    return estate, disclosure


def _open311(households: list[Household]) -> None:
    client, _key = client_issue(name="城市App", contact="dev@example.org", actor=None)
    category = Category.objects.get(code="T01")
    for n in range(3):
        request_submit(
            client=client,
            data=RequestInput(
                category=category,
                description=f"Open311 第{n}件：路面坑洼",
                household=households[-1 - n],
                address=f"{n}号楼",
            ),
        )


def build_world() -> World:
    tree = build_tree()
    alice, bob, carol, erin = _staff(tree)
    households = _households(tree, carol)
    appeals = _appeals(tree, households, carol, alice)
    problems = _problems(tree, bob, appeals)
    meeting = _meetings(tree, bob, carol, problems)
    callout = _mobilise(tree, bob, carol, households)
    estate, disclosure = _ledger(tree, alice, bob)
    _open311(households)
    _token, api_token = token_issue(user=alice, name="query counts", scopes=Scope.values, actor=None)
    return World(
        tree=tree,
        alice=alice,
        bob=bob,
        carol=carol,
        erin=erin,
        appeals=appeals,
        problem=problems[0],
        meeting=meeting,
        callout=callout,
        estate=estate,
        disclosure=disclosure,
        api_token=api_token,
    )


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """Built once, inside a transaction that is rolled back when the module ends; each test runs in a
    savepoint of it (pytest-django's `db`), so no page's side effects reach the next."""
    with time_machine.travel(NOW, tick=False), django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


# --- the pages --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """Who asks for what: `path` is given the world."""

    user: str | None  # a World attribute (a logged-in persona), or None for the public
    path: Callable[[World], str]
    api: bool = False  # sends the world's API token instead of logging in


def _appeal(w: World) -> Appeal:
    return w.appeals[3]  # resolved, on problem 1's list, with a full timeline


PAGES: dict[str, Page] = {
    "core.home.carol": Page("carol", lambda w: "/"),
    "core.home.alice": Page("alice", lambda w: "/"),
    "core.inbox": Page("carol", lambda w: "/inbox/"),
    "appeals.workbench.carol": Page("carol", lambda w: "/appeals/workbench/"),
    "appeals.workbench.alice": Page("alice", lambda w: "/appeals/workbench/"),
    "appeals.record": Page("bob", lambda w: "/appeals/record/"),
    "appeals.detail": Page("alice", lambda w: f"/appeals/{_appeal(w).pk}/"),
    "appeals.list": Page("alice", lambda w: "/appeals/list/"),
    "appeals.list.xlsx": Page("alice", lambda w: "/appeals/list/?format=xlsx"),
    "appeals.stats": Page("alice", lambda w: "/appeals/stats/"),
    "appeals.ranking": Page("erin", lambda w: "/appeals/ranking/"),
    "appeals.submit": Page(None, lambda w: "/appeals/new/"),
    "appeals.track": Page(None, lambda w: f"/appeals/track/{_appeal(w).tracking_code}/"),
    "problems.index": Page("bob", lambda w: "/problems/"),
    "problems.detail": Page("bob", lambda w: f"/problems/{w.problem.pk}/"),
    "problems.board": Page(None, lambda w: f"/problems/board/{w.tree.village_a.code}/"),
    "meetings.index": Page("bob", lambda w: "/meetings/"),
    "meetings.detail": Page("bob", lambda w: f"/meetings/{w.meeting.pk}/"),
    "meetings.actions": Page("carol", lambda w: "/meetings/actions/"),
    "mobilise.index": Page("bob", lambda w: "/mobilise/"),
    "mobilise.callout": Page("bob", lambda w: f"/mobilise/callouts/{w.callout.pk}/"),
    "mobilise.care": Page("bob", lambda w: "/mobilise/care/"),
    "ledger.index": Page(None, lambda w: "/sunshine/"),
    "ledger.organisation": Page(None, lambda w: f"/sunshine/{w.estate.slug}/"),
    "ledger.disclosure": Page(None, lambda w: f"/sunshine/{w.estate.slug}/{w.disclosure.pk}/"),
    "ledger.staff_index": Page("bob", lambda w: "/sunshine/staff/"),
    "ledger.staff_organisation": Page("bob", lambda w: f"/sunshine/staff/{w.estate.slug}/"),
    "grid.index": Page("alice", lambda w: "/grid/"),
    "grid.unit.village": Page("alice", lambda w: f"/grid/units/{w.tree.village_a.pk}/"),
    "grid.unit.block": Page("alice", lambda w: f"/grid/units/{w.tree.block_a.pk}/"),
    "api.appeals": Page("alice", lambda w: "/api/v1/appeals?limit=100", api=True),
    "api.appeal": Page("alice", lambda w: f"/api/v1/appeals/{_appeal(w).tracking_code}", api=True),
    "api.problems": Page("alice", lambda w: "/api/v1/problems", api=True),
    "api.units": Page("alice", lambda w: "/api/v1/units?limit=100", api=True),
    "api.households": Page("alice", lambda w: "/api/v1/households?limit=100", api=True),
    "api.events": Page("alice", lambda w: "/api/v1/events?limit=100", api=True),
    "open311.requests": Page(None, lambda w: "/open311/v2/requests.json"),
    "open311.request": Page(None, lambda w: f"/open311/v2/requests/{_appeal(w).tracking_code}.json"),
}


# --- measuring and comparing ------------------------------------------------------------------------------

_measured: dict[str, int] = {}


def _load() -> dict[str, dict[str, int]]:
    if not BASELINES.exists():
        return {}
    data: dict[str, dict[str, int]] = json.loads(BASELINES.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module", autouse=True)
def _write_baselines() -> Iterator[None]:
    """With MINHU_UPDATE_QUERY_COUNTS=1, rewrite this database's baselines once every page has been measured:
    pages not measured in this run keep their count, pages no longer in PAGES are dropped."""
    yield
    if os.environ.get(UPDATE) != "1" or not _measured:
        return
    data = _load()
    old = data.get(connection.vendor, {})
    counts = old | _measured
    data[connection.vendor] = {k: counts[k] for k in PAGES if k in counts}
    BASELINES.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def count_queries(client: Client, world: World, page: Page) -> tuple[int, int, list[str]]:
    headers: dict[str, str] = {}
    if page.api:
        headers["Authorization"] = f"Bearer {world.api_token}"
    elif page.user is not None:
        client.force_login(getattr(world, page.user))
    path = page.path(world)
    client.get(path, headers=headers)  # warm the process's caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, headers=headers)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)  # type: ignore[attr-defined]  # an export queries as it streams
    return response.status_code, len(ctx), [q["sql"] for q in ctx.captured_queries]


def _shapes(queries: list[str]) -> list[tuple[str, int]]:
    """The queries by shape (numbers and quoted values elided), the most repeated first: a query run once per
    row of a list shows up as one shape run many times."""
    shapes = Counter(re.sub(r"'[^']*'|\b\d+\b", "?", sql) for sql in queries)
    return sorted(shapes.items(), key=lambda kv: -kv[1])


@pytest.mark.parametrize("name", list(PAGES))
def test_page_takes_its_baseline_number_of_queries(name: str, world: World, db: Any, client: Client) -> None:
    status, n, queries = count_queries(client, world, PAGES[name])
    assert status == 200, f"{name}: {PAGES[name].path(world)} answered {status}"
    _measured[name] = n
    if os.environ.get(UPDATE) == "1":
        return
    baseline = _load().get(connection.vendor, {}).get(name)
    how = (
        f"If the change is intended, rewrite the baselines and commit tests/query_counts.json:\n"
        f"    {UPDATE}=1 .venv/bin/python -m pytest -q tests/test_query_counts.py"
        + (" (with DATABASE_URL set for PostgreSQL)" if connection.vendor == "postgresql" else "")
    )
    if baseline is None:
        pytest.fail(f"{name}: no {connection.vendor} baseline (it takes {n} queries). {how}")
    if n != baseline:
        listing = "\n".join(f"  {times} × {shape[:240]}" for shape, times in _shapes(queries))
        change = "more: a query per row (N+1)?" if n > baseline else "fewer: tighten the baseline"
        pytest.fail(
            f"{name} ({PAGES[name].path(world)}) took {n} queries on {connection.vendor}, "
            f"the baseline is {baseline} ({change}).\n{how}\n"
            f"The queries, the most repeated first:\n{listing}",
            pytrace=False,
        )

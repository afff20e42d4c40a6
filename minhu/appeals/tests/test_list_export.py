"""The appeal list: filters, scope, pagination, and the .xlsx export of exactly the filtered list (callers
masked unless an allowed user asks, which is recorded)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook  # type: ignore[import-untyped]

from conftest import make_persona
from minhu.appeals.models import Appeal
from minhu.appeals.services import IntakeData, appeal_submit
from minhu.appeals.stats import list_header
from minhu.appeals.tests.statsworld import SH, World, build_world
from minhu.core.models import Event

NOW = datetime(2026, 4, 10, 12, 0, tzinfo=SH)
URL = "/appeals/list/"


@pytest.fixture
def world(db: Any) -> Iterator[World]:
    with time_machine.travel(NOW, tick=False):
        w = build_world()
        # one more, through the intake service: a consultation from the web form about dave's household
        with time_machine.travel(datetime(2026, 3, 5, 10, 0, tzinfo=SH), tick=False):
            w.appeals[20] = appeal_submit(
                data=IntakeData(
                    kind="consult",
                    channel="web",
                    category=w.t01,
                    description="低保怎么申请？",
                    household=w.tree.hh_a1,
                    caller_name="刘大",
                    caller_phone="13812348000",
                )
            ).appeal
        yield w


@pytest.fixture(autouse=True)
def _english(client: Client, settings: Any) -> Iterator[None]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def codes(response: Any) -> set[str]:
    return {a.tracking_code for a in response.context["page"]}


def n(*numbers: int) -> set[str]:
    return {f"STAT{i:04d}" for i in numbers}


def xlsx_rows(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(wb.worksheets[0].iter_rows(values_only=True))


def test_the_intake_appeal_is_located_in_village_a(world: World) -> None:
    a = world.appeals[20]
    assert (a.unit, a.village, a.street) == (world.tree.block_a, world.tree.village_a, world.tree.street)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {1, 2, 3, 4, 5, 10, 20}),
        ({"state": "closed"}, {1, 4, 10}),
        ({"kind": "consult"}, {20}),
        ({"channel": "hotline"}, {1, 2, 3, 4, 5, 10}),
        ({"category": "Z92"}, {4}),
        ({"unit": "village_b"}, {3, 4}),
        ({"from": "2026-02-27", "to": "2026-02-28"}, {10}),
        ({"from": "2026-03-03"}, {20}),
        ({"overdue": "on"}, {3}),
        ({"state": "closed", "unit": "village_b"}, {4}),
    ],
)
def test_filters(world: World, client: Client, params: dict[str, str], expected: set[int]) -> None:
    client.force_login(world.alice)
    if params.get("unit"):
        params["unit"] = str(getattr(world.tree, params["unit"]).pk)
    if params.get("category"):
        params["category"] = str(world.t02.pk)
    response = client.get(URL, params)
    assert response.status_code == 200
    got = codes(response)
    want = {world.appeals[i].tracking_code for i in expected}
    assert got == want


@time_machine.travel(NOW, tick=False)
def test_village_cadre_sees_only_their_village_in_list_and_export(world: World, client: Client) -> None:
    client.force_login(world.bob)
    response = client.get(URL)
    own = {world.appeals[i].tracking_code for i in (1, 2, 5, 10, 20)}
    assert codes(response) == own
    rows = xlsx_rows(client.get(URL, {"format": "xlsx"}))
    assert {r[0] for r in rows[1:]} == own
    assert not {r[7] for r in rows[1:]} - {"马耳山村"}  # every row is in village A
    assert client.get(URL, {"unit": world.tree.village_b.pk}).status_code == 400


@time_machine.travel(NOW, tick=False)
def test_export_is_exactly_the_filtered_list_with_callers_masked(world: World, client: Client) -> None:
    client.force_login(world.alice)
    page = client.get(URL, {"state": "closed"})
    rows = xlsx_rows(client.get(URL, {"state": "closed", "format": "xlsx", "page": "2"}))
    assert list(rows[0]) == list_header()
    assert [r[0] for r in rows[1:]] == [
        a.tracking_code for a in page.context["page"]
    ]  # same rows, same order
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Tracking code"] == "STAT0004"
    assert first["Submitted at"] == datetime(2026, 3, 2, 9, 0, tzinfo=SH).replace(tzinfo=None)  # as Excel
    assert (first["Street"], first["Village or community"], first["State"]) == (
        "永乐街道",
        "互助村",
        "Closed out",
    )
    assert (first["Caller"], first["Caller's phone"]) == ("刘*", "138****8000")
    assert (first["Returned"], first["Satisfaction"], first["Resolved (caller's view)"]) == (
        1,
        "Basically satisfied",
        "yes",
    )
    assert not Event.objects.filter(verb="appeal.export_callers").exists()


@time_machine.travel(NOW, tick=False)
def test_street_staff_may_ask_for_full_callers_and_it_is_recorded(world: World, client: Client) -> None:
    client.force_login(world.alice)
    rows = xlsx_rows(client.get(URL, {"kind": "consult", "format": "xlsx", "personal": "1"}))
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["Caller"], first["Caller's phone"]) == ("刘大", "13812348000")
    event = Event.objects.get(verb="appeal.export_callers")
    assert (event.actor, event.after["rows"], event.after["filters"]["kind"]) == (world.alice, 1, "consult")


@time_machine.travel(NOW, tick=False)
def test_grid_member_gets_callers_masked_even_when_asking(world: World, client: Client) -> None:
    carol = make_persona("carol")
    Appeal.objects.filter(pk=world.appeals[3].pk).update(handler=carol)
    client.force_login(carol)
    assert codes(client.get(URL)) == n(3)  # what she handles, nothing else
    rows = xlsx_rows(client.get(URL, {"format": "xlsx", "personal": "1"}))
    assert [(r[0], r[-2], r[-1]) for r in rows[1:]] == [("STAT0003", "刘*", "138****8000")]
    assert not Event.objects.filter(verb="appeal.export_callers").exists()


def _bulk(world: World, count: int, start: int) -> None:
    vb = world.tree.village_b
    Appeal.objects.bulk_create(
        Appeal(
            kind="help",
            channel="box",
            category=world.t02,
            description=f"#{i}",
            address="x",
            unit=vb,
            village=vb,
            street=world.tree.street,
            district=world.tree.district,
            tracking_code=f"BULK{i:05d}",
            submitted_at=datetime(2026, 1, 1, tzinfo=SH) + timedelta(hours=i),
        )
        for i in range(start, start + count)
    )


@time_machine.travel(NOW, tick=False)
def test_pages_of_fifty(world: World, client: Client) -> None:
    _bulk(world, 120, 0)
    client.force_login(world.alice)
    first = client.get(URL, {"channel": "box"})
    assert first.context["page"].paginator.count == 120
    assert len(codes(first)) == 50
    last = client.get(URL, {"channel": "box", "page": "3"})
    assert len(codes(last)) == 20
    assert codes(last) == {f"BULK{i:05d}" for i in range(20)}  # newest first: the oldest are on the last page
    html = first.content.decode()
    assert "channel=box&amp;page=2" in html  # the pager keeps the filters
    rows = xlsx_rows(client.get(URL, {"channel": "box", "format": "xlsx"}))
    assert len(rows) == 121  # every page, not just the one shown


def _queries(client: Client, params: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, params).status_code == 200
    return len(ctx)


@time_machine.travel(NOW, tick=False)
def test_list_page_queries_do_not_grow_with_rows(
    world: World, client: Client, django_assert_max_num_queries: Any
) -> None:
    client.force_login(world.alice)
    with django_assert_max_num_queries(20):
        client.get(URL)
    before = _queries(client, {})
    _bulk(world, 60, 0)
    assert _queries(client, {}) == before


@time_machine.travel(NOW, tick=False)
def test_export_queries_do_not_grow_with_rows(world: World, client: Client) -> None:
    client.force_login(world.alice)

    def export_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            xlsx_rows(client.get(URL, {"format": "xlsx"}))
        return len(ctx)

    before = export_queries()
    _bulk(world, 60, 0)
    Appeal.objects.filter(tracking_code__startswith="BULK").update(handler=world.bob)
    assert export_queries() == before


def test_bad_dates_are_refused_with_a_message(world: World, client: Client) -> None:
    client.force_login(world.alice)
    response = client.get(URL, {"from": "2026-03-10", "to": "2026-03-01"})
    assert response.status_code == 400
    assert "The start comes after the end." in response.content.decode()
    assert client.get(URL).status_code == 200


def test_login_required(client: Client, db: Any) -> None:
    for name in ("appeals:list", "appeals:stats", "appeals:ranking"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert "login" in response["Location"]


# --- one selector behind the page, the export and the API; one definition of overdue -----------------


def _api_codes(client: Client, user: Any, params: dict[str, Any]) -> set[str]:
    from minhu.accounts.models import Scope
    from minhu.accounts.services import token_issue

    _token, plain = token_issue(user=user, name="list", scopes=[Scope.APPEALS_READ], actor=None)
    r = client.get("/api/v1/appeals", {**params, "limit": 100}, HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert r.status_code == 200, r.content
    return {x["tracking_code"] for x in r.json()["items"]}


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("page", "api"),
    [
        ({}, {}),
        ({"state": "closed"}, {"state": "closed"}),
        ({"kind": "consult"}, {"kind": "consult"}),
        ({"channel": "hotline"}, {"channel": "hotline"}),
        ({"category": "t02"}, {"category": "Z92"}),
        ({"unit": "village_b"}, {"unit": "village_b"}),
        (
            {"from": "2026-02-27", "to": "2026-02-28"},
            {"submitted_after": "2026-02-27T00:00:00+08:00", "submitted_before": "2026-03-01T00:00:00+08:00"},
        ),
        ({"overdue": "on"}, {"overdue": "true"}),
        ({"state": "closed", "unit": "village_b"}, {"state": "closed", "unit": "village_b"}),
    ],
)
def test_the_same_filter_gives_the_same_rows_on_page_export_and_api(
    world: World, client: Client, page: dict[str, str], api: dict[str, str]
) -> None:
    for params in (page, api):
        if params.get("unit"):
            params["unit"] = str(getattr(world.tree, params["unit"]).pk)
    if page.get("category"):
        page["category"] = str(world.t02.pk)
    client.force_login(world.alice)
    on_page = codes(client.get(URL, page))
    exported = {r[0] for r in xlsx_rows(client.get(URL, {**page, "format": "xlsx"}))[1:]}
    assert on_page  # every case selects something
    assert on_page == exported == _api_codes(client, world.alice, api)


@time_machine.travel(NOW, tick=False)
def test_overdue_means_the_same_on_every_screen(world: World, client: Client) -> None:
    from minhu.appeals.selectors import workbench_for
    from minhu.appeals.stats import Period, unit_stats
    from minhu.appeals.tests.statsworld import T0, make_appeal

    tree, H = world.tree, timedelta(hours=1)
    # resolved in time, its deadline passed while it waits for the caller's rating: not overdue
    waiting = make_appeal(
        world.t01, 30, tree.village_b, street=tree.street, village=tree.village_b, state="resolved",
        dispatched_at=T0, response_due_at=T0 + 24 * H, responded_at=T0 + H, resolved_at=T0 + 2 * H,
        resolution_due_at=T0 + 72 * H, handler=world.alice,
    )  # fmt: skip
    # in progress past its resolution deadline, with the handler: overdue
    late = make_appeal(
        world.t01, 31, tree.village_b, street=tree.street, village=tree.village_b, state="in_progress",
        dispatched_at=T0, response_due_at=T0 + 24 * H, responded_at=T0 + H,
        resolution_due_at=T0 + 72 * H, handler=world.alice,
    )  # fmt: skip
    overdue = n(3) | {late.tracking_code}  # #3: dispatched, not contacted in time
    assert set(Appeal.objects.overdue().values_list("tracking_code", flat=True)) == overdue
    assert (waiting.is_overdue(), late.is_overdue()) == (False, True)
    client.force_login(world.alice)
    assert codes(client.get(URL, {"overdue": "on"})) == overdue
    assert _api_codes(client, world.alice, {"overdue": "true"}) == overdue
    rest = {world.appeals[i].tracking_code for i in (1, 2, 4, 5, 10, 20)} | {waiting.tracking_code}
    assert _api_codes(client, world.alice, {"overdue": "false"}) == rest
    rows = xlsx_rows(client.get(URL, {"format": "xlsx"}))
    column = list(rows[0]).index("Overdue")
    assert {r[0] for r in rows[1:] if r[column] == "yes"} == overdue
    assert unit_stats(world.alice, unit=tree.street, period=Period.month(2026, 3)).overdue == len(overdue)
    bench = workbench_for(world.alice)
    assert {a.tracking_code: a.flag for a in bench.mine} == {  # type: ignore[attr-defined]
        late.tracking_code: "overdue",
        waiting.tracking_code: "",
    }

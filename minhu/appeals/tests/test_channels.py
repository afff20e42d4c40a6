"""Routing through the grid, the staff channels (hotline, suggestion box, on foot), dispatch and transfer from
the detail page, stale pages, and the signed WeChat webhook."""

from __future__ import annotations

import json
import time
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from minhu.accounts.models import User
from minhu.appeals.inbound import category_guess
from minhu.appeals.models import Appeal, Category, Channel, State
from minhu.appeals.routing import forget_shapes, locate, unit_for_address
from minhu.appeals.services import IntakeData, appeal_dispatch, appeal_submit
from minhu.core.models import Event
from minhu.core.outbox import webhook_signature
from minhu.grid.services import unit_create
from minhu.grid.tests.conftest import Tree

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[123.30, 41.60], [123.40, 41.60], [123.40, 41.70], [123.30, 41.70], [123.30, 41.60]]],
}


def _submit(category: Category, **kw: Any) -> Appeal:
    kw.setdefault("kind", "complaint")
    kw.setdefault("channel", "web")
    kw.setdefault("description", "楼道灯坏了一个星期")
    return appeal_submit(data=IntakeData(category=category, **kw)).appeal


# --- routing -----------------------------------------------------------------------------------------------


def test_household_appeal_goes_to_its_party_member(staffed: Tree, ordinary: Category, carol: User) -> None:
    appeal = _submit(ordinary, household=staffed.hh_a1)
    assert (appeal.state, appeal.handler) == (State.DISPATCHED, carol)
    assert (appeal.unit, appeal.village, appeal.street, appeal.district) == (
        staffed.block_a,
        staffed.village_a,
        staffed.street,
        staffed.district,
    )


def test_household_without_a_login_in_its_chain_waits_for_dispatch(staffed: Tree, ordinary: Category) -> None:
    # Village B has nobody answering at any level: it waits in the dispatchers' queue (属地兜底 by hand).
    appeal = _submit(ordinary, household=staffed.hh_b1)
    assert (appeal.state, appeal.handler) == (State.SUBMITTED, None)
    assert appeal.village == staffed.village_b


def test_a_higher_handling_level_skips_the_household(staffed: Tree, ordinary: Category, bob: User) -> None:
    from minhu.grid.models import Responsibility
    from minhu.grid.services import responsibility_assign

    responsibility_assign(
        unit=staffed.area_a,
        role=Responsibility.Role.COMMITTEE_MEMBER,
        user=bob,
        start=date(2024, 1, 1),
        actor=None,
    )
    ordinary.handling_level = "area"
    ordinary.save()
    appeal = _submit(ordinary, household=staffed.hh_a1)
    assert appeal.handler == bob


def test_free_address_finds_the_deepest_consistent_unit(staffed: Tree) -> None:
    # Both villages have a 一片 / 一块: the village name in the address decides.
    assert unit_for_address("互助村 一片 一块 1号") == staffed.block_b
    assert unit_for_address("马耳山村一片") == staffed.area_a
    assert unit_for_address("火星基地") is None


def test_a_point_is_routed_to_the_containing_polygon(staffed: Tree) -> None:
    staffed.area_b.polygon = json.dumps(SQUARE)
    staffed.area_b.save()
    forget_shapes()
    place = locate(
        IntakeData(
            kind="help",
            channel="web",
            category=None,
            description="x",
            lat=Decimal("41.65"),
            long=Decimal("123.35"),
        )
    )
    assert place.unit == staffed.area_b
    assert place.village == staffed.village_b
    outside = locate(
        IntakeData(
            kind="help",
            channel="web",
            category=None,
            description="x",
            lat=Decimal("41.9"),
            long=Decimal("123.35"),
        )
    )
    assert outside.unit is None


def test_a_new_boundary_is_seen_at_once(staffed: Tree) -> None:
    data = IntakeData(
        kind="help",
        channel="web",
        category=None,
        description="x",
        lat=Decimal("41.65"),
        long=Decimal("123.35"),
    )
    assert locate(data).unit is None
    unit_create(
        kind="block", name="新块", code="NEW1", parent=staffed.area_a, actor=None, polygon=json.dumps(SQUARE)
    )
    found = locate(data).unit
    assert found is not None
    assert found.code == "NEW1"


# --- recording by staff ------------------------------------------------------------------------------------


def _record(client: Client, **fields: Any) -> Any:
    data = {
        "channel": "hotline",
        "kind": "complaint",
        "description": "门口垃圾三天没人清运",
        "idempotency_key": fields.pop("key", "k1"),
        "caller_phone": "13812348000",
    }
    data.update(fields)
    return client.post(reverse("appeals:record"), data)


def test_hotline_entry_with_a_household_is_dispatched(
    client: Client, staffed: Tree, ordinary: Category, alice: User, carol: User
) -> None:
    client.force_login(alice)
    response = _record(client, category=ordinary.pk, unit_code=staffed.block_a.code, door="1号")
    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("appeals:detail", args=[appeal.pk])
    assert (appeal.channel, appeal.household, appeal.handler, appeal.recorded_by) == (
        Channel.HOTLINE,
        staffed.hh_a1,
        carol,
        alice,
    )
    # a double-click (same form key) records nothing more
    _record(client, category=ordinary.pk, unit_code=staffed.block_a.code, door="1号")
    assert Appeal.objects.count() == 1


def test_record_names_the_field_and_saves_nothing(
    client: Client, staffed: Tree, ordinary: Category, alice: User
) -> None:
    client.force_login(alice)
    response = _record(client, category=ordinary.pk, unit_code=staffed.block_a.code, door="99号")
    assert response.status_code == 400
    assert "door" in response.context["form"].errors
    response = _record(client, category=ordinary.pk, door="1号", key="k2")
    assert "unit_code" in response.context["form"].errors
    response = _record(client, category=ordinary.pk, caller_phone="12345", key="k3", address="马耳山村")
    assert "caller_phone" in response.context["form"].errors
    response = _record(client, category=ordinary.pk, key="k4")
    assert "address" in response.context["form"].errors  # no place at all
    assert Appeal.objects.count() == 0


def test_a_unit_outside_the_scope_is_not_found(
    client: Client, staffed: Tree, ordinary: Category, bob: User
) -> None:
    client.force_login(bob)  # village A's cadre
    response = _record(client, category=ordinary.pk, unit_code=staffed.block_b.code)
    assert "unit_code" in response.context["form"].errors


def test_consultation_answered_during_the_call_closes_at_once(
    client: Client, staffed: Tree, ordinary: Category, alice: User
) -> None:
    client.force_login(alice)
    _record(
        client, category=ordinary.pk, kind="consult", address="马耳山村", answered="社保卡在社区服务站办理"
    )
    appeal = Appeal.objects.get()
    assert appeal.state == State.CLOSED
    assert appeal.result == "社保卡在社区服务站办理"


def test_a_grid_member_answers_a_consultation_they_record_but_not_a_complaint(
    client: Client, staffed: Tree, ordinary: Category, carol: User
) -> None:
    client.force_login(carol)  # a grid member: records and answers during the call, dispatches nothing
    refused = _record(client, category=ordinary.pk, address="马耳山村", answered="已经解释过了", key="k-c")
    assert refused.status_code == 400
    assert "answered" in refused.context["form"].errors
    assert not Appeal.objects.exists()
    _record(
        client, category=ordinary.pk, kind="consult", address="马耳山村", answered="社保卡在社区服务站办理"
    )
    appeal = Appeal.objects.get()
    assert (appeal.state, appeal.recorded_by) == (State.CLOSED, carol)


def test_a_repeat_is_linked_and_the_caller_told_its_progress(
    client: Client, staffed: Tree, ordinary: Category, alice: User
) -> None:
    first = _submit(ordinary, household=staffed.hh_a1)
    client.force_login(alice)
    response = _record(client, category=ordinary.pk, unit_code=staffed.block_a.code, door="1号", key="r2")
    second = Appeal.objects.exclude(pk=first.pk).get()
    assert (second.state, second.repeat_of) == (State.MERGED, first)
    page = client.get(response["Location"])
    assert first.tracking_code in page.content.decode()


def test_residents_cannot_record_for_others(client: Client, staffed: Tree, dave: User) -> None:
    client.force_login(dave)
    assert client.get(reverse("appeals:record")).status_code == 404


def test_unit_options_lists_only_units_in_scope(client: Client, staffed: Tree, bob: User) -> None:
    client.force_login(bob)
    body = client.get(reverse("appeals:unit_options"), {"unit_code": "一块"}).content.decode()
    assert staffed.block_a.code in body
    assert staffed.block_b.code not in body


# --- dispatch, transfer, stale pages -----------------------------------------------------------------------


def test_dispatcher_dispatches_from_the_detail_page(
    client: Client, staffed: Tree, ordinary: Category, alice: User, carol: User
) -> None:
    appeal = _submit(ordinary, address="马耳山村")  # an area, no household: waits for a dispatcher
    assert appeal.state == State.SUBMITTED
    client.force_login(alice)
    page = client.get(reverse("appeals:detail", args=[appeal.pk]))
    assert page.status_code == 200
    assert "data-dispatch" in page.content.decode()
    url = reverse("appeals:act", args=[appeal.pk, "dispatch"])
    client.post(url, {"handler": carol.pk, "version": appeal.version})
    appeal.refresh_from_db()
    assert (appeal.state, appeal.handler) == (State.DISPATCHED, carol)


def test_dispatch_needs_a_handler_or_department(
    client: Client, staffed: Tree, ordinary: Category, alice: User
) -> None:
    appeal = _submit(ordinary, address="马耳山村")
    client.force_login(alice)
    response = client.post(
        reverse("appeals:act", args=[appeal.pk, "dispatch"]),
        {"version": appeal.version},
        HTTP_HX_REQUEST="true",
    )
    assert response["X-Minhu-Outcome"] == "400"
    appeal.refresh_from_db()
    assert appeal.state == State.SUBMITTED


def test_handler_transfers_with_a_reason_and_it_is_counted(
    client: Client, staffed: Tree, ordinary: Category, alice: User, carol: User
) -> None:
    appeal = _submit(ordinary, household=staffed.hh_a1)
    client.force_login(carol)
    url = reverse("appeals:act", args=[appeal.pk, "transfer"])
    client.post(url, {"to": alice.pk, "reason": "", "version": appeal.version})
    appeal.refresh_from_db()
    assert appeal.handler == carol  # no reason, no transfer
    client.post(url, {"to": alice.pk, "reason": "需要街道协调", "version": appeal.version})
    appeal.refresh_from_db()
    assert (appeal.handler, appeal.transfer_count, appeal.state) == (alice, 1, State.DISPATCHED)
    assert Event.objects.filter(verb="appeal.transfer", note="需要街道协调").count() == 1


def test_acting_on_a_stale_page_is_a_conflict(
    client: Client, staffed: Tree, ordinary: Category, carol: User
) -> None:
    appeal = _submit(ordinary, household=staffed.hh_a1)
    client.force_login(carol)
    seen = appeal.version  # the page in carol's first tab
    client.post(reverse("appeals:act", args=[appeal.pk, "respond"]), {"version": seen})  # second tab
    response = client.post(
        reverse("appeals:act", args=[appeal.pk, "resolve"]),
        {"result": "已清理", "version": seen},
        HTTP_HX_REQUEST="true",
    )
    assert response["X-Minhu-Outcome"] == "409"
    appeal.refresh_from_db()
    assert (appeal.state, appeal.result) == (State.RESPONDED, "")


def test_dispatcher_on_a_stale_page_gets_a_conflict(
    client: Client, staffed: Tree, ordinary: Category, alice: User, bob: User, carol: User
) -> None:
    appeal = _submit(ordinary, address="马耳山村")
    seen = appeal.version
    appeal_dispatch(appeal=appeal, handler=carol, actor=bob)
    client.force_login(alice)
    response = client.post(
        reverse("appeals:act", args=[appeal.pk, "dispatch"]),
        {"handler": alice.pk, "version": seen},
        HTTP_HX_REQUEST="true",
    )
    assert response["X-Minhu-Outcome"] == "409"
    appeal.refresh_from_db()
    assert appeal.handler == carol
    assert Event.objects.filter(verb="appeal.dispatch").count() == 1


# --- WeChat ------------------------------------------------------------------------------------------------

SECRET = "wechat-test-secret"


def _wechat(client: Client, payload: Any, *, secret: str = SECRET, skew: int = 0) -> Any:
    body = json.dumps(payload, ensure_ascii=False).encode()
    ts = str(int(time.time()) + skew)
    return client.post(
        reverse("appeals:inbound_wechat"),
        body,
        content_type="application/json",
        HTTP_X_MINHU_TIMESTAMP=ts,
        HTTP_X_MINHU_SIGNATURE=webhook_signature(secret, ts, body),
    )


@pytest.fixture
def wechat_on(settings: Any) -> None:
    settings.WECHAT_INBOUND_SECRET = SECRET


def test_wechat_message_becomes_an_appeal_once(
    client: Client, wechat_on: None, staffed: Tree, ordinary: Category
) -> None:
    payload = {
        "msg_id": "m-1",
        "text": "楼下电动车飞线充电很危险",
        "address": "马耳山村一片一块",
        "phone": "",
    }
    first = _wechat(client, payload)
    assert first.status_code == 201, first.content
    body = first.json()
    appeal = Appeal.objects.get(tracking_code=body["tracking_code"])
    assert (appeal.channel, appeal.category.code, appeal.unit) == (Channel.WECHAT, "G02", staffed.block_a)
    assert body["track_url"].endswith(reverse("appeals:track", args=[appeal.tracking_code]))
    retry = _wechat(client, payload)
    assert retry.status_code == 200
    assert retry.json()["tracking_code"] == body["tracking_code"]
    assert Appeal.objects.count() == 1


def test_wechat_refuses_bad_signatures_and_old_timestamps(
    client: Client, wechat_on: None, ordinary: Category
) -> None:
    payload = {"msg_id": "m-2", "text": "路灯坏了", "address": "某路"}
    assert _wechat(client, payload, secret="wrong").status_code == 403
    assert _wechat(client, payload, skew=-3600).status_code == 403
    unsigned = client.post(reverse("appeals:inbound_wechat"), payload, content_type="application/json")
    assert unsigned.status_code == 403
    assert Appeal.objects.count() == 0


def test_wechat_is_off_without_a_secret(client: Client, ordinary: Category) -> None:
    assert _wechat(client, {"msg_id": "x", "text": "y"}).status_code == 404


def test_wechat_names_bad_fields(client: Client, wechat_on: None, ordinary: Category) -> None:
    response = _wechat(client, {"text": "", "category": "NOPE", "lat": "north"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"msg_id", "category", "lat"}
    response = _wechat(client, {"msg_id": "m-3", "text": "", "category": ordinary.code})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"description", "location"}
    assert Appeal.objects.count() == 0


def test_category_guess_uses_keywords_then_the_fallback(ordinary: Category, settings: Any) -> None:
    # the shipped catalogue's keywords
    assert category_guess("隔壁装修太吵了").code == "G06"  # type: ignore[union-attr]
    assert category_guess("楼下电动车飞线充电").code == "G02"  # type: ignore[union-attr]
    settings.APPEALS_FALLBACK_CATEGORY = ordinary.code
    assert category_guess("说不清楚的事") == ordinary


def test_one_tap_on_the_workbench_answers_with_the_item(
    client: Client, staffed: Tree, ordinary: Category, carol: User, django_assert_max_num_queries: Any
) -> None:
    appeal = _submit(ordinary, household=staffed.hh_a1)
    _submit(ordinary, household=staffed.hh_a2, description="另一户的事")
    client.force_login(carol)
    with django_assert_max_num_queries(
        15
    ):  # session, user, scope, two queues, inbox badge: no per-row queries
        page = client.get(reverse("appeals:workbench")).content.decode()
    assert f'data-code="{appeal.tracking_code}"' in page
    response = client.post(
        reverse("appeals:act", args=[appeal.pk, "respond"]),
        {"version": appeal.version, "from": "queue"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response["X-Minhu-Outcome"] == "200"
    assert body.startswith("<li")
    assert 'class="state state-responded"' in body
    assert reverse("appeals:act", args=[appeal.pk, "start"]) in body
    # the same tap again, from the now stale item: refused, and said so in the item
    again = client.post(
        reverse("appeals:act", args=[appeal.pk, "respond"]),
        {"version": appeal.version, "from": "queue"},
        HTTP_HX_REQUEST="true",
    )
    assert again["X-Minhu-Outcome"] == "409"
    assert "Someone else acted on this appeal" in again.content.decode()


def test_only_the_caller_rates(client: Client, staffed: Tree, ordinary: Category, carol: User) -> None:
    from minhu.appeals.services import appeal_resolve, appeal_respond

    appeal = _submit(ordinary, household=staffed.hh_a1, caller_phone="13812348000")
    appeal = appeal_resolve(appeal=appeal_respond(appeal=appeal, actor=carol), result="修好了", actor=carol)
    url = reverse("appeals:rate", args=[appeal.tracking_code])
    vote = {"resolved_ok": "yes", "satisfaction": "satisfied"}
    client.post(url, {**vote, "phone_tail": "1234"})  # someone who only knows the code
    appeal.refresh_from_db()
    assert appeal.state == State.RESOLVED
    client.post(url, {**vote, "phone_tail": "8000"})
    appeal.refresh_from_db()
    assert appeal.state == State.CLOSED

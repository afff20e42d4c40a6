"""An Open311 request through Minhu: it reaches the right person's workbench, its handling shows in GET
requests and in servicerequestupdates, a revoked key is refused, and nothing personal is ever read back."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from PIL import Image

from minhu.accounts.models import User
from minhu.appeals.models import Appeal, Category, Satisfaction, State
from minhu.appeals.selectors import workbench_for
from minhu.appeals.services import (
    IntakeData,
    appeal_rate,
    appeal_resolve,
    appeal_respond,
    appeal_start,
    appeal_submit,
)
from minhu.grid.models import Household, Person
from minhu.grid.tests.conftest import Tree
from minhu.open311.models import Client
from minhu.open311.services import client_revoke
from minhu.open311.tests.georeport import GeoReport, as_text

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 16, 9, 0, tzinfo=SH)  # a Monday


def post(georeport: GeoReport, key: str, **params: Any) -> Any:
    base = {"api_key": key, "service_code": "T01", "description": "楼道灯坏了一个星期"}
    answer = georeport.create("xml", **{**base, **params})
    assert answer.status == 200, answer.data
    return answer


def test_a_request_reaches_the_workbench_of_the_households_party_member(
    georeport: GeoReport, staffed: Tree, ordinary: Category, api_key: str, carol: User
) -> None:
    answer = post(georeport, api_key, address_string="马耳山村 一片 一块 1号")
    code = answer.data[0]["service_request_id"]
    appeal = Appeal.objects.get(tracking_code=code)
    assert (appeal.household, appeal.handler, appeal.state) == (staffed.hh_a1, carol, State.DISPATCHED)
    assert appeal in workbench_for(carol).mine
    page = HttpClient()
    page.force_login(carol)
    assert code in page.get("/appeals/workbench/").content.decode()
    # Named by the unit's code and the door number, another matter reaches her too.
    answer = post(
        georeport,
        api_key,
        service_code="G04",
        address_id=staffed.block_a.code,
        description="门口的垃圾没人清",
        **{"attribute[household]": "1号"},
    )
    assert Appeal.objects.get(tracking_code=answer.data[0]["service_request_id"]).handler == carol


def _status(georeport: GeoReport, code: str) -> tuple[str, str]:
    xml, json = georeport.request(code, "xml"), georeport.request(code, "json")
    assert as_text(xml.data) == as_text(json.data)
    return json.data[0]["status"], json.data[0]["updated_datetime"]


def _updates(georeport: GeoReport, code: str) -> list[tuple[str, str]]:
    xml, json = georeport.updates("xml"), georeport.updates("json")
    assert as_text(xml.data) == as_text(json.data)
    return [(u["status"], u["external_status_code"]) for u in json.data if u["service_request_id"] == code]


def test_handling_shows_in_requests_and_in_updates(
    georeport: GeoReport, staffed: Tree, ordinary: Category, api_key: str, carol: User
) -> None:
    with time_machine.travel(T0, tick=False):
        code = post(georeport, api_key, address_string="马耳山村 一片 一块 1号").data[0]["service_request_id"]
    appeal = Appeal.objects.get(tracking_code=code)
    steps: list[tuple[Callable[[Appeal], Appeal], str]] = [
        (lambda a: appeal_respond(appeal=a, actor=carol), "open"),
        (lambda a: appeal_start(appeal=a, actor=carol), "open"),
        (lambda a: appeal_resolve(appeal=a, result="换了灯泡", actor=carol), "closed"),
        (lambda a: appeal_rate(appeal=a, resolved_ok=False, satisfaction=Satisfaction.NOT), "open"),
        (lambda a: appeal_respond(appeal=a, actor=carol), "open"),
        (lambda a: appeal_resolve(appeal=a, result="换了灯座", actor=carol), "closed"),
        (lambda a: appeal_rate(appeal=a, resolved_ok=True, satisfaction=Satisfaction.SATISFIED), "closed"),
    ]
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        assert _status(georeport, code) == ("open", "2026-11-16T09:00:00+08:00")
    for hours, (act, status) in enumerate(steps, start=2):
        at = T0 + timedelta(hours=hours)
        with time_machine.travel(at, tick=False):
            appeal = act(appeal)
            assert _status(georeport, code) == (status, at.isoformat())
    assert appeal.state == State.CLOSED
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        assert _updates(georeport, code) == [
            ("open", "submitted"),
            ("action_scheduled", "dispatched"),
            ("investigating", "responded"),
            ("in_progress", "in_progress"),
            ("fixed", "resolved"),
            ("reopen", "dispatched"),
            ("investigating", "responded"),
            ("fixed", "resolved"),
            ("closed", "closed"),
        ]
        # A closed request's updated_datetime is its close time, whatever comes after.
        assert _status(georeport, code) == ("closed", (T0 + timedelta(hours=8)).isoformat())


def test_a_repeat_is_closed_as_a_duplicate_of_the_open_matter(
    georeport: GeoReport, staffed: Tree, ordinary: Category, api_key: str
) -> None:
    first = post(georeport, api_key, address_string="马耳山村 一片 一块 1号").data[0]
    again = post(georeport, api_key, address_string="马耳山村 一片 一块 1号").data[0]
    assert first["service_notice"] == ""
    assert (
        again["service_notice"]
        == "Linked to a matter already being handled: follow this request for its progress"
    )
    [row] = georeport.request(again["service_request_id"], "json").data
    assert (row["status"], row["status_notes"], row["service_notice"]) == (
        "closed",
        "Linked to an open matter",
        "Linked to a matter already being handled",
    )
    assert _updates(georeport, again["service_request_id"]) == [("duplicate", "merged")]


def test_a_revoked_key_is_refused(
    georeport: GeoReport, ordinary: Category, issued: tuple[Client, str]
) -> None:
    client, key = issued
    post(georeport, key, address_string="火车站广场")
    client_revoke(client=client, actor=None)
    for fmt in ("xml", "json"):
        answer = georeport.create(
            fmt, api_key=key, service_code="T01", address_string="火车站广场", description="又满了"
        )
        assert answer.status == 403
        assert answer.data == [
            {"code": 403 if fmt == "json" else "403", "description": "api_key is missing, unknown or revoked"}
        ]
    assert Appeal.objects.count() == 1


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")


def test_no_get_response_carries_personal_data(
    georeport: GeoReport,
    staffed: Tree,
    ordinary: Category,
    demanding: Category,
    api_key: str,
    carol: User,
    dave: User,
) -> None:
    liu = staffed.dave_person  # 刘大 of household A1a-1
    # Through Open311, with the caller's details, and with them written into the description too.
    mine = post(
        georeport,
        api_key,
        address_string="马耳山村 一片 一块 1号",
        first_name="大",
        last_name="刘",
        phone=liu.phone,
        email="liuda@example.org",
        description=f"我是刘大，电话{liu.phone}，身份证{liu.id_number}，座机024-31234567，楼道灯坏了",
    ).data[0]["service_request_id"]
    neighbour = georeport.create(
        "json",
        files={"media": _photo()},
        api_key=api_key,
        service_code="T02",
        address_string="马耳山村 一片 一块",
        description="健身器材坏了",
        first_name="Zhao",
        last_name="Lin",
        **{"attribute[phone]": staffed.neighbour.phone, "attribute[household]": "2号"},
    ).data[0]["service_request_id"]
    # Another channel's appeal, with a caller's account, followed by its tracking code.
    web = appeal_submit(
        data=IntakeData(
            kind="help",
            channel="web",
            category=Category.objects.get(code="G04"),
            description=f"刘大家里没水了 {liu.phone}",
            household=staffed.hh_a1,
            caller_name=liu.name,
            caller_phone=liu.phone,
            caller=dave,
        )
    ).appeal
    for code in (mine, web.tracking_code):
        appeal = Appeal.objects.get(tracking_code=code)
        appeal = appeal_respond(appeal=appeal, actor=carol, note=f"给刘大打了电话 {liu.phone}")
        appeal_resolve(appeal=appeal, result=f"已为刘大修好，联系电话 {liu.phone}", actor=carol)

    secrets = {"liuda@example.org", "024-31234567", "Zhao Lin"}
    for person in Person.objects.all():
        secrets |= {s for s in (person.name, person.phone, person.id_number) if s}
    for user in User.objects.all():
        secrets |= {s for s in (user.display_name, user.phone, user.username) if s}
    assert {"刘大", liu.phone, "张卡", "赵邻", staffed.neighbour.phone, "carol"} <= secrets
    doors = set(Household.objects.values_list("number", flat=True))

    codes = [mine, neighbour, web.tracking_code]
    for fmt in ("xml", "json"):
        answers = [
            georeport.discovery(fmt),
            georeport.services(fmt),
            *(georeport.definition(c.code, fmt) for c in Category.objects.filter(active=True)),
            georeport.requests(fmt),
            georeport.requests(fmt, service_request_id=",".join(codes)),
            *(georeport.request(code, fmt) for code in codes),
            georeport.updates(fmt),
        ]
        for answer in answers:
            assert answer.status == 200
            text = answer.raw.decode()
            leaked = sorted(s for s in secrets if s in text)
            assert leaked == [], (fmt, leaked, text[:300])
        rows = georeport.requests(fmt, service_request_id=",".join(codes)).data
        assert len(rows) == 3
        for row in rows:
            assert not any(str(row["address"]).endswith(door) for door in doors), row["address"]
            assert row["address"] == "永乐街道 马耳山村 一片 一块"
        assert "刘*" in rows[0]["description"]
        assert "138****8000" in rows[0]["description"]

"""Every GeoReport v2 call in both formats, through the reference-document client (georeport.py): field names,
types, error bodies and status codes."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from minhu.appeals.models import Appeal, Category, Channel
from minhu.appeals.services import IntakeData, appeal_dispatch, appeal_resolve, appeal_respond, appeal_submit
from minhu.core.models import Event
from minhu.grid.tests.conftest import Tree
from minhu.open311.models import Client, Submission
from minhu.open311.tests.georeport import Answer, GeoReport, as_text

FORMATS = pytest.mark.parametrize("fmt", ["xml", "json"])
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SH)


def descriptions(answer: Any) -> list[str]:
    return [str(e["description"]) for e in answer.data]


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return SimpleUploadedFile("lamp.png", buffer.getvalue(), content_type="image/png")


def file_request(georeport: GeoReport, key: str, code: str = "T01", **extra: str) -> str:
    params = {
        "api_key": key,
        "service_code": code,
        "address_string": "火车站广场",
        "description": "垃圾桶满了",
    }
    answer = georeport.create("json", **{**params, **extra})
    assert answer.status == 200, answer.data
    return str(answer.data[0]["service_request_id"])


# --- discovery and services -------------------------------------------------------------------------------


@FORMATS
def test_discovery_names_this_endpoint_and_both_formats(georeport: GeoReport, fmt: str) -> None:
    answer = georeport.discovery(fmt)
    assert answer.status == 200
    [endpoint] = answer.data["endpoints"]
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert endpoint["type"] == "production"
    assert answer.data["changeset"].endswith("+08:00")
    assert answer.data["contact"]


@FORMATS
def test_services_list_the_active_catalogue(
    georeport: GeoReport, fmt: str, ordinary: Category, demanding: Category
) -> None:
    Category.objects.filter(code="G01").update(active=False)
    answer = georeport.services(fmt)
    assert answer.status == 200
    by_code = {s["service_code"]: as_text(s) for s in answer.data}
    assert by_code["T01"] == {
        "service_code": "T01",
        "service_name": "Sanitation",
        "description": "",
        "metadata": "false",
        "type": "realtime",
        "keywords": "垃圾,卫生",
        "group": "环境",
    }
    assert by_code["T02"]["metadata"] == "true"
    assert by_code["E01"]["metadata"] == "true"  # the shipped emergency category needs a location
    assert "G01" not in by_code
    assert list(by_code) == sorted(by_code)


@FORMATS
def test_services_are_named_in_chinese_unless_english_is_chosen(
    client: Any, fmt: str, ordinary: Category, settings: Any
) -> None:
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    names = {s["service_code"]: s["service_name"] for s in GeoReport(client).services(fmt).data}
    assert names["T01"] == "环境卫生"


@FORMATS
def test_a_definition_has_one_attribute_per_required_field(
    georeport: GeoReport, fmt: str, demanding: Category
) -> None:
    answer = georeport.definition("T02", fmt)
    assert answer.status == 200
    assert answer.data["service_code"] == "T02"
    attributes = [as_text(a) for a in answer.data["attributes"]]
    assert [(a["code"], a["variable"], a["required"], a["datatype"], a["order"]) for a in attributes] == [
        ("location", "false", "false", "string", "1"),
        ("photo", "false", "false", "string", "2"),
        ("phone", "true", "true", "string", "3"),
        ("household", "true", "true", "string", "4"),
    ]
    assert all(a["description"] for a in attributes)


@FORMATS
def test_a_category_without_attributes_has_an_empty_definition(
    georeport: GeoReport, fmt: str, ordinary: Category
) -> None:
    answer = georeport.definition("T01", fmt)
    assert answer.status == 200
    assert answer.data["attributes"] == []


@FORMATS
def test_an_unknown_or_inactive_service_code_is_404(
    georeport: GeoReport, fmt: str, ordinary: Category
) -> None:
    Category.objects.filter(code="T01").update(active=False)
    for code in ("T01", "NOPE"):
        answer = georeport.definition(code, fmt)
        assert answer.status == 404
        assert descriptions(answer) == [f"service_code not found: {code}"]


# --- POST requests ------------------------------------------------------------------------------------------


@FORMATS
def test_post_without_a_valid_api_key_is_403_and_files_nothing(
    georeport: GeoReport, fmt: str, ordinary: Category, api_key: str
) -> None:
    params = {"service_code": "T01", "address_string": "火车站广场", "description": "垃圾桶满了"}
    for key in (None, "", "m311_wrong", api_key + "x"):
        answer = georeport.create(fmt, **params, **({} if key is None else {"api_key": key}))
        assert answer.status == 403
        assert descriptions(answer) == ["api_key is missing, unknown or revoked"]
    assert not Appeal.objects.exists()


@FORMATS
def test_post_files_an_appeal_through_the_intake(
    georeport: GeoReport, fmt: str, ordinary: Category, issued: tuple[Client, str]
) -> None:
    client, key = issued
    answer = georeport.create(
        fmt,
        api_key=key,
        service_code="T01",
        address_string="火车站广场",
        description="垃圾桶满了",
        first_name="Lei",
        last_name="Li",
        phone="13800001234",
        email="li.lei@example.org",
        device_id="d-1",
        account_id="a-1",
        media_url="https://example.org/p.jpg",
    )
    assert answer.status == 200
    [item] = answer.data
    assert "token" not in item
    appeal = Appeal.objects.get(tracking_code=item["service_request_id"])
    assert (appeal.channel, appeal.kind, appeal.category) == (
        Channel.OPEN311,
        ordinary.default_kind,
        ordinary,
    )
    assert (appeal.caller_name, appeal.caller_phone, appeal.address) == (
        "Lei Li",
        "13800001234",
        "火车站广场",
    )
    assert appeal.idempotency_key is None
    submission = Submission.objects.get(appeal=appeal)
    assert (submission.client, submission.media_url) == (client, "https://example.org/p.jpg")
    assert submission.submitted_at == appeal.submitted_at
    assert Event.objects.for_target(appeal).filter(verb="appeal.submit").count() == 1
    recorded = Event.objects.get(verb="open311.request")
    assert recorded.actor_label == f"open311:{client.key_prefix}"
    assert recorded.after == {"client": "Test city app", "tracking_code": appeal.tracking_code}


@FORMATS
def test_a_chinese_name_is_family_name_first(
    georeport: GeoReport, fmt: str, ordinary: Category, api_key: str
) -> None:
    code = file_request(georeport, api_key, first_name="小明", last_name="王")
    assert Appeal.objects.get(tracking_code=code).caller_name == "王小明"


@FORMATS
def test_post_reports_every_problem_of_its_arguments_at_once(
    georeport: GeoReport, fmt: str, ordinary: Category, api_key: str
) -> None:
    answer = georeport.create(
        fmt, api_key=api_key, service_code="T01", lat="41.6", media_url="ftp://example.org/x", address_id="X9"
    )
    assert answer.status == 400
    assert descriptions(answer) == [
        "lat and long must be given together",
        "address_id: no unit of the grid has this code",
        "media_url must be an http or https URL of at most 500 characters",
    ]
    answer = georeport.create(fmt, api_key=api_key, service_code="T01", lat="north", long="123.4")
    assert descriptions(answer) == ["lat must be a number (WGS84 decimal degrees)"]
    answer = georeport.create(fmt, api_key=api_key, service_code="T01", description="灯坏了")
    assert descriptions(answer) == ["a location is required: lat and long, address_string or address_id"]
    assert georeport.create(fmt, api_key=api_key).status == 400
    assert not Appeal.objects.exists()


@FORMATS
def test_post_reports_every_problem_the_intake_finds_in_english(
    georeport: GeoReport, fmt: str, ordinary: Category, api_key: str
) -> None:
    answer = georeport.create(
        fmt,
        api_key=api_key,
        service_code="T01",
        lat="95",
        long="123.4",
        phone="12345",
        description="<b>灯</b>坏了",
    )
    assert answer.status == 400
    assert sorted(descriptions(answer)) == [
        "description: Plain text only, without HTML.",
        "location: That position is not on the map.",
        "phone: Enter an 11-digit mobile number or a landline such as 0766-1234567.",
    ]
    answer = georeport.create(
        fmt, api_key=api_key, service_code="T01", address_string="火车站", description=""
    )
    assert descriptions(answer) == ["description: Describe the matter."]
    answer = georeport.create(
        fmt, api_key=api_key, service_code="T01", address_string="火车站", description="x" * 4001
    )
    assert descriptions(answer) == ["description: At most 4000 characters (this is 4001)."]
    assert not Appeal.objects.exists()


@FORMATS
def test_post_with_an_unknown_service_code_is_404(georeport: GeoReport, fmt: str, api_key: str) -> None:
    answer = georeport.create(fmt, api_key=api_key, service_code="NOPE", address_string="x", description="y")
    assert answer.status == 404
    assert descriptions(answer) == ["service_code not found: NOPE"]


@FORMATS
def test_post_checks_the_attributes_of_its_service(
    georeport: GeoReport, fmt: str, staffed: Tree, demanding: Category, api_key: str
) -> None:
    base = {"api_key": api_key, "service_code": "T02", "description": "健身器材坏了"}
    answer = georeport.create(fmt, **base, address_string="马耳山村 一片 一块")
    assert answer.status == 400
    assert descriptions(answer) == [
        "attribute[phone] is required for this service_code (or give phone)",
        "attribute[household] is required for this service_code",
    ]
    attributes = {"attribute[phone]": "13900001111", "attribute[household]": "9号"}
    answer = georeport.create(fmt, **base, address_string="马耳山村 一片 一块", **attributes)
    assert descriptions(answer) == ["attribute[household]: no household has this door number in that unit"]
    # A unit code alone is no address, and the photo must come as a file.
    answer = georeport.create(
        fmt,
        **base,
        address_id=staffed.block_a.code,
        **{"attribute[phone]": "13900001111", "attribute[household]": "2号"},
    )
    assert sorted(descriptions(answer)) == [
        "location: This category needs an address or a point on the map.",
        "media: This category needs a photo.",
    ]
    assert not Appeal.objects.exists()
    answer = georeport.create(
        fmt,
        files={"media": photo()},
        **base,
        address_string="马耳山村 一片 一块",
        address_id=staffed.block_a.code,
        **{"attribute[phone][]": "13900001111", "attribute[household]": "2号"},
    )
    assert answer.status == 200, answer.data
    appeal = Appeal.objects.get(tracking_code=answer.data[0]["service_request_id"])
    assert (appeal.household, appeal.caller_phone, appeal.attachments.count()) == (
        staffed.hh_a2,
        "13900001111",
        1,
    )


@FORMATS
def test_jurisdiction_id_is_optional_and_another_one_is_404(
    georeport: GeoReport, fmt: str, ordinary: Category, api_key: str, settings: Any
) -> None:
    settings.OPEN311_JURISDICTION_ID = "yongle.gov.cn"
    assert georeport.services(fmt).status == 200
    assert georeport.services(fmt, jurisdiction_id="yongle.gov.cn").status == 200
    assert georeport.services(fmt, jurisdiction_id="").status == 200  # present but empty = absent
    for answer in (
        georeport.discovery(fmt, jurisdiction_id="luoding.gov.cn"),
        georeport.services(fmt, jurisdiction_id="luoding.gov.cn"),
        georeport.definition("T01", fmt, jurisdiction_id="luoding.gov.cn"),
        georeport.requests(fmt, jurisdiction_id="luoding.gov.cn"),
        georeport.updates(fmt, jurisdiction_id="luoding.gov.cn"),
        georeport.create(
            fmt,
            jurisdiction_id="luoding.gov.cn",
            api_key=api_key,
            service_code="T01",
            address_string="x",
            description="y",
        ),
    ):
        assert answer.status == 404
        assert descriptions(answer) == ["jurisdiction_id not found: this endpoint serves 'yongle.gov.cn'"]
    assert not Appeal.objects.exists()
    answer = georeport.create(
        fmt,
        jurisdiction_id="yongle.gov.cn",
        api_key=api_key,
        service_code="T01",
        address_string="火车站",
        description="垃圾桶满了",
    )
    assert answer.status == 200


# --- GET requests -----------------------------------------------------------------------------------------


@pytest.fixture
def filed(georeport: GeoReport, ordinary: Category, api_key: str) -> dict[str, str]:
    """Open311 requests 100, 10, 5 and 1 days ago (the last one resolved), a T03 one among them, and an
    appeal of another channel."""
    Category.objects.create(code="T03", name="噪音扰民", name_en="Noise")
    codes = {}
    for name, days, category in (("old", 100, "T01"), ("r1", 10, "T01"), ("r2", 5, "T03"), ("r3", 1, "T01")):
        with time_machine.travel(NOW - timedelta(days=days), tick=False):
            codes[name] = file_request(georeport, api_key, category, address_string=f"火车站广场 {name}")
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        r3 = Appeal.objects.get(tracking_code=codes["r3"])
        r3 = appeal_dispatch(appeal=r3, handler=None, department="环卫所", actor=None)
        r3 = appeal_respond(appeal=r3, actor=None)
        appeal_resolve(appeal=r3, result="已清运", actor=None)
        web = appeal_submit(
            data=IntakeData(
                kind="help", channel="web", category=ordinary, description="没水了", address="火车站广场 web"
            )
        ).appeal
    codes["web"] = web.tracking_code
    return codes


def ids(answer: Any) -> list[str]:
    return [r["service_request_id"] for r in answer.data]


@FORMATS
@time_machine.travel(NOW, tick=False)
def test_get_requests_filters(georeport: GeoReport, fmt: str, filed: dict[str, str]) -> None:
    c = filed
    # The last 90 days, newest first; only what Open311 clients filed.
    assert ids(georeport.requests(fmt)) == [c["r3"], c["r2"], c["r1"]]
    assert ids(georeport.requests(fmt, service_code="T01")) == [c["r3"], c["r1"]]
    assert ids(georeport.requests(fmt, service_code="T03,T01")) == [c["r3"], c["r2"], c["r1"]]
    assert ids(georeport.requests(fmt, status="open")) == [c["r2"], c["r1"]]
    assert ids(georeport.requests(fmt, status="closed")) == [c["r3"]]
    assert ids(georeport.requests(fmt, status="open,closed")) == [c["r3"], c["r2"], c["r1"]]
    assert ids(georeport.requests(fmt, status="")) == [c["r3"], c["r2"], c["r1"]]
    week_ago = (NOW - timedelta(days=7)).isoformat()
    assert ids(georeport.requests(fmt, start_date=week_ago)) == [c["r3"], c["r2"]]
    assert ids(georeport.requests(fmt, end_date=(NOW - timedelta(days=3)).isoformat())) == [c["r2"], c["r1"]]
    assert ids(
        georeport.requests(
            fmt,
            start_date=(NOW - timedelta(days=120)).isoformat(),
            end_date=(NOW - timedelta(days=95)).astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    ) == [c["old"]]
    # service_request_id overrides every other filter, in the order asked, of any channel.
    asked = f"{c['web']},{c['old']},NOPE,{c['r3']}"
    answer = georeport.requests(fmt, service_request_id=asked, status="open", service_code="T03")
    assert ids(answer) == [c["web"], c["old"], c["r3"]]


@FORMATS
@time_machine.travel(NOW, tick=False)
def test_get_requests_refuses_bad_filters(georeport: GeoReport, fmt: str, ordinary: Category) -> None:
    day = timedelta(days=1)
    cases = [
        (
            {"start_date": (NOW - 91 * day).isoformat(), "end_date": NOW.isoformat()},
            400,
            "start_date and end_date may be at most 90 days apart",
        ),
        (
            {"start_date": NOW.isoformat(), "end_date": (NOW - day).isoformat()},
            400,
            "end_date is before start_date",
        ),
        (
            {"start_date": "yesterday"},
            400,
            "start_date must be a W3C date-time with a zone, e.g. 2026-01-01T00:00:00+08:00",
        ),
        (
            {"end_date": "2026-11-01T00:00:00"},
            400,
            "end_date must be a W3C date-time with a zone, e.g. 2026-01-01T00:00:00+08:00",
        ),
        ({"status": "pending"}, 400, "status must be open, closed or open,closed"),
        ({"service_code": "T01,NOPE"}, 404, "service_code not found: NOPE"),
        ({"service_request_id": ",".join(["X"] * 1001)}, 400, "service_request_id: at most 1000 ids"),
    ]
    for params, status, message in cases:
        answer = georeport.requests(fmt, **params)
        assert (answer.status, descriptions(answer)) == (status, [message]), params


@time_machine.travel(NOW, tick=False)
def test_an_unencoded_plus_in_a_date_is_read_as_the_zone(client: Any, filed: dict[str, str]) -> None:
    answer = client.get("/open311/v2/requests.json?start_date=2026-11-13T10:00:00+08:00")
    assert answer.status_code == 200
    assert [r["service_request_id"] for r in answer.json()] == [filed["r3"], filed["r2"]]


@FORMATS
@time_machine.travel(NOW, tick=False)
def test_a_request_by_id(georeport: GeoReport, fmt: str, filed: dict[str, str]) -> None:
    answer = georeport.request(filed["r3"], fmt)
    assert answer.status == 200
    r = as_text(answer.data[0])
    r3 = Appeal.objects.get(tracking_code=filed["r3"])
    assert r == {
        "service_request_id": filed["r3"],
        "status": "closed",
        "status_notes": "Resolved",
        "service_name": "Sanitation",
        "service_code": "T01",
        "description": "垃圾桶满了",
        "agency_responsible": "环卫所",
        "service_notice": "",
        "requested_datetime": "2026-11-19T10:00:00+08:00",
        "updated_datetime": "2026-11-19T10:00:00+08:00",
        "expected_datetime": r3.resolution_due_at.astimezone(SH).isoformat() if r3.resolution_due_at else "",
        "address": "",
        "address_id": "",
        "zipcode": "",
        "lat": "",
        "long": "",
        "media_url": "",
    }
    # Another channel's appeal, asked for by its tracking code: its description is not shown.
    web = as_text(georeport.request(filed["web"], fmt).data[0])
    assert (web["status"], web["description"]) == ("open", "")
    answer = georeport.request("NOPE", fmt)
    assert (answer.status, descriptions(answer)) == (404, ["service_request_id not found"])


@FORMATS
def test_tokens_are_never_handed_out_so_every_token_is_404(georeport: GeoReport, fmt: str) -> None:
    answer = georeport.token("abc123", fmt)
    assert answer.status == 404
    assert descriptions(answer) == [
        "token not found: this endpoint answers POST requests with service_request_id"
    ]


@FORMATS
@time_machine.travel(NOW, tick=False)
def test_updates_follow_the_public_timeline_of_open311_requests(
    georeport: GeoReport, fmt: str, filed: dict[str, str]
) -> None:
    answer = georeport.updates(fmt)
    assert answer.status == 200
    rows = [as_text(u) for u in answer.data]
    # r1, r2, r3 filed (the old one is outside the window; the web appeal is not Open311's), r3 resolved.
    assert [(u["service_request_id"], u["status"], u["external_status_code"]) for u in rows] == [
        (filed["r1"], "open", "submitted"),
        (filed["r2"], "open", "submitted"),
        (filed["r3"], "open", "submitted"),
        (filed["r3"], "action_scheduled", "dispatched"),
        (filed["r3"], "investigating", "responded"),
        (filed["r3"], "fixed", "resolved"),
    ]
    assert rows[-1]["description"] == "Reported as resolved"
    assert len({u["update_id"] for u in rows}) == len(rows)
    since = georeport.updates(fmt, start_date=(NOW - timedelta(days=2)).isoformat())
    assert [u["status"] for u in since.data] == ["open", "action_scheduled", "investigating", "fixed"]
    answer = georeport.updates(fmt, start_date="2026-01-01T00:00:00Z", end_date=NOW.isoformat())
    assert (answer.status, descriptions(answer)) == (
        400,
        ["start_date and end_date may be at most 90 days apart"],
    )


# --- both formats, and the rest of the rules -------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_both_formats_carry_the_same_values(
    georeport: GeoReport, filed: dict[str, str], demanding: Category
) -> None:
    calls: list[Callable[[str], Answer]] = [
        lambda fmt: georeport.discovery(fmt),
        lambda fmt: georeport.services(fmt),
        lambda fmt: georeport.definition("T02", fmt),
        lambda fmt: georeport.definition("T01", fmt),
        lambda fmt: georeport.requests(fmt),
        lambda fmt: georeport.requests(fmt, service_request_id=",".join(filed.values())),
        lambda fmt: georeport.request(filed["r3"], fmt),
        lambda fmt: georeport.updates(fmt),
        lambda fmt: georeport.token("x", fmt),
        lambda fmt: georeport.create(fmt, api_key="wrong"),
    ]
    for call in calls:
        xml, json = call("xml"), call("json")
        assert xml.status == json.status
        assert as_text(xml.data) == as_text(json.data)


@FORMATS
def test_unknown_formats_and_calls_are_404_and_other_methods_405(client: Any, fmt: str) -> None:
    for path in ("services.csv", "services.XML", "nothing.json", "requests/A/B.json", ""):
        response = client.get(f"/open311/v2/{path}")
        assert response.status_code == 404, path
        assert response["Content-Type"].startswith(
            "application/json" if path.endswith(".json") else "text/xml"
        )
    response = client.put(f"/open311/v2/requests.{fmt}")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    response = client.post(f"/open311/v2/services.{fmt}")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_xml_carries_any_text_safely(georeport: GeoReport, ordinary: Category, api_key: str) -> None:
    code = file_request(georeport, api_key, description='a < b & c > d "quoted" \x0b end')
    answer = georeport.request(code, "xml")
    assert answer.data[0]["description"] == 'a < b & c > d "quoted"  end'


@FORMATS
def test_too_many_calls_answer_429_as_an_error_list(
    georeport: GeoReport, fmt: str, client: Any, settings: Any, ordinary: Category
) -> None:
    """Beyond the reference (which names 400, 403, 404): a client over the rate limit gets HTTP's own 429
    with Retry-After, in the error-list shape, so that it waits instead of treating the call as its fault."""
    settings.API_RATE_PUBLIC = "2/min"
    assert georeport.services(fmt).status == 200
    assert georeport.services(fmt).status == 200
    response = client.get(f"/open311/v2/services.{fmt}")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "too many requests: wait and try again" in response.content.decode()
    if fmt == "xml":
        assert "<code>429</code>" in response.content.decode()
    else:
        assert response.json()[0]["code"] == 429

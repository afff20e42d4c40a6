"""The staff pages: scoped lists and details, forms whose errors sit on their fields, retries that do not
duplicate, and the minutes as PDF (with its Chinese text) and .xlsx."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from minhu.accounts.models import User
from minhu.grid.tests.conftest import Tree
from minhu.meetings.models import ActionItem, AgendaItem, Meeting
from minhu.meetings.services import action_done, agenda_item_add, meeting_create
from minhu.meetings.tests.conftest import starts
from minhu.meetings.tests.test_services import decided, held


def new_form(staffed: Tree, **over: Any) -> dict[str, Any]:
    data = {
        "idempotency_key": "k-1",
        "unit": staffed.village_a.pk,
        "title": "三方联席会议",
        "place": "村委会",
        "starts_at": f"{timezone.localtime(starts()):%Y-%m-%dT%H:%M}",
        "party_0": "王书记 副书记\n",
        "party_1": "陈经理，支部书记",
        "party_2": "刘大\n赵邻 2号业主",
    }
    data.update(over)
    return data


def test_plan_a_meeting_and_a_retry_does_not_duplicate(client: Client, staffed: Tree, bob: User) -> None:
    client.force_login(bob)
    page = client.get("/meetings/new/")
    assert page.status_code == 200
    assert "街道党工委" in page.content.decode()
    r = client.post("/meetings/new/", new_form(staffed))
    meeting = Meeting.objects.get()
    assert r.status_code == 302
    assert r["Location"] == f"/meetings/{meeting.pk}/"
    assert client.post("/meetings/new/", new_form(staffed))["Location"] == f"/meetings/{meeting.pk}/"
    assert Meeting.objects.count() == 1
    got = list(meeting.attendance.order_by("id").values_list("party", "name", "role"))
    assert got == [
        ("街道党工委", "王书记", "副书记"),
        ("物业党支部", "陈经理", "支部书记"),
        ("党员业主代表", "刘大", ""),
        ("党员业主代表", "赵邻", "2号业主"),
    ]


def test_the_create_form_names_the_wrong_fields(client: Client, staffed: Tree, bob: User) -> None:
    client.force_login(bob)
    r = client.post("/meetings/new/", new_form(staffed, title="", starts_at="tomorrow", party_2="刘大\n刘大"))
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="id_title_error"' in html
    assert 'id="id_starts_at_error"' in html
    assert not Meeting.objects.exists()
    r = client.post("/meetings/new/", new_form(staffed, party_2="刘大\n刘大"))
    assert r.status_code == 400
    assert "刘大 is listed twice for 党员业主代表." in r.content.decode()


def test_a_unit_outside_ones_scope_cannot_be_chosen(client: Client, staffed: Tree, bob: User) -> None:
    client.force_login(bob)
    r = client.post("/meetings/new/", new_form(staffed, unit=staffed.village_b.pk))
    assert r.status_code == 400
    assert 'id="id_unit_error"' in r.content.decode()
    assert not Meeting.objects.exists()


def test_a_party_member_cannot_plan_meetings(client: Client, staffed: Tree, carol: User) -> None:
    client.force_login(carol)
    assert client.get("/meetings/new/").status_code == 404


def test_the_list_is_scoped(client: Client, meeting: Meeting, ivan: User, alice: User, bob: User) -> None:
    for user, sees in ((bob, True), (alice, True), (ivan, False)):
        client.force_login(user)
        html = client.get("/meetings/").content.decode()
        assert (meeting.title in html) is sees, user
        assert client.get(f"/meetings/{meeting.pk}/").status_code == (200 if sees else 404)
        assert client.get(f"/meetings/{meeting.pk}/minutes.pdf").status_code == (200 if sees else 404)


def test_the_list_takes_the_same_queries_for_more_meetings(client: Client, staffed: Tree, bob: User) -> None:
    client.force_login(bob)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/meetings/").status_code == 200
        return len(ctx.captured_queries)

    meeting_create(actor=bob, unit=staffed.village_a, title="第1次", starts_at=starts())
    one = count()
    for n in range(2, 7):
        m = meeting_create(actor=bob, unit=staffed.area_a, title=f"第{n}次", starts_at=starts())
        agenda_item_add(meeting=m, actor=bob, title="一事")
    assert count() == one


def test_sign_in_by_htmx_answers_with_the_attendee(client: Client, meeting: Meeting, bob: User) -> None:
    client.force_login(bob)
    a = meeting.attendance.order_by("id")[0]
    r = client.post(f"/meetings/attendance/{a.pk}/sign-in/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    html = r.content.decode()
    assert html.startswith(f'<li class="queue-item" id="attendee-{a.pk}">')
    assert "Signed in" in html
    r = client.post(f"/meetings/attendance/{a.pk}/sign-in/", HTTP_HX_REQUEST="true")
    assert "has already signed in" in r.content.decode()


def test_add_an_item_hold_and_a_retry_does_not_duplicate(client: Client, meeting: Meeting, bob: User) -> None:
    client.force_login(bob)
    for _ in range(2):
        r = client.post(f"/meetings/{meeting.pk}/items/", {"title": "楼道照明", "idempotency_key": "i-1"})
        assert r.status_code == 302
    assert AgendaItem.objects.count() == 1
    r = client.post(f"/meetings/{meeting.pk}/hold/", {"minutes": ""}, follow=True)
    assert "No one has signed in yet." in r.content.decode()
    a = meeting.attendance.order_by("id")[0]
    client.post(f"/meetings/attendance/{a.pk}/sign-in/")
    client.post(f"/meetings/{meeting.pk}/hold/", {"minutes": "会议纪要"})
    meeting.refresh_from_db()
    assert (meeting.state, meeting.minutes) == (Meeting.State.HELD, "会议纪要")
    html = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert f'href="/meetings/items/{AgendaItem.objects.get().pk}/decide/"' in html


def decide_form(carol: User, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "notes": "业主反映三个月",
        "solution": "物业更换楼道灯",
        "owner_role": "物业党支部",
        "owner": carol.pk,
        "deadline": f"{timezone.localdate() + timedelta(days=10):%Y-%m-%d}",
        "budget": "1200",
        "actions-TOTAL_FORMS": "3",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "10",
        "actions-0-title": "采购灯具",
        "actions-0-owner": carol.pk,
        "actions-0-due": f"{timezone.localdate() + timedelta(days=3):%Y-%m-%d}",
        "actions-1-title": "安装灯具",
    }
    data.update(over)
    return data


def test_the_decide_form_names_the_wrong_fields(
    client: Client, meeting: Meeting, bob: User, carol: User
) -> None:
    held(meeting, bob)
    item = agenda_item_add(meeting=meeting, actor=bob, title="楼道照明")
    client.force_login(bob)
    page = client.get(f"/meetings/items/{item.pk}/decide/")
    assert page.status_code == 200
    assert "张卡 (carol)" in page.content.decode()  # carol answers for a household of village A
    late = f"{timezone.localdate() + timedelta(days=30):%Y-%m-%d}"
    r = client.post(
        f"/meetings/items/{item.pk}/decide/",
        decide_form(carol, solution="", owner_role="", deadline="", budget="-5", **{"actions-0-due": late}),
    )
    assert r.status_code == 400
    html = r.content.decode()
    for field in ("solution", "owner_role", "deadline", "budget"):
        assert f'id="id_{field}_error"' in html, field
    r = client.post(f"/meetings/items/{item.pk}/decide/", decide_form(carol, **{"actions-0-due": late}))
    assert r.status_code == 400
    assert "Actions: An action cannot be due after the decision&#x27;s deadline." in r.content.decode()
    r = client.post(f"/meetings/items/{item.pk}/decide/", decide_form(carol, **{"actions-2-due": late}))
    assert 'id="id_actions-2-title_error"' in r.content.decode()
    assert not ActionItem.objects.exists()


def test_decide_then_done_verify_and_close_out_through_the_pages(
    client: Client, meeting: Meeting, bob: User, carol: User
) -> None:
    held(meeting, bob)
    item = agenda_item_add(meeting=meeting, actor=bob, title="楼道照明")
    client.force_login(bob)
    r = client.post(f"/meetings/items/{item.pk}/decide/", decide_form(carol))
    assert r["Location"] == f"/meetings/{meeting.pk}/"
    # a retried POST of the decision creates nothing more
    client.post(f"/meetings/items/{item.pk}/decide/", decide_form(carol))
    assert list(ActionItem.objects.order_by("id").values_list("title", flat=True)) == ["采购灯具", "安装灯具"]

    client.force_login(carol)
    mine = client.get("/meetings/actions/").content.decode()
    assert "采购灯具" in mine
    assert "安装灯具" in mine
    for action in ActionItem.objects.all():
        r = client.post(f"/meetings/actions/{action.pk}/done/", {"result": "完成", "from": "actions"})
        assert r["Location"] == "/meetings/actions/"
    assert (
        "No open actions." not in client.get("/meetings/actions/").content.decode()
    )  # waiting for verification

    client.force_login(bob)
    first, second = ActionItem.objects.order_by("id")
    to_verify = client.get("/meetings/actions/").content.decode()
    assert f'data-verify="{first.pk}"' in to_verify
    assert f'data-verify="{second.pk}"' in to_verify
    r = client.post(f"/meetings/actions/{first.pk}/verify/", {"verdict": "refuse", "note": ""}, follow=True)
    assert "Say what is still missing." in r.content.decode()
    client.post(f"/meetings/actions/{first.pk}/verify/", {"verdict": "refuse", "note": "2 楼不亮"})
    first.refresh_from_db()
    assert first.state == ActionItem.State.OPEN
    action_done(action=first, actor=carol, result="补上了")
    for action in (first, second):
        client.post(f"/meetings/actions/{action.pk}/verify/", {"verdict": "accept", "note": ""})
    client.post(f"/meetings/items/{item.pk}/close/", {"note": "销号"})
    item.refresh_from_db()
    assert item.state == AgendaItem.State.CLOSED
    client.post(f"/meetings/{meeting.pk}/close/")
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.CLOSED


def test_another_villages_cadre_cannot_act(client: Client, meeting: Meeting, bob: User, ivan: User) -> None:
    held(meeting, bob)
    item = decided(meeting, bob, None)
    action = item.actions.get()
    client.force_login(ivan)
    assert (
        client.post(f"/meetings/{meeting.pk}/items/", {"title": "x", "idempotency_key": "z"}).status_code
        == 404
    )
    assert client.get(f"/meetings/items/{item.pk}/decide/").status_code == 404
    assert client.post(f"/meetings/actions/{action.pk}/done/", {"result": "x"}).status_code == 404
    action.refresh_from_db()
    assert action.state == ActionItem.State.OPEN


def test_minutes_pdf_carries_the_chinese_text(
    client: Client, meeting: Meeting, bob: User, carol: User
) -> None:
    from pypdf import PdfReader

    held(meeting, bob)
    decided(meeting, bob, carol)
    client.force_login(bob)
    r = client.get(f"/meetings/{meeting.pk}/minutes.pdf")
    assert r["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(r.content)).pages).replace("\n", "")
    for words in (
        "马耳山村三方联席会议",
        "三方联席协商议事",
        "街道党工委",
        "王书记",
        "3栋楼道照明损坏",
        "物业更换楼道灯",
        "1200.00",
    ):
        assert words in text, words


def test_minutes_pdf_in_chinese_when_the_page_is(
    client: Client, meeting: Meeting, bob: User, settings: Any
) -> None:
    from pypdf import PdfReader

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(bob)
    r = client.get(f"/meetings/{meeting.pk}/minutes.pdf")
    text = PdfReader(BytesIO(r.content)).pages[0].extract_text()
    assert "会议纪要" in text
    assert "签到时间" in text


def test_minutes_xlsx_lists_the_meeting_attendees_matters_and_actions(
    client: Client, meeting: Meeting, bob: User, carol: User
) -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    held(meeting, bob)
    decided(meeting, bob, carol)
    client.force_login(bob)
    r = client.get(f"/meetings/{meeting.pk}/minutes.xlsx")
    assert r.status_code == 200
    rows = list(load_workbook(BytesIO(b"".join(r.streaming_content))).active.iter_rows(values_only=True))  # type: ignore[attr-defined]
    assert [row[0] for row in rows] == [
        "Row",
        "Meeting",
        "Attendance",
        "Attendance",
        "Attendance",
        "Matter",
        "Action",
    ]
    assert rows[5][2] == "3栋楼道照明损坏"
    assert rows[6][2] == "物业更换楼道灯"


def test_the_detail_takes_the_same_queries_for_more_matters_and_actions(
    client: Client, meeting: Meeting, bob: User, carol: User
) -> None:
    held(meeting, bob)
    decided(meeting, bob, carol)
    client.force_login(bob)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/meetings/{meeting.pk}/").status_code == 200
        return len(ctx.captured_queries)

    one = count()
    for n in range(4):
        decided(meeting, bob, carol, title=f"第{n}事", actions=["甲", "乙"])
    assert count() == one

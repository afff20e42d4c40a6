"""Reaching the caller and finding an appeal (issue 16): the handler, the one it is escalated to and the
dispatchers of its scope may reveal the caller's full phone (recorded, never in the record itself), shown as a
`tel:` link; everyone else keeps the mask. One search box (tracking code with spaces and case ignored, the
phone's last four digits, a keyword) gives the same rows on the list page, its export, the API and the
workbench, within the user's scope."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook  # type: ignore[import-untyped]

from minhu.accounts.models import Scope, User
from minhu.accounts.roles import Role
from minhu.accounts.services import token_issue, user_create
from minhu.appeals.models import Appeal, Category
from minhu.appeals.selectors import AppealFilter, appeal_list, normalise_code, workbench_for
from minhu.appeals.services import IntakeData, appeal_caller_reveal, appeal_submit
from minhu.core.models import Event
from minhu.grid.services import post_create, unit_create
from minhu.grid.tests.conftest import START, Tree

PHONE = "13812348000"


def make_user(username: str, role: Role) -> User:
    return user_create(username=username, password="Persona#2026", actor=None, roles=[role])


def file(category: Category, **extra: Any) -> Appeal:
    data = IntakeData(
        kind=extra.pop("kind", "complaint"),
        channel="web",
        category=category,
        description=extra.pop("description", "楼道里堆满杂物，影响通行"),
        address=extra.pop("address", "泮江翡翠城 3 栋"),
        caller_name="刘大",
        caller_phone=extra.pop("caller_phone", PHONE),
        **extra,
    )
    return appeal_submit(data=data).appeal


@pytest.fixture
def appeal(staffed: Tree, ordinary: Category, carol: User) -> Appeal:
    a = file(ordinary, household=staffed.hh_a1)
    assert a.handler_id == carol.pk  # routed to the household's party member
    return a


def reveals(appeal: Appeal) -> list[Event]:
    return list(Event.objects.for_target(appeal).filter(verb="appeal.caller_reveal"))


# --- the reveal -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("handler", True),
        ("escalated_to", True),
        ("village_cadre", True),  # a dispatcher of the appeal's unit
        ("street_staff", True),  # a dispatcher above it
        ("other_village_cadre", False),  # a dispatcher, but not of this appeal's scope
        ("resident", False),
        ("grid_member_elsewhere", False),
        ("anonymous", False),
    ],
)
def test_who_may_reveal_the_callers_phone(
    appeal: Appeal, staffed: Tree, alice: User, bob: User, carol: User, dave: User, who: str, allowed: bool
) -> None:
    from django.contrib.auth.models import AnonymousUser

    actor: Any
    if who == "handler":
        actor = carol
    elif who == "escalated_to":
        actor = make_user("chief", Role.GRID_MEMBER)  # no scope of their own: the escalation gives the right
        Appeal.objects.filter(pk=appeal.pk).update(escalated_to=actor, escalation_level=1)
        appeal.refresh_from_db()
    elif who == "village_cadre":
        actor = bob
    elif who == "street_staff":
        actor = alice
    elif who == "other_village_cadre":
        actor = make_user("cadre_b", Role.VILLAGE_CADRE)
        post_create(user=actor, unit=staffed.village_b, title="村两委", start=START, actor=None)
    elif who == "resident":
        actor = dave  # lives in the household; still not told the caller's phone by this page
    elif who == "grid_member_elsewhere":
        actor = make_user("member_b", Role.GRID_MEMBER)
    else:
        actor = AnonymousUser()
    if allowed:
        assert appeal_caller_reveal(appeal=appeal, actor=actor) == PHONE
        assert len(reveals(appeal)) == 1
    else:
        with pytest.raises(PermissionDenied):
            appeal_caller_reveal(appeal=appeal, actor=actor)
        assert reveals(appeal) == []


def test_each_reveal_is_one_event_that_never_holds_the_phone(appeal: Appeal, carol: User) -> None:
    appeal_caller_reveal(appeal=appeal, actor=carol)
    appeal_caller_reveal(appeal=appeal, actor=carol)
    events = reveals(appeal)
    assert len(events) == 2
    for e in events:
        assert e.actor_id == carol.pk
        assert e.at is not None
        stored = json.dumps([e.before, e.after, e.note, e.target_label], ensure_ascii=False)
        assert PHONE not in stored
        assert "8000" not in stored


def test_a_handler_no_longer_handling_it_may_not_reveal(appeal: Appeal, carol: User, alice: User) -> None:
    from minhu.appeals.services import appeal_transfer

    other = make_user("other", Role.GRID_MEMBER)
    appeal_transfer(appeal=appeal, to=other, reason="不在本片", actor=alice)
    appeal.refresh_from_db()
    with pytest.raises(PermissionDenied):
        appeal_caller_reveal(appeal=appeal, actor=carol)
    assert appeal_caller_reveal(appeal=appeal, actor=other) == PHONE


def test_the_public_timeline_does_not_show_a_reveal(appeal: Appeal, carol: User, client: Client) -> None:
    appeal_caller_reveal(appeal=appeal, actor=carol)
    page = client.get(f"/appeals/track/{appeal.tracking_code}/").content.decode()
    assert "caller_reveal" not in page
    r = client.get(f"/api/v1/track/{appeal.tracking_code}")
    assert "appeal.caller_reveal" not in [e["verb"] for e in r.json()["timeline"]]


def test_the_page_shows_a_tel_link_only_after_the_reveal(appeal: Appeal, carol: User, client: Client) -> None:
    client.force_login(carol)
    url = f"/appeals/{appeal.pk}/"
    before = client.get(url).content.decode()
    assert "138****8000" in before
    assert PHONE not in before
    assert "tel:" not in before
    assert f"/appeals/{appeal.pk}/caller/" in before  # the button
    assert "I have contacted the caller" in before
    # htmx: the fragment alone
    r = client.post(f"/appeals/{appeal.pk}/caller/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    fragment = r.content.decode()
    assert f'href="tel:{PHONE}"' in fragment
    assert "<html" not in fragment
    assert "no-store" in r["Cache-Control"]
    # without htmx: the whole page, the phone as a link, the contact step still there
    page = client.post(f"/appeals/{appeal.pk}/caller/").content.decode()
    assert f'href="tel:{PHONE}"' in page
    assert "I have contacted the caller" in page
    assert len(reveals(appeal)) == 2
    # reloading does not keep it revealed
    assert "tel:" not in client.get(url).content.decode()


def test_others_keep_the_mask_and_see_no_button(appeal: Appeal, staffed: Tree, client: Client) -> None:
    member = make_user("member_a", Role.GRID_MEMBER)
    post_create(user=member, unit=staffed.block_a, title="网格员", start=START, actor=None)
    client.force_login(member)  # sees the appeal (it is in their block), may not reveal it
    page = client.get(f"/appeals/{appeal.pk}/").content.decode()
    assert "138****8000" in page
    assert "/caller/" not in page
    assert "tel:" not in page
    assert client.post(f"/appeals/{appeal.pk}/caller/").status_code in (403, 404)
    assert reveals(appeal) == []


def test_the_api_reveals_with_the_same_rule(appeal: Appeal, carol: User, bob: User, client: Client) -> None:
    def call(user: User, scopes: list[Scope]) -> Any:
        _t, plain = token_issue(user=user, name="t", scopes=scopes, actor=None)
        return client.post(
            f"/api/v1/appeals/{appeal.tracking_code.lower()}/caller", HTTP_AUTHORIZATION=f"Bearer {plain}"
        )

    assert call(carol, [Scope.APPEALS_READ]).status_code == 403  # appeals:write needed
    r = call(carol, [Scope.APPEALS_WRITE])
    assert r.status_code == 200, r.content
    assert r.json() == {"tracking_code": appeal.tracking_code, "caller_phone": PHONE}
    member = make_user("member_x", Role.GRID_MEMBER)
    assert call(member, [Scope.APPEALS_WRITE]).status_code == 404  # not in their scope at all
    assert len(reveals(appeal)) == 1
    assert call(bob, [Scope.APPEALS_WRITE]).status_code == 200
    assert len(reveals(appeal)) == 2


# --- search ---------------------------------------------------------------------------------------------


@pytest.fixture
def found(staffed: Tree, ordinary: Category) -> dict[str, Appeal]:
    other_street = unit_create(
        kind="street", name="佟沟街道", code="210111002", parent=staffed.district, actor=None
    )
    return {
        "a": file(ordinary, household=staffed.hh_a1, description="路灯不亮", caller_phone="13900001234"),
        "b": file(ordinary, unit=staffed.block_b, description="垃圾没人清", address="幸福小区3栋楼下"),
        "c": file(ordinary, unit=staffed.village_b, description="Broken BENCH in the park", caller_phone=""),
        "far": file(ordinary, unit=other_street, description="路灯不亮", caller_phone="13900001234"),
    }


def spaced(code: str) -> str:
    return f"{code[:4].lower()} {code[4:8]}-{code[8:].lower()}"


def test_normalise_code() -> None:
    assert normalise_code(" abcd efgh-ijkl ") == "ABCDEFGHIJKL"


def _search(alice: User, q: str) -> set[str]:
    return set(appeal_list(alice, AppealFilter(q=q)).values_list("tracking_code", flat=True))


def test_search_by_code_phone_tail_and_keyword(found: dict[str, Appeal], alice: User) -> None:
    a, b, c = found["a"], found["b"], found["c"]
    assert _search(alice, spaced(a.tracking_code)) == {a.tracking_code}
    assert _search(alice, "1234") == {a.tracking_code}  # the phone's tail; the other street's is not found
    assert _search(alice, "路灯") == {a.tracking_code}
    assert _search(alice, "幸福小区") == {b.tracking_code}  # the address
    assert _search(alice, "bench") == {c.tracking_code}  # case ignored
    assert _search(alice, "") == {a.tracking_code, b.tracking_code, c.tracking_code}
    assert _search(alice, found["far"].tracking_code) == set()  # another street's code
    assert _search(alice, "没有这样的事") == set()


def test_same_rows_on_page_export_and_api(found: dict[str, Appeal], alice: User, client: Client) -> None:
    client.force_login(alice)
    _t, plain = token_issue(user=alice, name="t", scopes=[Scope.APPEALS_READ], actor=None)
    for q, expected in (
        (spaced(found["a"].tracking_code), {found["a"].tracking_code}),
        ("1234", {found["a"].tracking_code}),
        ("垃圾", {found["b"].tracking_code}),
        (found["far"].tracking_code, set()),
    ):
        page = client.get("/appeals/list/", {"q": q})
        assert page.status_code == 200
        on_page = {x.tracking_code for x in page.context["page"]}
        xlsx = client.get("/appeals/list/", {"q": q, "format": "xlsx"})
        wb = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)), read_only=True)  # type: ignore[attr-defined]
        exported = {r[0] for r in list(wb.worksheets[0].iter_rows(values_only=True))[1:]}
        r = client.get("/api/v1/appeals", {"q": q, "limit": "100"}, HTTP_AUTHORIZATION=f"Bearer {plain}")
        assert r.status_code == 200, r.content
        assert on_page == exported == {x["tracking_code"] for x in r.json()["items"]} == expected
    # results still show masked phones
    page = client.get("/appeals/list/", {"q": "1234"})
    assert "13900001234" not in page.content.decode()
    r = client.get("/api/v1/appeals", {"q": "1234"}, HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert r.json()["items"][0]["caller_phone"] == "139****1234"


def test_the_search_adds_no_query(found: dict[str, Appeal], alice: User) -> None:
    list(appeal_list(alice, AppealFilter()))  # the user's scope, read once and kept
    with CaptureQueriesContext(connection) as plain:
        list(appeal_list(alice, AppealFilter()))
    with CaptureQueriesContext(connection) as searched:
        list(appeal_list(alice, AppealFilter(q="路灯")))
    assert len(searched) == len(plain)


def test_the_workbench_searches_with_the_same_matching(
    found: dict[str, Appeal], carol: User, alice: User, client: Client
) -> None:
    a, b = found["a"], found["b"]
    mine = workbench_for(carol, q=spaced(a.tracking_code)).mine
    assert [x.tracking_code for x in mine] == [a.tracking_code]
    assert workbench_for(carol, q="垃圾").mine == []
    bench = workbench_for(alice, q="垃圾")
    assert [x.tracking_code for x in bench.to_dispatch] == [b.tracking_code]
    client.force_login(alice)
    page = client.get("/appeals/workbench/", {"q": "幸福小区"}).content.decode()
    assert b.tracking_code in page
    assert found["c"].tracking_code not in page
    assert 'name="q"' in page


def test_the_tracking_page_takes_a_spaced_code(appeal: Appeal, client: Client) -> None:
    code = appeal.tracking_code
    r = client.get("/appeals/track/", {"code": spaced(code)})
    assert r.status_code == 302
    assert r["Location"].endswith(f"/appeals/track/{code}/")
    r = client.get(f"/appeals/track/{code.lower()}/")
    assert r.status_code in (200, 301, 302)
    assert client.get(f"/api/v1/track/{spaced(code).replace(' ', '%20')}").status_code == 200

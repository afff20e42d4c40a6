"""The JSON API at /api/v1/: tokens and scopes, the one error shape, filing with retries, acting with
conflicts, the scope of every list, masking, rate limits, and the schema and docs being served locally."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from minhu.accounts.models import ApiToken, Scope
from minhu.accounts.services import token_issue
from minhu.appeals.models import Appeal, Category, Channel, State
from minhu.core.models import Event

ALL = [Scope.GRID_READ, Scope.APPEALS_READ, Scope.APPEALS_WRITE, Scope.EVENTS_READ]


def bearer(user: Any, scopes: list[Scope] = ALL, **kw: Any) -> dict[str, str]:
    _token, plain = token_issue(user=user, name="test", scopes=scopes, actor=None, **kw)
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def file_one(client: Any, auth: dict[str, str], hh: int, key: str | None = None, **extra: Any) -> Any:
    body = {"kind": "help", "category": "T01", "description": "楼道灯坏了，晚上看不见", "household": hh}
    body.update(extra)
    headers = dict(auth)
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post("/api/v1/appeals", body, content_type="application/json", **headers)


def test_public_catalogue_needs_no_token(client: Any, ordinary: Category) -> None:
    r = client.get("/api/v1/categories")
    assert r.status_code == 200
    codes = [c["code"] for c in r.json()]
    assert "T01" in codes
    t01 = next(c for c in r.json() if c["code"] == "T01")
    assert t01["resolution_unit"] == "working_days"
    assert t01["resolution_amount"] == 5


def test_token_calls_refuse_without_a_usable_token(client: Any, staffed: Any, carol: Any) -> None:
    r = client.get("/api/v1/appeals")
    assert r.status_code == 401
    assert r["WWW-Authenticate"].startswith("Bearer")
    assert r.json()["errors"][0]["code"] == "unauthorized"
    assert client.get("/api/v1/appeals", HTTP_AUTHORIZATION="Bearer mhu_nonsense").status_code == 401
    expired = bearer(carol, expires_at=timezone.now() + timedelta(seconds=1))
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/appeals", **expired).status_code == 401
    carol.is_active = False
    carol.save()
    assert client.get("/api/v1/appeals", **bearer(carol)).status_code == 401


def test_a_token_does_only_what_its_scopes_allow(
    client: Any, staffed: Any, carol: Any, ordinary: Any
) -> None:
    read_only = bearer(carol, [Scope.APPEALS_READ])
    assert client.get("/api/v1/appeals", **read_only).status_code == 200
    r = file_one(client, read_only, staffed.hh_a1.pk)
    assert r.status_code == 403
    assert r.json() == {
        "errors": [{"code": "scope", "field": None, "message": "This token lacks the scope appeals:write."}]
    }
    assert client.get("/api/v1/units", **read_only).status_code == 403
    assert not Appeal.objects.exists()


def test_filing_routes_and_a_retry_never_files_twice(
    client: Any, staffed: Any, bob: Any, carol: Any, ordinary: Any
) -> None:
    auth = bearer(bob)
    first = file_one(client, auth, staffed.hh_a1.pk, key="k-1", caller_phone="13812348000")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["channel"] == Channel.API
    assert body["state"] == State.DISPATCHED
    assert body["handler"] == "carol"
    assert body["caller_phone"] == "138****8000"
    again = file_one(client, auth, staffed.hh_a1.pk, key="k-1", caller_phone="13812348000")
    assert again.status_code == 200
    assert again.json()["tracking_code"] == body["tracking_code"]
    assert Appeal.objects.count() == 1
    appeal = Appeal.objects.get()
    assert appeal.recorded_by == bob
    assert Event.objects.filter(verb="appeal.submit", target_id=str(appeal.pk)).count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "长" * 4001}, "description"),
        ({"caller_phone": "12345"}, "caller_phone"),
        ({"category": "NOPE"}, "category"),
        ({"kind": "rant"}, "kind"),
        ({"household": None, "address": ""}, "address"),
        ({"lat": 95}, "lat"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(
    client: Any, staffed: Any, bob: Any, ordinary: Any, change: dict[str, Any], field: str
) -> None:
    r = file_one(client, bearer(bob), staffed.hh_a1.pk, **change)
    assert r.status_code == 400, r.content
    assert field in [e["field"] for e in r.json()["errors"]], r.json()
    assert all(e["message"] for e in r.json()["errors"])
    assert not Appeal.objects.exists()


def test_lists_hold_to_the_token_users_scope(
    client: Any, staffed: Any, alice: Any, bob: Any, ordinary: Any
) -> None:
    street = bearer(alice)
    a = file_one(client, street, staffed.hh_a1.pk).json()
    b = file_one(client, street, staffed.hh_b1.pk, description="互助村的路灯不亮").json()
    seen_by_bob = client.get("/api/v1/appeals", **bearer(bob)).json()
    assert [x["tracking_code"] for x in seen_by_bob["items"]] == [a["tracking_code"]]
    assert client.get(f"/api/v1/appeals/{b['tracking_code']}", **bearer(bob)).status_code == 404
    seen_by_alice = client.get("/api/v1/appeals?limit=1", **street).json()
    assert seen_by_alice["count"] == 2
    assert len(seen_by_alice["items"]) == 1
    filtered = client.get(f"/api/v1/appeals?unit={staffed.village_b.pk}", **street).json()
    assert [x["tracking_code"] for x in filtered["items"]] == [b["tracking_code"]]
    assert client.get(f"/api/v1/appeals?unit={staffed.village_b.pk}", **bearer(bob)).status_code == 404
    bad = client.get("/api/v1/appeals?state=lost", **street)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "state"


def test_acting_follows_the_page_rules_and_races_answer_409(
    client: Any, staffed: Any, bob: Any, carol: Any, ordinary: Any
) -> None:
    code = file_one(client, bearer(bob), staffed.hh_a1.pk).json()["tracking_code"]
    handler = bearer(carol)
    detail = client.get(f"/api/v1/appeals/{code}", **handler).json()
    assert set(detail["actions"]) >= {"respond", "return", "transfer"}
    version = detail["version"]
    url = f"/api/v1/appeals/{code}/respond"
    # bob is a dispatcher, not the handler: he may not respond
    assert client.post(url, {"note": "x"}, content_type="application/json", **bearer(bob)).status_code == 403
    ok = client.post(
        url, {"version": version, "note": "已电话联系"}, content_type="application/json", **handler
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["state"] == State.RESPONDED
    assert ok.json()["timeline"][-1]["verb"] == "appeal.respond"
    stale = client.post(
        f"/api/v1/appeals/{code}/start", {"version": version}, content_type="application/json", **handler
    )
    assert stale.status_code == 409
    assert stale.json()["errors"][0]["code"] == "conflict"
    assert Appeal.objects.get().state == State.RESPONDED
    again = client.post(url, {}, content_type="application/json", **handler)
    assert again.status_code == 400
    assert "not possible now" in again.json()["errors"][0]["message"]
    no_result = client.post(f"/api/v1/appeals/{code}/resolve", {}, content_type="application/json", **handler)
    assert no_result.status_code == 400
    assert no_result.json()["errors"][0]["field"] == "result"
    unknown = client.post(f"/api/v1/appeals/{code}/explode", {}, content_type="application/json", **handler)
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "action"


def test_transfer_names_a_wrong_transferee(
    client: Any, staffed: Any, bob: Any, carol: Any, ordinary: Any
) -> None:
    code = file_one(client, bearer(bob), staffed.hh_a1.pk).json()["tracking_code"]
    r = client.post(
        f"/api/v1/appeals/{code}/transfer",
        {"to": 999999, "reason": "不归我管"},
        content_type="application/json",
        **bearer(carol),
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "to"


def test_grid_is_scoped_and_masked(client: Any, staffed: Any, bob: Any) -> None:
    auth = bearer(bob)
    units = client.get("/api/v1/units?limit=100", **auth).json()
    codes = {u["code"] for u in units["items"]}
    assert staffed.village_a.code in codes
    assert staffed.village_b.code not in codes
    hh = client.get(f"/api/v1/households/{staffed.hh_a1.pk}", **auth)
    assert hh.status_code == 200
    assert hh.json()["members"] == [{"name": "刘*", "is_head": True}]
    assert "13812348000" not in hh.content.decode()
    assert client.get(f"/api/v1/households/{staffed.hh_b1.pk}", **auth).status_code == 404
    listed = client.get(f"/api/v1/households?unit={staffed.block_a.pk}", **auth).json()
    assert {h["number"] for h in listed["items"]} == {"1号", "2号"}


def test_rates_and_the_audit_trail(
    client: Any, staffed: Any, alice: Any, bob: Any, root: Any, ordinary: Any
) -> None:
    street = bearer(alice)
    file_one(client, street, staffed.hh_a1.pk)
    file_one(client, street, staffed.hh_b1.pk, description="互助村的路灯不亮")
    total = client.get("/api/v1/rates", **street).json()
    assert total[0]["key"] is None
    assert total[0]["appeals"] == 2
    by_village = client.get("/api/v1/rates?by=village", **street).json()
    assert {r["key"] for r in by_village} == {str(staffed.village_a.pk), str(staffed.village_b.pk)}
    assert client.get("/api/v1/rates?since=2026-02-01&until=2026-01-01", **street).status_code == 400
    mine = client.get("/api/v1/events?limit=100", **bearer(bob)).json()
    assert mine["count"] >= 1
    assert all(e["target_type"] == "appeal" for e in mine["items"])
    everything = client.get("/api/v1/events?limit=100", **bearer(root)).json()
    assert everything["count"] > mine["count"]  # root also sees the grid's and the tokens' events


def test_public_tracking_shows_no_personal_data(client: Any, staffed: Any, bob: Any, ordinary: Any) -> None:
    code = file_one(client, bearer(bob), staffed.hh_a1.pk, caller_name="刘大", caller_phone="13812348000")
    r = client.get(f"/api/v1/track/{code.json()['tracking_code'].lower()}")
    assert r.status_code == 200
    text = r.content.decode()
    assert "刘大" not in text
    assert "13812348000" not in text
    assert "carol" not in text
    assert client.get("/api/v1/track/NOSUCHCODE99").status_code == 404


def test_rate_limits_answer_429_with_retry_after(client: Any, settings: Any, staffed: Any, bob: Any) -> None:
    settings.API_RATE_PUBLIC = "3/min"
    settings.API_RATE_TOKEN = "2/min"
    for _ in range(3):
        assert client.get("/api/v1/categories").status_code == 200
    r = client.get("/api/v1/categories")
    assert r.status_code == 429
    assert int(r["Retry-After"]) >= 1
    assert r.json()["errors"][0]["code"] == "throttled"
    auth = bearer(bob)  # token calls count per token, apart from the address
    assert client.get("/api/v1/me", **auth).status_code == 200
    assert client.get("/api/v1/me", **auth).status_code == 200
    assert client.get("/api/v1/me", **auth).status_code == 429
    assert client.get("/api/v1/me", **bearer(bob)).status_code == 200  # another token, its own count


def test_token_page_issues_once_and_revokes(client: Any, bob: Any) -> None:
    client.force_login(bob)
    r = client.post("/accounts/tokens/", {"name": "大屏", "scopes": ["appeals:read"], "days": "30"})
    assert r.status_code == 200
    plain = re.search(r"<code data-new-token>(mhu_[^<]+)</code>", r.content.decode())
    assert plain is not None
    token = ApiToken.objects.get(user=bob)
    assert plain.group(1) not in str(ApiToken.objects.values_list())  # only the hash is stored
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain.group(1)}").json()["scopes"] == [
        "appeals:read"
    ]
    assert plain.group(1) not in client.get("/accounts/tokens/").content.decode()
    bad = client.post("/accounts/tokens/", {"name": "", "scopes": [], "days": "0"})
    assert bad.status_code == 400
    client.post("/accounts/tokens/", {"revoke": token.pk})
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain.group(1)}").status_code == 401
    assert list(
        Event.objects.filter(verb__startswith="api_token.").values_list("verb", flat=True).order_by("id")
    ) == [
        "api_token.issue",
        "api_token.revoke",
    ]


def test_schema_and_docs_are_served_locally(client: Any) -> None:
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    doc = schema.json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/appeals/{tracking_code}/{action}" in doc["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "swagger-ui-bundle.js" in page
    assert not re.search(r"(src|href)=\"https?://", page)


def test_a_huge_offset_is_refused_naming_it(client: Any, staffed: Any, bob: Any) -> None:
    # schemathesis found it: an offset past SQLite's 64-bit integers answered 500
    for path in ("/api/v1/events", "/api/v1/appeals", "/api/v1/units", "/api/v1/problems"):
        r = client.get(path, {"offset": 167100789187045064704}, **bearer(bob))
        assert r.status_code == 400, path
        assert r.json()["errors"][0]["field"] == "offset", path
    assert client.get("/api/v1/appeals", {"offset": 1_000_000_000}, **bearer(bob)).json()["items"] == []


def test_a_bad_idempotency_key_is_refused_naming_the_header(
    client: Any, staffed: Any, bob: Any, ordinary: Any
) -> None:
    r = file_one(client, bearer(bob), staffed.hh_a1.pk, key="two words")
    assert r.status_code == 400, r.content
    assert [e["field"] for e in r.json()["errors"]] == ["Idempotency-Key"]
    assert not Appeal.objects.exists()


def test_only_a_consultation_is_answered_on_the_spot(
    client: Any, staffed: Any, bob: Any, ordinary: Any
) -> None:
    # A complaint answered "on the spot" would close at once and count as responded and resolved in time,
    # inflating the three rates: the API refuses it as the record form does, naming the field.
    auth = bearer(bob)
    code = file_one(client, auth, staffed.hh_a1.pk, kind="complaint").json()["tracking_code"]
    before = Appeal.objects.get(tracking_code=code)
    events = Event.objects.count()
    r = client.post(
        f"/api/v1/appeals/{code}/answer", {"result": "已解释"}, content_type="application/json", **auth
    )
    assert r.status_code == 400, r.content
    assert [e["field"] for e in r.json()["errors"]] == ["kind"]
    after = Appeal.objects.get(tracking_code=code)
    assert (after.state, after.version, after.closed_at, after.result) == (
        before.state,
        before.version,
        None,
        "",
    )
    assert Event.objects.count() == events
    assert "answer" not in client.get(f"/api/v1/appeals/{code}", **auth).json()["actions"]
    # a consultation is answered and closed
    consult = file_one(client, auth, staffed.hh_a2.pk, kind="consult", description="低保怎么申请？")
    consult_code = consult.json()["tracking_code"]
    assert "answer" in client.get(f"/api/v1/appeals/{consult_code}", **auth).json()["actions"]
    ok = client.post(
        f"/api/v1/appeals/{consult_code}/answer",
        {"result": "到社区服务站办理"},
        content_type="application/json",
        **auth,
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["state"] == State.CLOSED

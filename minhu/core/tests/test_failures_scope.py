"""The undelivered-messages page in scope: street staff see (and retry) only the failures of their own
street, whether the street is where the recipient is or what the message is about; administrators see all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_persona
from minhu.accounts.models import User
from minhu.accounts.roles import Role
from minhu.accounts.services import user_create
from minhu.core.models import Event, Notification
from minhu.grid.models import Unit
from minhu.grid.services import household_create, person_create, post_create, unit_create

URL = "core:delivery_failures"
START = date(2024, 1, 1)


@dataclass
class Streets:
    one: Unit
    two: Unit
    staff_one: User
    staff_two: User
    # failures: to a cadre posted in street one's village, to a resident of street two, and an SMS to a
    # caller's phone about street two (no recipient login)
    to_cadre_one: Notification
    to_resident_two: Notification
    sms_about_two: Notification


def _failed(key: str, subject: str, **kw: Any) -> Notification:
    return Notification.objects.create(
        channel="sms",
        kind="x",
        subject=subject,
        dedupe_key=key,
        state="failed",
        attempts=6,
        last_error="HTTPError: 502",
        **kw,
    )


def _login(username: str, role: Role) -> User:
    return user_create(username=username, password="Pass-word-42", actor=None, roles=[role], is_staff=True)


@pytest.fixture
def streets(db: None) -> Streets:
    d = unit_create(kind="district", name="苏家屯区", code="210111", parent=None, actor=None)
    one = unit_create(kind="street", name="永乐街道", code="210111001", parent=d, actor=None)
    two = unit_create(kind="street", name="佟沟街道", code="210111002", parent=d, actor=None)
    village_one = unit_create(kind="village", name="马耳山村", code="210111001001", parent=one, actor=None)
    village_two = unit_create(kind="village", name="互助村", code="210111002001", parent=two, actor=None)
    staff_one = _login("staff1", Role.STREET_STAFF)
    staff_two = _login("staff2", Role.STREET_STAFF)
    post_create(user=staff_one, unit=one, title="街道干部", start=START, actor=None)
    post_create(user=staff_two, unit=two, title="街道干部", start=START, actor=None)
    cadre = _login("cadre1", Role.VILLAGE_CADRE)
    post_create(user=cadre, unit=village_one, title="村干部", start=START, actor=None)
    resident = _login("resident2", Role.RESIDENT)
    home = household_create(unit=village_two, number="1号", actor=None)
    person_create(name="钱乙", household=home, is_head=True, user=resident, actor=None)
    return Streets(
        one,
        two,
        staff_one,
        staff_two,
        _failed("f-cadre1", "给一街道村干部", recipient=cadre),
        _failed("f-res2", "给二街道居民", recipient=resident),
        _failed("f-sms2", "给二街道来电人", address="13812348000", about_path=village_two.path),
    )


def _shown(client: Client, user: User) -> set[str]:
    client.force_login(user)
    response = client.get(reverse(URL))
    assert response.status_code == 200
    return {n.subject for n in response.context["failed"]}


def test_street_staff_see_only_their_streets_failures(client: Client, streets: Streets) -> None:
    assert _shown(client, streets.staff_one) == {"给一街道村干部"}
    assert _shown(client, streets.staff_two) == {"给二街道居民", "给二街道来电人"}
    page = client.get(reverse(URL)).content.decode()  # staff_two's page
    assert "给一街道村干部" not in page


def test_administrators_see_every_failure(root_client: Client, streets: Streets) -> None:
    response = root_client.get(reverse(URL))
    assert {n.subject for n in response.context["failed"]} == {
        "给一街道村干部",
        "给二街道居民",
        "给二街道来电人",
    }


def test_auditors_and_staff_without_a_post_see_none(client: Client, streets: Streets) -> None:
    client.force_login(make_persona("olga"))  # security auditor: the audit log, not this page
    assert client.get(reverse(URL)).status_code == 404
    assert _shown(client, make_persona("alice")) == set()  # street staff with no post: an empty scope


def test_retrying_a_failure_one_may_not_see_is_refused(client: Client, streets: Streets) -> None:
    client.force_login(streets.staff_one)
    for other in (streets.to_resident_two, streets.sms_about_two):
        assert client.post(reverse(URL), {"id": other.pk}).status_code == 403
        other.refresh_from_db()
        assert (other.state, other.attempts) == ("failed", 6)
    assert not Event.objects.filter(verb="notification.retry").exists()
    # their own street's failure they may retry
    assert client.post(reverse(URL), {"id": streets.to_cadre_one.pk}).status_code == 302
    streets.to_cadre_one.refresh_from_db()
    assert streets.to_cadre_one.state == "pending"
    assert Event.objects.filter(verb="notification.retry").count() == 1

"""A resident objects to a line of a published statement: it becomes an appeal dispatched to the checker of
that line, followed by tracking code; retries and bad input change nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from minhu.accounts.models import User
from minhu.appeals.models import Appeal, State
from minhu.core.models import Event
from minhu.ledger.models import Disclosure, Objection, Organisation
from minhu.ledger.services import ledger_period_close
from minhu.ledger.tests.conftest import post, q1_fixture


@pytest.fixture
def q1(estate: Organisation, alice: User, bob: User, erin: User) -> Disclosure:
    q1_fixture(estate, alice, bob)
    post(
        estate, "C03", date(2026, 3, 20), "100.00", alice, erin
    )  # the latest maintenance entry: erin checked
    return ledger_period_close(
        organisation=estate, period="quarter", start=date(2026, 1, 1), end=date(2026, 3, 31), actor=alice
    )


def _object(client: Client, d: Disclosure, code: str, **fields: Any) -> Any:
    data = {"text": "维修费比去年高很多，请公布明细", "caller_phone": "13812348000", "token": "t1"}
    data.update(fields)
    return client.post(reverse("ledger:object", args=[d.organisation.slug, d.pk, code]), data)


def test_an_objection_goes_to_the_lines_checker(client: Client, q1: Disclosure, erin: User) -> None:
    page = client.get(reverse("ledger:disclosure", args=[q1.organisation.slug, q1.pk])).content.decode()
    assert reverse("ledger:object", args=[q1.organisation.slug, q1.pk, "C03"]) in page
    response = _object(client, q1, "C03")
    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("appeals:track", args=[appeal.tracking_code]))
    assert (appeal.state, appeal.handler, appeal.category.code) == (State.DISPATCHED, erin, "L01")
    assert "公共设施维修" in appeal.description
    assert "8900.50" in appeal.description
    assert Objection.objects.get().account_code == "C03"
    assert Event.objects.filter(verb="ledger.objection").count() == 1
    _object(client, q1, "C03")  # the same form sent again
    assert Appeal.objects.count() == 1
    assert Objection.objects.count() == 1


def test_a_bad_objection_names_the_field_and_saves_nothing(client: Client, q1: Disclosure) -> None:
    response = _object(client, q1, "C03", text="")
    assert response.status_code == 400
    assert "text" in response.context["form"].errors
    response = _object(client, q1, "C03", caller_phone="123", token="t2")
    assert "caller_phone" in response.context["form"].errors
    assert _object(client, q1, "NOPE", token="t3").status_code == 404
    assert Appeal.objects.count() == 0
    assert Objection.objects.count() == 0

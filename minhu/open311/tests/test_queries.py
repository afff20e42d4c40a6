"""A full page — 1000 requests, 1000 updates — costs a fixed handful of queries, in either format."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from minhu.appeals.models import Appeal, Category, Channel, State
from minhu.core.models import Event
from minhu.grid.tests.conftest import Tree
from minhu.open311.models import Client, Submission

N = 1005


@pytest.fixture
def many(tree: Tree, ordinary: Category, issued: tuple[Client, str]) -> list[Appeal]:
    """N Open311 appeals over the last days, in a unit, half of them closed, each with two events."""
    now = timezone.now()
    appeals = Appeal.objects.bulk_create(
        Appeal(
            kind="complaint",
            channel=Channel.OPEN311,
            category=ordinary,
            description=f"第{i}件",
            unit=tree.block_a,
            village=tree.village_a,
            street=tree.street,
            district=tree.district,
            lat=None,
            long=None,
            state=State.CLOSED if i % 2 else State.DISPATCHED,
            submitted_at=now - timedelta(minutes=i),
            closed_at=now - timedelta(minutes=i) if i % 2 else None,
            resolution_due_at=now + timedelta(days=5),
        )
        for i in range(N)
    )
    Submission.objects.bulk_create(
        Submission(appeal=a, client=issued[0], submitted_at=a.submitted_at) for a in appeals
    )
    ct = ContentType.objects.get_for_model(Appeal)
    Event.objects.bulk_create(
        Event(verb=verb, target_type=ct, target_id=str(a.pk), at=a.submitted_at, after={"state": state})
        for a in appeals
        for verb, state in (("appeal.submit", "submitted"), ("appeal.dispatch", "dispatched"))
    )
    return appeals


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_full_page_of_requests_takes_a_fixed_number_of_queries(
    client: Any, many: list[Appeal], fmt: str, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(3):
        response = client.get(f"/open311/v2/requests.{fmt}")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<service_request_id>" if fmt == "xml" else '"service_request_id"') == 1000
    assert many[0].tracking_code in body
    assert many[-1].tracking_code not in body  # the oldest fell beyond the 1000 limit
    with django_assert_max_num_queries(3):
        response = client.get(f"/open311/v2/requests.{fmt}", {"status": "closed", "service_code": "T01"})
    assert (
        response.content.decode().count("<status>closed</status>" if fmt == "xml" else '"closed"') == N // 2
    )


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_full_page_of_updates_takes_a_fixed_number_of_queries(
    client: Any, many: list[Appeal], fmt: str, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(3):
        response = client.get(f"/open311/v2/servicerequestupdates.{fmt}")
    assert response.status_code == 200
    assert response.content.decode().count("<update_id>" if fmt == "xml" else '"update_id"') == 1000


def test_looking_up_many_ids_takes_a_fixed_number_of_queries(
    client: Any, many: list[Appeal], django_assert_max_num_queries: Any
) -> None:
    codes = [a.tracking_code for a in many[:1000]]
    with django_assert_max_num_queries(2):
        response = client.get("/open311/v2/requests.json", {"service_request_id": ",".join(codes)})
    assert [r["service_request_id"] for r in response.json()] == codes

"""What a civic client sends as people write it: phones in national and international forms are normalised,
not refused; a keyed client's GETs count against its own limit, not the anonymous one."""

from __future__ import annotations

from typing import Any

import pytest

from minhu.appeals.models import Appeal, Category
from minhu.open311.tests.georeport import GeoReport


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("+86 10 1234 5678", "010-12345678"),
        ("+86 138 0013 8000", "13800138000"),
        ("0086-13800138000", "13800138000"),
        ("+86 (766) 123-4567", "0766-1234567"),
        ("+44 20 7946 0958", "+442079460958"),
        ("0766-1234567", "0766-1234567"),
    ],
)
def test_a_phone_in_any_usual_form_is_taken_and_normalised(
    georeport: GeoReport, ordinary: Category, api_key: str, written: str, stored: str
) -> None:
    answer = georeport.create(
        "json",
        api_key=api_key,
        service_code="T01",
        address_string="火车站",
        description="路灯坏了",
        phone=written,
    )
    assert answer.status == 200, answer.raw
    assert Appeal.objects.get().caller_phone == stored


def test_a_phone_that_is_none_is_still_refused(
    georeport: GeoReport, ordinary: Category, api_key: str
) -> None:
    answer = georeport.create(
        "json", api_key=api_key, service_code="T01", address_string="火车站", description="灯", phone="+86 12"
    )
    assert answer.status == 400
    assert not Appeal.objects.exists()


def test_a_keyed_client_polls_on_its_own_limit(
    georeport: GeoReport, client: Any, settings: Any, ordinary: Category, api_key: str
) -> None:
    settings.API_RATE_PUBLIC = "2/min"
    settings.OPEN311_RATE_CLIENT = "5/min"
    for _ in range(5):  # past the public limit, within the client's own
        assert client.get("/open311/v2/requests.json", {"api_key": api_key}).status_code == 200
    assert client.get("/open311/v2/requests.json", {"api_key": api_key}).status_code == 429
    # the anonymous limit of the same address was not used up by the keyed calls
    assert client.get("/open311/v2/services.json").status_code == 200
    assert client.get("/open311/v2/services.json").status_code == 200
    assert client.get("/open311/v2/services.json").status_code == 429
    # an unknown key is an anonymous call
    assert client.get("/open311/v2/services.json", {"api_key": "m311_wrong"}).status_code == 429

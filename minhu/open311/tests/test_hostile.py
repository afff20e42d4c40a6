"""Hostile input on the GeoReport calls: numbers and dates past their bounds and NUL characters are refused
with 400 and a description naming the parameter, never a 500 (both databases: on PostgreSQL a NUL reached
the database)."""

from __future__ import annotations

from typing import Any

import pytest

from minhu.appeals.models import Appeal, Category
from minhu.open311.tests.georeport import GeoReport

FORMATS = pytest.mark.parametrize("fmt", ["xml", "json"])


def descriptions(answer: Any) -> list[str]:
    return [str(e["description"]) for e in answer.data]


@FORMATS
@pytest.mark.parametrize(
    ("lat", "long", "expected"),
    [
        ("1e400", "123.4", "lat must be between -90 and 90 (WGS84 decimal degrees)"),
        ("95", "123.4", "location: That position is not on the map."),  # named by the intake
        ("41.6", "-1e999999", "long must be between -180 and 180 (WGS84 decimal degrees)"),
        ("41.6", "9" * 60, "long must be a number (WGS84 decimal degrees)"),
        ("NaN", "123.4", "lat must be a number (WGS84 decimal degrees)"),
    ],
)
def test_coordinates_past_their_bounds_are_named(
    georeport: GeoReport, fmt: str, ordinary: Category, api_key: str, lat: str, long: str, expected: str
) -> None:
    answer = georeport.create(
        fmt, api_key=api_key, service_code="T01", lat=lat, long=long, description="路灯坏了"
    )
    assert answer.status == 400
    assert expected in descriptions(answer)
    assert not Appeal.objects.exists()


@FORMATS
@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1969-12-31T00:00:00+08:00"]
)
@pytest.mark.parametrize("name", ["start_date", "end_date"])
def test_dates_past_the_calendar_are_named(
    georeport: GeoReport, fmt: str, ordinary: Category, name: str, value: str
) -> None:
    answer = georeport.requests(fmt, **{name: value})
    assert answer.status == 400
    assert descriptions(answer) == [f"{name} must be between 1970 and 2200"]


@FORMATS
def test_a_nul_character_anywhere_is_named(
    georeport: GeoReport, fmt: str, ordinary: Category, api_key: str
) -> None:
    answer = georeport.requests(fmt, status="open\x00")
    assert answer.status == 400
    assert descriptions(answer) == ["status contains a NUL character, which is not allowed"]
    answer = georeport.create(
        fmt, api_key=api_key, service_code="T01", address_string="火车站", description="灯\x00坏了"
    )
    assert answer.status == 400
    assert descriptions(answer) == ["description contains a NUL character, which is not allowed"]
    assert not Appeal.objects.exists()

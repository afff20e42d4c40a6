"""The arguments of GeoReport calls, read into typed values; what is wrong becomes an `ApiError` (400 for bad
input, 404 for an unknown service_code). Error descriptions are English: the spec's audience is developers,
and they are not translated."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.http import QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.dateparse import parse_datetime

from minhu.appeals.models import Category
from minhu.appeals.routing import household_for_address, unit_at_point, unit_for_address
from minhu.grid.models import Household, Unit
from minhu.open311.formats import ApiError
from minhu.open311.selectors import MAX_RESULTS, MAX_WINDOW, Search, category_ids_for

_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_CJK = re.compile(r"^[\u3400-\u9fff·]+$")
_SIX_PLACES = Decimal("0.000001")


def arg(query: QueryDict, name: str) -> str:
    """An argument's value; present but empty is the same as absent ("")."""
    return (query.get(name) or "").strip()


def check_jurisdiction(query: QueryDict) -> None:
    given = arg(query, "jurisdiction_id")
    if given and given != settings.OPEN311_JURISDICTION_ID:
        raise ApiError(
            404, f"jurisdiction_id not found: this endpoint serves {settings.OPEN311_JURISDICTION_ID!r}"
        )


# The dates a search window may touch: anything outside is a mistake or a probe.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
# WGS84 bounds of each coordinate. A value a little past them goes on to the intake, which names every
# problem of the request at once ("not on the map"); one far past them is refused here, before rounding it
# to six places overflows the decimal context (lat=1e400 was a 500).
_BOUNDS = {"lat": Decimal(90), "long": Decimal(180)}
_FAR = Decimal(1000)


def _number(value: str, name: str, errors: list[str]) -> Decimal | None:
    try:
        number = Decimal(value) if len(value) <= 40 else Decimal("NaN")
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        errors.append(f"{name} must be a number (WGS84 decimal degrees)")
        return None
    bound = _BOUNDS.get(name, Decimal(180))
    if abs(number) > _FAR:
        errors.append(f"{name} must be between -{bound} and {bound} (WGS84 decimal degrees)")
        return None
    return number.quantize(_SIX_PLACES)


def _caller_name(first: str, last: str) -> str:
    """A Chinese name is family name first without a space (last_name + first_name); others "first last"."""
    if first and last and _CJK.match(first + last):
        return last + first
    return " ".join(p for p in (first, last) if p)


@dataclass
class RequestInput:
    """A POST requests call, read and checked as far as Open311 is concerned; the appeal's own rules are the
    intake service's."""

    category: Category
    description: str
    lat: Decimal | None = None
    long: Decimal | None = None
    address: str = ""
    unit: Unit | None = None
    household: Household | None = None
    caller_name: str = ""
    caller_phone: str = ""
    media_url: str = ""
    photos: list[UploadedFile] = field(default_factory=list)


def attributes(post: QueryDict) -> dict[str, list[str]]:
    """`attribute[CODE]=v` and `attribute[CODE][]=v1&attribute[CODE][]=v2`, by code (empty values dropped)."""
    found: dict[str, list[str]] = {}
    for key in post:
        m = _ATTRIBUTE.match(key)
        if m:
            values = [v.strip() for v in post.getlist(key) if v.strip()]
            if values:
                found.setdefault(m.group(1), []).extend(values)
    return found


def request_input(post: QueryDict, files: MultiValueDict[str, UploadedFile]) -> RequestInput:
    code = arg(post, "service_code")
    if not code:
        raise ApiError(400, "service_code is required")
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise ApiError(404, f"service_code not found: {code[:40]}")

    errors: list[str] = []
    lat_text, long_text = arg(post, "lat"), arg(post, "long")
    lat = _number(lat_text, "lat", errors) if lat_text else None
    long = _number(long_text, "long", errors) if long_text else None
    if bool(lat_text) != bool(long_text):
        errors.append("lat and long must be given together")
    address = arg(post, "address_string")
    address_id = arg(post, "address_id")
    unit = None
    if address_id:
        unit = Unit.objects.filter(code=address_id).first()
        if unit is None:
            errors.append("address_id: no unit of the grid has this code")
    if not (lat_text or long_text or address or address_id):
        errors.append("a location is required: lat and long, address_string or address_id")

    media_url = arg(post, "media_url")
    if media_url:
        try:
            if len(media_url) > 500:
                raise ValidationError("too long")
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            errors.append("media_url must be an http or https URL of at most 500 characters")

    attrs = attributes(post)
    phone = (attrs.get("phone") or [arg(post, "phone")])[0]
    required = set(category.required_fields or [])
    if "phone" in required and not phone:
        errors.append("attribute[phone] is required for this service_code (or give phone)")
    household = None
    door = (attrs.get("household") or [""])[0]
    if "household" in required and not door:
        errors.append("attribute[household] is required for this service_code")
    if door and not errors:
        where = unit
        if where is None and address:
            where = unit_for_address(address)
        if where is None and lat is not None and long is not None:
            where = unit_at_point(lat, long)
        if where is None:
            errors.append("attribute[household]: give address_id or an address_string naming the unit")
        else:
            household = household_for_address(where, door)
            if household is None:
                errors.append("attribute[household]: no household has this door number in that unit")
    if errors:
        raise ApiError(400, *errors)
    return RequestInput(
        category=category,
        description=post.get("description") or "",
        lat=lat,
        long=long,
        address=address,
        unit=unit,
        household=household,
        caller_name=_caller_name(arg(post, "first_name"), arg(post, "last_name")),
        caller_phone=phone,
        media_url=media_url,
        photos=files.getlist("media"),
    )


def _datetime(value: str, name: str) -> datetime:
    # An unencoded "+" in a query string arrives as a space: 2026-01-01T00:00:00 08:00.
    value = re.sub(r"(T[\d:.]+) (\d{2}(:?\d{2})?)$", r"\1+\2", value)
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None or timezone.is_naive(parsed):
        raise ApiError(400, f"{name} must be a W3C date-time with a zone, e.g. 2026-01-01T00:00:00+08:00")
    try:  # a zone can carry a date past the calendar's ends (0001-01-01T00:00:00+14:00)
        utc = parsed.astimezone(UTC)
        in_range = utc >= EARLIEST and utc + MAX_WINDOW <= LATEST
    except OverflowError:
        in_range = False
    if not in_range:
        raise ApiError(400, f"{name} must be between {EARLIEST:%Y} and {LATEST:%Y}")
    return parsed


def window(query: QueryDict, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """start_date and end_date: at most 90 days apart; one alone extends 90 days from it; neither, the last
    90 days."""
    start_text, end_text = arg(query, "start_date"), arg(query, "end_date")
    start = _datetime(start_text, "start_date") if start_text else None
    end = _datetime(end_text, "end_date") if end_text else None
    if start is not None and end is not None:
        if end < start:
            raise ApiError(400, "end_date is before start_date")
        if end - start > MAX_WINDOW:
            raise ApiError(400, "start_date and end_date may be at most 90 days apart")
        return start, end
    if start is not None:
        return start, start + MAX_WINDOW
    if end is not None:
        return end - MAX_WINDOW, end
    end = now or timezone.now()
    return end - MAX_WINDOW, end


def _comma_list(query: QueryDict, name: str) -> list[str]:
    return [item.strip() for item in arg(query, name).split(",") if item.strip()]


def request_ids(query: QueryDict) -> list[str]:
    ids = _comma_list(query, "service_request_id")
    if len(ids) > MAX_RESULTS:
        raise ApiError(400, f"service_request_id: at most {MAX_RESULTS} ids")
    return ids


def search(query: QueryDict) -> Search:
    """The filters of GET requests (service_request_id is read separately: it overrides them all)."""
    statuses = {s.lower() for s in _comma_list(query, "status")} or {"open", "closed"}
    if not statuses <= {"open", "closed"}:
        raise ApiError(400, "status must be open, closed or open,closed")
    start, end = window(query)
    codes = _comma_list(query, "service_code")
    category_ids = None
    if codes:
        category_ids, unknown = category_ids_for(codes)
        if unknown:
            raise ApiError(404, *(f"service_code not found: {c[:40]}" for c in unknown))
    return Search(start=start, end=end, category_ids=category_ids, statuses=frozenset(statuses))

"""GeoReport v2 at /open311/v2/ (docs/open311.md; the spec is ../shared/reference/open311-georeport-v2.md).

Each view reads its arguments (forms), calls one selector or service and answers in the format the path's
extension names. Errors are the spec's error list: 404 for a missing resource (format, service_code, request
id, token, jurisdiction), 403 for a missing or wrong api_key (POST only), 400 for everything else.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from ninja.throttling import SimpleRateThrottle

from minhu.core.api import RateLimit
from minhu.core.middleware import nul_field
from minhu.open311 import forms
from minhu.open311.formats import CONTENT_TYPES, ApiError, Many, error_response, respond, w3c
from minhu.open311.models import Client
from minhu.open311.selectors import (
    active_categories,
    client_for_key,
    requests_by_ids,
    requests_search,
    service_attributes,
    service_name,
    updates_search,
)
from minhu.open311.services import request_submit

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's list of calls and formats last changed (discovery's changeset).
CHANGESET = "2026-11-25T00:00:00+08:00"

# What the intake service calls a field → what GeoReport calls it.
_FIELD = {
    "location": "location",
    "description": "description",
    "caller_phone": "phone",
    "caller_name": "first_name/last_name",
    "category": "service_code",
    "household": "attribute[household]",
    "photos": "media",
    "lat": "lat",
    "long": "long",
    "address": "address_string",
}

View = Callable[..., HttpResponse]


class ClientRateLimit(RateLimit):
    """A call carrying a valid `api_key` counts against that client's own limit (`MINHU_OPEN311_RATE_CLIENT`
    per client); any other against the JSON API's public one per address. A keyed program polling GET is
    therefore never cut off by the anonymous limit."""

    client: Client | None = None

    def allow_request(self, request: HttpRequest) -> bool:
        query = request.POST if request.method == "POST" else request.GET
        self.client = client_for_key(forms.arg(query, "api_key"))
        if self.client is None:
            return super().allow_request(request)
        self.cache = caches["throttle"]
        self.rate = settings.OPEN311_RATE_CLIENT
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return SimpleRateThrottle.allow_request(self, request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        if self.client is not None:
            return f"open311:client:{self.client.pk}"
        return super().get_cache_key(request)


def georeport(*methods: str) -> Callable[[View], View]:
    """A GeoReport call: the format from the extension (404 unless xml or json), the allowed methods, the
    rate limit (the JSON API's public one, per client address: 429 with Retry-After), the jurisdiction_id
    check, and any ApiError answered as the error list in the asked format."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorate(view: View) -> View:
        @csrf_exempt  # a keyed API for other programs, not a form in a browser
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            try:
                if fmt not in CONTENT_TYPES:
                    raise ApiError(404, "format not supported: use .xml or .json")
                if request.method not in allowed:
                    response = error_response(fmt, ApiError(405, f"use {' or '.join(methods)}"))
                    response["Allow"] = ", ".join(sorted(allowed))
                    return response
                field = nul_field(request)
                if field is not None:
                    raise ApiError(400, f"{field} contains a NUL character, which is not allowed")
                limit = ClientRateLimit()
                if not limit.allow_request(request):
                    response = error_response(fmt, ApiError(429, "too many requests: wait and try again"))
                    response["Retry-After"] = str(max(1, int(limit.wait() or 1)))
                    return response
                query = request.POST if request.method == "POST" else request.GET
                forms.check_jurisdiction(query)
                return view(request, fmt, **kwargs)
            except (RequestDataTooBig, TooManyFieldsSent):
                return error_response(fmt, ApiError(400, "the request is too large"))
            except ApiError as error:
                return error_response(fmt, error)

        return wrapper

    return decorate


@georeport("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = reverse("open311:discovery", args=[fmt]).removesuffix(f"discovery.{fmt}")
    body = {
        "changeset": CHANGESET,
        "contact": settings.OPEN311_CONTACT,
        "key_service": "api_keys are issued by the administrators of this deployment: write to the contact",
        "endpoints": Many(
            "endpoint",
            [
                {
                    "specification": SPECIFICATION,
                    "url": request.build_absolute_uri(base),
                    "changeset": CHANGESET,
                    "type": "test" if settings.DEBUG else "production",
                    "formats": Many("format", ["text/xml", "application/json"]),
                }
            ],
        ),
    }
    return respond(fmt, "discovery", body)


@georeport("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    body = Many(
        "service",
        [
            {
                "service_code": c.code,
                "service_name": service_name(c),
                "description": c.description,
                "metadata": bool(service_attributes(c)),
                "type": "realtime",
                "keywords": ",".join(c.keywords.split()),
                "group": c.group,
            }
            for c in active_categories()
        ],
    )
    return respond(fmt, "services", body)


@georeport("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    category = active_categories().filter(code=code).first()
    if category is None:
        raise ApiError(404, f"service_code not found: {code[:40]}")
    attributes = Many(
        "attribute",
        [
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": str(a.datatype_description),
                "order": a.order,
                "description": str(a.description),
            }
            for a in service_attributes(category)
        ],
    )
    return respond(fmt, "service_definition", {"service_code": category.code, "attributes": attributes})


def _request(row: Any) -> dict[str, Any]:
    return {
        "service_request_id": row.service_request_id,
        "status": row.status,
        "status_notes": row.status_notes,
        "service_name": row.service_name,
        "service_code": row.service_code,
        "description": row.description,
        "agency_responsible": row.agency_responsible,
        "service_notice": row.service_notice,
        "requested_datetime": w3c(row.requested_datetime),
        "updated_datetime": w3c(row.updated_datetime),
        "expected_datetime": w3c(row.expected_datetime),
        "address": row.address,
        "address_id": row.address_id,
        "zipcode": row.zipcode,
        "lat": row.lat,
        "long": row.long,
        "media_url": row.media_url,
    }


@georeport("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    ids = forms.request_ids(request.GET)
    rows = requests_by_ids(ids) if ids else requests_search(forms.search(request.GET))
    return respond(fmt, "service_requests", Many("request", [_request(r) for r in rows]))


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    client = client_for_key(forms.arg(request.POST, "api_key"))
    if client is None:
        raise ApiError(403, "api_key is missing, unknown or revoked")
    data = forms.request_input(request.POST, request.FILES)
    try:
        _submission, result = request_submit(client=client, data=data)
    except ValidationError as exc:
        raise ApiError(
            400,
            *(
                f"{_FIELD.get(name, name)}: {message}"
                for name, msgs in exc.message_dict.items()
                for message in msgs
            ),
        ) from exc
    notice = ""
    if result.repeat_of is not None:
        notice = "Linked to a matter already being handled: follow this request for its progress"
    body = Many(
        "request",
        [{"service_request_id": result.appeal.tracking_code, "service_notice": notice}],
    )
    return respond(fmt, "service_requests", body)


@georeport("GET")
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    rows = requests_by_ids([request_id])
    if not rows:
        raise ApiError(404, "service_request_id not found")
    return respond(fmt, "service_requests", Many("request", [_request(rows[0])]))


@georeport("GET")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    # Every request is created at once and answered with its service_request_id, so no token is ever
    # handed out and none can be found.
    raise ApiError(404, "token not found: this endpoint answers POST requests with service_request_id")


@georeport("GET")
def updates(request: HttpRequest, fmt: str) -> HttpResponse:
    start, end = forms.window(request.GET)
    rows = [
        {
            "service_request_id": u.service_request_id,
            "update_id": u.update_id,
            "status": u.status,
            "updated_datetime": w3c(u.updated_datetime),
            "description": u.description,
            "media_url": u.media_url,
            "external_status_code": u.external_status_code,
        }
        for u in updates_search(start, end)
    ]
    return respond(fmt, "service_request_updates", Many("request_update", rows))


@csrf_exempt
def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    """Anything else under the endpoint: the error list, in JSON if the path asks for it."""
    fmt = "json" if rest.endswith(".json") else "xml"
    return error_response(fmt, ApiError(404, "no such call: see discovery.xml"))

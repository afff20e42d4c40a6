"""What every JSON API endpoint shares, whatever its domain: the one error shape, turning exceptions into
it, and the rate limit. The API itself is assembled in config/api.py from each app's api.py."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.conf import settings as ninja_settings
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination
from ninja.throttling import SimpleRateThrottle
from pydantic import BeforeValidator


def _iso_only(value: Any) -> Any:
    """Dates and times are given as ISO 8601 text (2026-11-25, 2026-11-25T09:00:00+08:00); a bare number,
    which pydantic would read as a Unix timestamp, is refused rather than guessed."""
    if isinstance(value, int | float) or (isinstance(value, str) and re.fullmatch(r"[+-]?[\d.eE+-]+", value)):
        raise ValueError(
            "give an ISO 8601 date or date-time, such as 2026-11-25 or 2026-11-25T09:00:00+08:00"
        )
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_only)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


class ErrorItem(Schema):
    code: str
    field: str | None = None
    message: str


class ErrorsOut(Schema):
    """Every refusal: a list of what is wrong, each naming the field it is about where there is one."""

    errors: list[ErrorItem]


class ApiError(Exception):
    """A refusal with its HTTP status and errors, raised anywhere inside an endpoint."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.items = [{"code": code, "field": field, "message": message}]


# The answers any endpoint can give besides its own, for the OpenAPI schema.
# The largest offset a list takes: past it a page is refused with 400 (an unbounded one overflowed SQLite's
# 64-bit integers into a 500).
MAX_OFFSET = 1_000_000_000


class Paged(LimitOffsetPagination):
    """`limit`/`offset` pages, as django-ninja's, with the offset bounded by MAX_OFFSET."""

    class Input(Schema):
        limit: int = Field(ninja_settings.PAGINATION_PER_PAGE, ge=1, le=ninja_settings.PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


PUBLIC_ERRORS: dict[int, type[Schema]] = {400: ErrorsOut, 404: ErrorsOut, 429: ErrorsOut}
TOKEN_ERRORS: dict[int, type[Schema]] = {**PUBLIC_ERRORS, 401: ErrorsOut, 403: ErrorsOut}


def _field_of(loc: list[Any] | tuple[Any, ...]) -> str | None:
    # pydantic's location: ("body", "payload", "description") / ("query", "state"): the last name is the field
    names = [str(x) for x in loc if not isinstance(x, int) and x not in ("body", "query", "path", "payload")]
    return ".".join(names) or None


def validation_items(exc: Any) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            {
                "code": e.code or "invalid",
                "field": None if name == "__all__" else name,
                "message": " ".join(e.messages),
            }
            for name, errs in exc.error_dict.items()
            for e in errs
        ]
    return [{"code": exc.code or "invalid", "field": None, "message": m} for m in exc.messages]


def errors_response(
    api: NinjaAPI, request: HttpRequest, status: int, items: list[dict[str, Any]]
) -> HttpResponse:
    return api.create_response(request, {"errors": items}, status=status)


def install_error_handlers(api: NinjaAPI) -> None:
    """Every error leaves the API in the ErrorsOut shape."""

    def on_ninja_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        items = [
            {
                "code": str(e.get("type", "invalid")),
                "field": _field_of(e.get("loc", ())),
                "message": e.get("msg", ""),
            }
            for e in exc.errors
        ]
        return errors_response(api, request, 400, items)

    def on_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        return errors_response(api, request, 400, validation_items(exc))

    def on_api_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return errors_response(api, request, exc.status, exc.items)

    def on_auth(request: HttpRequest, exc: Any) -> HttpResponse:
        message = _("Give a valid token: Authorization: Bearer <token>.")
        response = errors_response(
            api, request, 401, [{"code": "unauthorized", "field": None, "message": message}]
        )
        response["WWW-Authenticate"] = 'Bearer realm="minhu"'
        return response

    def on_throttled(request: HttpRequest, exc: Any) -> HttpResponse:
        message = _("Too many requests. Wait and try again.")
        return errors_response(api, request, 429, [{"code": "throttled", "field": None, "message": message}])

    def on_http(request: HttpRequest, exc: Any) -> HttpResponse:
        return errors_response(
            api, request, exc.status_code, [{"code": "error", "field": None, "message": str(exc)}]
        )

    def on_not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return errors_response(
            api, request, 404, [{"code": "not_found", "field": None, "message": _("Not found.")}]
        )

    def on_denied(request: HttpRequest, exc: Any) -> HttpResponse:
        message = str(exc) or _("You may not do this.")
        return errors_response(api, request, 403, [{"code": "forbidden", "field": None, "message": message}])

    api.add_exception_handler(NinjaValidationError, on_ninja_validation)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(AuthenticationError, on_auth)
    api.add_exception_handler(Throttled, on_throttled)
    api.add_exception_handler(HttpError, on_http)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(PermissionDenied, on_denied)


class RateLimit(SimpleRateThrottle):
    """API_RATE_TOKEN per token for token calls, API_RATE_PUBLIC per address for the rest, counted in the
    shared "throttle" cache; rates are read at each call, so settings changes apply at once."""

    scope = "minhu"

    def __init__(self) -> None:
        # SimpleRateThrottle parses a rate at construction; ours is read per request in allow_request.
        self.rate = settings.API_RATE_TOKEN
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        auth = getattr(request, "auth", None)
        if auth is not None and getattr(auth, "pk", None) is not None:
            return f"api:token:{auth.pk}"
        return f"api:addr:{self.get_ident(request)}"

    def allow_request(self, request: HttpRequest) -> bool:
        self.cache = caches["throttle"]
        tokened = getattr(getattr(request, "auth", None), "pk", None) is not None
        self.rate = settings.API_RATE_TOKEN if tokened else settings.API_RATE_PUBLIC
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)

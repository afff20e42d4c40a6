"""Request id, client address and the content security policy for every response."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.translation import gettext as _

from minhu.core import context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# Everything comes from this origin: deployments often sit on intranets without internet, and a page that
# tried to load from a CDN would hang there. The CSP makes the browser refuse any other origin outright.
CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "style-src 'self' 'unsafe-inline'",
        "script-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def client_addr(request: HttpRequest) -> str | None:
    """The client's address; behind PROXY_COUNT trusted proxies, taken from X-Forwarded-For."""
    proxies = int(getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0))
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return str(forwarded[-proxies])
    addr = request.META.get("REMOTE_ADDR")
    return str(addr) if addr else None


class RequestContextMiddleware:
    """Binds a request id (the caller's X-Request-ID when well-formed) and the client address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.match(given) else None
        with context.bind(request_id=request_id, client_addr=client_addr(request)) as ctx:
            response = self.get_response(request)
        response["X-Request-ID"] = ctx.request_id
        return response


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CSP)
        return response


class LanguageMiddleware:
    """Chinese first: the language is zh-hans unless the user chose another with the language switch (the
    cookie). The browser's Accept-Language is not consulted: a cadre's phone set to English still gets the
    screens colleagues see, until they choose otherwise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ["Cookie"])
        return response


# --- NUL characters ----------------------------------------------------------------------------------------

NUL = "\x00"
# Open311 answers in its own error format (minhu.open311.views.georeport checks the same thing there).
_OWN_CHECK_PREFIXES = ("/open311/",)


def _strings(data: Any, path: str) -> Iterator[tuple[str, str]]:
    """(field path, text) for every string in a JSON document, keys included."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            name = f"{path}.{key}" if path else str(key)
            yield name, str(key)
            yield from _strings(value, name)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _strings(value, f"{path}[{i}]" if path else f"[{i}]")


def nul_field(request: HttpRequest) -> str | None:
    """The first parameter or field of the request that holds a NUL character (PostgreSQL cannot store one and
    no text needs it), or None. Looks at the path, the query string, form fields and a JSON body; a body too
    large or malformed is left for the view to refuse."""
    if NUL in request.path:
        return "path"
    pairs: list[tuple[str, str]] = [(k, v) for k, vs in request.GET.lists() for v in [k, *vs]]
    try:
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            pairs += [(k, v) for k, vs in request.POST.lists() for v in [k, *vs]]
        elif request.content_type == "application/json" and request.body:
            pairs += list(_strings(json.loads(request.body), ""))
    except (RequestDataTooBig, TooManyFieldsSent, ValueError, UnicodeDecodeError):
        pass
    for name, text in pairs:
        if NUL in text:
            return name.replace(NUL, "\\0") or "?"
    return None


class NulCharacterMiddleware:
    """Refuses, with 400 naming the field, any request carrying a NUL character — before a view hands it to
    the database (on PostgreSQL a NUL in a query parameter or a text field was a 500). The JSON API answers in
    its one error shape; pages with a short message."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(_OWN_CHECK_PREFIXES):
            return self.get_response(request)
        field = nul_field(request)
        if field is None:
            return self.get_response(request)
        message = _("%(field)s contains a NUL character, which is not allowed.") % {"field": field}
        if request.path.startswith("/api/"):
            item = {"code": "null_character", "field": field, "message": message}
            return JsonResponse({"errors": [item]}, status=400)
        return HttpResponse(
            f"<!doctype html><meta charset=utf-8><title>400</title><p>{escape(message)}</p>",
            status=400,
            content_type="text/html; charset=utf-8",
        )

"""GeoReport v2's two formats from one description of a response.

A response is built once as plain values — dicts (ordered fields), `Many` (a list whose XML items carry a
tag) and scalars — and written either as XML (`<?xml …?>`, no namespace, booleans `true`/`false`, unknown
values as empty elements) or as JSON (list roots become top-level arrays, child lists arrays, unknown values
null). Dates are already strings by then (`w3c()`).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}

# Characters XML 1.0 cannot carry at all (a description pasted from elsewhere may hold them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Many:
    """A list: in XML each item is an element named `tag` inside the list's element."""

    tag: str
    items: Sequence[Any]


class ApiError(Exception):
    """An Open311 error answer: one HTTP status and one or more descriptions (English, for developers)."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = list(descriptions)


def w3c(value: datetime | None) -> str | None:
    """A W3C date-time in the server's zone with its offset: 2026-03-01T09:30:00+08:00."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _xml_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(float(value))  # as JSON writes it: 123.3, not 123.300
    return _NOT_XML.sub("", str(value))


def _xml_fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _xml_fill(ET.SubElement(element, key), child)
    elif isinstance(value, Many):
        for item in value.items:
            _xml_fill(ET.SubElement(element, value.tag), item)
    else:
        element.text = _xml_text(value)


def to_xml(root: str, body: Any) -> bytes:
    element = ET.Element(root)
    _xml_fill(element, body)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")).encode()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(child) for key, child in value.items()}
    if isinstance(value, Many):
        return [_plain(item) for item in value.items]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    return value


def to_json(body: Any) -> bytes:
    return json.dumps(_plain(body), ensure_ascii=False).encode()


def respond(fmt: str, root: str, body: Any, *, status: int = 200) -> HttpResponse:
    """`body` under the XML element `root` (JSON has no root name)."""
    content = to_xml(root, body) if fmt == "xml" else to_json(body)
    return HttpResponse(content, status=status, content_type=CONTENT_TYPES[fmt])


def error_response(fmt: str, error: ApiError) -> HttpResponse:
    """The error list: `<errors><error><code>…</code><description>…</description></error></errors>`, or
    `[{"code": …, "description": …}]`; the code is the HTTP status."""
    body = Many("error", [{"code": error.status, "description": d} for d in error.descriptions])
    return respond(fmt if fmt in CONTENT_TYPES else "xml", "errors", body, status=error.status)

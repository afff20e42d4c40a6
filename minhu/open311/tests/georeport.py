"""A GeoReport v2 client written only from ../shared/reference/open311-georeport-v2.md, knowing nothing of
Minhu: it calls the endpoints in either format, checks what the document promises (content types, the XML
declaration, no namespace, list roots, field names and order, types, date-times with a zone, the error list)
and hands back plain values — every leaf a string (XML's view) — so the two formats can be compared.

Every check is an assertion: a response that breaks the document fails the test that asked for it.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
]
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
UPDATE_FIELDS = ["service_request_id", "update_id", "status", "updated_datetime", "description", "media_url"]
UPDATE_STATUSES = {
    "open",
    "closed",
    "fixed",
    "in_progress",
    "action_scheduled",
    "investigating",
    "duplicate",
    "not_councils_responsibility",
    "no_further_action",
    "internal_referral",
    "cancelled",
    "reopen",
    "for_triage",
    "planned",
    "unchanged",
}
ENDPOINT_FIELDS = ["specification", "url", "changeset", "type", "formats"]


@dataclass
class Answer:
    status: int
    fmt: str
    raw: bytes
    data: Any  # XML: nested dicts/lists of strings; JSON: as decoded


def _element(e: ET.Element, lists: dict[str, str]) -> Any:
    """An XML element as plain values: a known list element → list; an element with children → dict
    (keeping the order); else its text ("" when empty)."""
    assert "}" not in e.tag, f"namespaced element {e.tag}"
    if e.tag in lists:
        assert all(c.tag == lists[e.tag] for c in e), f"<{e.tag}> holds only <{lists[e.tag]}>"
        return [_element(c, lists) for c in e]
    children = list(e)
    if not children:
        return e.text or ""
    tags = [c.tag for c in children]
    assert len(tags) == len(set(tags)), f"repeated child in <{e.tag}>: {tags}"
    return {c.tag: _element(c, lists) for c in children}


# XML list elements and their items (from the document's shapes).
XML_LISTS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "service_request_updates": "request_update",
}


class GeoReport:
    def __init__(self, http: Any, base: str = "/open311/v2/") -> None:
        self.http = http
        self.base = base

    def _answer(self, response: Any, fmt: str, root: str | None) -> Answer:
        raw = response.content
        assert response["Content-Type"].replace(" ", "").lower() == CONTENT_TYPES[fmt].replace(" ", "")
        text = raw.decode("utf-8")  # UTF-8 both ways
        if fmt == "xml":
            assert text.startswith(XML_DECLARATION), text[:80]
            tree = ET.fromstring(raw)  # noqa: S314 -- our own server's answer
            if root is not None:
                assert tree.tag == root, f"root <{tree.tag}>, expected <{root}>"
            data = _element(tree, XML_LISTS)
        else:
            data = json.loads(text)
        answer = Answer(status=response.status_code, fmt=fmt, raw=raw, data=data)
        if response.status_code >= 400:
            check_errors(answer)
        return answer

    def get(self, path: str, fmt: str, root: str | None = None, **params: str) -> Answer:
        response = self.http.get(f"{self.base}{path}.{fmt}", params)
        return self._answer(response, fmt, root if response.status_code < 400 else "errors")

    def post(self, fmt: str, **params: Any) -> Answer:
        """A form-encoded POST; with `files` (name → file) a multipart one."""
        files = params.pop("files", None)
        if files:
            response = self.http.post(f"{self.base}requests.{fmt}", {**params, **files})
        else:
            from urllib.parse import urlencode

            response = self.http.post(
                f"{self.base}requests.{fmt}",
                urlencode(params, doseq=True),
                content_type="application/x-www-form-urlencoded; charset=utf-8",
            )
        return self._answer(response, fmt, "service_requests" if response.status_code < 400 else "errors")

    # --- the calls -------------------------------------------------------------------------------------

    def discovery(self, fmt: str, **params: str) -> Answer:
        a = self.get("discovery", fmt, "discovery", **params)
        if a.status == 200:
            check_discovery(a)
        return a

    def services(self, fmt: str, **params: str) -> Answer:
        a = self.get("services", fmt, "services", **params)
        if a.status == 200:
            check_services(a)
        return a

    def definition(self, code: str, fmt: str, **params: str) -> Answer:
        a = self.get(f"services/{code}", fmt, "service_definition", **params)
        if a.status == 200:
            check_definition(a)
        return a

    def create(self, fmt: str, **params: Any) -> Answer:
        a = self.post(fmt, **params)
        if a.status < 400:
            assert isinstance(a.data, list)
            assert len(a.data) == 1
            item = a.data[0]
            assert ("service_request_id" in item) != ("token" in item), (
                "service_request_id or token, never both"
            )
            assert set(item) <= {"service_request_id", "token", "service_notice", "account_id"}, item
            for key in ("service_request_id", "token"):
                if key in item:
                    assert isinstance(item[key], str)
                    assert item[key]
        return a

    def requests(self, fmt: str, **params: str) -> Answer:
        a = self.get("requests", fmt, "service_requests", **params)
        if a.status == 200:
            check_requests(a)
        return a

    def request(self, request_id: str, fmt: str, **params: str) -> Answer:
        a = self.get(f"requests/{request_id}", fmt, "service_requests", **params)
        if a.status == 200:
            check_requests(a)
            assert len(a.data) == 1, "a list of one"
        return a

    def token(self, token: str, fmt: str, **params: str) -> Answer:
        a = self.get(f"tokens/{token}", fmt, "service_requests", **params)
        if a.status == 200:
            assert isinstance(a.data, list)
            for item in a.data:
                assert set(item) == {"service_request_id", "token"}
        return a

    def updates(self, fmt: str, **params: str) -> Answer:
        a = self.get("servicerequestupdates", fmt, "service_request_updates", **params)
        if a.status == 200:
            check_updates(a)
        return a


# --- what the document promises ------------------------------------------------------------------------


def _bool(a: Answer, value: Any) -> bool:
    if a.fmt == "json":
        assert isinstance(value, bool), f"{value!r} is not a boolean"
        return value
    assert value in ("true", "false"), f"{value!r} is not true/false"
    return bool(value == "true")


def _string(a: Answer, value: Any) -> str:
    if a.fmt == "json":
        assert isinstance(value, str), f"{value!r} is not a string"
    return str(value)


def _optional_string(a: Answer, value: Any) -> str:
    return "" if (a.fmt == "json" and value is None) else _string(a, value)


def _number(a: Answer, value: Any) -> float | None:
    if a.fmt == "json":
        if value is None:
            return None
        assert not isinstance(value, bool), f"{value!r} is not a number"
        assert isinstance(value, int | float), f"{value!r} is not a number"
        return float(value)
    return float(value) if value != "" else None


def _datetime(a: Answer, value: Any, *, required: bool) -> str:
    if not required and (value is None or value == ""):
        return ""
    text = _string(a, value)
    assert W3C.match(text), f"{text!r} is not a W3C date-time with a zone"
    return text


def _integer(a: Answer, value: Any) -> int:
    if a.fmt == "json":
        assert not isinstance(value, bool), f"{value!r} is not an integer"
        assert isinstance(value, int), f"{value!r} is not an integer"
        return int(value)
    assert re.fullmatch(r"\d+", value), f"{value!r} is not an integer"
    return int(value)


def _list(a: Answer) -> list[Any]:
    assert isinstance(a.data, list), "a list root (a top-level array in JSON)"
    return a.data


def check_errors(a: Answer) -> None:
    assert a.status in (400, 403, 404, 405), a.status
    errors = _list(a)
    assert errors, "at least one error"
    for e in errors:
        assert list(e) == ["code", "description"], e
        assert _integer(a, e["code"]) == a.status
        assert _string(a, e["description"])


def check_discovery(a: Answer) -> None:
    d = a.data
    assert isinstance(d, dict)
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(d)
    _datetime(a, d["changeset"], required=True)
    endpoints = d["endpoints"]
    assert isinstance(endpoints, list)
    assert endpoints
    for e in endpoints:
        assert list(e) == ENDPOINT_FIELDS, e
        assert e["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert e["type"] in ("production", "test")
        _datetime(a, e["changeset"], required=True)
        assert isinstance(e["formats"], list)
        assert "text/xml" in e["formats"]


def check_services(a: Answer) -> None:
    for s in _list(a):
        assert list(s) == SERVICE_FIELDS, list(s)
        _string(a, s["service_code"])
        _bool(a, s["metadata"])
        assert s["type"] in ("realtime", "batch", "blackbox")
        assert " " not in _string(a, s["keywords"]), "keywords is a comma list"


def check_definition(a: Answer) -> None:
    d = a.data
    assert isinstance(d, dict)
    assert list(d) == ["service_code", "attributes"]
    _string(a, d["service_code"])
    attributes = d["attributes"]
    assert isinstance(attributes, list), attributes
    orders = []
    for attr in attributes:
        fields = list(attr)
        assert fields[: len(ATTRIBUTE_FIELDS)] == ATTRIBUTE_FIELDS, fields
        _bool(a, attr["variable"])
        _bool(a, attr["required"])
        assert attr["datatype"] in DATATYPES
        orders.append(_integer(a, attr["order"]))
        if attr["datatype"] in ("singlevaluelist", "multivaluelist"):
            assert fields == [*ATTRIBUTE_FIELDS, "values"]
            for v in attr["values"]:
                assert list(v) == ["key", "name"]
        else:
            assert fields == ATTRIBUTE_FIELDS
    assert sorted(orders) == list(range(1, len(orders) + 1)), f"orders {orders}: unique, 1 first"


def check_requests(a: Answer) -> None:
    for r in _list(a):
        assert list(r) == REQUEST_FIELDS, list(r)
        assert _string(a, r["service_request_id"])
        assert r["status"] in ("open", "closed")
        for key in ("status_notes", "service_name", "description", "agency_responsible", "service_notice"):
            _optional_string(a, r[key])
        _string(a, r["service_code"])
        _datetime(a, r["requested_datetime"], required=True)
        _datetime(a, r["updated_datetime"], required=False)
        _datetime(a, r["expected_datetime"], required=False)
        for key in ("address", "address_id", "zipcode", "media_url"):
            _optional_string(a, r[key])
        lat, long = _number(a, r["lat"]), _number(a, r["long"])
        assert (lat is None) == (long is None)
        if lat is not None and long is not None:
            assert -90 <= lat <= 90
            assert -180 <= long <= 180


def check_updates(a: Answer) -> None:
    for u in _list(a):
        fields = list(u)
        assert fields[: len(UPDATE_FIELDS)] == UPDATE_FIELDS, fields
        assert set(fields) <= {*UPDATE_FIELDS, "external_status_code"}
        _string(a, u["service_request_id"])
        _string(a, u["update_id"])
        assert u["status"] in UPDATE_STATUSES
        assert u["status"] == u["status"].lower()
        _datetime(a, u["updated_datetime"], required=True)
        _optional_string(a, u["description"])


def as_text(data: Any) -> Any:
    """A response's values as XML sees them (every leaf a string), to compare the formats."""
    if isinstance(data, dict):
        return {k: as_text(v) for k, v in data.items()}
    if isinstance(data, list):
        return [as_text(v) for v in data]
    if data is None:
        return ""
    if isinstance(data, bool):
        return "true" if data else "false"
    return str(data)

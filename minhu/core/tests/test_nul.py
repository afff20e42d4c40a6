"""A NUL character anywhere in a request is refused with 400 naming the field, before any view hands it to
the database (on PostgreSQL it was a 500): the JSON API in its one error shape, pages with a message."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from minhu.accounts.models import Scope, User
from minhu.accounts.services import token_issue
from minhu.appeals.models import Appeal
from minhu.grid.tests.conftest import _english, build_tree, staffed, tree  # noqa: F401

pytestmark = pytest.mark.usefixtures("staffed")


def _bearer(user: User) -> dict[str, Any]:
    _token, plain = token_issue(
        user=user, name="t", scopes=[Scope.APPEALS_READ, Scope.APPEALS_WRITE], actor=None
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def test_the_api_names_a_query_parameter_holding_nul(client: Client, alice: User) -> None:
    response = client.get("/api/v1/appeals", {"state": "submitted\x00"}, **_bearer(alice))
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "code": "null_character",
                "field": "state",
                "message": "state contains a NUL character, which is not allowed.",
            }
        ]
    }


def test_the_api_names_a_json_field_holding_nul(client: Client, alice: User) -> None:
    body = {"category": "T01", "kind": "help", "description": "灯\x00坏了", "household": 1}
    response = client.post(
        "/api/v1/appeals", json.dumps(body), content_type="application/json", **_bearer(alice)
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["description"]
    assert not Appeal.objects.exists()


def test_a_page_refuses_a_query_or_form_field_holding_nul(client: Client) -> None:
    response = client.get("/appeals/track/", {"code": "ABC\x00"})
    assert response.status_code == 400
    assert "code contains a NUL character" in response.content.decode()
    response = client.post("/appeals/new/", {"description": "灯\x00坏了"})
    assert response.status_code == 400
    assert "description contains a NUL character" in response.content.decode()
    assert not Appeal.objects.exists()


def test_requests_without_nul_pass(client: Client, alice: User) -> None:
    assert client.get("/api/v1/appeals", {"state": "submitted"}, **_bearer(alice)).status_code == 200

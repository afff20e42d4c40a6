"""Property-based tests of the JSON API against its own OpenAPI schema (schemathesis): for every operation,
generated requests — valid and invalid — never get a 5xx, and every answer (status code, content type,
headers, body) is one the schema promises. Run in-process over WSGI, with a token that has every scope, on
a database holding the grid's test tree and a few appeals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.cache import caches
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.api import api
from minhu.accounts.models import Scope
from minhu.accounts.services import token_issue
from minhu.appeals.models import Category
from minhu.appeals.services import IntakeData, appeal_submit

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def _connection_kept() -> Iterator[None]:
    """Calls go straight to the WSGI handler inside the test's transaction: keep Django from closing the
    connection at the end of each request, as its own test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(staffed: Any, ordinary: Category, settings: Any, _connection_kept: None) -> None:
    settings.API_RATE_PUBLIC = settings.API_RATE_TOKEN = "100000/min"
    caches["throttle"].clear()
    for hh in (staffed.hh_a1, staffed.hh_b1):
        appeal_submit(
            data=IntakeData(
                kind="help", channel="web", category=ordinary, description="楼道灯坏了", household=hh
            )
        )


@pytest.fixture
def auth_headers(alice: Any, api_schema: Any) -> dict[str, str]:
    _token, plain = token_issue(user=alice, name="schemathesis", scopes=Scope.values, actor=None)
    return {"Authorization": f"Bearer {plain}"}


# The schema as the API itself publishes it at /api/v1/openapi.json; calls go to the WSGI application.
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema())))
schema.app = get_wsgi_application()
# Unknown query parameters are ignored, as most APIs do (schemathesis would otherwise want them refused), and
# the token is the test's own (auth_headers), so generated requests neither add undeclared parameters nor drop
# or garble the Authorization header — a request without a token is tested in test_api.py.
schema.config.generation.update(allow_extra_parameters=False, with_security_parameters=False)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
    derandomize=True,
)
def test_api_keeps_its_schema(case: Any, api_schema: None, auth_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=auth_headers, checks=CHECKS)

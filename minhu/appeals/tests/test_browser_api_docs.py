"""The JSON API's interactive docs in a real browser: a staff member issues a token on the token page, opens
/api/v1/docs (Swagger UI from the app's own static files, under the app's content security policy), and
tries a call with the token from there."""

from __future__ import annotations

from typing import Any

import pytest

from minhu.accounts.models import ApiToken, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_issue_a_token_and_try_the_api_from_its_docs(
    phone_page: Any, live_server: Any, client: Any, bob: User
) -> None:
    page = phone_page
    client.force_login(bob)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{live_server.url}/accounts/tokens/")
    assert page.locator("h1").inner_text() == "API 令牌"
    page.get_by_label("用途").fill("浏览器测试")
    page.get_by_label("读取诉求、办理过程和三率").check()
    page.get_by_role("button", name="签发令牌").click()
    plain = page.locator("[data-new-token]").inner_text().strip()
    assert plain.startswith("mhu_")
    assert ApiToken.objects.get(user=bob).scopes == ["appeals:read"]

    page.goto(f"{live_server.url}/api/v1/docs")
    # Swagger UI drew the operations from the schema: its scripts ran under the policy.
    page.locator(".opblock-summary-path", has_text="/api/v1/me").first.wait_for()
    page.get_by_role("button", name="Authorize").first.click()
    page.locator(".modal-ux input").first.fill(plain)
    page.locator(".modal-ux").get_by_role("button", name="Apply credentials").click()
    page.locator(".modal-ux").get_by_role("button", name="Close").click()
    page.locator(".opblock-summary-path", has_text="/api/v1/me").first.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    # The live response, not the schema's example that Swagger UI shows beneath it.
    body = page.locator(".live-responses-table .response-col_description .microlight").first
    body.wait_for()
    assert '"username": "bob"' in body.inner_text()
    assert '"appeals:read"' in body.inner_text()
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors

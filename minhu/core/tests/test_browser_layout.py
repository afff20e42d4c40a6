"""The base layout in a real browser: landmarks, labelled controls, phone width, print stylesheet."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import PASSWORD
from minhu.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNLABELLED = """
() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !(el.tagName === 'BUTTON' && el.innerText.trim()))
  .map(el => el.outerHTML)
"""


def _login(page: Any, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("path", ["/", "/inbox/", "/accounts/password/"])
def test_pages_have_landmarks_labels_and_fit_a_phone(
    phone_page: Any, live_server: Any, alice: User, path: str
) -> None:
    page = phone_page
    _login(page, live_server.url)
    page.goto(f"{live_server.url}{path}")
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    for role in ("banner", "navigation", "main", "contentinfo"):
        assert page.get_by_role(role).count() >= 1, role
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_print_hides_navigation(phone_page: Any, live_server: Any, alice: User) -> None:
    page = phone_page
    _login(page, live_server.url)
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    assert page.locator("main").is_visible()

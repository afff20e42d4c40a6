"""A demo user logs in through the real page, in headless Chromium, on a phone-sized viewport."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import PASSWORD
from minhu.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_on_a_phone(phone_page: Any, live_server: Any, alice: User) -> None:
    page = phone_page
    page.goto(f"{live_server.url}/")
    assert page.url.endswith("/accounts/login/?next=/")
    assert page.locator("h1").inner_text() == "登录"
    # The form fits the phone: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    assert "欢迎，王丽" in page.locator("h1").inner_text()


def test_wrong_password_shows_an_error_on_a_phone(phone_page: Any, live_server: Any, alice: User) -> None:
    page = phone_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").first.is_visible()
    assert page.url.endswith("/accounts/login/")


def test_language_switch_to_english(phone_page: Any, live_server: Any, db: Any) -> None:
    page = phone_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("语言").select_option("en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator("h1").inner_text() == "Log in"

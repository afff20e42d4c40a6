"""Every page is served from this origin only, in Chinese by default and English on request."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from conftest import login_with_second_factor
from minhu.accounts.models import User
from minhu.core.services import calendar_year_mark_entered

# src/href/action attributes and CSS url()s pointing at any absolute http(s) or protocol-relative URL.
_EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//|url\(\s*["']?(?:https?:)?//""", re.I)

PAGES = ["/accounts/login/", "/", "/accounts/password/", "/admin/", "/admin/core/event/"]


@pytest.mark.parametrize("path", PAGES)
def test_no_page_references_an_external_host(client: Client, root: User, path: str) -> None:
    if path != "/accounts/login/":
        login_with_second_factor(client, root)
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert _EXTERNAL.findall(html) == []
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_static_css_references_no_external_host(client: Client, db: None) -> None:
    for path in ("/static/css/minhu.css", "/static/css/print.css", "/static/js/minhu.js"):
        body = b"".join(client.get(path).streaming_content).decode()  # type: ignore[attr-defined]
        assert _EXTERNAL.findall(body) == [], path


def test_login_page_is_chinese_by_default(client: Client, db: None) -> None:
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录</h1>" in html


def test_browser_language_does_not_override_chinese(client: Client, db: None) -> None:
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in html


def test_language_switch_serves_english(client: Client, db: None) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"}, follow=True)
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Log in</h1>" in html


def test_times_are_shown_in_shanghai(client: Client, alice: User) -> None:
    from datetime import UTC, datetime

    User.objects.filter(pk=alice.pk).update(last_login=datetime(2026, 1, 1, 16, 30, tzinfo=UTC))
    client.force_login(alice)
    # force_login moves last_login; put it back to the fixed instant before rendering
    User.objects.filter(pk=alice.pk).update(last_login=datetime(2026, 1, 1, 16, 30, tzinfo=UTC))
    html = client.get("/").content.decode()
    assert "2026-01-02 00:30" in html


def test_request_id_is_echoed(client: Client, db: None) -> None:
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="abcdef123456")
    assert response["X-Request-ID"] == "abcdef123456"
    generated = client.get("/accounts/login/", HTTP_X_REQUEST_ID="bad id!")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)


@time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
def test_staff_home_warns_about_a_year_without_a_holiday_schedule(client: Client, root: User) -> None:
    login_with_second_factor(client, root)
    html = client.get("/").content.decode()
    assert "工作日历尚无 2027 年的节假日安排" in html
    calendar_year_mark_entered(year=2027, actor=root)
    assert "工作日历尚无" not in client.get("/").content.decode()


@time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
def test_non_staff_home_shows_no_calendar_warning(client: Client, carol: User) -> None:
    client.force_login(carol)
    assert "工作日历尚无" not in client.get("/").content.decode()

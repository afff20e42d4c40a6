"""On a phone, in Chinese: the handler finds the matter on the workbench by its code read out with spaces,
reveals the caller's phone (one tap, htmx), gets a `tel:` link big enough to tap, and the "contacted the
caller" step is still there."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import PASSWORD
from minhu.accounts.models import User
from minhu.appeals.models import Appeal, Category
from minhu.appeals.services import IntakeData, appeal_submit
from minhu.core.models import Event
from minhu.grid.tests.conftest import Tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_handler_finds_the_matter_and_calls_the_caller(
    phone_page: Any, live_server: Any, staffed: Tree, ordinary: Category, carol: User
) -> None:
    appeal = appeal_submit(
        data=IntakeData(
            kind="complaint",
            channel="hotline",
            category=ordinary,
            description="楼道里堆满杂物三天了",
            household=staffed.hh_a1,
            caller_phone="13812348000",
        )
    ).appeal
    page, base = phone_page, live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill("carol")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")

    code = appeal.tracking_code
    page.goto(f"{base}/appeals/workbench/")
    page.get_by_role("searchbox").fill(f"{code[:4].lower()} {code[4:8]} {code[8:]}")
    page.get_by_role("button", name="搜索").click()
    page.locator(f"[data-code='{code}']").get_by_role("link").click()

    assert "138****8000" in page.locator("#appeal-caller").inner_text()
    assert page.locator("a[href^='tel:']").count() == 0
    page.get_by_role("button", name="显示完整号码").click()
    link = page.locator("a[href='tel:13812348000']")
    link.wait_for()
    box = link.bounding_box()
    assert box is not None
    assert box["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert Event.objects.filter(verb="appeal.caller_reveal", actor=carol).count() == 1
    page.get_by_role("button", name="已联系来电人").click()
    page.wait_for_selector("[data-state='responded']")
    assert Appeal.objects.get(pk=appeal.pk).state == "responded"

"""The whole loop on a phone, in headless Chromium, in Chinese: a resident reports a matter and gets a
tracking code; the household's party member finds it on the workbench, responds and resolves it; the
resident rates it on the tracking page; the appeal shows closed with its whole timeline."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import PASSWORD
from minhu.accounts.models import User
from minhu.appeals.models import Appeal, Category, State
from minhu.grid.tests.conftest import Tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_report_handle_rate_close_on_a_phone(
    phone_page: Any, live_server: Any, staffed: Tree, ordinary: Category, carol: User
) -> None:
    page = phone_page
    base = live_server.url

    # 1. A resident (no account) reports, at their door number, from the public form.
    page.goto(f"{base}/appeals/new/")
    page.get_by_label("反映什么事？").select_option(label="T01 环境卫生")
    page.locator("#id_kind").select_option("complaint")
    page.get_by_label("描述事项").fill("楼道里堆满杂物三天了，没人清理")
    page.get_by_label("地点").fill("马耳山村一片一块 1号")
    page.get_by_label("您的电话").fill("13812348000")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r"/appeals/track/\w+/\?new=1$"))
    code = page.locator("[data-tracking-code]").inner_text().strip()
    assert len(code) == 12
    assert page.locator("[data-state]").inner_text() == "已派单"
    track_url = page.url.split("?")[0]

    # 2. The household's party member sees it on the workbench, responds and resolves it (htmx, one tap).
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill("carol")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/appeals/workbench/")
    item = page.locator(f"[data-code='{code}']")
    assert item.is_visible()
    item.get_by_role("link").click()
    page.get_by_role("button", name="已联系来电人").click()
    page.wait_for_selector("[data-state='responded']")
    page.get_by_role("button", name="开始办理").click()
    page.wait_for_selector("[data-state='in_progress']")
    page.get_by_label("办理情况").fill("已联系物业清理楼道杂物，并张贴提示")
    page.get_by_role("button", name="标记办结").click()
    page.wait_for_selector("[data-state='resolved']")
    page.get_by_role("button", name="退出登录").click()

    # 3. The resident rates it on the tracking page.
    page.goto(track_url)
    page.get_by_label("是", exact=True).check()
    page.get_by_label("满意", exact=True).check()
    page.get_by_label("您留的电话后四位").fill("8000")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_selector("[data-state='closed']")
    assert page.locator("[data-state]").inner_text() == "已销号"
    timeline = page.locator(".timeline").inner_text()
    for step in ["已受理", "已派给责任人", "责任人已联系", "正在办理", "已报告办结", "来电人评价，已销号"]:
        assert step in timeline
    assert "13812348000" not in page.content()  # the public page shows no personal data

    appeal = Appeal.objects.get(tracking_code=code)
    assert (appeal.state, appeal.handler, appeal.satisfaction) == (State.CLOSED, carol, "satisfied")

"""Issue 5's acceptance, on a phone, in headless Chromium, in Chinese: a village cadre raises a call-out;
two party members accept from their inbox and report progress; the live page picks up a report by itself;
the cadre closes the call-out and the summary shows the figures."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from minhu.accounts.models import User
from minhu.mobilise.models import CallOut
from minhu.mobilise.services import callout_report
from minhu.mobilise.tests.conftest import Squad

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def accept_and_report(page: Any, base: str, username: str, hours: str, km: str, greenhouses: str) -> None:
    log_in(page, base, username)
    page.goto(f"{base}/inbox/")
    page.get_by_role("link", name="一呼百应：除雪突击队").click()
    page.wait_for_url(re.compile(r"/mobilise/callouts/\d+/$"))
    assert page.get_by_text("您能来吗？").is_visible()
    page.get_by_role("button", name="我能来").click()
    page.wait_for_selector("[data-my-answer='accepted']")
    page.get_by_label("工时（小时）").fill(hours)
    page.get_by_label("打通田间作业路 (公里)").fill(km)
    page.get_by_label("清理大棚积雪 (栋)").fill(greenhouses)
    page.get_by_role("button", name="提交报告").click()
    page.wait_for_selector("text=进度已报告，谢谢！")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="退出登录").click()


def test_raise_accept_report_close_on_a_phone(
    phone_page: Any, live_server: Any, squad: Squad, bob: User, carol: User
) -> None:
    page = phone_page
    base = live_server.url

    # 1. The village cadre raises the call-out for the village.
    log_in(page, base, "bob")
    page.goto(f"{base}/mobilise/")
    page.get_by_role("link", name="发起召集").click()
    page.get_by_label("范围").select_option(label="马耳山村 (村)")
    page.get_by_label("标题").fill("除雪突击队")
    page.get_by_label("需要做什么").fill("七点半到村委会集合，带铁锹和扫帚")
    page.get_by_label("需要人数").fill("2")
    page.locator("[name=targets-0-name]").fill("打通田间作业路")
    page.locator("[name=targets-0-unit_label]").fill("公里")
    page.locator("[name=targets-0-goal]").fill("21")
    page.locator("[name=targets-1-name]").fill("清理大棚积雪")
    page.locator("[name=targets-1-unit_label]").fill("栋")
    page.locator("[name=targets-1-goal]").fill("1500")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="发起并通知").click()
    page.wait_for_url(re.compile(r"/mobilise/callouts/\d+/$"))
    assert page.get_by_text("召集已发起：已通知3名党员。").is_visible()
    callout_url = page.url
    page.get_by_role("button", name="退出登录").click()

    # 2. Two members accept from the message in their inbox and report their day's work.
    accept_and_report(page, base, "carol", hours="8", km="12", greenhouses="900")
    accept_and_report(page, base, "frank", hours="9", km="9", greenhouses="612")

    # 3. The cadre watches the live roster; a report phoned in meanwhile shows up by itself (htmx, 10 s).
    log_in(page, base, "bob")
    page.goto(callout_url)
    assert page.locator("[data-accepted]").inner_text() == "2人（需要2人）"
    assert page.locator("[data-member='张卡']").get_attribute("data-answer") == "accepted"
    assert page.locator("[data-member='冯兰']").get_attribute("data-answer") == "accepted"
    assert page.locator("[data-hours]").inner_text() == "17"
    callout = CallOut.objects.get()
    callout_report(callout=callout, actor=bob, hours=Decimal(3), note="两台铲车")
    expect(page.locator("[data-hours]")).to_have_text("20", timeout=25_000)

    # 4. The cadre closes it; the summary has the figures.
    page.get_by_text("结束召集").click()
    page.get_by_label("结束说明").fill("全村田间路畅通，大棚积雪清理完毕")
    page.get_by_role("button", name="结束并生成总结").click()
    page.wait_for_selector("[data-summary]")
    assert page.locator("[data-state]").inner_text() == "已结束"
    day = timezone.localdate().isoformat()
    assert page.locator("[data-summary-line]").inner_text() == (
        f"马耳山村：2名党员参加，1天（{day}至{day}）共20小时。"
    )
    road = page.locator("[data-summary-target='打通田间作业路']").inner_text()
    houses = page.locator("[data-summary-target='清理大棚积雪']").inner_text()
    assert road.split() == ["打通田间作业路", "21", "公里", "21", "公里", "100"]
    assert houses.split() == ["清理大棚积雪", "1512", "栋", "1500", "栋", "100"]
    assert "冯兰、张卡" in page.locator("[data-summary]").inner_text()
    assert not page.get_by_role("button", name="提交报告").count()

    callout.refresh_from_db()
    assert (callout.state, callout.summary["hours"], callout.summary["accepted"]) == ("closed", "20", 2)

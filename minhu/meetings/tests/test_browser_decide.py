"""The decision form on a phone, in headless Chromium, in Chinese: an empty submission shows each error on its
field; a complete one records the decision with its actions."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from conftest import PASSWORD
from minhu.accounts.models import User
from minhu.meetings.models import ActionItem, AgendaItem, Meeting
from minhu.meetings.services import agenda_item_add
from minhu.meetings.tests.test_services import held

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_decide_on_a_phone(
    phone_page: Any, live_server: Any, meeting: Meeting, bob: User, carol: User
) -> None:
    held(meeting, bob)
    item = agenda_item_add(meeting=meeting, actor=bob, title="3栋楼道照明损坏")
    page, base = phone_page, live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill("bob")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/meetings/{meeting.pk}/")
    page.get_by_role("link", name="记录决议").click()
    page.wait_for_url(re.compile(r"/meetings/items/\d+/decide/$"))
    page.get_by_role("button", name="记录决议").click()
    page.wait_for_selector("#id_solution_error")
    assert page.locator("#id_solution_error").inner_text() == "请填写决议内容。"
    assert page.locator("#id_owner_role_error").inner_text() == "请选择责任方。"
    assert page.locator("#id_deadline_error").inner_text() == "请填写完成时限。"

    page.get_by_label("解决方案").fill("物业更换楼道灯")
    page.get_by_label("责任方").select_option("物业党支部")
    page.locator("#id_deadline").fill(f"{timezone.localdate() + timedelta(days=7):%Y-%m-%d}")
    page.get_by_label("预算（元）").fill("1200")
    page.locator("#id_actions-0-title").fill("采购灯具")
    page.locator("#id_actions-0-owner").select_option(str(carol.pk))
    page.get_by_role("button", name="记录决议").click()
    page.wait_for_url(f"{base}/meetings/{meeting.pk}/")
    assert page.get_by_text("决议已记录，已通知任务责任人。").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    item.refresh_from_db()
    assert item.state == AgendaItem.State.DECIDED
    assert list(ActionItem.objects.values_list("title", "owner")) == [("采购灯具", carol.pk)]

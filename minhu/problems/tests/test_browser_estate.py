"""The seed's estate story in a real browser, in Chinese, on a phone: three electric-bike-charging appeals
come in from three channels (the suggestion box, the WeChat butler, the 24-hour hotline); the village cadre
sees the other two suggested on the third one's page and merges all three into one problem; a three-party
meeting puts it on its agenda, signs in, decides (install charging posts, an owner, a deadline); the action
is done and verified; the item is closed out, which strikes the problem off; the three callers are told
and one of them rates on the tracking page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from conftest import PASSWORD
from minhu.accounts.models import User
from minhu.appeals.models import Appeal, Category, State
from minhu.core.models import Notification
from minhu.grid.tests.conftest import Tree
from minhu.meetings.models import Attendance
from minhu.problems.models import Problem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

APPEALS = [
    ("box", "3号楼楼道里有人给电动车充电，电线从窗户拉下来，很危险", "13500001111"),
    ("wechat", "有人把电瓶车推进电梯带回家充电，楼道飞线充电，担心起火", "13500002222"),
    ("hotline", "小区没有电动车充电桩，大家只能在楼道里充电，希望安装充电桩", "13500003333"),
]


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def _record(
    page: Any, base: str, channel: str, text: str, phone: str, unit_code: str, hinted: int = 0
) -> str:
    page.goto(f"{base}/appeals/record/")
    page.locator("#id_channel").select_option(channel)
    page.locator("#id_category").select_option(label="T01 环境卫生")
    page.locator("#id_kind").select_option("complaint")
    page.locator("#id_description").fill(text)
    page.locator("#id_unit_code").fill(unit_code)
    if hinted:  # while the operator types, the same matter already raised is shown
        page.locator("[data-intake-hint]").wait_for()
        assert page.locator("[data-hint-appeal]").count() == hinted
    page.locator("#id_address").fill(text[:6])
    page.locator("#id_caller_phone").fill(phone)
    page.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_url(re.compile(r"/appeals/\d+/$"))
    return str(page.url)


def test_the_estate_story(
    phone_page: Any, live_server: Any, staffed: Tree, ordinary: Category, bob: User, alice: User
) -> None:
    page = phone_page
    base = live_server.url
    _login(page, base, "bob")

    # 1. Three appeals about charging, from three channels.
    for i, (channel, text, phone) in enumerate(APPEALS):
        last = _record(page, base, channel, text, phone, staffed.block_a.code, hinted=2 if i == 2 else 0)
    appeals = list(Appeal.objects.order_by("pk"))
    assert [a.channel for a in appeals] == ["box", "wechat", "hotline"]

    # 2. On the third one's page, the other two are suggested; tick them and make one problem of the three.
    page.goto(last)
    panel = page.locator("[data-problem-panel]")
    for a in appeals[:2]:
        panel.locator(f"[data-similar-appeal='{a.pk}'] input[type=checkbox]").check()
    panel.get_by_role("button", name="用本诉求和勾选的诉求新建问题").click()
    page.wait_for_url(re.compile(r"/problems/new/"))
    assert page.locator("[data-seed] li").count() == 3
    page.get_by_label("标题").fill("电动车充电难")
    page.get_by_role("button", name="列入问题清单").click()
    page.wait_for_url(re.compile(r"/problems/\d+/$"))
    problem = Problem.objects.get()
    assert problem.appeal_count == 3
    assert page.locator("#merged-appeals tbody tr").count() == 3
    assert "13500001111" not in page.content()  # callers masked on the problem's page

    # The public board lists it, with no personal data.
    page.goto(f"{base}/problems/board/{staffed.village_a.code}/")
    assert "电动车充电难" in page.locator(".board-list").inner_text()
    assert all(phone not in page.content() for _c, _t, phone in APPEALS)

    # 3. A three-party meeting: planned from the problem's page, the problem on its agenda, attendees
    #    signed in, the decision recorded (install charging posts, the property branch, a deadline).
    page.goto(f"{base}/problems/{problem.pk}/")
    page.get_by_role("link", name="筹备三方联席会议").click()
    page.wait_for_url(re.compile(r"/meetings/new/"))
    assert page.locator("#id_unit").input_value() == str(staffed.village_a.pk)
    page.locator("#id_title").fill("三方联席协商议事会（十二月）")
    page.locator("#id_place").fill("党群服务站二楼")
    page.locator("#id_starts_at").fill((timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("街道党工委").fill("孙书记 街道党工委委员")
    page.get_by_label("物业党支部").fill("钱支书 物业党支部书记")
    page.get_by_label("党员业主代表").fill("周代表")
    page.get_by_role("button", name="安排会议").click()
    page.wait_for_url(re.compile(r"/meetings/\d+/$"))
    meeting_url = page.url

    page.goto(f"{base}/problems/{problem.pk}/")
    page.get_by_role("button", name="列入该会议议程").click()
    page.wait_for_url(re.compile(r"/meetings/\d+/#item-\d+$"))
    for who in ("孙书记", "钱支书", "周代表"):
        page.get_by_role("button", name=f"为{who}签到").click()
        page.wait_for_selector(f"#attendee-{Attendance.objects.get(name=who).pk} .state")
    page.get_by_role("button", name="标记会议已召开").click()
    page.get_by_role("link", name="记录决议").click()
    page.get_by_label("解决方案").fill("在小区东侧安装电动车集中充电桩，清理楼道飞线")
    page.get_by_label("责任方").select_option("物业党支部")
    page.locator("#id_deadline").fill(f"{timezone.localdate() + timedelta(days=20):%Y-%m-%d}")
    page.locator("#id_actions-0-title").fill("采购并安装20个充电桩")
    page.get_by_role("button", name="记录决议").click()
    page.wait_for_url(meeting_url)

    # The board shows the decision and who answers for it, by role.
    page.goto(f"{base}/problems/board/{staffed.village_a.code}/")
    board = page.locator(".board-list").inner_text()
    assert "在小区东侧安装电动车集中充电桩" in board
    assert "物业党支部" in board

    # 4. The action is reported done, then checked on the spot by the street (another login) and the
    #    item closed out: that strikes the problem off.
    page.goto(meeting_url)
    page.locator("[data-action] textarea[name=result]").fill("已安装20个充电桩并通电，楼道飞线已清理")
    page.get_by_role("button", name="报告完成").click()
    page.get_by_role("button", name="退出登录").click()
    _login(page, base, "alice")
    page.goto(meeting_url)
    page.get_by_role("button", name="验收").click()
    page.get_by_role("button", name="销号").click()
    page.wait_for_selector("[data-item] .state")
    problem.refresh_from_db()
    assert problem.state == Problem.State.SOLVED
    page.goto(f"{base}/problems/{problem.pk}/")
    assert page.locator("[data-state]").first.get_attribute("data-state") == "solved"

    # 5. The three callers are told (one SMS each) and can rate on their tracking pages.
    told = Notification.objects.filter(kind="problem.solved", channel="sms")
    assert sorted(told.values_list("address", flat=True)) == sorted(p for _c, _t, p in APPEALS)
    page.get_by_role("button", name="退出登录").click()
    first = Appeal.objects.get(pk=appeals[0].pk)
    assert first.state == State.RESOLVED
    page.goto(f"{base}/appeals/track/{first.tracking_code}/")
    page.get_by_label("是", exact=True).check()
    page.get_by_label("满意", exact=True).check()
    page.get_by_label("您留的电话后四位").fill("1111")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_selector("[data-state='closed']")
    first.refresh_from_db()
    assert (first.state, first.satisfaction) == (State.CLOSED, "satisfied")

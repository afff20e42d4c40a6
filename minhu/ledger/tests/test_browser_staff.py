"""Posting an entry from a phone, in a real browser: labelled controls, no sideways scrolling, the date
picker filled in, a photo attached."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import PASSWORD
from minhu.accounts.models import User
from minhu.core.tests.test_browser_layout import UNLABELLED
from minhu.ledger.models import Entry
from minhu.ledger.tests.conftest import PNG, Linked, acct

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cadre_posts_an_entry_with_a_photo_from_a_phone(
    phone_page: Any, live_server: Any, linked: Linked, alice: User, bob: User
) -> None:
    page = phone_page
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill("bob")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/sunshine/staff/{linked.a.slug}/")
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.get_by_label("日期").input_value() != ""  # today, in the form the date picker reads

    page.get_by_label("科目").select_option(str(acct(linked.a, "C03").pk))
    page.get_by_label("金额（元）").fill("860.50")
    page.get_by_label("摘要").fill("更换楼道灯")
    page.get_by_label("审核人").select_option(str(alice.pk))
    page.get_by_label("原始凭证").set_input_files(
        [{"name": "receipt.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.get_by_role("button", name="记账", exact=True).click()
    page.wait_for_url(f"{base}/sunshine/staff/{linked.a.slug}/")
    assert "第 1 号凭证已记账" in page.content()
    entry = Entry.objects.get()
    assert (str(entry.amount), entry.maker, entry.checker, entry.vouchers.count()) == (
        "860.50",
        bob,
        alice,
        1,
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.get_by_role("link", name="冲销", exact=True).click()
    page.wait_for_url(f"{base}/sunshine/staff/{linked.a.slug}/entries/1/reverse/")
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_label("更正原因").fill("重复记账")
    page.get_by_label("审核人").select_option(str(alice.pk))
    page.get_by_role("button", name="冲销该凭证").click()
    page.wait_for_url(f"{base}/sunshine/staff/{linked.a.slug}/")
    assert list(Entry.objects.order_by("seq").values_list("seq", "reverses__seq")) == [(1, None), (2, 1)]

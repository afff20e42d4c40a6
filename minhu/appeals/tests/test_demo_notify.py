"""The demo shows who is told: a fresh demo leaves the live queue's messages in the demo logins' inboxes, and
without a gateway the worker prints the callers' SMS and WeChat messages to the console log."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from minhu.accounts import demo as accounts_demo
from minhu.appeals import demo
from minhu.core.models import Notification
from minhu.core.outbox import outbox_deliver_due
from minhu.grid import demo as grid_demo

NOW = datetime(2026, 11, 25, 18, 40, tzinfo=ZoneInfo("Asia/Shanghai"))


@time_machine.travel(NOW, tick=False)
def test_a_fresh_demo_leaves_messages_in_the_inboxes(db: Any, caplog: pytest.LogCaptureFixture) -> None:
    assert settings.NOTIFY_CHANNELS["sms"]["BACKEND"] == "minhu.core.outbox.ConsoleChannel"  # no gateway
    accounts_demo.load()
    grid_demo.load()
    demo.load()
    inapp = Notification.objects.filter(channel=Notification.Channel.INAPP)
    assert inapp.filter(recipient__username="member", kind="appeal.assigned").exists()  # the handler
    dispatchers = {"cadre", "street"} & set(
        inapp.filter(kind="appeal.queued").values_list("recipient__username", flat=True)
    )
    assert dispatchers  # the matters waiting in the dispatchers' queue
    sms = Notification.objects.filter(channel=Notification.Channel.SMS, kind="appeal.accepted")
    assert sms.exists()
    assert all("http://127.0.0.1:8000/appeals/track/" in n.body for n in sms)
    count = Notification.objects.count()
    demo.load()  # loaded once: nothing more
    assert Notification.objects.count() == count

    with caplog.at_level(logging.INFO, logger="minhu.outbox"):
        outbox_deliver_due()
    first = sms.order_by("pk").first()
    assert first is not None
    first.refresh_from_db()
    assert first.state == Notification.State.SENT
    assert f"[sms → {first.address}] {first.subject}" in caplog.text

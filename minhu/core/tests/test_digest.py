"""The opt-in daily digest (one message a day on the outside channels instead of a flood), and the staff page
of undelivered messages."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import Client
from django.urls import reverse

from minhu.accounts.models import User
from minhu.core.models import Event, Notification
from minhu.core.services import notification_digests_send, notification_preference_set, notification_send
from minhu.grid.services import post_create, unit_create

SH = ZoneInfo("Asia/Shanghai")


def _send(user: User, n: int, *, urgent: bool = False) -> None:
    notification_send(
        recipient=user,
        channels=["inapp", "sms"],
        kind="appeal.reminder",
        subject=f"提醒 {n}",
        dedupe_key=f"test:{n}",
        urgent=urgent,
    )


def test_a_digest_holds_outside_messages_and_sends_one_a_day(carol: User) -> None:
    notification_preference_set(user=carol, digest=True, digest_hour=18)
    with time_machine.travel(datetime(2026, 3, 5, 9, 0, tzinfo=SH), tick=False):
        for n in range(3):
            _send(carol, n)
        _send(carol, 99, urgent=True)
        sms = Notification.objects.filter(channel="sms")
        assert sms.filter(state="held").count() == 3
        assert sms.get(dedupe_key="test:99:sms").state == "pending"  # urgent: never held
        assert Notification.objects.filter(channel="inapp", state="sent").count() == 4  # inbox: immediate
        assert notification_digests_send() == 0  # not 18:00 yet
    with time_machine.travel(datetime(2026, 3, 5, 18, 5, tzinfo=SH), tick=False):
        assert notification_digests_send() == 1
        assert notification_digests_send() == 0  # once
    digest = Notification.objects.get(kind="digest")
    assert (digest.channel, digest.state) == ("sms", "pending")
    assert all(f"提醒 {n}" in digest.body for n in range(3))
    assert Notification.objects.filter(state="digested").count() == 3


def test_turning_the_digest_off_releases_what_was_held(carol: User) -> None:
    notification_preference_set(user=carol, digest=True)
    _send(carol, 1)
    notification_preference_set(user=carol, digest=False)
    assert Notification.objects.get(channel="sms").state == "pending"
    assert Event.objects.filter(verb="notification.preference").count() == 2


def test_the_inbox_form_sets_the_preference(client: Client, carol: User) -> None:
    client.force_login(carol)
    client.post(reverse("core:notification_preference"), {"digest": "on", "digest_hour": "7"})
    assert (carol.notification_preference.digest, carol.notification_preference.digest_hour) == (True, 7)
    response = client.post(reverse("core:notification_preference"), {"digest": "on", "digest_hour": "99"})
    assert response.status_code == 302
    carol.notification_preference.refresh_from_db()
    assert carol.notification_preference.digest_hour == 7


def test_staff_see_undelivered_messages_and_retry_them(client: Client, alice: User, carol: User) -> None:
    # alice is street staff of the street where carol holds a village post (the page is scoped:
    # test_failures_scope.py)
    district = unit_create(kind="district", name="苏家屯区", code="210111", parent=None, actor=None)
    street = unit_create(kind="street", name="永乐街道", code="210111001", parent=district, actor=None)
    village = unit_create(kind="village", name="马耳山村", code="210111001001", parent=street, actor=None)
    post_create(user=alice, unit=street, title="街道干部", start=date(2024, 1, 1), actor=None)
    post_create(user=carol, unit=village, title="网格员", start=date(2024, 1, 1), actor=None)
    Notification.objects.create(
        recipient=carol,
        channel="sms",
        kind="x",
        subject="没送到",
        dedupe_key="f1",
        state="failed",
        attempts=6,
        last_error="HTTPError: 502",
    )
    client.force_login(carol)
    assert client.get(reverse("core:delivery_failures")).status_code == 404
    client.force_login(alice)
    page = client.get(reverse("core:delivery_failures")).content.decode()
    assert "没送到" in page
    assert "HTTPError: 502" in page
    failed = Notification.objects.get(dedupe_key="f1")
    client.post(reverse("core:delivery_failures"), {"id": failed.pk})
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == ("pending", 0)
    assert Event.objects.filter(verb="notification.retry").count() == 1

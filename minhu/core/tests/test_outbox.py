"""The notification outbox: queued once, claimed by one worker, retried with backoff, failures kept visible,
and delivered to a real (local) webhook gateway with a verifiable signature."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from minhu.accounts.models import User
from minhu.core.models import Notification
from minhu.core.outbox import BACKOFF_SECONDS, outbox_deliver_due, webhook_signature
from minhu.core.services import notification_mark_read, notification_send


class Gateway(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Gateway.received.append({"headers": dict(self.headers), "body": body})
        self.send_response(Gateway.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway(settings: Any) -> Iterator[type[Gateway]]:
    Gateway.received, Gateway.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.NOTIFY_CHANNELS = {
        **settings.NOTIFY_CHANNELS,
        "sms": {
            "BACKEND": "minhu.core.outbox.WebhookChannel",
            "URL": f"http://127.0.0.1:{server.server_port}/sms",
            "SECRET": "s3cret",
        },
    }
    yield Gateway
    server.shutdown()


def _sms(user: User, key: str = "appeal:1:escalated") -> list[Notification]:
    return notification_send(
        recipient=user, channels=["sms"], kind="appeal.escalated", subject="诉求升级", dedupe_key=key
    )


def test_the_same_key_is_queued_once(carol: User) -> None:
    assert len(_sms(carol)) == 1
    assert _sms(carol) == []
    assert Notification.objects.count() == 1


def test_inapp_is_delivered_by_being_written(carol: User) -> None:
    (n,) = notification_send(recipient=carol, kind="x", subject="你好", dedupe_key="k1")
    assert (n.channel, n.state) == ("inapp", "sent")
    assert Notification.objects.inbox(carol).unread().count() == 1


def test_webhook_delivery_is_signed_and_carries_an_idempotency_key(carol: User, gateway: Any) -> None:
    carol.phone = "13812348000"
    carol.save(update_fields=["phone"])
    (n,) = _sms(carol)
    report = outbox_deliver_due()
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    n.refresh_from_db()
    assert (n.state, n.attempts) == ("sent", 1)
    (call,) = gateway.received
    headers = call["headers"]
    assert headers["Idempotency-Key"] == str(n.pk)  # the row's id: the same on every attempt
    expected = webhook_signature("s3cret", headers["X-Minhu-Timestamp"], call["body"])
    assert headers["X-Minhu-Signature"] == expected
    payload = json.loads(call["body"])
    assert (payload["to"], payload["subject"], payload["channel"]) == ("13812348000", "诉求升级", "sms")
    assert (payload["id"], payload["idempotency_key"]) == (n.pk, str(n.pk))
    # A second sweep sends nothing more.
    assert outbox_deliver_due().sent == 0
    assert len(gateway.received) == 1


def test_gateway_failure_is_retried_with_backoff_then_marked_failed(carol: User, gateway: Any) -> None:
    gateway.status = 503
    (n,) = _sms(carol)
    now = timezone.now()
    for attempt in range(1, Notification.MAX_ATTEMPTS):
        report = outbox_deliver_due(now=now)
        assert report.retried == 1
        n.refresh_from_db()
        assert (n.state, n.attempts) == ("pending", attempt)
        assert n.next_attempt_at == now + timedelta(seconds=BACKOFF_SECONDS[attempt - 1])
        assert "503" in n.last_error
        assert outbox_deliver_due(now=now).retried == 0  # not due yet
        now = n.next_attempt_at
    assert outbox_deliver_due(now=now).failed == 1
    n.refresh_from_db()
    assert (n.state, n.attempts) == ("failed", Notification.MAX_ATTEMPTS)
    assert len(gateway.received) == Notification.MAX_ATTEMPTS


def test_a_row_claimed_by_another_worker_is_skipped(carol: User, gateway: Any) -> None:
    (n,) = _sms(carol)
    # Another worker has claimed the row and is sending it: its lease is running.
    now = timezone.now()
    Notification.objects.filter(pk=n.pk).update(
        state="sending", claimed_at=now, lease_until=now + timedelta(seconds=30), attempts=1
    )
    report = outbox_deliver_due()
    assert (report.sent, report.skipped) == (0, 0)
    assert gateway.received == []


def test_a_stale_claim_from_a_dead_worker_is_retried(carol: User, gateway: Any) -> None:
    (n,) = _sms(carol)
    claimed = timezone.now() - timedelta(seconds=31)
    Notification.objects.filter(pk=n.pk).update(
        state="sending", claimed_at=claimed, lease_until=claimed + timedelta(seconds=30), attempts=1
    )
    report = outbox_deliver_due()
    assert (report.reclaimed, report.sent) == (1, 1)
    n.refresh_from_db()
    assert (n.state, n.attempts) == ("sent", 2)


def test_inbox_page_lists_and_marks_read(client: Client, carol: User, dave: User) -> None:
    notification_send(recipient=carol, kind="x", subject="第一条", dedupe_key="a")
    notification_send(recipient=carol, kind="x", subject="第二条", dedupe_key="b")
    notification_send(recipient=dave, kind="x", subject="别人的", dedupe_key="c")
    client.force_login(carol)
    html = client.get("/inbox/").content.decode()
    assert "第一条" in html and "第二条" in html  # noqa: PT018
    assert "别人的" not in html
    assert '<span class="badge"' in html
    first = Notification.objects.get(subject="第一条")
    fragment = client.post("/inbox/", {"id": first.pk}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert list(Notification.objects.inbox(carol).unread().values_list("subject", flat=True)) == ["第二条"]
    client.post("/inbox/")
    assert Notification.objects.inbox(carol).unread().count() == 0
    assert Notification.objects.inbox(dave).unread().count() == 1


def test_mark_read_only_touches_own_notifications(carol: User, dave: User) -> None:
    (other,) = notification_send(recipient=dave, kind="x", subject="s", dedupe_key="d")
    assert notification_mark_read(user=carol, ids=[other.pk]) == 0

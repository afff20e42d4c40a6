"""Delivery of the notification outbox through pluggable channels.

A channel is a class with `send(notification)` that raises on failure. Which class serves which channel is
configuration (`settings.NOTIFY_CHANNELS`): in-app needs nothing (the row is the message); email uses Django's
mail backend; SMS and WeChat go to a gateway by signed webhook (docs/notifications.md documents the payload);
the console channel prints, for the demo.

A crash between a gateway accepting a message and the row being marked sent leaves the row `sending`; after
`STALE_CLAIM` it is retried. Gateways therefore receive an `Idempotency-Key` (the row's dedupe key) and must
drop a key they have seen: that is how "never sent twice" holds across a crash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from minhu.core.models import Notification

log = logging.getLogger("minhu.outbox")

STALE_CLAIM = timedelta(minutes=10)
BACKOFF_SECONDS = [60, 300, 900, 3600, 4 * 3600]


class DeliveryError(Exception):
    """A channel could not deliver; the row will be retried."""


class Channel(Protocol):
    def send(self, notification: Notification) -> None: ...


class InAppChannel:
    def __init__(self, **options: Any) -> None:
        pass

    def send(self, notification: Notification) -> None:
        return None  # the inbox reads the row itself


class ConsoleChannel:
    def __init__(self, **options: Any) -> None:
        pass

    def send(self, notification: Notification) -> None:
        to = notification.address or (notification.recipient.get_username() if notification.recipient else "")
        log.info("[%s → %s] %s %s", notification.channel, to, notification.subject, notification.url)


class EmailChannel:
    def __init__(self, **options: Any) -> None:
        pass

    def send(self, notification: Notification) -> None:
        to = notification.address or (notification.recipient.email if notification.recipient else "")
        if not to:
            raise DeliveryError("no email address")
        body = notification.body + (f"\n\n{notification.url}" if notification.url else "")
        send_mail(notification.subject, body, None, [to])


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>` with the shared secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def webhook_payload(notification: Notification) -> dict[str, Any]:
    recipient = notification.recipient
    return {
        "id": notification.pk,
        "idempotency_key": notification.dedupe_key,
        "channel": notification.channel,
        "to": notification.address or (getattr(recipient, "phone", "") if recipient else ""),
        "recipient": recipient.get_username() if recipient else None,
        "kind": notification.kind,
        "subject": notification.subject,
        "body": notification.body,
        "url": notification.url,
        "payload": notification.payload,
        "created_at": notification.created_at.isoformat(),
    }


class WebhookChannel:
    """POSTs the JSON payload to a gateway (SMS, WeChat) with an HMAC signature; any non-2xx is a failure."""

    def __init__(self, *, URL: str = "", SECRET: str = "", TIMEOUT: float = 10, **options: Any) -> None:
        self.url, self.secret, self.timeout = URL, SECRET, TIMEOUT

    def send(self, notification: Notification) -> None:
        if not self.url:
            raise DeliveryError("no gateway URL configured")
        body = json.dumps(webhook_payload(notification), ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 -- the URL is the operator's configured gateway
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": notification.dedupe_key,
                "X-Minhu-Timestamp": timestamp,
                "X-Minhu-Signature": webhook_signature(self.secret, timestamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"gateway answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryError(f"gateway unreachable: {exc}") from exc
        if not 200 <= status < 300:
            raise DeliveryError(f"gateway answered HTTP {status}")


def channel_for(name: str) -> Channel:
    channels: dict[str, dict[str, Any]] = settings.NOTIFY_CHANNELS
    conf = dict(channels.get(name) or {"BACKEND": "minhu.core.outbox.ConsoleChannel"})
    backend = import_string(conf.pop("BACKEND"))
    return backend(**conf)  # type: ignore[no-any-return]


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    reclaimed: int = 0


def outbox_deliver_due(*, now: datetime | None = None, limit: int = 200) -> DeliveryReport:
    """Deliver the notifications that are due. Safe to run in several workers at once."""
    now = now or timezone.now()
    report = DeliveryReport()
    # A worker that died mid-send left its rows "sending": give them back after a while.
    report.reclaimed = Notification.objects.filter(
        state=Notification.State.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(state=Notification.State.PENDING)
    due = list(
        Notification.objects.due(now).order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        claimed = Notification.objects.filter(pk=pk, state=Notification.State.PENDING).update(
            state=Notification.State.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        if not claimed:
            report.skipped += 1  # another worker has it
            continue
        notification = Notification.objects.select_related("recipient").get(pk=pk)
        try:
            channel_for(notification.channel).send(notification)
        except Exception as exc:  # any channel failure is retried, never lost
            error = f"{type(exc).__name__}: {exc}"[:2000]
            if notification.attempts >= Notification.MAX_ATTEMPTS:
                Notification.objects.filter(pk=pk, state=Notification.State.SENDING).update(
                    state=Notification.State.FAILED, last_error=error
                )
                report.failed += 1
                log.warning("notification %s failed for good: %s", pk, error)
            else:
                delay = BACKOFF_SECONDS[min(notification.attempts, len(BACKOFF_SECONDS)) - 1]
                Notification.objects.filter(pk=pk, state=Notification.State.SENDING).update(
                    state=Notification.State.PENDING,
                    last_error=error,
                    next_attempt_at=now + timedelta(seconds=delay),
                )
                report.retried += 1
        else:
            Notification.objects.filter(pk=pk, state=Notification.State.SENDING).update(
                state=Notification.State.SENT, sent_at=now, last_error=""
            )
            report.sent += 1
    return report

"""Delivery of the notification outbox through pluggable channels.

A channel is a class with `send(notification)` that raises on failure. Which class serves which channel is
configuration (`settings.NOTIFY_CHANNELS`): in-app needs nothing (the row is the message); email uses Django's
mail backend; SMS and WeChat go to a gateway by signed webhook (docs/notifications.md documents the payload);
the console channel prints, for the demo.

Each row is claimed by exactly one worker: a conditional UPDATE stamps it with the claim's own time and a
lease (`settings.OUTBOX_LEASE_SECONDS`), which a thread of the sender renews every third of the lease for as
long as the send takes; the sender finishes the row only while the claim is still its own (`attempts` fences
it). A row is claimed again only once its lease has run out, that is when its sender died. A sender killed
between a gateway accepting a message and marking the row sent makes the retry send it a second time;
gateways therefore receive an `Idempotency-Key` (the row's id, the same on every attempt) and must drop a
key they have seen: that is how "never sent twice" holds across a crash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.db import DatabaseError, connection
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from minhu.core import failpoints
from minhu.core.models import Notification

log = logging.getLogger("minhu.outbox")

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


def idempotency_key(notification: Notification) -> str:
    """The row's id: the same on every attempt at one message, different for every other message."""
    return str(notification.pk)


def webhook_payload(notification: Notification) -> dict[str, Any]:
    recipient = notification.recipient
    return {
        "id": notification.pk,
        "idempotency_key": idempotency_key(notification),
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
                "Idempotency-Key": idempotency_key(notification),
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
    lost: int = 0  # sent, but the lease had run out and another worker had claimed the row meanwhile


def lease_length() -> timedelta:
    seconds = float(settings.OUTBOX_LEASE_SECONDS)
    if seconds <= 0:
        raise ImproperlyConfigured("MINHU_OUTBOX_LEASE_SECONDS must be positive")
    return timedelta(seconds=seconds)


def _claimable(now: datetime) -> Q:
    """Due and pending, or being sent by a sender whose lease has run out (it died)."""
    expired = Q(lease_until__lt=now) | Q(lease_until__isnull=True)
    return Q(state=Notification.State.PENDING, next_attempt_at__lte=now) | (
        Q(state=Notification.State.SENDING) & expired
    )


class LeaseKeeper:
    """Renews the lease of the row being sent, from a thread, every third of the lease while the send lasts:
    a live sender never loses its row, however slow the gateway. Started for one sweep; opens a database
    connection of its own only when a send outlasts a third of the lease."""

    def __init__(self, lease: timedelta, clock: Callable[[], datetime]) -> None:
        self.lease, self.clock = lease, clock
        self._row: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-lease", daemon=True)
        self._used_db = False

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def hold(self, pk: int, attempt: int) -> None:
        with self._lock:
            self._row = (pk, attempt)

    def release(self) -> None:
        with self._lock:
            self._row = None

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.lease.total_seconds() / 3):
                with self._lock:
                    row = self._row
                if row:
                    self.renew(*row)
        finally:
            if self._used_db:
                connection.close()

    def renew(self, pk: int, attempt: int) -> bool:
        """Extend the lease if the claim is still this sender's; False if it is not (or the database is busy:
        the next renewal will do)."""
        self._used_db = True
        try:
            return bool(
                Notification.objects.filter(pk=pk, state=Notification.State.SENDING, attempts=attempt).update(
                    lease_until=self.clock() + self.lease
                )
            )
        except DatabaseError:
            log.warning("lease of notification %s not renewed", pk, exc_info=True)
            return False


def outbox_deliver_due(*, now: datetime | None = None, limit: int = 200) -> DeliveryReport:
    """Deliver the notifications that are due, and those whose sender died (lease run out). Safe to run in
    several workers at once: each row is claimed, at the moment it is sent, by exactly one of them.

    `now` fixes the clock for the whole sweep (tests); by default every claim reads the clock afresh."""
    clock: Callable[[], datetime] = (lambda: now) if now else timezone.now
    lease = lease_length()
    report = DeliveryReport()
    due = list(
        Notification.objects.filter(_claimable(clock()))
        .order_by("next_attempt_at", "id")
        .values_list("pk", "state")[:limit]
    )
    if not due:
        return report
    with LeaseKeeper(lease, clock) as keeper:
        for pk, state in due:
            at = clock()
            claimed = Notification.objects.filter(_claimable(at), pk=pk).update(
                state=Notification.State.SENDING,
                claimed_at=at,
                lease_until=at + lease,
                attempts=F("attempts") + 1,
            )
            if not claimed:
                report.skipped += 1  # another worker has it
                continue
            if state == Notification.State.SENDING:
                report.reclaimed += 1
                log.warning("notification %s: its sender's lease ran out; sending it again", pk)
            notification = Notification.objects.select_related("recipient").get(pk=pk)
            keeper.hold(pk, notification.attempts)
            try:
                _deliver(notification, clock, report)
            finally:
                keeper.release()
    return report


def _deliver(notification: Notification, clock: Callable[[], datetime], report: DeliveryReport) -> None:
    pk, attempt = notification.pk, notification.attempts
    ours = Notification.objects.filter(pk=pk, state=Notification.State.SENDING, attempts=attempt)
    try:
        channel_for(notification.channel).send(notification)
    except Exception as exc:  # any channel failure is retried, never lost
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if attempt >= Notification.MAX_ATTEMPTS:
            done = ours.update(state=Notification.State.FAILED, last_error=error, lease_until=None)
            if done:
                report.failed += 1
                log.warning("notification %s failed for good: %s", pk, error)
        else:
            delay = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1]
            done = ours.update(
                state=Notification.State.PENDING,
                last_error=error,
                next_attempt_at=clock() + timedelta(seconds=delay),
                lease_until=None,
            )
            report.retried += done
    else:
        failpoints.hit("outbox.after_send")
        done = ours.update(state=Notification.State.SENT, sent_at=clock(), last_error="", lease_until=None)
        report.sent += done
    if not done:
        report.lost += 1
        log.warning("notification %s: lease lost while sending (another worker has claimed it)", pk)

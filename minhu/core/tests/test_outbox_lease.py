"""The outbox never sends twice (issue 18): each row is claimed by exactly one worker, with its own timestamp
and a lease its sender renews; only an expired lease (a dead sender) is claimed again, and the retry carries
the same idempotency key (the row's id). Run against a real HTTP gateway on 127.0.0.1 that is slow and counts
what it receives.

The process-level proof (a worker killed with SIGKILL after the gateway accepted) is
tests/test_outbox_crash.py.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from minhu.accounts.models import User
from minhu.core import outbox
from minhu.core.models import Notification
from minhu.core.outbox import outbox_deliver_due
from minhu.core.services import notification_send

WAIT = 30  # seconds: only a safety net against a hung test, never reached when the code is right


class SlowGateway:
    """An SMS gateway: records each request's idempotency key (header and payload) and calls `hold(key)`
    before answering 200 (by default it takes `delay` seconds, like a slow gateway)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.delay = 0.0
        self.hold: Callable[[str], object] = lambda key: threading.Event().wait(self.delay)

    def record(self, headers: Any, body: bytes) -> str:
        key = str(headers["Idempotency-Key"])
        with self.lock:
            self.requests.append({"key": key, "payload": json.loads(body)})
        return key

    @property
    def keys(self) -> list[str]:
        with self.lock:
            return [r["key"] for r in self.requests]


@pytest.fixture
def gateway(settings: Any) -> Iterator[SlowGateway]:
    gw = SlowGateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            key = gw.record(self.headers, self.rfile.read(int(self.headers["Content-Length"])))
            gw.hold(key)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
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
    yield gw
    server.shutdown()
    server.server_close()


def _sms(user: User, n: int = 0) -> Notification:
    (row,) = notification_send(
        recipient=user, channels=["sms"], kind="appeal.escalated", subject=f"诉求升级 {n}", dedupe_key=f"k{n}"
    )
    return row


def _in_thread(target: Callable[[], Any]) -> threading.Thread:
    def run() -> None:
        try:
            target()
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_deliver_each_row_exactly_once(
    carol: User, gateway: SlowGateway, settings: Any
) -> None:
    # A lease shorter than either worker's run: rows claimed late in a long batch must not look abandoned.
    settings.OUTBOX_LEASE_SECONDS = 1
    gateway.delay = 0.15
    rows = [_sms(carol, n) for n in range(30)]
    both_in_flight = threading.Barrier(2, timeout=WAIT)
    first_two = iter([both_in_flight.wait, both_in_flight.wait])

    def hold(key: str) -> None:
        # The first two requests wait for each other: the two workers are sending at the same time.
        with gateway.lock:
            wait = next(first_two, None)
        if wait:
            wait()
        threading.Event().wait(gateway.delay)

    gateway.hold = hold
    start = threading.Barrier(2, timeout=WAIT)

    def long_batch() -> None:  # one sweep through everything due: it lasts longer than a lease
        start.wait()
        outbox_deliver_due()

    def short_batches() -> None:  # sweeps of two, again and again, until one finds nothing to do
        start.wait()
        while outbox_deliver_due(limit=2).sent:
            pass

    threads = [_in_thread(long_batch), _in_thread(short_batches)]
    for t in threads:
        t.join(WAIT)
    assert not any(t.is_alive() for t in threads)
    assert not both_in_flight.broken
    assert [key for key, n in Counter(gateway.keys).items() if n > 1] == []  # nothing sent twice
    expected = {str(r.pk) for r in rows}
    assert Counter(gateway.keys) == Counter(expected)  # every row, each exactly once
    assert {r["payload"]["idempotency_key"] for r in gateway.requests} == expected
    assert set(Notification.objects.values_list("state", "attempts")) == {("sent", 1)}


@pytest.mark.django_db(transaction=True)
def test_a_live_senders_lease_is_renewed_and_its_row_not_reclaimed(
    carol: User, gateway: SlowGateway, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.OUTBOX_LEASE_SECONDS = 1
    row = _sms(carol)
    arrived, renewed_late, release = threading.Event(), threading.Event(), threading.Event()
    first_lease: list[Any] = []

    def hold(key: str) -> None:  # the gateway takes as long as the test needs: longer than the first lease
        arrived.set()
        release.wait(WAIT)

    gateway.hold = hold
    renew = outbox.LeaseKeeper.renew

    def watched_renew(keeper: outbox.LeaseKeeper, pk: int, attempt: int) -> bool:
        renewed = renew(keeper, pk, attempt)
        if renewed and first_lease and timezone.now() > first_lease[0]:
            renewed_late.set()  # the first lease is over, and the sender has renewed it
        return renewed

    monkeypatch.setattr(outbox.LeaseKeeper, "renew", watched_renew)
    sender = _in_thread(outbox_deliver_due)
    assert arrived.wait(WAIT)
    claimed = Notification.objects.get(pk=row.pk)
    assert claimed.state == "sending"
    assert claimed.claimed_at
    assert claimed.lease_until
    first_lease.append(claimed.claimed_at + timedelta(seconds=1))  # the lease it was claimed with
    assert renewed_late.wait(WAIT)

    # Another worker sweeps while the first is still sending, after its first lease would have run out.
    report = outbox_deliver_due()
    assert (report.sent, report.reclaimed) == (0, 0)
    assert gateway.keys == [str(row.pk)]
    release.set()
    sender.join(WAIT)
    assert not sender.is_alive()
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 1)
    assert gateway.keys == [str(row.pk)]


def test_a_dead_senders_row_is_retried_after_its_lease_with_the_same_key(
    carol: User, gateway: SlowGateway
) -> None:
    row = _sms(carol)
    now = timezone.now()
    # A worker claimed it, sent it (the gateway has it) and died before marking it sent.
    Notification.objects.filter(pk=row.pk).update(
        state="sending", claimed_at=now, lease_until=now + timedelta(seconds=30), attempts=1
    )
    outbox.channel_for("sms").send(Notification.objects.get(pk=row.pk))
    assert outbox_deliver_due(now=now + timedelta(seconds=29)).reclaimed == 0  # its lease is still running
    assert gateway.keys == [str(row.pk)]

    report = outbox_deliver_due(now=now + timedelta(seconds=31))
    assert (report.reclaimed, report.sent) == (1, 1)
    assert gateway.keys == [str(row.pk), str(row.pk)]  # the same key: the gateway drops the repeat
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 2)
    assert outbox_deliver_due(now=now + timedelta(hours=1)).sent == 0
    assert len(gateway.keys) == 2


@pytest.mark.django_db(transaction=True)
def test_a_sender_that_lost_its_lease_does_not_overwrite_the_new_claim(
    carol: User, gateway: SlowGateway
) -> None:
    """A sender stalled past its lease (the row was claimed again meanwhile) finishes without touching the
    row: the new claimer owns it."""
    row = _sms(carol)

    def stalled(key: str) -> None:
        # While the first sender waits on the gateway, its lease runs out and another worker claims the row.
        later = timezone.now() + timedelta(minutes=5)
        try:
            Notification.objects.filter(pk=row.pk).update(
                state="sending", claimed_at=later, lease_until=later + timedelta(seconds=30), attempts=2
            )
        finally:
            connection.close()  # the gateway's thread's own connection

    gateway.hold = stalled
    report = outbox_deliver_due()
    assert (report.sent, report.lost) == (0, 1)
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sending", 2)

"""The only functions that write core's data."""

from __future__ import annotations

import json
import os
import socket
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from minhu.core import context
from minhu.core.models import CalendarDay, CalendarYear, Event, Heartbeat, Notification


def _jsonable(data: dict[str, Any] | None) -> dict[str, Any]:
    # Dates, decimals and UUIDs become strings the way Django serialises them.
    return dict(json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder)))


def event_record(
    *,
    actor: Any,
    verb: str,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
    actor_label: str | None = None,
) -> Event:
    """Append one event. Call it inside the transaction of the change it records.

    `actor` is a user or None (the system, or an anonymous caller: then give `actor_label`). The request id
    and client address come from the bound request context.
    """
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    label = actor_label if actor_label is not None else (user.get_username() if user else "system")
    ctx = context.current()
    return Event.objects.create(
        actor=user,
        actor_label=label[:150],
        verb=verb,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:200] if target is not None else "",
        before=_jsonable(before),
        after=_jsonable(after),
        note=note,
        request_id=ctx.request_id,
        client_addr=ctx.client_addr,
    )


def heartbeat_beat(*, name: str) -> Heartbeat:
    """Record that the process `name` is alive now."""
    hb, _ = Heartbeat.objects.update_or_create(
        name=name,
        defaults={
            "beat_at": timezone.now(),
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
        },
    )
    return hb


@transaction.atomic
def calendar_day_set(*, day: date, kind: str, name: str = "", actor: Any) -> CalendarDay:
    """Mark `day` as a holiday or a make-up working day (replacing any earlier entry for it)."""
    existing = CalendarDay.objects.select_for_update().filter(date=day).first()
    before = {"kind": existing.kind, "name": existing.name} if existing else {}
    entry = existing or CalendarDay(date=day)
    entry.kind, entry.name = kind, name
    entry.full_clean()
    entry.save()
    event_record(
        actor=actor, verb="calendar.day_set", target=entry, before=before, after={"kind": kind, "name": name}
    )
    return entry


@transaction.atomic
def calendar_day_clear(*, day: date, actor: Any) -> None:
    """Remove the entry for `day`: it follows the shipped schedule (or Monday–Friday) again."""
    entry = CalendarDay.objects.select_for_update().filter(date=day).first()
    if entry is None:
        return
    event_record(
        actor=actor,
        verb="calendar.day_clear",
        target=entry,
        before={"kind": entry.kind, "name": entry.name},
    )
    entry.delete()


@transaction.atomic
def calendar_year_mark_entered(*, year: int, actor: Any, note: str = "") -> CalendarYear:
    """Declare that `year`'s holidays and make-up days have all been entered."""
    entry, created = CalendarYear.objects.get_or_create(year=year, defaults={"note": note})
    if created:
        event_record(
            actor=actor, verb="calendar.year_entered", target=entry, after={"year": year, "note": note}
        )
    elif entry.note != note:
        before = {"note": entry.note}
        entry.note = note
        entry.save(update_fields=["note", "changed_at"])
        event_record(
            actor=actor, verb="calendar.year_note", target=entry, before=before, after={"note": note}
        )
    return entry


def notification_send(
    *,
    recipient: Any = None,
    address: str = "",
    channels: list[str] | None = None,
    kind: str,
    subject: str,
    body: str = "",
    url: str = "",
    payload: dict[str, Any] | None = None,
    dedupe_key: str,
) -> list[Notification]:
    """Queue one message on each channel (default: in-app). Call it inside the transaction of its cause: the
    rows commit with it, and delivery is queued once the transaction commits.

    `dedupe_key` names the message (e.g. `appeal:42:escalated:level2:user7`); queuing the same key again does
    nothing, so retries of the cause never send twice.
    """
    created = []
    for channel in channels or [Notification.Channel.INAPP]:
        key = f"{dedupe_key}:{channel}"
        notification, is_new = Notification.objects.get_or_create(
            dedupe_key=key,
            defaults={
                "recipient": recipient,
                "address": address,
                "channel": channel,
                "kind": kind,
                "subject": subject[:200],
                "body": body,
                "url": url,
                "payload": _jsonable(payload),
                # in-app messages are delivered by being written
                "state": Notification.State.SENT
                if channel == Notification.Channel.INAPP
                else Notification.State.PENDING,
                "sent_at": timezone.now() if channel == Notification.Channel.INAPP else None,
            },
        )
        if is_new:
            created.append(notification)
    if any(n.state == Notification.State.PENDING for n in created):
        from minhu.core.tasks import deliver_notifications

        transaction.on_commit(lambda: deliver_notifications.enqueue())
    return created


def notification_mark_read(*, user: Any, ids: list[int] | None = None) -> int:
    """Mark the user's in-app notifications read (all of them when `ids` is None). Returns how many."""
    qs = Notification.objects.inbox(user).unread()
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def scheduler_lease_take(*, seconds: float, now: datetime | None = None) -> bool:
    """True for exactly one caller per `seconds` window, across every worker process: the caller then queues
    the periodic jobs. Claimed with a conditional UPDATE, so two workers never both win."""
    now = now or timezone.now()
    won = Heartbeat.objects.filter(name="scheduler", beat_at__lte=now - timedelta(seconds=seconds)).update(
        beat_at=now, host=socket.gethostname()[:255], pid=os.getpid()
    )
    if won:
        return True
    _, created = Heartbeat.objects.get_or_create(
        name="scheduler", defaults={"beat_at": now, "host": socket.gethostname()[:255], "pid": os.getpid()}
    )
    return created

"""The only functions that write core's data."""

from __future__ import annotations

import json
import os
import socket
from datetime import date, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.core import context
from minhu.core.models import (
    CalendarDay,
    CalendarYear,
    Event,
    Heartbeat,
    Notification,
    NotificationPreference,
)
from minhu.core.selectors import undelivered_scope_q
from minhu.core.types import Actor, Login


def _jsonable(data: dict[str, Any] | None) -> dict[str, Any]:
    # Dates, decimals and UUIDs become strings the way Django serialises them.
    return dict(json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder)))


def event_record(
    *,
    actor: Actor,
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


def changes_save(
    *, row: models.Model, before: dict[str, Any], after: dict[str, Any], verb: str, actor: Actor
) -> list[str]:
    """Save the fields of `row` whose value differs between `before` and `after` (the row already holds the
    new values, validated) with one UPDATE of just those, and record one event `verb` with them, before →
    after. Nothing changed: nothing written, nothing recorded. Returns the changed fields."""
    changed = [f for f in after if before.get(f) != after[f]]
    if changed:
        row.save(update_fields=changed)
        event_record(
            actor=actor,
            verb=verb,
            target=row,
            before={f: before.get(f) for f in changed},
            after={f: after[f] for f in changed},
        )
    return changed


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
def calendar_day_set(*, day: date, kind: str, name: str = "", actor: Actor) -> CalendarDay:
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
def calendar_day_clear(*, day: date, actor: Actor) -> None:
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
def calendar_year_mark_entered(*, year: int, actor: Actor, note: str = "") -> CalendarYear:
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
    urgent: bool = False,
    about_path: str = "",
) -> list[Notification]:
    """Queue one message on each channel (default: in-app). Call it inside the transaction of its cause: the
    rows commit with it, and delivery is queued once the transaction commits.

    `dedupe_key` names the message (e.g. `appeal:42:escalated:level2:user7`); queuing the same key again does
    nothing, so retries of the cause never send twice. For a recipient who chose the daily digest, messages
    on the outside channels are held for it (`notification_digests_send`) unless `urgent`. `about_path` is
    the grid path of the unit the message is about: with it, staff of that unit see the message on the
    failures page even when its recipient is only an address.
    """
    created = []
    held = (
        not urgent
        and recipient is not None
        and NotificationPreference.objects.filter(user=recipient, digest=True).exists()
    )
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
                "about_path": about_path,
                # in-app messages are delivered by being written
                "state": Notification.State.SENT
                if channel == Notification.Channel.INAPP
                else Notification.State.HELD
                if held
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


def notification_preference_set(
    *, user: Login, digest: bool, digest_hour: int = 18
) -> NotificationPreference:
    """Choose a daily digest (at `digest_hour`, local time) or one message per event. Recorded."""
    if not 0 <= digest_hour <= 23:
        raise ValidationError({"digest_hour": _("An hour from 0 to 23.")})
    pref, _created = NotificationPreference.objects.get_or_create(user=user)
    before = {"digest": pref.digest, "digest_hour": pref.digest_hour}
    after = {"digest": digest, "digest_hour": digest_hour}
    if before != after:
        pref.digest, pref.digest_hour = digest, digest_hour
        pref.save(update_fields=["digest", "digest_hour"])
        event_record(actor=user, verb="notification.preference", target=pref, before=before, after=after)
    if not digest:  # whatever was held goes out now
        Notification.objects.filter(recipient=user, state=Notification.State.HELD).update(
            state=Notification.State.PENDING, next_attempt_at=timezone.now()
        )
    return pref


def notification_digests_send(*, now: datetime | None = None) -> int:
    """For every recipient whose digest hour has come today (local time), one digest per channel of the
    messages held for them; the held rows become `digested` in the same transaction. Safe to run again or in
    two workers at once: the digest's key names the recipient, channel and day, and a held row is claimed
    only once. Returns how many digests were queued."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    sent = 0
    groups = (
        Notification.objects.filter(state=Notification.State.HELD, created_at__lte=now)
        .values_list("recipient_id", "channel")
        .distinct()
    )
    prefs = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in={r for r, _c in groups})}
    for recipient_id, channel in list(groups):
        pref = prefs.get(recipient_id)
        if pref is not None and pref.digest and local.hour < pref.digest_hour:
            continue  # not yet today
        with transaction.atomic():
            rows = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(recipient_id=recipient_id, channel=channel, state=Notification.State.HELD)
                .order_by("created_at", "id")
            )
            ids = [n.pk for n in rows]
            if not ids or Notification.objects.filter(pk__in=ids, state=Notification.State.HELD).update(
                state=Notification.State.DIGESTED
            ) != len(ids):
                continue
            lines = [f"· {n.subject}" + (f" {n.url}" if n.url else "") for n in rows]
            notification_send(
                recipient=rows[0].recipient,
                channels=[channel],
                kind="digest",
                subject=_("%(n)d messages today") % {"n": len(rows)},
                body="\n".join(lines),
                dedupe_key=f"digest:{recipient_id}:{local:%Y-%m-%d}:{rows[-1].pk}",
                urgent=True,
            )
            sent += 1
    return sent


def notification_retry(*, notification_id: int, actor: Login) -> bool:
    """Give a failed message another round of attempts (staff, from the failures page). Recorded. Refused
    (PermissionDenied) for a message outside what the actor may see (`undelivered_scope_q`)."""
    visible = undelivered_scope_q(actor)
    if visible is None or not Notification.objects.filter(visible, pk=notification_id).exists():
        raise PermissionDenied
    n = Notification.objects.filter(pk=notification_id, state=Notification.State.FAILED).update(
        state=Notification.State.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    if n:
        event_record(
            actor=actor,
            verb="notification.retry",
            target=Notification.objects.get(pk=notification_id),
            before={"state": "failed"},
            after={"state": "pending"},
        )
        from minhu.core.tasks import deliver_notifications

        transaction.on_commit(lambda: deliver_notifications.enqueue())
    return bool(n)


def notification_mark_read(*, user: Login, ids: list[int] | None = None) -> int:
    """Mark the user's in-app notifications read (all of them when `ids` is None). Returns how many."""
    qs = Notification.objects.inbox(user).unread()
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())

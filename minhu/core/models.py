"""The audit timeline and the worker heartbeat."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn, TypeVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.core.types import Login


class AppendOnlyError(Exception):
    """Raised by any attempt to change or remove a row of an append-only table (audit events, ledger)."""


_M = TypeVar("_M", bound=models.Model)


class AppendOnlyQuerySet(models.QuerySet[_M]):
    """Refuses every bulk rewrite; rows of such a model are only ever inserted."""

    message = "this table is append-only"

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(self.message)

    def delete(self) -> NoReturn:
        raise AppendOnlyError(self.message)

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(self.message)

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(self.message)


class AppendOnlyModel(models.Model):
    """A model whose rows are inserted once and never changed or removed (pair it with an
    AppendOnlyQuerySet manager and minhu.core.dbguards.append_only in a migration)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.label} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self._meta.label} is append-only")


class EventQuerySet(AppendOnlyQuerySet["Event"]):
    message = "audit events are append-only"

    def for_target(self, obj: models.Model) -> EventQuerySet:
        ct = ContentType.objects.get_for_model(obj)
        return self.filter(target_type=ct, target_id=str(obj.pk))


class Event(AppendOnlyModel):
    """One change of state: who did what to which object, when, from where, and what it was before and after.

    Invariants: rows are only ever inserted. The model, its queryset and the admin refuse updates and deletes,
    and a database trigger refuses UPDATE on both databases (and DELETE on PostgreSQL), so even raw
    SQL through the app's connection cannot rewrite history. Every service writes its event in the same
    transaction as the change it records.
    """

    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # accounts are deactivated, never deleted while they have a history
        related_name="+",
    )
    # The actor's name at the time (or the name tried, for a failed login; "system" for jobs).
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    verb = models.CharField(_("action"), max_length=64)
    target_type = models.ForeignKey(
        ContentType,
        verbose_name=_("object type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    target_label = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    client_addr = models.GenericIPAddressField(_("client address"), null=True, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            # an object's timeline: Event.objects.for_target(obj).order_by("at")
            models.Index(fields=["target_type", "target_id", "at"], name="core_event_target_at"),
            # one user's actions, newest first (audit review)
            models.Index(fields=["actor", "at"], name="core_event_actor_at"),
            # the audit log by time range, and retention
            models.Index(fields=["at"], name="core_event_at"),
            # audits by kind of action (e.g. every failed login this week)
            models.Index(fields=["verb", "at"], name="core_event_verb_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.verb} {self.target_label}"


class Heartbeat(models.Model):
    """The last sign of life of a long-running process (the worker), shown by /healthz."""

    name = models.CharField(_("process"), max_length=100, unique=True)
    beat_at = models.DateTimeField(_("last seen"))
    host = models.CharField(_("host"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("process id"), null=True, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class PeriodicJob(models.Model):
    """The scheduler's bookkeeping for one job of `settings.PERIODIC_TASKS` (minhu.core.scheduler): when it
    was last queued and the task result it got. A worker claims the next period with a conditional UPDATE
    on the value it read, so two workers never both queue the same job in one period."""

    task_path = models.CharField(_("job"), max_length=200, unique=True)
    enqueued_at = models.DateTimeField(_("last queued"), null=True, blank=True)
    result_id = models.CharField(_("task result"), max_length=64, blank=True)
    host = models.CharField(_("host"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("process id"), null=True, blank=True)

    class Meta:
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")
        ordering = ["task_path"]

    def __str__(self) -> str:
        return self.task_path


class CalendarDay(models.Model):
    """A day that differs from the Monday–Friday week: a statutory holiday on a weekday, or a make-up working
    day (调休) on a weekend. Entered by staff for years the shipped data does not know, or to correct it; an
    entry here overrides the shipped schedule for that date."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (no work)")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True, help_text=_("e.g. Spring Festival"))
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["holiday", "workday"]), name="core_calday_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}".strip()


class CalendarYear(models.Model):
    """A year whose whole schedule staff have entered (the State Council publishes it around November), so
    the calendar no longer falls back to Monday–Friday for it."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class NotificationQuerySet(models.QuerySet["Notification"]):
    def due(self, now: datetime) -> NotificationQuerySet:
        return self.filter(state=Notification.State.PENDING, next_attempt_at__lte=now)

    def inbox(self, user: Login) -> NotificationQuerySet:
        return self.filter(recipient=user, channel=Notification.Channel.INAPP)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One message to one recipient on one channel: written as a row first (in the transaction of the change
    that caused it), then delivered by the worker.

    Invariants: `dedupe_key` is unique, so the same message is never queued twice however often the cause is
    retried; a row is claimed for sending with a conditional UPDATE (pending → sending, stamped with the
    claim's own `claimed_at` and a `lease_until` that its sender renews while it works), so exactly one
    worker wins it; only a row whose lease has expired (its sender died) is claimed again. `attempts` counts
    the claims and fences them: the sender finishes or renews a row only while `attempts` is still its own.
    Failed attempts are retried with backoff until `MAX_ATTEMPTS`, then the row is `failed` and shown to
    staff.
    """

    MAX_ATTEMPTS = 6

    class Channel(models.TextChoices):
        INAPP = "inapp", _("In-app inbox")
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        WECHAT = "wechat", _("WeChat")
        CONSOLE = "console", _("Console (demo)")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        HELD = "held", _("Held for the daily digest")
        DIGESTED = "digested", _("Sent in a daily digest")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    address = models.CharField(
        _("address"), max_length=200, blank=True, help_text=_("email, phone or openid")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=64)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    # The grid path of the unit the message is about (a string, not a key: core sits below the grid), so
    # that staff see only the failures within their scope; blank when only the recipient says where it is.
    about_path = models.CharField(_("about unit"), max_length=255, blank=True)
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    lease_until = models.DateTimeField(
        _("lease until"),
        null=True,
        blank=True,
        help_text=_("a row being sent may be claimed again after this"),
    )
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # the worker's sweep: Notification.objects.due(now)
            models.Index(fields=["state", "next_attempt_at"], name="core_notif_due"),
            # a user's inbox and unread count: .inbox(user).unread()
            models.Index(fields=["recipient", "channel", "read_at"], name="core_notif_inbox"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) | ~models.Q(address=""),
                name="core_notif_has_destination",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.subject}"


class NotificationPreference(models.Model):
    """A user's choice of a daily digest instead of one message per event on the outside channels (SMS,
    email, WeChat). The in-app inbox is always immediate; urgent messages are never held."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    digest = models.BooleanField(_("daily digest"), default=False)
    digest_hour = models.PositiveSmallIntegerField(_("digest hour"), default=18)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.CheckConstraint(condition=models.Q(digest_hour__lte=23), name="core_pref_digest_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {'digest' if self.digest else 'each'}"

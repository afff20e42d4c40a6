"""Meeting types, meetings, attendance, agenda items with their decisions, and action items.

A meeting type names the parties that sit at it (the seed's 三方联席协商议事 by default; the 1+X joint
committee's meetings later). A meeting of a unit goes planned → held → closed; its agenda has one matter per
item (一事一议), each discussed, decided (solution, responsible party, deadline, budget) and carried out by
action items that are reminded and escalated like appeals, then closed out (销号) once every action is done
and verified. What an item is about (a problem of the problem list, later other things) is a generic link:
meetings knows nothing of the apps that own the subjects.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The three parties of the seed's 三方联席协商议事 (street party working committee, the property company's
# party branch, party-member owner representatives): the default of a new meeting type. Party names are data,
# shown as entered, in every language.
THREE_PARTIES = ["街道党工委", "物业党支部", "党员业主代表"]


class MeetingType(models.Model):
    """A kind of meeting and the parties that sit at it (三方联席, later the 1+X joint committee's).

    Invariant: `parties` is a list of distinct, non-empty names; every attendee of a meeting of this type
    sits for one of them."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parties = models.JSONField(_("parties"), default=list, help_text=_("One name per party"))

    class Meta:
        verbose_name = _("meeting type")
        verbose_name_plural = _("meeting types")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def open(self) -> MeetingQuerySet:
        return self.exclude(state=Meeting.State.CLOSED)


class Meeting(models.Model):
    """One sitting of a meeting type for a unit. planned → held (attendees signed in; decisions taken) →
    closed (every item closed out). `idempotency_key` makes a retried create return the first meeting."""

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", pgettext_lazy("meeting", "Held")
        CLOSED = "closed", pgettext_lazy("meeting", "Closed")

    type = models.ForeignKey(MeetingType, verbose_name=_("meeting type"), on_delete=models.PROTECT)
    unit = models.ForeignKey("grid.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(pgettext_lazy("meeting", "title"), max_length=200)
    place = models.CharField(_("place"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PLANNED)
    minutes = models.TextField(_("minutes"), blank=True)
    convener = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("convener"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    held_at = models.DateTimeField(_("held at"), null=True, blank=True)
    closed_at = models.DateTimeField(pgettext_lazy("meeting", "closed at"), null=True, blank=True)
    idempotency_key = models.CharField(  # noqa: DJ001
        _("idempotency key"), max_length=100, null=True, blank=True, editable=False
    )

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-id"]
        indexes = [
            # a unit's meetings, newest first (the list page; the scope is applied through unit)
            models.Index(fields=["unit", "starts_at"], name="meetings_unit_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["planned", "held", "closed"]), name="meetings_meeting_state"
            ),
            models.CheckConstraint(
                condition=Q(state="planned") | Q(held_at__isnull=False), name="meetings_meeting_held_at"
            ),
            # also serves the retry lookup (convener, idempotency_key)
            models.UniqueConstraint(
                fields=["convener", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="meetings_meeting_idempotency",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    """Who is expected at a meeting, for which party, and whether (and when) they signed in."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="attendance"
    )
    party = models.CharField(_("party"), max_length=100)
    name = models.CharField(_("name"), max_length=50)
    role = models.CharField(_("role at the meeting"), max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_in_at = models.DateTimeField(_("signed in at"), null=True, blank=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["meeting", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "party", "name"], name="meetings_attendee_once"),
        ]

    def __str__(self) -> str:
        return f"{self.party} {self.name}"


class AgendaItem(models.Model):
    """One matter of a meeting (一事一议): discussed, decided (solution, responsible party and optional
    login, deadline, budget), carried out by its action items, and closed out once every action is done and
    verified.

    Invariants: numbers run 1, 2, … within a meeting; a decided or closed item has a solution and a
    deadline; a subject is on at most one item that is not yet closed out (checked by the service)."""

    class State(models.TextChoices):
        OPEN = "open", _("To be discussed")
        DECIDED = "decided", _("Decided")
        CLOSED = "closed", _("Closed out")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="items"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(pgettext_lazy("agenda item", "matter"), max_length=200)
    subject_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    notes = models.TextField(_("discussion notes"), blank=True)
    solution = models.TextField(_("solution"), blank=True)
    owner_role = models.CharField(_("responsible party"), max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    budget = models.DecimalField(_("budget (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed out at"), null=True, blank=True)
    close_note = models.TextField(_("close-out note"), blank=True)
    idempotency_key = models.CharField(  # noqa: DJ001
        _("idempotency key"), max_length=100, null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="meetings_item_number_once"),
            models.CheckConstraint(
                condition=Q(state__in=["open", "decided", "closed"]), name="meetings_item_state"
            ),
            models.CheckConstraint(
                condition=Q(state="open") | (~Q(solution="") & Q(deadline__isnull=False)),
                name="meetings_decided_has_solution",
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0), name="meetings_item_budget"
            ),
            # also serves the retry lookup (meeting, idempotency_key)
            models.UniqueConstraint(
                fields=["meeting", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="meetings_item_idempotency",
            ),
        ]
        indexes = [
            # the items about one subject (subject_items: a problem's meetings)
            models.Index(fields=["subject_type", "subject_id"], name="meetings_item_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    def subject_is(self, obj: models.Model) -> bool:
        return self.subject_id == obj.pk and self.subject_type_id == ContentType.objects.get_for_model(obj).pk


class ActionItemQuerySet(models.QuerySet["ActionItem"]):
    def open(self) -> ActionItemQuerySet:
        """Not yet verified (open, or done and waiting for verification)."""
        return self.exclude(state=ActionItem.State.VERIFIED)


class ActionItem(models.Model):
    """A task that carries out a decision: an owner (a party, and a login if it has one) and a due time,
    reminded and escalated like an appeal (see `escalation.py`); done by its owner, then verified (accepted,
    or refused and open again) by a manager of the meeting's unit other than the owner."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done, to be verified")
        VERIFIED = "verified", _("Verified")

    item = models.ForeignKey(
        AgendaItem, verbose_name=_("agenda item"), on_delete=models.CASCADE, related_name="actions"
    )
    title = models.CharField(_("action"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meeting_actions",
    )
    owner_role = models.CharField(_("responsible party"), max_length=100, blank=True)
    due_at = models.DateTimeField(_("due at"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    result = models.TextField(_("result"), blank=True)
    verify_note = models.TextField(_("verification note"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    overdue_at = models.DateTimeField(_("overdue since"), null=True, blank=True)
    # the sweep's bookmark, as on appeals: the next moment due, and how far the schedule was worked through
    watch_at = models.DateTimeField(null=True, blank=True, editable=False)
    watched_until = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["open", "done", "verified"]), name="meetings_action_state"
            ),
        ]
        indexes = [
            # the sweep: what has come due (actions_sweep)
            models.Index(
                fields=["watch_at"], name="meetings_action_watch", condition=Q(watch_at__isnull=False)
            ),
            # an owner's open actions by deadline (actions_for)
            models.Index(fields=["owner", "state", "due_at"], name="meetings_action_owner"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.state == self.State.OPEN and self.due_at < timezone.now()


def subject_items(obj: models.Model) -> models.QuerySet[AgendaItem]:
    """The agenda items about `obj` (any model instance), oldest meeting first, with their meetings."""
    return (
        AgendaItem.objects.filter(subject_type=ContentType.objects.get_for_model(obj), subject_id=obj.pk)
        .select_related("meeting")
        .order_by("meeting__starts_at", "number")
    )

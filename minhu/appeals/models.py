"""Appeals (诉求) and the dispatch catalogue (派单目录)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """The five kinds fixed by regulation."""

    CONSULT = "consult", _("Consultation")
    HELP = "help", _("Request for help")
    COMPLAINT = "complaint", _("Complaint")
    REPORT = "report", _("Report")
    SUGGESTION = "suggestion", _("Suggestion")


class Channel(models.TextChoices):
    WEB = "web", _("Resident web form")
    HOTLINE = "hotline", _("24-hour hotline")
    SUGGESTION_BOX = "box", _("Suggestion box")
    WECHAT = "wechat", _("WeChat account / butler")
    GRID = "grid", _("Grid member on foot")
    OPEN311 = "open311", _("Open311 client")
    API = "api", _("JSON API")


class Urgency(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency")
    UTILITIES = "utilities", _("Water, power, gas, heating")
    ORDINARY = "ordinary", _("Ordinary")
    COMPLEX = "complex", _("Complex")


class PeriodUnit(models.TextChoices):
    HOURS = "hours", _("clock hours")
    DAYS = "days", _("days")
    WORKING_DAYS = "working_days", _("working days")


class HandlingLevel(models.TextChoices):
    """The level of the grid that handles a category, lowest first (escalation climbs from there)."""

    HOUSEHOLD = "household", _("Household's party member (包户)")
    BLOCK = "block", _("Block: party-group leader (包块)")
    AREA = "area", _("Area or estate: committee member (包片)")
    VILLAGE = "village", _("Village or community: street leader (包村)")
    STREET = "street", _("Street")
    DISTRICT = "district", _("District")


class Category(models.Model):
    """One line of the dispatch catalogue: what the matter is, who handles it, and how fast.

    Staff edit it often (Beijing adjusted 300+ items), so nothing about a category is hard-coded. The
    deadlines an appeal gets are copied onto the appeal at dispatch: a later change of the catalogue never
    moves the deadline of an appeal already running.
    """

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    group = models.CharField(_("group"), max_length=50, blank=True)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    default_kind = models.CharField(_("default kind"), max_length=12, choices=Kind.choices, default=Kind.HELP)
    urgency = models.CharField(_("urgency"), max_length=12, choices=Urgency.choices, default=Urgency.ORDINARY)
    # The unit level that handles it ("household" = the household's party member, then up the chain); or a
    # named department when responsibility lies outside the grid.
    handling_level = models.CharField(
        _("handling level"), max_length=20, choices=HandlingLevel.choices, default=HandlingLevel.HOUSEHOLD
    )
    department = models.CharField(_("department"), max_length=100, blank=True)
    response_hours = models.PositiveIntegerField(_("response deadline (hours)"), default=24)
    resolution_amount = models.PositiveIntegerField(_("resolution deadline"), default=7)
    resolution_unit = models.CharField(
        _("resolution deadline unit"), max_length=12, choices=PeriodUnit.choices, default=PeriodUnit.DAYS
    )
    required_fields = models.JSONField(
        _("required fields"),
        default=list,
        blank=True,
        help_text=_("Which of location, photo, phone, household must be given"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolution_amount__gte=1), name="appeals_cat_resolution_pos"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


def new_tracking_code() -> str:
    """12 characters without look-alikes (no 0/O, 1/I/L), easy to read out on the phone."""
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(12))


class State(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    DISPATCHED = "dispatched", _("Dispatched")
    RESPONDED = "responded", _("Responded")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CONFIRMED = "confirmed", _("Confirmed by the caller")
    CLOSED = "closed", _("Closed out")
    MERGED = "merged", _("Linked to an open matter")


OPEN_STATES = [State.SUBMITTED, State.DISPATCHED, State.RESPONDED, State.IN_PROGRESS, State.RESOLVED]
# Open and waiting for its handler: a resolved appeal waits for its caller's rating instead.
HANDLING_STATES = [State.SUBMITTED, State.DISPATCHED, State.RESPONDED, State.IN_PROGRESS]
# The refusal of an answer on the spot for any other kind than a consultation (`kind_answerable_on_spot`).
NOT_ANSWERABLE_ON_SPOT = _("Only a consultation can be answered on the spot.")
# How close a deadline is "due soon" on the workbench and the list.
DUE_SOON = timedelta(hours=24)


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASIC = "basic", _("Basically satisfied")
    NOT = "not", _("Not satisfied")


def overdue_q(now: datetime | None = None) -> Q:
    """The one definition of overdue, as a filter (`Appeal.is_overdue` is the same for one appeal): waiting
    for its handler (submitted, dispatched, responded, in progress) past its resolution deadline, or
    dispatched and not yet responded to past its response deadline. A resolved appeal waits for its caller's
    rating, not for its handler, and is never overdue; nor is a closed one, whatever happened before
    (`overdue_at` records when the escalation sweep found it past its resolution deadline)."""
    now = now or timezone.now()
    return Q(state__in=HANDLING_STATES, resolution_due_at__lt=now) | Q(
        state=State.DISPATCHED, response_due_at__lt=now
    )


class AppealQuerySet(models.QuerySet["Appeal"]):
    def open(self) -> AppealQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def overdue(self, now: datetime | None = None) -> AppealQuerySet:
        """The appeals overdue at `now` (default: now); see `overdue_q`."""
        return self.filter(overdue_q(now))


class Appeal(models.Model):
    """Anything a resident raises: a work order with its caller, place, handler and deadlines.

    Invariants: the state only moves along the lifecycle (services check `can_*` predicates and claim the row
    with a conditional UPDATE on `version`, so of two simultaneous actions exactly one wins); deadlines are
    fixed at dispatch from the category and the working-day calendar; a repeat of an open matter without new
    facts is linked (`repeat_of`) rather than becoming a new order; `idempotency_key` is unique, so a retried
    submission never creates a second appeal.
    """

    tracking_code = models.CharField(
        _("tracking code"), max_length=16, unique=True, default=new_tracking_code
    )
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=100, unique=True, null=True, blank=True
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT)
    description = models.TextField(_("description"), max_length=4000)

    # where
    unit = models.ForeignKey(
        "grid.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey(
        "grid.Unit",
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The street and village above `unit`, copied at intake: the monthly rankings group by them directly.
    street = models.ForeignKey(
        "grid.Unit",
        verbose_name=_("street"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    village = models.ForeignKey(
        "grid.Unit",
        verbose_name=_("village or community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    household = models.ForeignKey(
        "grid.Household", verbose_name=_("household"), null=True, blank=True, on_delete=models.PROTECT
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    long = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)

    # who called
    caller_name = models.CharField(_("caller's name"), max_length=50, blank=True)
    caller_phone = models.CharField(_("caller's phone"), max_length=20, blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("caller's account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals_raised",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals_recorded",
    )

    # who handles
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.SUBMITTED)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals_handled",
    )
    department = models.CharField(_("handling department"), max_length=100, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("escalated to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals_supervised",
    )
    overdue_at = models.DateTimeField(_("overdue since"), null=True, blank=True)
    # The escalation sweep's bookmark: the next moment something is due (a reminder, a deadline, the next
    # escalation) and how far this appeal's schedule has been worked through. See escalation.py.
    watch_at = models.DateTimeField(null=True, blank=True, editable=False)
    watched_until = models.DateTimeField(null=True, blank=True, editable=False)
    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("repeat of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="repeats",
    )

    # when
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    response_due_at = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolve by"), null=True, blank=True)
    deadline_exact = models.BooleanField(
        _("deadline from a known calendar"), default=True, help_text=_("False when Monday–Friday was assumed")
    )

    # outcome
    result = models.TextField(_("result"), blank=True)
    resolved_ok = models.BooleanField(_("resolved (caller's view)"), null=True, blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=10, choices=Satisfaction.choices, blank=True
    )
    rating_comment = models.TextField(_("caller's comment"), blank=True)

    # the pathologies kept visible beside the rates
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    return_count = models.PositiveSmallIntegerField(_("returned"), default=0)
    transfer_count = models.PositiveSmallIntegerField(_("transferred"), default=0)

    version = models.PositiveIntegerField(default=0)  # bumped by every transition (optimistic locking)

    objects = AppealQuerySet.as_manager()

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            # a handler's workbench: open appeals of one handler ordered by deadline
            models.Index(fields=["handler", "state", "resolution_due_at"], name="appeals_workbench"),
            # a unit's list and statistics by period (scope applied through unit)
            models.Index(fields=["unit", "submitted_at"], name="appeals_unit_time"),
            # district-wide reports and the future partition key
            models.Index(fields=["district", "submitted_at"], name="appeals_district_time"),
            # the monthly rankings of streets and of villages
            models.Index(fields=["street", "submitted_at"], name="appeals_street_time"),
            models.Index(fields=["village", "submitted_at"], name="appeals_village_time"),
            # the escalation sweep: open appeals past a deadline
            models.Index(fields=["state", "response_due_at"], name="appeals_response_due"),
            models.Index(fields=["state", "resolution_due_at"], name="appeals_resolution_due"),
            # the escalation sweep: what is due now
            models.Index(
                fields=["watch_at"], name="appeals_watch", condition=models.Q(watch_at__isnull=False)
            ),
            # an escalated appeal on its supervisor's workbench
            models.Index(
                fields=["escalated_to", "state"],
                name="appeals_supervisor",
                condition=models.Q(escalated_to__isnull=False),
            ),
            # rates per category and period
            models.Index(fields=["category", "submitted_at"], name="appeals_category_time"),
            # the insights rollup: all appeals of one month, grouped (minhu/insights/services.py)
            models.Index(fields=["submitted_at"], name="appeals_submitted_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(satisfaction="") | models.Q(confirmed_at__isnull=True),
                name="appeals_confirmed_has_rating",
            ),
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True) | models.Q(state__in=["closed", "merged"]),
                name="appeals_closed_at_only_when_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.category.name if self.category_id else ''}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @staticmethod
    def kind_answerable_on_spot(kind: str) -> bool:
        """Only a consultation (咨询) can be answered on the spot and closed at once: any other kind closed
        that way would count as responded to and resolved in time with nothing done."""
        return kind == Kind.CONSULT

    @property
    def answerable_on_spot(self) -> bool:
        """This appeal's kind may be answered on the spot (`kind_answerable_on_spot`)."""
        return self.kind_answerable_on_spot(self.kind)

    def is_overdue(self, now: datetime | None = None) -> bool:
        """Overdue at `now` (default: now): the one definition, `overdue_q`, for one appeal."""
        now = now or timezone.now()
        if self.state not in HANDLING_STATES:
            return False
        if self.resolution_due_at is not None and self.resolution_due_at < now:
            return True
        return bool(
            self.state == State.DISPATCHED and self.response_due_at is not None and self.response_due_at < now
        )

    def deadline_flag(self, now: datetime | None = None) -> str:
        """ "overdue", "due-soon" (the resolution deadline within DUE_SOON), or "" — for the workbench, the
        list and the export."""
        now = now or timezone.now()
        if self.is_overdue(now):
            return "overdue"
        due = self.resolution_due_at
        if self.state in HANDLING_STATES and due is not None and due - now < DUE_SOON:
            return "due-soon"
        return ""


class Attachment(models.Model):
    """A photo of the matter (from the caller) or of the result (from the handler)."""

    class Role(models.TextChoices):
        SUBMISSION = "submission", _("From the caller")
        RESULT = "result", _("Of the result")

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="attachments"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    image = models.ImageField(_("photo"), upload_to="appeals/%Y/%m/")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return str(self.image.name)

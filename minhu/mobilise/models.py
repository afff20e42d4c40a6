"""一呼百应 (call-outs) and 未呼先应 (care visits).

A call-out asks every party member of a unit's subtree to turn out for one job (the seed's snow squad of
来胜堡村: 50 party members, 3 days, 21 km of field roads and 1,500 greenhouses). A care plan says that a
household is visited by its 包户 party member every so many days; a missed visit climbs the responsibility
chain until someone goes.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# --- call-outs (一呼百应) ------------------------------------------------------------------------------


class CallOutQuerySet(models.QuerySet["CallOut"]):
    def open(self) -> CallOutQuerySet:
        return self.filter(state=CallOut.State.OPEN)


class CallOut(models.Model):
    """Staff call on the party members of a unit's subtree for one job, with measurable targets.

    Invariants: the roster (`CallOutMember`) is written once, when the call-out is raised: one row per party
    member of the subtree, each told once (in-app, deduplicated per call-out and person). A target's
    `progress` is the sum of the amounts reported for it (added with F() in the report's transaction). Once
    closed nothing changes any more, and `summary` holds the figures as they were at closing.
    """

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    unit = models.ForeignKey("grid.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(pgettext_lazy("call-out", "title"), max_length=100)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    head_count = models.PositiveIntegerField(_("people wanted"), default=1)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organiser"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="callouts_organised",
    )
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    closed_at = models.DateTimeField(pgettext_lazy("call-out", "closed at"), null=True, blank=True)
    closing_note = models.TextField(_("closing note"), max_length=2000, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    objects = CallOutQuerySet.as_manager()

    class Meta:
        verbose_name = _("call-out")
        verbose_name_plural = _("call-outs")
        ordering = ["-raised_at", "-id"]
        indexes = [
            # the list page: call-outs in the user's scope, open first, newest first
            models.Index(fields=["state", "raised_at"], name="mobilise_callout_state_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=["open", "closed"]), name="mobilise_callout_state"),
            models.CheckConstraint(condition=Q(head_count__gte=1), name="mobilise_callout_head_count"),
            models.CheckConstraint(
                condition=Q(state="closed", closed_at__isnull=False)
                | Q(state="open", closed_at__isnull=True),
                name="mobilise_callout_closed_at",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class CallOutTarget(models.Model):
    """One measurable result a call-out aims at ("field roads cleared, km, 21")."""

    callout = models.ForeignKey(
        CallOut, verbose_name=_("call-out"), on_delete=models.CASCADE, related_name="targets"
    )
    name = models.CharField(_("target"), max_length=100)
    unit_label = models.CharField(_("unit of measure"), max_length=20)
    goal = models.DecimalField(_("goal"), max_digits=12, decimal_places=2)
    progress = models.DecimalField(_("achieved"), max_digits=12, decimal_places=2, default=Decimal(0))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["callout", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(goal__gt=0), name="mobilise_target_goal_positive"),
            models.CheckConstraint(condition=Q(progress__gte=0), name="mobilise_target_progress_nonneg"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def percent(self) -> int:
        """Achieved as a whole percentage of the goal (may pass 100)."""
        return int(self.progress * 100 / self.goal) if self.goal else 0


class CallOutMember(models.Model):
    """A party member on a call-out's roster and their answer.

    `user` is the member's login when the call-out was raised (None: told by other means; the organiser
    records their answer). `answered_by` is the member themselves or the organiser who took the answer on
    the phone.
    """

    class Answer(models.TextChoices):
        INVITED = "invited", _("No answer yet")
        ACCEPTED = "accepted", _("Coming")
        DECLINED = "declined", _("Cannot come")

    callout = models.ForeignKey(
        CallOut, verbose_name=_("call-out"), on_delete=models.CASCADE, related_name="members"
    )
    party_member = models.ForeignKey(
        "grid.PartyMember", verbose_name=_("party member"), on_delete=models.PROTECT, related_name="+"
    )
    # a member's own call-outs: CallOutMember.objects.filter(user=...) (the foreign key's index)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="callout_memberships",
    )
    answer = models.CharField(_("answer"), max_length=10, choices=Answer.choices, default=Answer.INVITED)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answer recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("call-out member")
        verbose_name_plural = _("call-out members")
        ordering = ["callout", "id"]
        constraints = [
            # also serves the roster: CallOutMember.objects.filter(callout=...)
            models.UniqueConstraint(fields=["callout", "party_member"], name="mobilise_member_once"),
            models.CheckConstraint(
                condition=Q(answer__in=["invited", "accepted", "declined"]), name="mobilise_member_answer"
            ),
        ]

    def __str__(self) -> str:
        return str(self.party_member)


class CallOutTask(models.Model):
    """A piece of the job given by the organiser to a member who is coming."""

    callout = models.ForeignKey(
        CallOut, verbose_name=_("call-out"), on_delete=models.CASCADE, related_name="tasks"
    )
    text = models.CharField(_("task"), max_length=200)
    assignee = models.ForeignKey(
        CallOutMember, verbose_name=_("assigned to"), on_delete=models.PROTECT, related_name="tasks"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["callout", "done", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done=False, done_at__isnull=True) | Q(done=True, done_at__isnull=False),
                name="mobilise_task_done_at",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class ProgressReport(models.Model):
    """Work reported on a call-out: hours, amounts per target, a note. `member` None is the organiser's
    report for the squad as a whole."""

    callout = models.ForeignKey(
        CallOut, verbose_name=_("call-out"), on_delete=models.CASCADE, related_name="reports"
    )
    member = models.ForeignKey(
        CallOutMember,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    hours = models.DecimalField(_("hours worked"), max_digits=7, decimal_places=1, default=Decimal(0))
    note = models.TextField(_("note"), max_length=1000, blank=True)
    worked_on = models.DateField(_("worked on"))
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["callout", "-reported_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gte=0), name="mobilise_report_hours_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.callout} {self.worked_on}"


class ReportAmount(models.Model):
    """How much of one target a report achieved."""

    report = models.ForeignKey(
        ProgressReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="amounts"
    )
    target = models.ForeignKey(
        CallOutTarget, verbose_name=_("target"), on_delete=models.PROTECT, related_name="amounts"
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("reported amount")
        verbose_name_plural = _("reported amounts")
        constraints = [
            models.UniqueConstraint(fields=["report", "target"], name="mobilise_amount_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="mobilise_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.target}: {self.amount}"


# --- care visits (未呼先应) -----------------------------------------------------------------------------

# The grid's sensitive categories that put a household on a care plan, and the visit cadence (days) each
# asks for by default; a household with several takes the shortest. Staff may set any cadence per household.
CARE_FLAGS: dict[str, int] = {"elderly_alone": 7, "disability": 14, "low_income": 30}


class CarePlanQuerySet(models.QuerySet["CarePlan"]):
    def active(self) -> CarePlanQuerySet:
        return self.filter(ended_on__isnull=True)


class CarePlan(models.Model):
    """A household visited by its 包户 party member every `cadence_days` calendar days.

    Invariants: at most one active plan per household; `due_on` is always (`last_visited_on` or
    `started_on`) + `cadence_days` calendar days (the cadence is a rule in calendar days: a weekly visit is
    due seven days on, weekend or not; written by the services, so the due lists are indexed queries);
    `escalation_level` counts the chain levels already told about the visit due on `due_on` and drops back
    to 0 when a visit moves `due_on`. A missed visit climbs the chain on the working-day calendar: the plan is
    a watched kind of the core deadline engine ("mobilise.care", `watch_at`/`watched_until`, rewatched by
    every service that moves `due_on` or ends the plan). The reason for care (the grid's sensitive
    categories, `note`) is personal data: shown only to those who may reveal it, never put in an event.
    """

    class Source(models.TextChoices):
        FLAGS = "flags", _("From the grid's categories")
        MANUAL = "manual", _("Set by staff")

    household = models.ForeignKey(
        "grid.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="care_plans"
    )
    district = models.ForeignKey(
        "grid.Unit", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    cadence_days = models.PositiveSmallIntegerField(_("visit every (days)"), default=7)
    note = models.TextField(_("reason for care"), max_length=1000, blank=True)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    last_visited_on = models.DateField(_("last visited on"), null=True, blank=True)
    due_on = models.DateField(_("next visit due"))
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalation_done = models.BooleanField(_("escalated to the top"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # the deadline engine's bookmark (minhu.core.deadlines): the next moment due, and how far the missed
    # visit's schedule was worked through
    watch_at = models.DateTimeField(null=True, blank=True, editable=False)
    watched_until = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CarePlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("care plan")
        verbose_name_plural = _("care plans")
        ordering = ["due_on", "id"]
        indexes = [
            # the due lists: CarePlan.objects.active().filter(due_on__lt=...)
            models.Index(fields=["ended_on", "due_on"], name="mobilise_careplan_due"),
            # the deadline sweep: what has come due
            models.Index(
                fields=["watch_at"], name="mobilise_careplan_watch", condition=Q(watch_at__isnull=False)
            ),
            # partitioning and district-wide counts
            models.Index(fields=["district"], name="mobilise_careplan_district"),
        ]
        constraints = [
            # also serves a household's plan: CarePlan.objects.active().filter(household=...)
            models.UniqueConstraint(
                fields=["household"], condition=Q(ended_on__isnull=True), name="mobilise_careplan_one_active"
            ),
            models.CheckConstraint(
                condition=Q(cadence_days__gte=1, cadence_days__lte=365), name="mobilise_careplan_cadence"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="mobilise_careplan_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(source__in=["flags", "manual"]), name="mobilise_careplan_source"
            ),
        ]

    def __str__(self) -> str:
        return str(self.household)

    def next_due(self) -> date:
        """(`last_visited_on` or `started_on`) + `cadence_days` calendar days (the cadence's rule)."""
        return (self.last_visited_on or self.started_on) + timedelta(days=self.cadence_days)

    @property
    def is_active(self) -> bool:
        return self.ended_on is None


class CareVisit(models.Model):
    """A visit to a household on a care plan, recorded from a phone. A visit that did not meet the person
    (`not_met`) is kept but does not count: the visit stays due."""

    class Outcome(models.TextChoices):
        WELL = "well", _("Met, all well")
        NEEDS = "needs", _("Met, needs found")
        NOT_MET = "not_met", _("Did not meet them")

    COUNTING = (Outcome.WELL, Outcome.NEEDS)

    plan = models.ForeignKey(
        CarePlan, verbose_name=_("care plan"), on_delete=models.PROTECT, related_name="visits"
    )
    household = models.ForeignKey(
        "grid.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="care_visits"
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visitor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="care_visits",
    )
    visited_at = models.DateTimeField(_("visited at"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    needs = models.TextField(_("needs found"), max_length=2000, blank=True)
    follow_up = models.TextField(
        _("follow-up"), max_length=2000, blank=True, help_text=_("What should be done; may become an appeal")
    )
    recorded_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        verbose_name = _("care visit")
        verbose_name_plural = _("care visits")
        ordering = ["-visited_at", "-id"]
        indexes = [
            # a household's visit history, newest first
            models.Index(fields=["household", "visited_at"], name="mobilise_visit_household"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["well", "needs", "not_met"]), name="mobilise_visit_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.visited_at:%Y-%m-%d}"

    @property
    def counts(self) -> bool:
        return self.outcome in self.COUNTING


class CareEscalation(models.Model):
    """One level of the chain told that the visit due on `due_on` was missed. At most one row per plan,
    period and level: the sweep claims the level on the plan before writing it."""

    plan = models.ForeignKey(
        CarePlan, verbose_name=_("care plan"), on_delete=models.PROTECT, related_name="escalations"
    )
    due_on = models.DateField(_("visit due on"))
    level = models.PositiveSmallIntegerField(_("level"))
    role = models.CharField(_("role"), max_length=30)
    unit = models.ForeignKey(
        "grid.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    holders = models.JSONField(_("told"), default=list, blank=True)
    recipients = models.JSONField(_("logins told"), default=list, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("missed-visit escalation")
        verbose_name_plural = _("missed-visit escalations")
        ordering = ["plan", "due_on", "level"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "due_on", "level"], name="mobilise_escalation_once"),
            models.CheckConstraint(condition=Q(level__gte=1), name="mobilise_escalation_level"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.due_on} L{self.level}"


def care_cadence_for(flags: dict[str, Any]) -> int | None:
    """The default cadence for a household whose members carry `flags` (None: no care category)."""
    days = [CARE_FLAGS[f] for f in CARE_FLAGS if flags.get(f)]
    return min(days) if days else None

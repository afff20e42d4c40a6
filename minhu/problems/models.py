"""The problem list (问题清单): the shared problems of a community, each merged from the appeals that raised
it, decided one at a time at a consultation (一事一议) and struck off (销号) when solved."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Problem(models.Model):
    """One shared problem of a community. open → solved (struck off, callers told) or dismissed."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        SOLVED = "solved", _("Solved and struck off")
        DISMISSED = "dismissed", _("Dismissed")

    class Source(models.TextChoices):
        STAFF = "staff", _("Entered by staff")
        APPEAL = "appeal", _("From appeals")
        INSIGHT = "insight", _("From the monthly analysis")

    unit = models.ForeignKey(
        "grid.Unit", verbose_name=_("community"), on_delete=models.PROTECT, related_name="problems"
    )
    # the district of `unit`, kept for partitioning (DESIGN.md) like the appeals' own
    district = models.ForeignKey(
        "grid.Unit", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+", null=True
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    category = models.ForeignKey(
        "appeals.Category",
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.STAFF)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # a retried form or API call with the same key returns the problem it made the first time
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True, editable=False)
    resolution = models.TextField(_("how it was solved"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # kept by the services from the linked appeals (the list sorts and filters on them)
    appeal_count = models.PositiveIntegerField(_("appeals"), default=0)
    first_seen = models.DateTimeField(_("first seen"), null=True, blank=True)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-last_seen", "-id"]
        indexes = [
            # a community's list by state, most recently seen first
            models.Index(fields=["unit", "state", "last_seen"], name="problems_unit_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="open") | models.Q(closed_at__isnull=False),
                name="problems_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class ProblemAppeal(models.Model):
    """An appeal merged into a problem. An appeal belongs to at most one problem; it keeps its own caller,
    lifecycle and rating."""

    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="links"
    )
    appeal = models.OneToOneField(
        "appeals.Appeal", verbose_name=_("appeal"), on_delete=models.PROTECT, related_name="problem_link"
    )
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("merged by"), on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField(_("merged at"), default=timezone.now)

    class Meta:
        verbose_name = _("merged appeal")
        verbose_name_plural = _("merged appeals")
        ordering = ["problem", "merged_at", "id"]

    def __str__(self) -> str:
        return f"{self.problem_id} ← {self.appeal_id}"

"""The monthly rollup of appeals (place × category × month) and the adoption of candidates.

The rollup is a derived table: `services.rollup_refresh` rewrites one month of it from the appeals in one
transaction (delete + grouped insert), so it can be rebuilt at any time and a retried refresh changes
nothing. The analysis (`selectors.py`) reads only the rollup, never the appeals one by one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    """The places of the analysis: the appeal's street, its village or community (both copied onto the
    appeal at intake), or its own unit (a grid: area, estate or block, or the village itself)."""

    STREET = "street", _("Streets")
    VILLAGE = "village", _("Villages and communities")
    GRID = "grid", _("Grids")


class MonthlyCell(models.Model):
    """How many appeals (repeats linked to an open matter left out) were located at `place` — the
    appeal's street, village or own unit, per `level` — in `category`, submitted in the local month
    starting `month`. One row per level × place × category × month, so an analysis at any level reads one
    row per candidate and month, never the units below it."""

    month = models.DateField(_("month"))
    level = models.CharField(_("level"), max_length=7, choices=Level.choices)
    # Derived rows, rewritten a month at a time: no foreign-key constraints or per-column indexes to pay for
    # on each of a city's ≈0.8 M rows a month (a place with appeals cannot be deleted: appeals protect it).
    place = models.ForeignKey(
        "grid.Unit", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    category = models.ForeignKey(
        "appeals.Category", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    appeals = models.PositiveIntegerField(_("appeals"))

    class Meta:
        verbose_name = _("monthly count")
        verbose_name_plural = _("monthly counts")
        constraints = [
            # The one index: a month's rows are appended at its end; it serves the candidates (the cells of
            # one level in three months) and the history of a few place × category pairs (month by month).
            models.UniqueConstraint(
                fields=["month", "level", "place", "category"], name="insights_cell_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.level} {self.place_id} {self.category_id}: {self.appeals}"


class PlaceSize(models.Model):
    """The households on record under a unit (its whole subtree), as of the last rollup refresh: the
    denominator of "appeals per 1,000 households", read with the cells instead of counting millions of
    households per page."""

    unit = models.OneToOneField(
        "grid.Unit", primary_key=True, on_delete=models.CASCADE, related_name="insights_size"
    )
    households = models.PositiveIntegerField(_("households"))

    class Meta:
        verbose_name = _("households under a unit")
        verbose_name_plural = _("households under units")

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.households}"


class CallerCell(models.Model):
    """A caller who called `calls` times (repeats linked to an open matter included) about one category from
    one unit in one month — kept only when `calls` >= 2. The caller is a keyed hash of the phone number, or
    the household when no phone was given; the phone itself is never stored here, only its masked form."""

    month = models.DateField(_("month"))
    unit = models.ForeignKey("grid.Unit", on_delete=models.CASCADE, related_name="+")
    street = models.ForeignKey("grid.Unit", null=True, on_delete=models.CASCADE, related_name="+")
    village = models.ForeignKey("grid.Unit", null=True, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey("appeals.Category", on_delete=models.CASCADE, related_name="+")
    phone_hash = models.CharField(max_length=32, blank=True)
    phone_masked = models.CharField(max_length=20, blank=True)
    household = models.ForeignKey("grid.Household", null=True, on_delete=models.CASCADE, related_name="+")
    calls = models.PositiveIntegerField(_("calls"))

    class Meta:
        verbose_name = _("repeat caller")
        verbose_name_plural = _("repeat callers")
        indexes = [
            # the analysis: repeat callers of one month
            models.Index(fields=["month", "calls"], name="insights_caller_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.phone_masked or self.household_id}: {self.calls}"


class RollupMonth(models.Model):
    """When each month of the rollup was last rewritten (the periodic job's bookkeeping)."""

    month = models.DateField(_("month"), unique=True)
    refreshed_at = models.DateTimeField(_("refreshed at"))
    appeals = models.PositiveIntegerField(_("appeals"), default=0)

    class Meta:
        verbose_name = _("rollup month")
        verbose_name_plural = _("rollup months")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class Adoption(models.Model):
    """The decision "candidate adopted": the place × category of one month was made a problem. Unique per
    place, category and month, so a retried adoption returns the first one and the candidate is not offered
    again. `problem_id` is the problem created by minhu.problems (no foreign key: insights does not depend on
    that app)."""

    month = models.DateField(_("month"))
    unit = models.ForeignKey("grid.Unit", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(
        "appeals.Category", verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    problem_id = models.BigIntegerField(_("problem"), null=True, blank=True)
    score = models.FloatField(_("score"), default=0)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("adopted by"), on_delete=models.PROTECT, related_name="+"
    )
    adopted_at = models.DateTimeField(_("adopted at"), default=timezone.now)

    class Meta:
        verbose_name = _("adopted candidate")
        verbose_name_plural = _("adopted candidates")
        constraints = [
            models.UniqueConstraint(fields=["month", "unit", "category"], name="insights_adoption_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.unit_id} {self.category_id}"

"""The one working-day calendar every deadline is computed with.

Sources, in order: days staff entered (`CalendarDay`), then the statutory schedule shipped in the
`chinesecalendar` package, then Monday–Friday. A year that neither source knows is computed Monday–Friday and
reported in `Deadline.fallback_years` so that pages can warn; it never raises.

Periods follow the Civil Code: a period counted in days does not count its first day (art. 201), ends at 24:00
of its last day, and a last day that falls on a rest day moves to the next working day (art. 203).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from minhu.core.models import CalendarDay, CalendarYear

SHIPPED = "shipped"
ENTERED = "entered"
FALLBACK = "fallback"


def _shipped_years() -> frozenset[int]:
    years = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    return frozenset(years)


_SHIPPED_YEARS = _shipped_years()


@dataclass(frozen=True)
class Deadline:
    at: datetime  # an aware datetime (UTC)
    fallback_years: tuple[int, ...] = ()

    @property
    def is_exact(self) -> bool:
        """False when part of the period lay in a year with no schedule (Monday–Friday was assumed)."""
        return not self.fallback_years


@dataclass
class WorkCalendar:
    """An in-memory view of the calendar; build it with `work_calendar()` and reuse it for a batch."""

    overrides: dict[date, bool] = field(default_factory=dict)  # date → is a working day
    entered_years: frozenset[int] = frozenset()
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo(settings.TIME_ZONE))

    def year_source(self, year: int) -> str:
        if year in self.entered_years:
            return ENTERED
        if year in _SHIPPED_YEARS:
            return SHIPPED
        return FALLBACK

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.year in _SHIPPED_YEARS:
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def roll_forward(self, day: date) -> date:
        """`day` if it is a working day, else the first working day after it: a period whose last day falls
        on a rest day ends on the next working day (Civil Code art. 203)."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def end_of_day(self, day: date) -> datetime:
        """The end of `day` (24:00, as 23:59:59 in the calendar's zone), an aware datetime: when a period
        whose last day is `day` runs out. Combine with `roll_forward` for a deadline given as a date."""
        return datetime.combine(day, time(23, 59, 59), self.tz)

    def _local_date(self, start: datetime) -> date:
        return timezone.localtime(start, self.tz).date()

    def _deadline(self, first: date, last: date, end: datetime) -> Deadline:
        years = sorted({y for y in range(first.year, last.year + 1) if self.year_source(y) == FALLBACK})
        return Deadline(at=end, fallback_years=tuple(years))

    def add_working_days(self, start: datetime, days: int) -> Deadline:
        """The end (24:00, as 23:59:59 local) of the `days`-th working day after the day of `start`."""
        if days < 1:
            raise ValueError("a period in working days is at least 1 day")
        d0 = self._local_date(start)
        d, counted = d0, 0
        while counted < days:
            d += timedelta(days=1)
            if self.is_working_day(d):
                counted += 1
        return self._deadline(d0, d, self.end_of_day(d))

    def add_days(self, start: datetime, days: int) -> Deadline:
        """`days` calendar days after the day of `start`; a last day that is a rest day moves to the next
        working day (Civil Code art. 203)."""
        if days < 1:
            raise ValueError("a period in days is at least 1 day")
        d0 = self._local_date(start)
        d = self.roll_forward(d0 + timedelta(days=days))
        return self._deadline(d0, d, self.end_of_day(d))

    def add_hours(self, start: datetime, hours: float) -> Deadline:
        """Clock hours: emergencies run through nights and holidays."""
        return Deadline(at=start + timedelta(hours=hours))

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many days of a working-day period have elapsed."""
        n, d = 0, start
        while d < end:
            d += timedelta(days=1)
            n += self.is_working_day(d)
        return n


_cache: dict[str, object] = {}


def work_calendar() -> WorkCalendar:
    """The calendar with staff entries loaded; cached per process until an entry changes (one cheap query
    checks that)."""
    stamp = (
        CalendarDay.objects.aggregate(n=Count("id"), t=Max("changed_at")),
        CalendarYear.objects.aggregate(n=Count("id"), t=Max("changed_at")),
    )
    cached = _cache.get("calendar")
    if isinstance(cached, WorkCalendar) and _cache.get("stamp") == stamp:
        return cached
    cal = WorkCalendar(
        overrides={
            d: kind == CalendarDay.Kind.WORKDAY for d, kind in CalendarDay.objects.values_list("date", "kind")
        },
        entered_years=frozenset(CalendarYear.objects.values_list("year", flat=True)),
    )
    _cache["calendar"], _cache["stamp"] = cal, stamp
    return cal


def years_without_schedule(years: list[int]) -> list[int]:
    """Which of these years fall back to Monday–Friday (for warnings on pages)."""
    cal = work_calendar()
    return [y for y in years if cal.year_source(y) == FALLBACK]

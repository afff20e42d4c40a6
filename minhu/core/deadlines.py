"""The one watched-deadline engine: everything with a due moment (appeal deadlines, action items of
meetings, care visits, and later plan milestones, loans, bookings and whistle calls) is watched here.

A **watched kind** (a subclass of `Watched`, registered in its app's `AppConfig.ready()`) says, for one
model:

- `schedule(obj)`: every moment of the object's current schedule (`Moment(at, what, level)`), computed from
  its own fields — on the working-day calendar (`minhu.core.workdays`, `ladder_working_days`), or in calendar
  days only where a rule says calendar days (`ladder_calendar_days`, so named);
- `start(obj)`: where its watch begins when it has none yet (its creation, its dispatch);
- `handle(obj, moment, report)`: what a moment does (a reminder, marking it overdue, escalating up the
  answering chain) — events and notifications, each notification with a dedupe key;
- `due()`: the queryset the sweep reads, with what `handle` needs joined in.

The model carries two fields: `watch_at` (the next moment to act on; indexed; NULL when nothing is pending)
and `watched_until` (the bookmark: every moment up to it has been handled). After any change of an object
that moves its schedule, its service calls `rewatch()`.

**The sweep** (`sweep`, `sweep_all`) is set-based: one transaction per batch selects the due rows
(`watch_at <= now`, oldest first) and claims them all — `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so
concurrent workers take disjoint batches; SQLite's immediate transactions let one writer in at a time —,
works through every moment in (`watched_until`, now] of each row inside a savepoint, and writes every row's
new bookmark with one `bulk_update`. A crash before commit rolls the batch back and the next sweep does it
again; the dedupe keys mean even a redo sends nothing twice. A row whose handling raises is rolled back
alone (its savepoint), logged, counted in `failed`, and retried after `RETRY_AFTER`.
"""

from __future__ import annotations

import logging
from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, TypeVar

from django.db import connections, models, router, transaction
from django.db.models import QuerySet
from django.utils import timezone

from minhu.core.workdays import WorkCalendar, work_calendar

log = logging.getLogger("minhu.deadlines")

M = TypeVar("M", bound=models.Model)

RETRY_AFTER = timedelta(minutes=5)

# The working-day calendar of the sweep under way (read once per sweep, not once per schedule).
_sweep_calendar: ContextVar[WorkCalendar | None] = ContextVar("deadlines_sweep_calendar", default=None)


def current_calendar() -> WorkCalendar:
    """The working-day calendar a schedule is computed on: inside a sweep, the one read when it began;
    elsewhere (a service's `rewatch`) the cached calendar, `work_calendar()`."""
    return _sweep_calendar.get() or work_calendar()


@dataclass(frozen=True)
class Moment:
    """One moment of a schedule: when, what happens (a name the kind's `handle` knows), and the level of an
    escalation (0 for anything else)."""

    at: datetime
    what: str
    level: int = 0


@dataclass
class SweepReport:
    """What one sweep of one kind did: rows worked through, rows that failed, and what the kind's `handle`
    tallied (`report.tally("escalations")`; read back as `report["escalations"]`, 0 when never tallied)."""

    kind: str
    objects: int = 0
    failed: int = 0
    handled: Counter[str] = field(default_factory=Counter)
    # Per-sweep memo for the kinds (the answering chain above a block is read once per sweep, not per row; a
    # reassignment made during the sweep is seen by the next one).
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    def tally(self, name: str, n: int = 1) -> None:
        self.handled[name] += n

    def __getitem__(self, name: str) -> int:
        return self.handled[name]

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "objects": self.objects, "failed": self.failed, **dict(self.handled)}


class Watched(Generic[M]):
    """A kind of thing the engine watches. Subclasses set `name` and `model` and implement `schedule`,
    `start` and `handle` (see the module docstring); `due` may add joins."""

    name: ClassVar[str]
    model: type[M]
    batch: ClassVar[int] = 200

    def due(self) -> QuerySet[M]:
        return self.model._default_manager.all()

    def schedule(self, obj: M) -> list[Moment]:
        raise NotImplementedError

    def start(self, obj: M) -> datetime:
        raise NotImplementedError

    def handle(self, obj: M, moment: Moment, report: SweepReport) -> None:
        raise NotImplementedError

    # --- derived; not meant to be overridden ---

    def next_watch(self, obj: M, after: datetime) -> datetime | None:
        """The first moment of the object's schedule after `after` (None: nothing more to watch)."""
        return min((m.at for m in self.schedule(obj) if m.at > after), default=None)

    def moments_between(self, obj: M, since: datetime, until: datetime) -> list[Moment]:
        """The moments in (since, until], in time order."""
        return sorted(
            (m for m in self.schedule(obj) if since < m.at <= until), key=lambda m: (m.at, m.level, m.what)
        )


_registry: dict[str, Watched[Any]] = {}


def register(kind: Watched[Any]) -> Watched[Any]:
    """Add a watched kind (from its app's `AppConfig.ready()`); the same name again replaces it."""
    _registry[kind.name] = kind
    return kind


def watched_kinds() -> list[Watched[Any]]:
    return list(_registry.values())


def kind_named(name: str) -> Watched[Any]:
    return _registry[name]


def rewatch(kind: Watched[M], obj: M, *, restart: bool = False) -> None:
    """After a change that moves the object's schedule: its next moment after the bookmark. `restart` begins a
    new cycle from `kind.start(obj)` (a new dispatch, a reopen); otherwise the bookmark is kept, so a moment
    already due but not yet swept is still handled by the next sweep. One UPDATE."""
    until = getattr(obj, "watched_until", None)
    if restart or until is None:
        until = kind.start(obj)
    watch_at = kind.next_watch(obj, until)
    obj.watched_until = until  # type: ignore[attr-defined]
    obj.watch_at = watch_at  # type: ignore[attr-defined]
    type(obj)._default_manager.filter(pk=obj.pk).update(watch_at=watch_at, watched_until=until)


def _claim_batch(kind: Watched[M], now: datetime, limit: int) -> list[M]:
    qs = kind.due().filter(watch_at__isnull=False, watch_at__lte=now).order_by("watch_at", "pk")
    features = connections[router.db_for_write(kind.model)].features
    if features.has_select_for_update_skip_locked:
        of = ("self",) if features.has_select_for_update_of else ()
        qs = qs.select_for_update(skip_locked=True, of=of)
    return list(qs[:limit])


def _sweep_batch(kind: Watched[M], now: datetime, limit: int, report: SweepReport) -> int:
    with transaction.atomic():
        rows = _claim_batch(kind, now, limit)
        for obj in rows:
            since: datetime = getattr(obj, "watched_until", None) or kind.start(obj)
            try:
                with transaction.atomic():  # a savepoint: one row's failure leaves the batch alone
                    for moment in kind.moments_between(obj, since, now):
                        kind.handle(obj, moment, report)
            except Exception:
                log.exception("deadline sweep of %s %s failed; retried later", kind.name, obj.pk)
                report.failed += 1
                obj.watched_until = since  # type: ignore[attr-defined]
                obj.watch_at = now + RETRY_AFTER  # type: ignore[attr-defined]
            else:
                obj.watched_until = now  # type: ignore[attr-defined]
                obj.watch_at = kind.next_watch(obj, now)  # type: ignore[attr-defined]
            report.objects += 1
        if rows:
            kind.model._default_manager.bulk_update(rows, ["watch_at", "watched_until"])
    return len(rows)


def sweep(
    kind: Watched[M],
    *,
    now: datetime | None = None,
    limit: int | None = None,
    batches: int | None = None,
    report: SweepReport | None = None,
) -> SweepReport:
    """Work through every object of `kind` whose next moment has come, in batches of `limit` (each one
    transaction); at most `batches` of them when given (the bench sweeps within a time budget), adding to
    `report` when given."""
    now = now or timezone.now()
    limit = limit or kind.batch
    report = report or SweepReport(kind=kind.name)
    done = 0
    token = _sweep_calendar.set(work_calendar())  # read once: every schedule of this sweep uses it
    try:
        while _sweep_batch(kind, now, limit, report) == limit:
            done += 1
            if batches is not None and done >= batches:
                break
    finally:
        _sweep_calendar.reset(token)
    return report


def sweep_all(*, now: datetime | None = None) -> list[SweepReport]:
    """Sweep every registered kind (the periodic job)."""
    now = now or timezone.now()
    return [sweep(kind, now=now) for kind in watched_kinds()]


# --- ladders: the moments of an escalation ----------------------------------------------------------------


def ladder_working_days(
    first: datetime,
    *,
    levels: int,
    every: int = 1,
    what: str = "escalate",
    calendar: WorkCalendar | None = None,
) -> list[Moment]:
    """Level 1 at `first`, each further level `every` working days later (at the end of that working day, as
    the calendar counts periods). Without `calendar`, the sweep's (`current_calendar()`)."""
    cal = calendar or current_calendar()
    return [
        Moment(first if level == 1 else cal.add_working_days(first, every * (level - 1)).at, what, level)
        for level in range(1, levels + 1)
    ]


def ladder_elapsed(first: datetime, *, step: timedelta, levels: int, what: str = "escalate") -> list[Moment]:
    """Level 1 at `first`, each further level `step` of elapsed time later (a window already measured on the
    calendar, such as an appeal's response window: an emergency's one hour escalates hourly)."""
    return [Moment(first + step * (level - 1), what, level) for level in range(1, levels + 1)]


def ladder_calendar_days(first: datetime, *, days: int, levels: int, what: str = "escalate") -> list[Moment]:
    """Level 1 at `first`, each further level `days` calendar days later — only where a rule says calendar
    days."""
    return ladder_elapsed(first, step=timedelta(days=days), levels=levels, what=what)


# --- what kinds share when a moment is handled -----------------------------------------------------------


def mark_overdue(obj: models.Model, moment: Moment, *, verb: str, report: SweepReport) -> None:
    """The object is past its deadline: `overdue_at` set to the moment (once; the field is the kind's), one
    system event `verb`, counted as "overdue"."""
    from minhu.core.services import event_record

    obj.overdue_at = moment.at  # type: ignore[attr-defined]
    type(obj)._default_manager.filter(pk=obj.pk).update(overdue_at=moment.at)
    event_record(
        actor=None, actor_label="system", verb=verb, target=obj, after={"overdue_at": moment.at.isoformat()}
    )
    report.tally("overdue")

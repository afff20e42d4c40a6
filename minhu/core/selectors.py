"""Reads of core's data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Q, QuerySet
from django.utils import timezone

from minhu.core.models import Heartbeat, Notification
from minhu.core.types import Viewer


@dataclass(frozen=True)
class Health:
    database: str
    migrations: str
    worker: str
    worker_last_seen: datetime | None
    worker_age_seconds: int | None

    @property
    def ok(self) -> bool:
        return self.database == "ok" and self.migrations == "ok"

    @property
    def status(self) -> str:
        if not self.ok:
            return "fail"
        return "ok" if self.worker == "ok" else "degraded"


def health_read() -> Health:
    """Database reachable, migrations applied, and how long ago the worker last beat."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "unreachable"
        return Health(f"error: {type(exc).__name__}", "unknown", "unknown", None, None)
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    migrations = "ok" if not plan else f"{len(plan)} unapplied"
    beat = Heartbeat.objects.filter(name="worker").first() if not plan else None
    if beat is None:
        return Health("ok", migrations, "missing", None, None)
    age = int((timezone.now() - beat.beat_at).total_seconds())
    worker = "ok" if age <= settings.WORKER_STALE_SECONDS else "stale"
    return Health("ok", migrations, worker, beat.beat_at, age)


# Who may see which undelivered messages is a question of roles and the grid, which lie above core: the grid
# answers it (registered from GridConfig.ready()); without it only superusers see any.
_undelivered_scope: Callable[[Any], Q | None] | None = None


def register_undelivered_scope(rule: Callable[[Any], Q | None]) -> None:
    global _undelivered_scope
    _undelivered_scope = rule


def undelivered_scope_q(user: Viewer) -> Q | None:
    """Which undelivered messages `user` may see and retry (the failures page), or None for none at all (the
    rule: `minhu.grid.selectors.undelivered_notifications_q`)."""
    if _undelivered_scope is not None:
        return _undelivered_scope(user)
    return Q() if getattr(user, "is_superuser", False) else None


def undelivered_for(user: Viewer) -> tuple[list[Notification], list[Notification]]:
    """The failed messages (newest first) and those still being retried (next first) that `user` may see;
    at most 200 of each."""
    q = undelivered_scope_q(user)
    if q is None:
        return [], []
    mine: QuerySet[Notification] = Notification.objects.filter(q).select_related("recipient")
    failed = list(mine.filter(state=Notification.State.FAILED).order_by("-created_at")[:200])
    retrying = list(
        mine.filter(state=Notification.State.PENDING, attempts__gt=0).order_by("next_attempt_at")[:200]
    )
    return failed, retrying

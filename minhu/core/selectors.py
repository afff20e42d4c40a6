"""Reads of core's data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from minhu.core.models import Heartbeat


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

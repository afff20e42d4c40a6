"""Reads of core's data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Q, QuerySet
from django.utils import timezone

from minhu.accounts.roles import Role
from minhu.core.models import Heartbeat, Notification
from minhu.grid.models import Person, Post, Responsibility, subtree_q
from minhu.grid.selectors import scope_for


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


def undelivered_scope_q(user: Any) -> Q | None:
    """Which undelivered messages `user` may see and retry (the failures page), or None for none at all.

    Street and district staff see the messages whose recipient lies in their scope (holds a post or a
    responsibility there, or lives in a household of it) or whose subject does (`about_path`, the unit the
    message is about, e.g. a caller's SMS about their appeal); system administrators (and superusers), who
    run the gateways, see every one. Everyone else, security auditors included, sees none: auditors read
    each retry in the audit log instead (docs/security.md).
    """
    roles = user.roles() if getattr(user, "is_authenticated", False) else set()
    if user.is_superuser or Role.ADMINISTRATOR in roles:
        return Q()
    if not roles & {Role.STREET_STAFF, Role.DISTRICT_STAFF}:
        return None
    scope = scope_for(user)
    if scope.everything:
        return Q()
    day = timezone.localdate()
    posts = Post.objects.filter(
        scope.unit_q("unit__"), Q(end__isnull=True) | Q(end__gt=day), start__lte=day
    ).values("user_id")
    answering = Responsibility.objects.active(day).filter(scope.unit_q("unit__"))
    residents = Person.objects.filter(scope.household_q("household__"), user__isnull=False).values("user_id")
    return (
        subtree_q("about_path", *scope.paths)
        | Q(recipient__in=posts)
        | Q(recipient__in=answering.filter(user__isnull=False).values("user_id"))
        | Q(recipient__in=answering.filter(person__user__isnull=False).values("person__user_id"))
        | Q(recipient__in=residents)
    )


def undelivered_for(user: Any) -> tuple[list[Notification], list[Notification]]:
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

"""Background jobs of core. Jobs are idempotent and safe to run in several workers at once."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django_tasks import task

from minhu.core import context
from minhu.core.outbox import outbox_deliver_due


@task()
def deliver_notifications() -> dict[str, int]:
    """Deliver due notifications (queued after each commit that adds some, and swept periodically)."""
    return asdict(outbox_deliver_due())


@task()
def send_digests() -> dict[str, int]:
    """Queue the daily digests whose hour has come (idempotent; see notification_digests_send)."""
    from minhu.core.services import notification_digests_send

    return {"digests": notification_digests_send()}


@task()
def sweep_deadlines() -> list[dict[str, Any]]:
    """Every watched deadline that has come due, of every registered kind (minhu.core.deadlines)."""
    from minhu.core.deadlines import sweep_all

    with context.bind():
        return [report.as_dict() for report in sweep_all()]

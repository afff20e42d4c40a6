"""Background jobs of the meetings app (queued periodically by the worker's scheduler; idempotent)."""

from __future__ import annotations

from dataclasses import asdict

from django_tasks import task

from minhu.core import context
from minhu.meetings.escalation import actions_sweep


@task()
def escalate_actions() -> dict[str, int]:
    """Reminders, overdue marking and escalations of action items that have come due (docs/meetings.md)."""
    with context.bind():
        return asdict(actions_sweep())

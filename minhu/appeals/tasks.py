"""Background jobs of the appeals app (queued periodically by the worker's scheduler; idempotent)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django_tasks import task

from minhu.appeals.services.escalation import escalation_sweep


@task()
def escalate_appeals() -> dict[str, Any]:
    """Reminders, escalations and overdue marking that have come due (docs/appeals.md, Escalation)."""
    report = asdict(escalation_sweep())
    report.pop("details", None)
    return report

"""Background jobs of call-outs and care visits. Idempotent and safe to run in several workers at once.

Missed care visits are a watched kind of the core deadline engine ("mobilise.care"), swept by
`minhu.core.tasks.sweep_deadlines` with every other kind; this app's own job only keeps the care plans in
step with the grid's categories."""

from __future__ import annotations

from django_tasks import task

from minhu.core import context
from minhu.mobilise.services import care_plans_sync


@task()
def sync_care_plans() -> dict[str, int]:
    """Put newly flagged households on care plans, and end those no longer flagged. Queued periodically
    (settings.PERIODIC_TASKS)."""
    with context.bind():
        synced = care_plans_sync()
    return {"plans_created": synced.created, "plans_ended": synced.ended}

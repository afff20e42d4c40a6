"""Background jobs of call-outs and care visits. Idempotent and safe to run in several workers at once."""

from __future__ import annotations

from django_tasks import task

from minhu.core import context
from minhu.mobilise.services import care_escalate_missed, care_plans_sync


@task()
def care_visits_sweep() -> dict[str, int]:
    """Put newly flagged households on care plans (and end those no longer flagged), then escalate missed
    visits up the chain. Queued periodically (settings.PERIODIC_TASKS)."""
    with context.bind():
        synced = care_plans_sync()
        told = care_escalate_missed()
    return {"plans_created": synced.created, "plans_ended": synced.ended, "levels_told": told}

"""Background jobs of insights (queued periodically by the worker's scheduler; idempotent)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from minhu.insights.services import rollup_refresh_due


@task()
def refresh_rollup() -> dict[str, Any]:
    """Rewrite the months of the rollup that are missing or stale (docs/insights.md)."""
    return {"months": rollup_refresh_due().months}

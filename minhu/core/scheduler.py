"""The periodic scheduler: queues each job of `settings.PERIODIC_TASKS` once per `settings.PERIODIC_SECONDS`
through the django-tasks API (`task.enqueue()`), whatever the task backend is.

It imports no backend. Its bookkeeping is core's own table (`PeriodicJob`, one row per job): a caller claims
a job's next period with a conditional UPDATE on the time it read, so however many workers call
`periodic_enqueue_due` at once, each job is queued once per period. A job whose last result the backend can
report as still waiting (`supports_get_result` and status READY) is not queued again behind itself; the
period counts as done. If queuing fails (a broker away), the claim is given back and the next call retries.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks.exceptions import TaskResultDoesNotExist, TaskResultMismatch

from minhu.core.models import PeriodicJob

log = logging.getLogger("minhu.scheduler")


def periodic_tasks() -> dict[str, Task[..., Any]]:
    """The tasks named by `settings.PERIODIC_TASKS`, by path; a name that is not a task is a setting error."""
    tasks: dict[str, Task[..., Any]] = {}
    for path in settings.PERIODIC_TASKS:
        try:
            found = import_string(path)
        except ImportError as exc:
            raise ImproperlyConfigured(f"PERIODIC_TASKS: cannot import {path!r} ({exc})") from exc
        if not isinstance(found, Task):
            raise ImproperlyConfigured(f"PERIODIC_TASKS: {path!r} is not a task (decorate it with @task())")
        tasks[path] = found
    return tasks


def _still_waiting(task: Task[..., Any], result_id: str) -> bool:
    if not result_id or not task.get_backend().supports_get_result:
        return False
    try:
        return task.get_result(result_id).status == TaskResultStatus.READY
    except (TaskResultDoesNotExist, TaskResultMismatch):
        return False


def _jobs(paths: list[str]) -> dict[str, PeriodicJob]:
    """The bookkeeping rows of `paths` as they are now, creating the missing ones."""
    rows = {j.task_path: j for j in PeriodicJob.objects.filter(task_path__in=paths)}
    if len(rows) < len(paths):
        PeriodicJob.objects.bulk_create(
            [PeriodicJob(task_path=p) for p in paths if p not in rows], ignore_conflicts=True
        )
        rows = {j.task_path: j for j in PeriodicJob.objects.filter(task_path__in=paths)}
    return rows


def periodic_enqueue_due(*, now: datetime | None = None, seconds: float | None = None) -> list[str]:
    """Queue every periodic job whose last queuing is at least `seconds` (default PERIODIC_SECONDS) old, or
    that was never queued. Returns the paths this call queued (a job claimed by another caller, or skipped
    because its last run is still waiting, is not among them)."""
    now = now or timezone.now()
    period = timedelta(seconds=settings.PERIODIC_SECONDS if seconds is None else seconds)
    tasks = periodic_tasks()
    rows = _jobs(list(tasks))
    me = {"host": socket.gethostname()[:255], "pid": os.getpid()}
    queued = []
    for path, task in tasks.items():
        job = rows[path]
        if job.enqueued_at is not None and job.enqueued_at > now - period:
            continue
        # The claim: only the caller whose UPDATE still finds the value it read wins this period.
        if not PeriodicJob.objects.filter(pk=job.pk, enqueued_at=job.enqueued_at).update(
            enqueued_at=now, **me
        ):
            continue
        if _still_waiting(task, job.result_id):
            continue
        try:
            result = task.enqueue()
        except Exception:  # any backend's failure to queue: give the period back, keep the other jobs going
            log.exception("periodic job %s not queued", path)
            PeriodicJob.objects.filter(pk=job.pk, enqueued_at=now).update(enqueued_at=job.enqueued_at)
            continue
        PeriodicJob.objects.filter(pk=job.pk, enqueued_at=now).update(result_id=str(result.id)[:64])
        queued.append(path)
    return queued

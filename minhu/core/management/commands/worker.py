"""`minhu worker`: run the configured task backend's worker, queue the periodic jobs and report a heartbeat.

The backend is `settings.TASKS["default"]["BACKEND"]`; `RUNNERS` maps it to what runs that backend's worker
(a broker-based backend adds its entry here). The heartbeat thread writes the `worker` heartbeat for /healthz
and calls the scheduler (`minhu.core.scheduler`), which queues through the task API and knows no backend.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

from minhu.core.scheduler import periodic_enqueue_due
from minhu.core.services import heartbeat_beat

log = logging.getLogger("minhu.worker")

Runner = Callable[[dict[str, Any], threading.Event], None]


def run_database_worker(options: dict[str, Any], stop: threading.Event) -> None:
    """django-tasks-db: its `db_worker` command drains the queue table (every queue)."""
    args = ["--interval", str(options["interval"]), "--queue-name", "*"]
    if options["batch"]:
        args.append("--batch")
    call_command("db_worker", *args)


def run_inline(options: dict[str, Any], stop: threading.Event) -> None:
    """The immediate backend runs each job as it is queued: the worker only keeps the scheduler and the
    heartbeat going (with --batch, the first round, already done, is all)."""
    if not options["batch"]:
        stop.wait()


RUNNERS: dict[str, Runner] = {
    "django_tasks_db.DatabaseBackend": run_database_worker,
    "django_tasks_db.backend.DatabaseBackend": run_database_worker,
    "django_tasks.backends.immediate.ImmediateBackend": run_inline,
}


def runner_for(backend: str) -> Runner:
    """What runs the worker of `backend` (a dotted path as written in TASKS); a clear error otherwise."""
    if backend in RUNNERS:
        return RUNNERS[backend]
    # the same class under another of its import paths (e.g. a package's re-export)
    cls = type(task_backends[DEFAULT_TASK_BACKEND_ALIAS])
    resolved = f"{cls.__module__}.{cls.__qualname__}"
    if resolved in RUNNERS:
        return RUNNERS[resolved]
    known = ", ".join(sorted(RUNNERS))
    raise CommandError(
        f'No worker is known for the task backend {backend!r} (settings.TASKS["default"]["BACKEND"], '
        f"MINHU_TASKS_BACKEND). Known backends: {known}."
    )


def _beat_once() -> None:
    try:
        heartbeat_beat(name="worker")
        periodic_enqueue_due()
    except DatabaseError:  # a busy database must not kill the worker; the next beat will do
        log.warning("heartbeat not written", exc_info=True)


def _beat_forever(stop: threading.Event, interval: float) -> None:
    """Heartbeat for /healthz, and the timer for periodic jobs (the scheduler claims each job per period)."""
    while not stop.wait(interval):
        try:
            _beat_once()
        finally:
            connection.close()  # this thread's own connection, not held between beats


class Command(BaseCommand):
    help = "Run background jobs with the configured task backend; reports a heartbeat for /healthz."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between queue polls")
        parser.add_argument("--batch", action="store_true", help="exit when the queue is empty")

    def handle(self, *args: Any, **options: Any) -> None:
        run = runner_for(str(settings.TASKS[DEFAULT_TASK_BACKEND_ALIAS]["BACKEND"]))
        _beat_once()  # the first round before the queue is drained, so --batch runs the due periodic jobs too
        stop = threading.Event()
        beat = threading.Thread(
            target=_beat_forever,
            args=(stop, float(settings.WORKER_HEARTBEAT_SECONDS)),
            name="heartbeat",
            daemon=True,
        )
        beat.start()
        try:
            run(options, stop)
        finally:
            stop.set()

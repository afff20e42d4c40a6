"""`minhu worker`: drain the task queue (django-tasks' database backend) and report a heartbeat."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, connection
from django.utils.module_loading import import_string

from minhu.core.services import heartbeat_beat, scheduler_lease_take

log = logging.getLogger("minhu.worker")


def _queue_periodic() -> None:
    """Queue each periodic job unless one is already waiting (jobs are idempotent either way)."""
    from django_tasks_db.models import DBTaskResult

    for path in settings.PERIODIC_TASKS:
        if not DBTaskResult.objects.ready().filter(task_path=path).exists():
            import_string(path).enqueue()


def _beat_forever(stop: threading.Event, interval: float) -> None:
    """Heartbeat for /healthz, and the timer for periodic jobs (one worker at a time holds the lease)."""
    while True:
        try:
            heartbeat_beat(name="worker")
            if scheduler_lease_take(seconds=settings.PERIODIC_SECONDS):
                _queue_periodic()
        except DatabaseError:  # a busy database must not kill the worker; the next beat will do
            log.warning("heartbeat not written", exc_info=True)
        finally:
            connection.close()
        if stop.wait(interval):
            return


class Command(BaseCommand):
    help = "Run background jobs from the database queue; reports a heartbeat for /healthz."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between queue polls")
        parser.add_argument("--batch", action="store_true", help="exit when the queue is empty")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        beat = threading.Thread(
            target=_beat_forever,
            args=(stop, float(settings.WORKER_HEARTBEAT_SECONDS)),
            name="heartbeat",
            daemon=True,
        )
        beat.start()
        worker_args = ["--interval", str(options["interval"]), "--queue-name", "*"]
        if options["batch"]:
            worker_args.append("--batch")
        try:
            call_command("db_worker", *worker_args)
        finally:
            stop.set()

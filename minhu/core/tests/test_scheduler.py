"""The periodic scheduler and `minhu worker`: each periodic job queued once per period through the task API,
whatever the backend, however many workers call at once; the worker runs the configured backend's worker."""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tasks import task, task_backends
from django_tasks.base import Task
from django_tasks.signals import task_enqueued

from minhu.core import scheduler
from minhu.core.management.commands import worker
from minhu.core.models import Heartbeat, PeriodicJob
from minhu.core.scheduler import periodic_enqueue_due

HERE = "minhu.core.tests.test_scheduler"
RUNS: list[str] = []  # what the test jobs did (they run in the caller's thread with the immediate backend)

DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@task()
def ping() -> str:
    RUNS.append("ping")
    return "ping"


@task()
def pong() -> str:
    RUNS.append("pong")
    return "pong"


not_a_task = "just a string"


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    RUNS.clear()
    yield
    RUNS.clear()


@pytest.fixture
def enqueued() -> Iterator[list[str]]:
    """Every task queued, on any backend and from any thread (django-tasks' own signal)."""
    seen: list[str] = []
    lock = threading.Lock()

    def record(sender: Any, task_result: Any, **kwargs: Any) -> None:
        with lock:
            seen.append(task_result.task.module_path)

    task_enqueued.connect(record, weak=False)
    yield seen
    task_enqueued.disconnect(record)


@override_settings(TASKS=DUMMY, PERIODIC_TASKS=[f"{HERE}.ping", f"{HERE}.pong"], PERIODIC_SECONDS=30)
def test_each_job_is_queued_once_per_period(db: None, enqueued: list[str]) -> None:
    now = timezone.now()
    assert periodic_enqueue_due(now=now) == [f"{HERE}.ping", f"{HERE}.pong"]
    assert periodic_enqueue_due(now=now + timedelta(seconds=5)) == []
    assert periodic_enqueue_due(now=now + timedelta(seconds=29)) == []
    assert periodic_enqueue_due(now=now + timedelta(seconds=31)) == [f"{HERE}.ping", f"{HERE}.pong"]
    assert enqueued == [f"{HERE}.ping", f"{HERE}.pong"] * 2
    # the dummy backend holds what was queued, and ran nothing
    assert [r.task.module_path for r in task_backends["default"].results] == enqueued  # type: ignore[attr-defined]
    assert RUNS == []
    job = PeriodicJob.objects.get(task_path=f"{HERE}.ping")
    assert job.enqueued_at == now + timedelta(seconds=31)
    assert job.result_id == str(task_backends["default"].results[-2].id)  # type: ignore[attr-defined]


@override_settings(TASKS=IMMEDIATE, PERIODIC_TASKS=[f"{HERE}.ping"], PERIODIC_SECONDS=30)
def test_the_immediate_backend_runs_each_job_as_it_is_queued(db: None) -> None:
    now = timezone.now()
    assert periodic_enqueue_due(now=now) == [f"{HERE}.ping"]
    assert periodic_enqueue_due(now=now + timedelta(seconds=1)) == []
    assert RUNS == ["ping"]


def test_scheduler_and_worker_import_no_backend() -> None:
    """Swapping TASKS by settings alone must keep the periodic jobs: the scheduler and the worker command
    name no backend package in their imports (the database backend is only a string in RUNNERS)."""
    root = Path(__file__).resolve().parents[1]
    for source in (root / "scheduler.py", root / "management" / "commands" / "worker.py"):
        imported: set[str] = set()
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
        assert not {m for m in imported if m.startswith(("django_tasks_db", "django_tasks.backends"))}, source


@pytest.mark.django_db(transaction=True)
@override_settings(PERIODIC_TASKS=[f"{HERE}.ping"], PERIODIC_SECONDS=30)
def test_a_job_still_waiting_is_not_queued_behind_itself(enqueued: list[str]) -> None:
    # the database backend can tell that the first one is still waiting (no worker has run it)
    now = timezone.now()
    assert periodic_enqueue_due(now=now) == [f"{HERE}.ping"]
    assert periodic_enqueue_due(now=now + timedelta(seconds=31)) == []
    assert enqueued == [f"{HERE}.ping"]
    # once it ran, the next period queues it again
    call_command("db_worker", "--batch", "--queue-name", "*", "--interval", "0")
    assert RUNS == ["ping"]
    assert periodic_enqueue_due(now=now + timedelta(seconds=62)) == [f"{HERE}.ping"]


@override_settings(TASKS=DUMMY, PERIODIC_TASKS=[f"{HERE}.ping"], PERIODIC_SECONDS=30)
def test_a_failure_to_queue_gives_the_period_back(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def broker_away(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("broker away")

    now = timezone.now()
    with monkeypatch.context() as m:
        m.setattr(Task, "enqueue", broker_away)
        assert periodic_enqueue_due(now=now) == []
    assert PeriodicJob.objects.get(task_path=f"{HERE}.ping").enqueued_at is None
    assert periodic_enqueue_due(now=now + timedelta(seconds=1)) == [f"{HERE}.ping"]


@pytest.mark.parametrize("path", [f"{HERE}.not_a_task", f"{HERE}.missing"])
def test_a_periodic_task_that_is_no_task_is_a_setting_error(db: None, path: str) -> None:
    with (
        override_settings(PERIODIC_TASKS=[path]),
        pytest.raises(ImproperlyConfigured, match="PERIODIC_TASKS"),
    ):
        periodic_enqueue_due()


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DUMMY, PERIODIC_TASKS=[f"{HERE}.ping", f"{HERE}.pong"], PERIODIC_SECONDS=30)
def test_two_workers_at_once_queue_each_job_once(
    enqueued: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two schedulers racing on the real database (SQLite file or PostgreSQL), first when no row exists yet,
    then again at the next period, both having read the rows before either claims: each job is queued
    exactly once per period."""
    barrier = threading.Barrier(2)
    read = scheduler._jobs

    def read_then_wait(paths: list[str]) -> Any:
        rows = read(paths)
        barrier.wait()  # both have seen the same rows: both would queue, but for the claim
        return rows

    monkeypatch.setattr(scheduler, "_jobs", read_then_wait)
    now = timezone.now()
    for at in (now, now + timedelta(seconds=31)):
        queued: list[list[str]] = []

        def run(at: Any = at, queued: list[list[str]] = queued) -> None:
            try:
                queued.append(periodic_enqueue_due(now=at))
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(queued) == 2
        assert sorted(queued[0] + queued[1]) == [f"{HERE}.ping", f"{HERE}.pong"]
    assert sorted(enqueued) == sorted([f"{HERE}.ping", f"{HERE}.pong"] * 2)
    assert PeriodicJob.objects.count() == 2


# --- the worker command ---------------------------------------------------------------------------------


def test_the_worker_picks_the_configured_backends_runner() -> None:
    assert worker.runner_for("django_tasks_db.DatabaseBackend") is worker.run_database_worker
    assert worker.runner_for("django_tasks.backends.immediate.ImmediateBackend") is worker.run_inline


@override_settings(TASKS=DUMMY)
def test_an_unknown_backend_is_a_clear_error_naming_the_setting(db: None) -> None:
    with pytest.raises(CommandError, match=r'TASKS\["default"\]\["BACKEND"\]') as exc:
        call_command("worker", "--batch")
    assert "django_tasks.backends.dummy.DummyBackend" in str(exc.value)
    assert not Heartbeat.objects.filter(name="worker").exists()  # refused before it starts


@override_settings(TASKS=IMMEDIATE, PERIODIC_TASKS=[f"{HERE}.ping"])
def test_the_worker_on_the_immediate_backend_runs_the_periodic_jobs(db: None) -> None:
    call_command("worker", "--batch")
    assert RUNS == ["ping"]
    assert Heartbeat.objects.filter(name="worker").exists()


@pytest.mark.django_db(transaction=True)
@override_settings(PERIODIC_TASKS=[f"{HERE}.ping", f"{HERE}.pong"])
def test_the_worker_on_the_database_backend_drains_the_queue_it_filled() -> None:
    call_command("worker", "--batch", "--interval", "0")
    assert sorted(RUNS) == ["ping", "pong"]
    assert Heartbeat.objects.filter(name="worker").exists()
    assert PeriodicJob.objects.exclude(result_id="").count() == 2

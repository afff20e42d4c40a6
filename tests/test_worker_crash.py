"""A worker killed in the middle of a job (issue 5): the job's transaction dies with it, the next worker does
the job again, and nothing is doubled — one escalation event, one notification per recipient.

Run as an operator would: real `minhu worker` processes on a fresh data directory (SQLite file), killed with
SIGKILL while they sit at a fault-injection point inside the escalation sweep's transaction
(minhu/core/failpoints.py)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MINHU = [sys.executable, "-m", "minhu.cli"]

SETUP = textwrap.dedent(
    """
    import django
    django.setup()
    from datetime import timedelta
    from django.utils import timezone
    from minhu.accounts.models import User
    from minhu.appeals.services import IntakeData, appeal_submit
    from minhu.appeals.models import Appeal, Category
    from minhu.grid.models import Responsibility
    from minhu.grid.services import person_link_user, responsibility_assign
    from minhu.grid.tests.conftest import START, build_tree

    tree = build_tree()
    carol = User.objects.create_user("carol", display_name="张卡")
    zhou = User.objects.create_user("zhou", display_name="周组长")
    responsibility_assign(unit=tree.block_a, household=tree.hh_a1, role=Responsibility.Role.PARTY_MEMBER,
                          user=carol, start=START, actor=None)
    responsibility_assign(unit=tree.block_a, role=Responsibility.Role.GROUP_LEADER, user=zhou, start=START,
                          actor=None)
    category = Category.objects.get(code="G01")
    appeal = appeal_submit(data=IntakeData(kind="help", channel="hotline", category=category,
                                           description="楼道灯坏了", household=tree.hh_a1)).appeal
    assert appeal.handler == carol, appeal.handler
    # a day has passed without a response: the response deadline is an hour behind us
    now = timezone.now()
    Appeal.objects.filter(pk=appeal.pk).update(
        dispatched_at=now - timedelta(hours=25), response_due_at=now - timedelta(hours=1),
        watched_until=now - timedelta(hours=25), watch_at=now - timedelta(hours=1))
    print(appeal.pk)
    """
)


def _env(data: Path, **extra: str) -> dict[str, str]:
    dropped = ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINHU_") and k not in dropped}
    env.update(
        MINHU_DATA_DIR=str(data),
        DJANGO_SETTINGS_MODULE="config.settings",
        MINHU_PERIODIC_SECONDS="1",
        MINHU_WORKER_HEARTBEAT_SECONDS="1",
        **extra,
    )
    return env


def _counts(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db, timeout=30) as conn:
        events = conn.execute("SELECT COUNT(*) FROM core_event WHERE verb = 'appeal.escalate'").fetchone()[0]
        notes = conn.execute(
            "SELECT COUNT(*) FROM core_notification WHERE kind = 'appeal.escalated'"
        ).fetchone()
    return int(events), int(notes[0])


def _wait(predicate: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.skipif("DATABASE_URL" in os.environ, reason="process-level test, run once (on SQLite)")
def test_a_worker_killed_mid_job_leaves_it_to_be_redone_without_duplicates(tmp_path: Path) -> None:
    env = _env(tmp_path)
    subprocess.run([*MINHU, "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
    setup = subprocess.run(
        [sys.executable, "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    assert setup.stdout.strip().isdigit(), setup.stderr
    db = tmp_path / "minhu.sqlite3"
    mark = tmp_path / "failpoint.mark"

    # 1. The first worker reaches the point after the escalation event, before the notifications — killed.
    doomed = subprocess.Popen(
        [*MINHU, "worker", "--interval", "0.2"],
        cwd=ROOT,
        env=dict(env, MINHU_FAILPOINT="escalation.after_event:120", MINHU_FAILPOINT_MARK=str(mark)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait(mark.exists, 60, "the worker to reach the fault point")
    finally:
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(10)
    assert _counts(db) == (0, 0)  # its transaction died with it: no event, no notification

    # 2. A fresh worker does the job again, once.
    worker = subprocess.Popen(
        [*MINHU, "worker", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait(lambda: _counts(db)[0] >= 1, 60, "the escalation to be redone")
        time.sleep(3)  # several more periodic sweeps
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    events, notes = _counts(db)
    assert events == 1
    assert notes == 2  # the group leader, and the handler told of it: one each

"""A worker killed with SIGKILL after the gateway accepted an SMS, before it marked the row sent (issue 18):
the row stays `sending` only until its lease runs out, the next worker sends it once more with the same
idempotency key (the row's id, so the gateway drops the repeat), and nothing is sent a third time.

Run as an operator would: real `minhu worker` processes on a fresh data directory (SQLite file), a real HTTP
gateway on 127.0.0.1 in this process, the kill at the fault-injection point `outbox.after_send`
(minhu/core/failpoints.py), as in tests/test_worker_crash.py."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.test_worker_crash import MINHU, ROOT, _env, _wait

SETUP = textwrap.dedent(
    """
    import django
    django.setup()
    from minhu.accounts.models import User
    from minhu.core.services import notification_send

    carol = User.objects.create_user("carol", display_name="张卡", phone="13812348000")
    (row,) = notification_send(recipient=carol, channels=["sms"], kind="appeal.escalated",
                               subject="诉求升级", dedupe_key="appeal:1:escalated")
    print(row.pk)
    """
)


class Gateway:
    """Counts requests and the messages it would deliver: one per idempotency key."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.keys: list[str] = []
        self.payload_keys: list[str] = []
        self.second = threading.Event()
        self.first = threading.Event()


@pytest.fixture
def gateway() -> Iterator[tuple[Gateway, str]]:
    gw = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with gw.lock:
                gw.keys.append(str(self.headers["Idempotency-Key"]))
                gw.payload_keys.append(json.loads(body)["idempotency_key"])
                (gw.first if len(gw.keys) == 1 else gw.second).set()
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield gw, f"http://127.0.0.1:{server.server_port}/sms"
    server.shutdown()
    server.server_close()


def _row(db: Path, pk: int) -> tuple[str, int]:
    with sqlite3.connect(db, timeout=30) as conn:
        state, attempts = conn.execute(
            "SELECT state, attempts FROM core_notification WHERE id = ?", (pk,)
        ).fetchone()
    return str(state), int(attempts)


def _deliveries_done(db: Path) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        (n,) = conn.execute(
            "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult"
            " WHERE task_path = 'minhu.core.tasks.deliver_notifications' AND status = 'SUCCESSFUL'"
        ).fetchone()
    return int(n)


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*MINHU, "worker", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.mark.skipif("DATABASE_URL" in os.environ, reason="process-level test, run once (on SQLite)")
def test_a_worker_killed_after_the_gateway_accepted_is_retried_once_with_the_same_key(
    tmp_path: Path, gateway: tuple[Gateway, str]
) -> None:
    gw, url = gateway
    env = _env(
        tmp_path,
        MINHU_SMS_WEBHOOK_URL=url,
        MINHU_SMS_WEBHOOK_SECRET="s3cret",
        MINHU_OUTBOX_LEASE_SECONDS="2",
    )
    subprocess.run([*MINHU, "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
    setup = subprocess.run(
        [sys.executable, "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    assert setup.stdout.strip().isdigit(), setup.stderr
    pk = int(setup.stdout)
    db = tmp_path / "minhu.sqlite3"
    mark = tmp_path / "failpoint.mark"

    # 1. The first worker sends, the gateway accepts, and the worker is killed before it marks the row sent.
    doomed = _worker(dict(env, MINHU_FAILPOINT="outbox.after_send:120", MINHU_FAILPOINT_MARK=str(mark)))
    try:
        assert gw.first.wait(60), "the first worker never reached the gateway"
        _wait(mark.exists, 60, "the worker to reach the fault point")
    finally:
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(10)
    assert _row(db, pk) == ("sending", 1)
    assert gw.keys == [str(pk)]

    # 2. A fresh worker claims it once its lease has run out, and sends it once more, with the same key.
    worker = _worker(env)
    try:
        assert gw.second.wait(60), "the row was never retried"
        _wait(lambda: _row(db, pk)[0] == "sent", 60, "the row to be marked sent")
        done = _deliveries_done(db)
        _wait(lambda: _deliveries_done(db) >= done + 2, 60, "two more delivery sweeps")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    assert _row(db, pk) == ("sent", 2)
    assert gw.keys == [str(pk), str(pk)]  # twice at the door, one message: the gateway drops the repeat
    assert gw.payload_keys == gw.keys

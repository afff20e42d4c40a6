"""`minhu run`'s supervision of its child processes (the gunicorn server and the worker).

A child that exits while Minhu is not stopping is started again after a back-off (1 s, doubling to at most
`MAX_BACKOFF`; back to 1 s once a child has stayed up for `STABLE_SECONDS`), so one crash — a kill -9 of the
worker or of gunicorn — never takes the site down. What restarted is kept in `DATA_DIR/supervisor.json`
(written atomically by the supervising process) and reported by `/healthz` under `processes`.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MAX_BACKOFF = 30.0
STABLE_SECONDS = 60.0
STATE_FILE = "supervisor.json"


@dataclass
class Child:
    """One supervised process: how to start it, the running one, and its restart history."""

    name: str
    argv: list[str]
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = 1.0
    restart_at: float | None = None
    last_exit: int | None = None
    last_restart: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    def start(self) -> None:
        self.proc = subprocess.Popen(self.argv, env=self.env)  # noqa: S603 -- our own interpreter and module
        self.started_at = time.monotonic()
        self.restart_at = None

    def state(self) -> dict[str, Any]:
        return {
            "running": self.proc is not None and self.proc.poll() is None,
            "restarts": self.restarts,
            "last_exit": self.last_exit,
            "last_restart": self.last_restart,
        }


def state_path(data_dir: Path) -> Path:
    return data_dir / STATE_FILE


def write_state(data_dir: Path, children: list[Child]) -> None:
    """The children's states, replacing the file in one rename (a reader never sees half of it)."""
    body = json.dumps({c.name: c.state() for c in children}, sort_keys=True)
    fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".supervisor-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(body)
    os.replace(tmp, state_path(data_dir))


def read_state(data_dir: Path) -> dict[str, Any] | None:
    """What the supervisor last wrote; None when Minhu does not run under `minhu run`."""
    try:
        data = json.loads(state_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def tick(children: list[Child], *, now: float, log: Callable[[str], None]) -> bool:
    """One round of supervision: notice children that exited and schedule their restart, start those whose
    back-off has passed. True when anything changed (the state file is then rewritten)."""
    changed = False
    for child in children:
        if child.proc is not None and child.restart_at is None and child.proc.poll() is not None:
            child.last_exit = child.proc.returncode
            if now - child.started_at >= STABLE_SECONDS:
                child.backoff = 1.0
            child.restart_at = now + child.backoff
            log(f"{child.name} exited with {child.last_exit}; restarting in {child.backoff:.0f} s")
            child.backoff = min(child.backoff * 2, MAX_BACKOFF)
            changed = True
        elif child.restart_at is not None and now >= child.restart_at:
            child.start()
            child.restarts += 1
            child.last_restart = datetime.now(UTC).isoformat(timespec="seconds")
            changed = True
    return changed

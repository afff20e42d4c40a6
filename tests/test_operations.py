"""The operator's commands, run as an operator runs them: as processes, on a fresh data directory."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
MINHU = [sys.executable, "-m", "minhu.cli"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    dropped = ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINHU_") and k not in dropped}
    env.update(MINHU_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings", **extra)
    return env


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MINHU, "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_check_deploy_passes_with_the_documented_production_variables(tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        MINHU_SECRET_KEY=secrets.token_urlsafe(50),
        MINHU_HTTPS="1",
        MINHU_ALLOWED_HOSTS="minhu.example.gov.cn",
        MINHU_DEBUG="0",
    )
    result = _check_deploy(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_https(tmp_path: Path) -> None:
    env = _env(tmp_path, MINHU_SECRET_KEY=secrets.token_urlsafe(50), MINHU_DEBUG="0")
    result = _check_deploy(env)
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout  # SECURE_SSL_REDIRECT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 -- loopback only
        return r.status, r.read().decode()


@pytest.mark.skipif("DATABASE_URL" in os.environ, reason="the run command is exercised on SQLite")
def test_run_serves_the_chinese_login_page_and_is_safe_to_repeat(tmp_path: Path) -> None:
    counts = []
    for _attempt in (1, 2):
        port = _free_port()
        proc = subprocess.Popen(
            [*MINHU, "run", "--demo", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            body = ""
            deadline = time.monotonic() + 180  # migrations and the whole demo on a busy 2-core machine
            while time.monotonic() < deadline:
                try:
                    status, body = _get(f"http://127.0.0.1:{port}/healthz")
                    if '"worker": {"status": "ok"' in body:
                        break
                except OSError:
                    pass
                time.sleep(0.5)
            assert '"status": "ok"' in body, body
            status, html = _get(f"http://127.0.0.1:{port}/accounts/login/")
            assert status == 200
            assert "登录</h1>" in html
            status, listed = _get(f"http://127.0.0.1:{port}/open311/v2/requests.json")
            assert len(json.loads(listed)) == 2  # the demo Open311 client's two requests
        finally:
            proc.terminate()
            out, _ = proc.communicate(timeout=30)
        assert f"Minhu is running at http://127.0.0.1:{port}/" in out
        assert "admin          Minhu@2026     系统管理员" in out
        assert "Open311 api_key: m311_demo-key-Minhu2026" in out.splitlines()  # a line of its own
        counts.append(_row_counts(tmp_path))
    # Both runs used the same database; the second added no demo rows (events aside: logins are events).
    assert counts[0] == counts[1]
    assert counts[0]["accounts.user"] >= 7


def _row_counts(tmp_path: Path) -> dict[str, int]:
    code = (
        "import json; from django.apps import apps; "
        "print(json.dumps({m._meta.label_lower: m._default_manager.count() for m in apps.get_models() "
        "if m._meta.app_label not in ('core', 'sessions', 'django_tasks_database', 'axes')}))"
    )
    result = subprocess.run(
        [*MINHU, "shell", "-c", code],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def _children(parent: int) -> dict[str, int]:
    """The supervised children of `minhu run` (pid by name), read from /proc."""
    found: dict[str, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            argv = (d / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid != parent:
            continue
        if b"gunicorn" in argv:
            found["server"] = int(d.name)
        elif b"worker" in argv:
            found["worker"] = int(d.name)
    return found


def _health(port: int) -> dict[str, Any] | None:
    try:
        _status, body = _get(f"http://127.0.0.1:{port}/healthz")
    except OSError:
        return None
    return dict(json.loads(body))


def _until(what: str, seconds: float, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.skipif("DATABASE_URL" in os.environ, reason="the run command is exercised on SQLite")
def test_run_restarts_a_killed_worker_and_a_killed_server_and_says_so(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [*MINHU, "run", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def up(name: str, restarts: int) -> bool:
            h = _health(port)
            state = (h or {}).get("processes") or {}
            worker_ok = (h or {}).get("worker", {}).get("status") == "ok"
            return bool(state.get(name, {}).get("restarts") == restarts and worker_ok and h)

        _until("Minhu to start", 180, lambda: up("worker", 0) and len(_children(proc.pid)) == 2)
        first = _children(proc.pid)
        os.kill(first["worker"], signal.SIGKILL)
        _until("the worker to be restarted", 60, lambda: up("worker", 1))
        assert _get(f"http://127.0.0.1:{port}/accounts/login/")[0] == 200  # the site never stopped
        assert _children(proc.pid)["worker"] != first["worker"]

        os.kill(first["server"], signal.SIGKILL)
        _until("the server to be restarted", 90, lambda: up("server", 1))
        health = _health(port)
        assert health is not None
        assert health["processes"]["server"]["last_exit"] == -signal.SIGKILL
        assert health["processes"]["worker"]["restarts"] == 1
        assert _get(f"http://127.0.0.1:{port}/accounts/login/")[0] == 200
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=60)
    assert "worker exited with -9; restarting in 1 s" in out
    assert "server exited with -9; restarting in 1 s" in out
    assert proc.returncode == 0
    assert not _children(proc.pid)

"""`minhu run`: prepare the database and static files, then serve with gunicorn and start the worker, and keep
both running: a child that crashes is started again with back-off (minhu.core.supervisor)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from minhu.core.supervisor import Child, tick, write_state


class Command(BaseCommand):
    help = "Migrate, compile catalogues, collect static files, then serve (gunicorn) and run the worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--demo", action="store_true", help="load (or refresh) the demo data first")
        parser.add_argument(
            "--bind", default=os.environ.get("MINHU_BIND", "127.0.0.1:8000"), help="host:port"
        )
        parser.add_argument("--no-worker", action="store_true", help="serve pages only")

    def handle(self, *args: Any, **options: Any) -> None:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        self.stdout.write("Applying migrations…")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("i18n", "compile", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        logins: list[tuple[str, str, str]] = []
        notes: list[str] = []
        if options["demo"]:
            from minhu.core.demoload import demo_load, demo_notes

            self.stdout.write("Loading demo data…")
            logins = demo_load()
            notes = demo_notes()

        env = dict(os.environ, MINHU_BIND=options["bind"])
        children = [
            Child("server", [sys.executable, "-m", "gunicorn", "--config", "python:config.gunicorn"], env)
        ]
        if not options["no_worker"]:
            children.append(Child("worker", [sys.executable, "-m", "minhu.cli", "worker"], env))
        for child in children:
            child.start()
        write_state(settings.DATA_DIR, children)

        host, _, port = options["bind"].rpartition(":")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Minhu is running at http://{host}:{port}/"))
        if logins:
            self.stdout.write("Demo logins (user name / password / role):")
            for username, password, role in logins:
                self.stdout.write(f"  {username:<14} {password:<14} {role}")
        for line in notes:
            self.stdout.write(line)
        self.stdout.write("Press Ctrl+C to stop.")
        sys.stdout.flush()
        self._supervise(children)

    def _supervise(self, children: list[Child]) -> None:
        """Until Ctrl+C or SIGTERM: restart whatever exits (see minhu.core.supervisor); then stop them all."""
        stopping = threading.Event()

        def stop(signum: int, frame: Any) -> None:
            stopping.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping.wait(0.5):
            if tick(children, now=time.monotonic(), log=self.stderr.write):
                write_state(settings.DATA_DIR, children)
        procs = [c.proc for c in children if c.proc is not None]
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=25)
            except subprocess.TimeoutExpired:
                p.kill()

"""`minhu backup [--to DIR]`: a consistent copy of the database, safe while Minhu is running.

SQLite: the online backup API (a consistent snapshot even while the app writes; WAL included).
PostgreSQL: `pg_dump --format=custom` (restore with `pg_restore`), which must be on the PATH.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from minhu.core.services import event_record


class Command(BaseCommand):
    help = "Write a consistent backup of the database to DIR (default: DATA_DIR/backups)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", default=str(Path(settings.DATA_DIR) / "backups"), help="target directory")

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["to"])
        target.mkdir(parents=True, exist_ok=True)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        db = settings.DATABASES["default"]
        if connection.vendor == "sqlite":
            path = target / f"minhu-{stamp}.sqlite3"
            connection.ensure_connection()
            dest = sqlite3.connect(str(path))
            try:
                connection.connection.backup(dest)  # the app's own connection: always the right database
            finally:
                dest.close()
        elif connection.vendor == "postgresql":
            pg_dump = shutil.which("pg_dump")
            if pg_dump is None:
                raise CommandError("pg_dump is not on the PATH (install the PostgreSQL client)")
            path = target / f"minhu-{stamp}.pgdump"
            env = {"PGPASSWORD": str(db.get("PASSWORD") or "")}
            cmd = [pg_dump, "--format=custom", f"--file={path}", "--no-owner"]
            cmd += [f"--host={db.get('HOST') or 'localhost'}", f"--port={db.get('PORT') or 5432}"]
            cmd += [f"--username={db.get('USER') or 'postgres'}", str(db["NAME"])]
            result = subprocess.run(cmd, env=env, capture_output=True, text=True)  # noqa: S603
            if result.returncode != 0:
                raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        else:
            raise CommandError(f"no backup method for {connection.vendor}")
        event_record(
            actor=None, verb="system.backup", after={"file": path.name, "bytes": path.stat().st_size}
        )
        self.stdout.write(str(path))

"""`minhu grid_import KIND FILE [--mode atomic|valid] [--as USER] [--rejects PATH]`: import a grid list
from .csv or .xlsx, showing progress; the rows it rejects are listed and, in valid mode, written to a
rejects file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minhu.accounts.models import User
from minhu.core import context
from minhu.grid.imports import SPECS
from minhu.grid.services import grid_import


class Command(BaseCommand):
    help = "Import a grid list (units, households, people, party_members, responsibilities, cadres)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(SPECS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--mode", choices=["atomic", "valid"], default="atomic")
        parser.add_argument("--as", dest="username", required=True, help="the login the import is made as")
        parser.add_argument("--rejects", type=Path, help="where to write the rejected rows (valid mode)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active login {options['username']!r}")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no file {path}")

        def progress(rows: int) -> None:
            self.stdout.write(f"\r{rows} rows…", ending="")
            self.stdout.flush()

        with context.bind(request_id="grid_import"), path.open("rb") as f:
            result = grid_import(
                kind=options["kind"],
                f=f,
                filename=path.name,
                mode=options["mode"],
                actor=user,
                progress=progress,
            )
        self.stdout.write("")
        for e in result.errors:
            where = f"row {e.row}, {e.column or '-'}" if e.row else f"file {e.column}"
            self.stdout.write(f"{where}: {e.reason}")
        self.stdout.write(
            f"{result.rows} rows read, {result.written} written, {len(result.rejects)} rejected"
        )
        if options["rejects"] and result.rejects:
            options["rejects"].write_text(result.rejects_csv(), encoding="utf-8-sig")
            self.stdout.write(f"rejects written to {options['rejects']}")
        if result.errors and options["mode"] == "atomic":
            raise CommandError("nothing was written")

"""`minhu ledger_import SLUG FILE [--as USER]`: import an organisation's existing entries from .xlsx or
.csv, all or nothing, showing progress; every bad row is listed (row, column, reason)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from minhu.accounts.models import User
from minhu.core import context
from minhu.ledger.models import Organisation
from minhu.ledger.services import ledger_import


class Command(BaseCommand):
    help = "Import existing entries into an organisation's ledger (columns: see docs/ledger.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the organisation's public address")
        parser.add_argument("file", type=Path, help="an .xlsx or .csv file")
        parser.add_argument(
            "--as", dest="username", help="the login the import is recorded as (must keep these accounts)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.filter(slug=options["slug"]).first()
        if org is None:
            raise CommandError(f"no organisation {options['slug']!r}")
        user = None
        if options["username"]:
            user = User.objects.filter(username=options["username"], is_active=True).first()
            if user is None:
                raise CommandError(f"no active login {options['username']!r}")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no file {path}")

        def progress(rows: int) -> None:
            self.stdout.write(f"\r{rows} rows…", ending="")
            self.stdout.flush()

        with context.bind(request_id="ledger_import"), path.open("rb") as f:
            try:
                result = ledger_import(
                    organisation=org, f=f, filename=path.name, actor=user, progress=progress
                )
            except PermissionDenied:
                raise CommandError(f"{user} does not keep the accounts of {org.slug}") from None
        self.stdout.write("")
        for e in result.errors:
            where = f"row {e.row}, {e.column or '-'}" if e.row else f"file {e.column}"
            self.stdout.write(f"{where}: {e.reason}")
        self.stdout.write(f"{result.rows} rows read, {result.written} entries appended")
        if result.errors:
            raise CommandError("nothing was written")

"""`minhu verify [SLUG …]`: recompute every ledger's hash chain and disclosures; exit 1 if any is broken."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minhu.ledger.models import Disclosure, Organisation
from minhu.ledger.selectors import ledger_verify


class Command(BaseCommand):
    help = "Verify the ledgers' hash chains and published disclosures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", help="organisations to check (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        orgs = Organisation.objects.order_by("slug")
        if options["slugs"]:
            orgs = orgs.filter(slug__in=options["slugs"])
        broken = 0
        for org in orgs:
            result = ledger_verify(org)
            if result.ok:
                self.stdout.write(f"{org.slug}: OK ({result.entries} entries)")
                continue
            broken += 1
            self.stdout.write(self.style.ERROR(f"{org.slug}: BROKEN"))
            if result.first_broken_seq is not None:
                self.stdout.write(f"  first altered entry: #{result.first_broken_seq}")
            for d in Disclosure.objects.filter(pk__in=result.broken_disclosures).order_by("start"):
                self.stdout.write(
                    f"  failing disclosure: {d.get_period_display()} {d.start}–{d.end} ({d.checksum[:16]}…)"
                )
        if broken:
            raise CommandError(f"{broken} ledger(s) failed verification")

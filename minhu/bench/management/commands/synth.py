"""`minhu synth --scale street|district|city --seed N [--districts K] [--until YYYY-MM-DD]
[--database-url URL] [--workers N]`: write a deterministic synthetic deployment by the bulk path and report
its rate."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from datetime import time as dtime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Generate synthetic data at a DESIGN.md scale (street, district, city; tiny for tests)."

    def add_arguments(self, parser: CommandParser) -> None:
        from minhu.bench.synth import SCALES

        parser.add_argument("--scale", choices=sorted(SCALES), default="street")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--districts", type=int, help="only the first K districts of the scale (a bounded city slice)"
        )
        parser.add_argument("--until", help="the last day of the year of appeals (default: today)")
        parser.add_argument(
            "--database-url",
            help="run against this database (created if missing on PostgreSQL, migrated first)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            help="processes that build the rows on PostgreSQL (default: one per core; 0: in this process)",
        )
        parser.add_argument(
            "--if-missing", action="store_true", help="do nothing (exit 0) when the seed is already loaded"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["database_url"]:
            # Settings are read from the environment: run again in a child process pointed at the URL.
            argv = [a for a in sys.argv[1:] if not a.startswith("--database-url")]
            if "--database-url" in argv:
                i = argv.index("--database-url")
                del argv[i : i + 1]
            argv = [a for a in argv if a != options["database_url"]]
            from minhu.bench.synth import ensure_postgres_database

            ensure_postgres_database(options["database_url"])
            env = dict(os.environ, DATABASE_URL=options["database_url"])
            subprocess.run([sys.executable, "-m", "minhu.cli", "migrate", "-v0"], env=env, check=True)
            code = subprocess.run([sys.executable, "-m", "minhu.cli", *argv], env=env).returncode  # noqa: S603 -- our own argv
            if code:
                raise CommandError(f"synth exited with {code}")
            return
        from minhu.bench.synth import TableReport, already_loaded, plan_for, synth_load

        if already_loaded(options["seed"]):
            if options["if_missing"]:
                self.stdout.write(f"seed {options['seed']} is already loaded: reused")
                return
            raise CommandError(
                f"seed {options['seed']} is already loaded in this database (units S{options['seed']}-…)"
            )
        until = datetime.now(UTC).replace(microsecond=0)
        if options["until"]:
            until = datetime.combine(datetime.fromisoformat(options["until"]).date(), dtime(16, 0), UTC)
        plan = plan_for(options["scale"], options["seed"], until, options["districts"])

        def progress(r: TableReport) -> None:
            self.stdout.write(f"{r.table:<28} {r.rows:>11,} rows {r.seconds:>8.1f} s {r.rate:>10,.0f} rows/s")
            self.stdout.flush()

        t0 = time.perf_counter()
        reports = synth_load(plan, progress, workers=options["workers"])
        total = sum(r.rows for r in reports)
        seconds = time.perf_counter() - t0
        self.stdout.write(
            self.style.SUCCESS(
                f"{total:,} rows in {seconds:.1f} s ({total / seconds:,.0f} rows/s, incl. ANALYZE)"
            )
        )

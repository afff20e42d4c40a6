"""`minhu bench [--scale S] [--databases sqlite,postgres] [--only SECTIONS] [--out DIR]`: generate the
scale's data where missing (seed 1), run the benchmarks on each database, print the table side by side and
write it as Markdown and JSON. Load goes to 127.0.0.1 only. See docs/performance.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432"
# District imports 200 k households per format (not the 1 M) so the whole run stays under 15
# minutes on two cores; the rate and the share of COPY are what is compared (`--import-rows 1000000`).
IMPORT_ROWS = {"tiny": 500, "street": 100_000, "district": 200_000, "city": 1_000_000}
SWEEP = {"tiny": 100, "street": 20_000, "district": 100_000, "city": 100_000}


class Command(BaseCommand):
    help = "Run the benchmarks at a scale on SQLite and PostgreSQL and write the table (Markdown, JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        from minhu.bench.runner import SECTIONS

        parser.add_argument("--scale", default="street", choices=["tiny", "street", "district", "city"])
        parser.add_argument("--databases", default="sqlite,postgres", help="sqlite, postgres or both")
        parser.add_argument("--postgres-url", default=os.environ.get("MINHU_BENCH_POSTGRES", DEFAULT_PG),
                            help="server URL; the database is minhu_bench_<scale>")  # fmt: skip
        parser.add_argument("--only", default=",".join(SECTIONS), help=f"any of {','.join(SECTIONS)}")
        parser.add_argument("--seconds", type=float, default=10.0, help="load per intake endpoint")
        parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP connections")
        parser.add_argument("--repeat", type=int, default=30, help="requests per page")
        parser.add_argument("--import-rows", type=int, help="households per import (default by scale)")
        parser.add_argument("--formats", default="csv,xlsx")
        parser.add_argument("--sweep-appeals", type=int, help="newly overdue appeals (default by scale)")
        parser.add_argument("--sweep-budget", type=float, default=60.0, help="seconds the sweep may run")
        parser.add_argument("--out", type=Path, default=None, help="directory for bench-<scale>.md/.json")
        parser.add_argument("--child", type=Path, help=argparse_hidden())
        parser.add_argument("--probe-export", type=int, help=argparse_hidden())

    def handle(self, *args: Any, **o: Any) -> None:
        if o["probe_export"]:
            from minhu.bench.runner import probe_export

            self.stdout.write(str(probe_export(o["probe_export"])))
            return
        only = [s.strip() for s in o["only"].split(",") if s.strip()]
        import_rows = o["import_rows"] or IMPORT_ROWS[o["scale"]]
        sweep = o["sweep_appeals"] or SWEEP[o["scale"]]
        if o["child"]:
            from minhu.bench.runner import run, to_json

            rows = run(scale=o["scale"], only=only, seconds=o["seconds"], clients=o["clients"],
                       repeat=o["repeat"], sweep_appeals=sweep, sweep_budget=o["sweep_budget"],
                       import_rows=import_rows, formats=o["formats"].split(","))  # fmt: skip
            o["child"].write_text(to_json(rows), encoding="utf-8")
            return
        results: dict[str, list[dict[str, Any]]] = {}
        info: dict[str, str] = {}
        out = o["out"] or settings.DATA_DIR / "bench"
        out.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        # As `minhu run` does: the pages need their catalogues and the static manifest.
        self._run(["i18n", "compile"], dict(os.environ))
        self._run(["collectstatic", "--noinput", "-v0"], dict(os.environ))
        for db in [d.strip() for d in o["databases"].split(",") if d.strip()]:
            url = self._database(db, o["scale"], o["postgres_url"], out)
            env = dict(os.environ, DATABASE_URL=url, MINHU_DEBUG="0")
            t0 = time.perf_counter()
            self._run(["migrate", "-v0"], env)
            self._run(["synth", "--scale", o["scale"], "--seed", "1", "--if-missing"], env)
            info[db] = (
                f"data (seed 1: generated, or reused if there) ready in {time.perf_counter() - t0:.0f} s"
            )
            child = out / f".child-{db}.json"
            cmd = ["bench", "--scale", o["scale"], "--only", ",".join(only), "--seconds", str(o["seconds"]),
                   "--clients", str(o["clients"]), "--repeat", str(o["repeat"]), "--import-rows",
                   str(import_rows), "--formats", o["formats"], "--sweep-appeals", str(sweep),
                   "--sweep-budget", str(o["sweep_budget"]), "--child", str(child)]  # fmt: skip
            t1 = time.perf_counter()
            if self._run(cmd, env, check=False) != 0:
                raise CommandError(f"the benchmark on {db} failed")
            info[db] += f", benchmarks {time.perf_counter() - t1:.0f} s"
            results[db] = json.loads(child.read_text(encoding="utf-8"))
            child.unlink()
        md = table(o["scale"], results, info, time.perf_counter() - started)
        (out / f"bench-{o['scale']}.md").write_text(md, encoding="utf-8")
        seconds = time.perf_counter() - started
        as_json = json.dumps(
            {"scale": o["scale"], "seconds": round(seconds), "info": info, "results": results},
            ensure_ascii=False,
            indent=1,
        )
        (out / f"bench-{o['scale']}.json").write_text(as_json, encoding="utf-8")
        self.stdout.write(md)
        self.stdout.write("```json\n" + as_json + "\n```")
        self.stdout.write(f"elapsed {seconds:.0f} s; written to {out}/bench-{o['scale']}.md and .json")

    def _database(self, db: str, scale: str, pg: str, out: Path) -> str:
        if db == "sqlite":
            return f"sqlite:///{(out / f'minhu_bench_{scale}.sqlite3').resolve()}"
        if db != "postgres":
            raise CommandError(f"unknown database {db!r}")
        from minhu.bench.synth import ensure_postgres_database

        url = f"{pg}/minhu_bench_{scale}"
        ensure_postgres_database(url)
        return url

    def _run(self, argv: list[str], env: dict[str, str], check: bool = True) -> int:
        code = subprocess.run([sys.executable, "-m", "minhu.cli", *argv], env=env).returncode  # noqa: S603 -- our own argv
        if check and code:
            raise CommandError(f"minhu {' '.join(argv)} exited with {code}")
        return code


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


def table(scale: str, results: dict[str, list[dict[str, Any]]], info: dict[str, str], seconds: float) -> str:
    dbs = list(results)
    names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    keys: list[tuple[str, str]] = []
    cell: dict[tuple[str, str, str], dict[str, Any]] = {}
    for db, rows in results.items():
        for r in rows:
            k = (r["section"], r["measure"])
            if k not in keys:
                keys.append(k)
            cell[(db, *k)] = r
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"### Benchmark at {scale} scale ({when}, {os.cpu_count()} cores, total {seconds:.0f} s)",
        "",
        *(f"- {names.get(db, db)}: {text}" for db, text in info.items()),
        "",
        "| section | measure | " + " | ".join(names.get(d, d) for d in dbs) + " | target | limited by |",
        "|---|---|" + "---|" * len(dbs) + "---|---|",
    ]
    for section, measure in keys:
        cells = []
        target, note = "", ""
        for db in dbs:
            c = cell.get((db, section, measure))
            if c is None:
                cells.append("–")
                continue
            mark = {True: " ✓", False: " ✗", None: ""}[c["met"]]
            cells.append(f"{c['figure']}{mark}")
            target, note = c["target"] or target, c["note"] or note
        lines.append(f"| {section} | {measure} | " + " | ".join(cells) + f" | {target} | {note} |")
    return "\n".join(lines) + "\n"

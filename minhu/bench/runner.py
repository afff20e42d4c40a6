"""The benchmarks themselves, run in one process pointed at one database (DATABASE_URL).

Each section returns `Row`s: a measure, its figure on this database, the target, whether it is met, and
what limits it. `minhu bench` runs this once per database and lays the rows side by side.
"""

from __future__ import annotations

import csv
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

SECTIONS = ["intake", "pages", "sweep", "similarity", "import", "memory"]


@dataclass
class Row:
    section: str
    measure: str
    figure: str
    target: str = ""
    met: bool | None = None
    note: str = ""


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values` (milliseconds)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def admin_user() -> Any:
    from minhu.accounts.models import User

    user = User.objects.filter(username="bench-admin").first()
    return user or User.objects.create_superuser("bench-admin", "", "bench-only-password-0")


# --- 1. intake over HTTP ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _hwm_mib(pid: int) -> float:
    """Peak resident memory of a live process (VmHWM), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Load:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        """Answered with 200 per second (errors are counted apart, not as throughput)."""
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0


def load(port: int, path: str, bodies: Callable[[int], str], *, seconds: float, clients: int) -> Load:
    """`clients` keep-alive connections POSTing form bodies for `seconds`; latencies in ms."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = n
        mine: list[float] = []
        while time.perf_counter() < stop:
            body = bodies(i)
            i += clients
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append((time.perf_counter() - t0) * 1000)
            if not ok:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Load(len(latencies), errors[0], time.perf_counter() - t0, latencies)


def bench_intake(*, seconds: float, clients: int) -> tuple[list[Row], dict[str, float]]:
    from minhu.appeals.demo_texts import DESCRIPTIONS
    from minhu.appeals.models import Category
    from minhu.grid.models import Unit
    from minhu.open311.services import client_issue

    _client, key = client_issue(name=f"bench {time.time():.0f}", actor=None)
    codes = list(
        Category.objects.filter(active=True, department="")
        .exclude(required_fields__icontains="photo")
        .exclude(required_fields__icontains="household")
        .values_list("code", flat=True)
    )
    blocks = list(Unit.objects.filter(kind="block").order_by("pk").values_list("code", flat=True)[:5000])
    rng = random.Random(7)  # noqa: S311 -- synthetic data, not security
    texts = [t.replace("{where}", "楼下") for items in DESCRIPTIONS.values() for _k, _w, t, _r in items]
    prepared = [
        urllib.parse.urlencode(
            {
                "api_key": key,
                "service_code": rng.choice(codes),
                "address_id": rng.choice(blocks),
                "address_string": f"{i % 300 + 1}号",
                "description": f"{rng.choice(texts)}（{i}）",
                "phone": f"139{i % 10**8:08d}",
            }
        )
        for i in range(4000)
    ]
    port = _free_port()
    env = dict(
        os.environ,
        MINHU_BIND=f"127.0.0.1:{port}",
        MINHU_BENCH_ENDPOINTS="1",
        MINHU_ACCESS_LOG="/dev/null",
        MINHU_DEBUG="0",
        # The load comes from one address with one key, as from a busy aggregator: lift the per-address
        # limit (60/min by default, docs/open311.md) or intake would be measured answering 429.
        MINHU_API_RATE_PUBLIC="100000000/min",
        MINHU_LOG_LEVEL="ERROR",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "python:config.gunicorn"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1.0)  # both workers booted
        warm = load(port, "/bench/baseline/", lambda i: "", seconds=1, clients=clients)
        warm = load(
            port,
            "/open311/v2/requests.json",
            lambda i: prepared[i % len(prepared)],
            seconds=1,
            clients=clients,
        )
        del warm
        base = load(port, "/bench/baseline/", lambda i: "", seconds=seconds, clients=clients)
        intake = load(
            port,
            "/open311/v2/requests.json",
            lambda i: prepared[(i + 997) % len(prepared)],
            seconds=seconds,
            clients=clients,
        )
        workers = _children(server.pid)
        worker_mib = max((_hwm_mib(p) for p in workers), default=0.0)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ratio = intake.rps / base.rps if base.rps else 0.0
    failed = intake.errors + base.errors > 0.01 * (intake.requests + base.requests)
    rows = [
        Row(
            "intake",
            "baseline: one-row insert (req/s, p50/p99 ms)",
            f"{base.rps:,.0f}/s, {pct(base.latencies, 50):.1f}/{pct(base.latencies, 99):.1f} ms"
            + (f", {base.errors} errors" if base.errors else ""),
        ),
        Row(
            "intake",
            "intake: Open311 POST (req/s, p50/p99 ms)",
            f"{intake.rps:,.0f}/s, {pct(intake.latencies, 50):.1f}/{pct(intake.latencies, 99):.1f} ms"
            + (f", {intake.errors} errors" if intake.errors else ""),
        ),
        Row(
            "intake",
            "intake / baseline throughput",
            f"{ratio:.0%}" + (" (invalid: more than 1 % of the requests failed)" if failed else ""),
            "≥ 60 %",
            None if failed else ratio >= 0.6,
            "an intake is ~40 statements in one transaction (key, category, block, repeat check, "
            "full_clean's foreign-key and constraint checks, insert, events, the chain, dispatch, rewatch, "
            "Open311 submission) against the baseline's one INSERT",
        ),
    ]
    return rows, {"worker_mib": worker_mib}


# --- 2. pages ---------------------------------------------------------------------------------------


def bench_pages(*, scale: str, repeat: int) -> list[Row]:
    from django.db.models import Count
    from django.test import Client

    from minhu.accounts.models import User
    from minhu.appeals.models import OPEN_STATES, Appeal

    top = (
        Appeal.objects.filter(state__in=OPEN_STATES, handler__isnull=False)
        .values("handler")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    handler = User.objects.get(pk=top["handler"]) if top else admin_user()
    district = (
        User.objects.filter(groups__name="district_staff", username__startswith="s").order_by("pk").first()
    )
    district = district or admin_user()
    # Appeals the district login sees (a city slice has several districts: the latest may be another's).
    from minhu.grid.models import Post

    own = Post.objects.filter(user=district).values_list("unit__district_id", flat=True).first()
    latest = Appeal.objects.filter(district_id=own) if own else Appeal.objects.all()
    ids = list(latest.order_by("-pk").values_list("pk", flat=True)[:200])
    rng = random.Random(3)  # noqa: S311 -- synthetic data, not security
    pages: list[tuple[str, Any, Callable[[], str]]] = [
        ("workbench (busiest handler)", handler, lambda: "/appeals/workbench/"),
        ("appeal detail", district, lambda: f"/appeals/{rng.choice(ids)}/"),
        ("unit statistics (district, this month)", district, lambda: "/appeals/stats/"),
        ("monthly street ranking", district, lambda: "/appeals/ranking/"),
    ]
    limit = 300 if scale == "city" else 100
    rows = []
    # Django clears the query log at each request's start: keep it, to count the page's queries.
    from django.core.signals import request_started
    from django.db import reset_queries

    request_started.disconnect(reset_queries)
    for name, user, url in pages:
        client = Client()
        client.force_login(user)
        for _ in range(2):
            client.get(url())
        with CaptureQueriesContext(connection) as ctx:
            status = client.get(url()).status_code
        queries = len(ctx.captured_queries)  # now: the slice is taken lazily from a log that moves on
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            client.get(url())
            times.append((time.perf_counter() - t0) * 1000)
        p99 = pct(times, 99)
        rows.append(
            Row(
                "pages",
                f"{name} (p50/p99 ms, queries)",
                f"{pct(times, 50):.0f}/{p99:.0f} ms, {queries} q"
                + ("" if status == 200 else f", HTTP {status}"),
                f"p99 < {limit} ms",
                p99 < limit,
                f"{repeat} requests in-process (Django test client, no network)",
            )
        )
    return rows


# --- 3. the escalation sweep ------------------------------------------------------------------------


def bench_sweep(*, appeals: int, budget: float) -> list[Row]:
    """Make `appeals` appeals newly overdue (the most recent with a handler), then sweep them, for at most
    `budget` seconds; the rate gives the time for all of them."""
    from minhu.appeals.models import Appeal
    from minhu.appeals.services.escalation import WATCH
    from minhu.core.deadlines import SweepReport, sweep

    now = timezone.now()
    qs = Appeal.objects.filter(handler__isnull=False).order_by("-pk")
    cut = qs.values_list("pk", flat=True)[appeals - 1 : appeals].first() or 0
    chosen = Appeal.objects.filter(handler__isnull=False, pk__gte=cut)
    marked = chosen.update(
        state="in_progress",
        dispatched_at=now - timedelta(days=3),
        responded_at=now - timedelta(days=3),
        response_due_at=now - timedelta(days=2),
        resolution_due_at=now - timedelta(minutes=1),
        resolved_at=None,
        confirmed_at=None,
        closed_at=None,
        satisfaction="",
        overdue_at=None,
        escalation_level=0,
        escalated_to=None,
        watched_until=now - timedelta(minutes=2),
        watch_at=now - timedelta(minutes=1),
    )
    report = SweepReport(kind=WATCH.name)
    t0 = time.perf_counter()
    stop = t0 + budget
    while time.perf_counter() < stop and report.objects < marked:
        before = report.objects
        sweep(WATCH, now=now, limit=500, batches=1, report=report)
        if report.objects == before:
            break
    seconds = time.perf_counter() - t0
    rate = report.objects / seconds if seconds else 0.0
    full = marked / rate if rate else float("inf")
    finished = report.objects >= marked
    figure = f"{report.objects:,} of {marked:,} in {seconds:.1f} s ({rate:,.0f}/s)"
    if not finished:
        figure += f"; all {marked:,} ≈ {full:,.0f} s (extrapolated)"
    return [
        Row(
            "sweep",
            "escalation sweep of newly overdue appeals",
            figure,
            "< 10 s for 100 k",
            (100_000 / rate if rate else 1e9) < 10,
            f"{report['escalations']:,} escalations, {report['overdue']:,} marked overdue; the core "
            "engine claims and rebookmarks each batch of 500 as a set; per appeal two UPDATEs of the "
            "26-index appeals table (overdue, escalation), two events, two notifications, the chain once "
            "per block or household",
        )
    ]


# --- 4. similarity ------------------------------------------------------------------------------------


def bench_similarity(*, repeat: int) -> list[Row]:
    from django.db.models import Count

    from minhu.appeals.models import OPEN_STATES, Appeal
    from minhu.core.textsim import Corpus

    busiest = (
        Appeal.objects.filter(state__in=OPEN_STATES)
        .values("village")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    open_share = Appeal.objects.filter(state__in=OPEN_STATES).count() / max(1, Appeal.objects.count())
    texts = list(
        Appeal.objects.filter(
            state__in=OPEN_STATES, village=busiest["village"] if busiest else None
        ).values_list("description", flat=True)
    )
    pool = list(Appeal.objects.order_by("pk").values_list("description", flat=True)[:5000]) or ["无"]
    city_community = round(20_000_000 / 7_000 * open_share)
    rows = []
    for label, n in (
        ("busiest community here", len(texts)),
        ("a city community (estimated)", city_community),
        ("a city street (20 communities)", city_community * 20),
    ):
        corpus_texts = (texts or pool) * (n // max(1, len(texts or pool)) + 1)
        corpus_texts = corpus_texts[:n] or ["无"]
        times = []
        for i in range(repeat):
            t0 = time.perf_counter()
            Corpus(corpus_texts).similar(pool[i % len(pool)])
            times.append((time.perf_counter() - t0) * 1000)
        rows.append(
            Row(
                "similarity",
                f"similar open appeals, {label} (texts: p50/p99 ms)",
                f"{n:,}: {pct(times, 50):.0f}/{pct(times, 99):.0f} ms",
                "p99 < 300 ms (city)",
                pct(times, 99) < 300,
                "textsim.Corpus built from that many open appeals and searched once, as a request would",
            )
        )
    rows.append(_intake_hint(busiest["village"] if busiest else None, pool, repeat))
    return rows


def _intake_hint(village_id: int | None, pool: list[str], repeat: int) -> Row:
    """The suggestion itself as the record form asks for it (`problems.selectors.similar_to`): one
    community's open appeals of the last 90 days, at most the newest SIMILAR_POOL, and its open problems."""
    from django.db.models import Max

    from minhu.appeals.models import Appeal
    from minhu.grid.models import Unit, subtree_q
    from minhu.problems.selectors import SIMILAR_POOL, similar_to

    measure = "intake suggestions (problems.similar_to), busiest community (p50/p99 ms, queries)"
    community = Unit.objects.filter(pk=village_id).first() if village_id is not None else None
    block = community and Unit.objects.filter(subtree_q("path", community.path), kind="block").first()
    if block is None:
        return Row("similarity", measure, "no community with open appeals", "p99 < 300 ms (city)", None, "")
    user, now = admin_user(), Appeal.objects.aggregate(m=Max("submitted_at"))["m"]
    times, queries = [], 0
    for i in range(repeat):
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            similar_to(user, text=pool[i % len(pool)], unit=block, now=now)
        times.append((time.perf_counter() - t0) * 1000)
        queries = len(ctx.captured_queries)
    return Row(
        "similarity",
        measure,
        f"{pct(times, 50):.0f}/{pct(times, 99):.0f} ms, {queries} q",
        "p99 < 300 ms (city)",
        pct(times, 99) < 300,
        f"bounded at any scale: the newest {SIMILAR_POOL} open appeals of 90 days in one community, read and "
        "compared per request",
    )


# --- 5. import and 6. memory -------------------------------------------------------------------------


def _wait_rss(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(seconds, peak RSS MiB, exit code) of a child process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)  # noqa: S603 -- our own argv
    _pid, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, p.returncode


def _household_rows(n: int) -> list[tuple[str, str, str]]:
    from minhu.grid.models import Unit

    blocks = list(Unit.objects.filter(kind="block").order_by("pk").values_list("code", flat=True))
    return [(blocks[i % len(blocks)], f"I{i}号", f"导入{i}号") for i in range(n)]


def _delete_imported() -> None:
    """Drop the households the import benchmark wrote (door numbers I…; nothing refers to them), in one
    statement rather than through Django's cascade collector."""
    from minhu.grid.models import Household

    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {qn(Household._meta.db_table)} WHERE {qn('number')} LIKE %s", ["I%"])  # noqa: S608


def bench_import(*, rows: int, formats: list[str]) -> tuple[list[Row], dict[str, float]]:
    from minhu.bench.synth import bulk_write
    from minhu.grid.models import Household, Unit
    from minhu.grid.services import district_of

    admin = admin_user()
    data = _household_rows(rows)
    out: list[Row] = []
    mem: dict[str, float] = {}
    tmp = Path(tempfile.mkdtemp(prefix="minhu-bench-"))
    try:
        _delete_imported()
        # The database's own bulk path for the same rows (resolved unit ids, as the import writes them).
        ids = dict(Unit.objects.filter(kind="block").values_list("code", "pk"))
        dists = {pk: district_of(u) for u in Unit.objects.filter(kind="block") for pk in [u.pk]}
        now = timezone.now()
        copy = bulk_write(
            Household._meta.db_table,
            ["unit_id", "district_id", "number", "address", "created_at"],
            ((ids[c], dists[ids[c]], n, a, now) for c, n, a in data),
        )
        _delete_imported()
        label = "COPY" if connection.vendor == "postgresql" else "executemany"
        out.append(
            Row(
                "import",
                "households by the bulk path (COPY / executemany)",
                f"{rows:,} in {copy.seconds:.1f} s ({copy.rate:,.0f} rows/s)",
            )
        )
        for fmt in formats:
            path = tmp / f"households.{fmt}"
            t0 = time.perf_counter()
            if fmt == "csv":
                with path.open("w", newline="", encoding="utf-8") as f:
                    w = csv.writer(f)
                    w.writerow(["unit_code", "number", "address"])
                    w.writerows(data)
            else:
                from openpyxl import Workbook  # type: ignore[import-untyped]

                wb = Workbook(write_only=True)
                ws = wb.create_sheet()
                ws.append(["unit_code", "number", "address"])
                for r in data:
                    ws.append(list(r))
                wb.save(path)
            made = time.perf_counter() - t0
            connection.close()  # SQLite: let the child write
            secs, mib, code = _wait_rss(
                [
                    sys.executable,
                    "-m",
                    "minhu.cli",
                    "grid_import",
                    "households",
                    str(path),
                    "--as",
                    admin.username,
                ]
            )
            written = Household.objects.filter(number__startswith="I").count()
            _delete_imported()
            ratio = (rows / secs) / copy.rate if secs and copy.rate else 0.0
            mem[f"import {fmt}"] = mib
            out.append(
                Row(
                    "import",
                    f"grid import of households, .{fmt} (share of the bulk path)",
                    f"{rows:,} in {secs:.1f} s ({rows / secs:,.0f} rows/s) = {ratio:.0%} of {label}"
                    + ("" if code == 0 and written == rows else f"; exit {code}, {written:,} written"),
                    "≥ 25 % of COPY",
                    ratio >= 0.25,
                    f"file written in {made:.1f} s (not counted); peak RSS {mib:.0f} MiB; per row: parse, "
                    "Household() and a full_clean-free bulk_create per 500, a scope query per batch"
                    + ("; openpyxl read-only parsing" if fmt == "xlsx" else ""),
                )
            )
    finally:
        for p in tmp.iterdir():
            p.unlink()
        tmp.rmdir()
    return out, mem


def bench_memory(
    *, import_rows: int, worker_mib: float | None, mem: dict[str, float], export_months: int = 12
) -> list[Row]:
    """Peak RSS: server workers (from the intake run), imports (above; and a tenth of the rows, to see that
    it stays flat), and the appeal-list .xlsx export over one month and over the year."""
    admin = admin_user()
    rows: list[Row] = []
    if worker_mib is not None:
        rows.append(Row("memory", "gunicorn worker peak RSS (after the intake run)", f"{worker_mib:.0f} MiB"))
    small = max(1000, import_rows // 10)
    if "import csv" in mem:
        tmp = Path(tempfile.mkdtemp(prefix="minhu-bench-"))
        path = tmp / "small.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["unit_code", "number", "address"])
            w.writerows(_household_rows(small))
        connection.close()
        _s, mib, _c = _wait_rss(
            [
                sys.executable,
                "-m",
                "minhu.cli",
                "grid_import",
                "households",
                str(path),
                "--as",
                admin.username,
            ]
        )
        _delete_imported()
        path.unlink()
        tmp.rmdir()
        big = mem["import csv"]
        rows.append(
            Row(
                "memory",
                "grid import peak RSS, a tenth vs all rows (.csv)",
                f"{small:,}: {mib:.0f} vs {import_rows:,}: {big:.0f} MiB",
                "constant in streams",
                big < mib * 1.5,
                "an atomic import keeps every row's key (seen set) and each batch; rejects are kept for the "
                "report",
            )
        )
    if "import xlsx" in mem:
        rows.append(
            Row("memory", "grid import peak RSS (.xlsx)", f"{import_rows:,}: {mem['import xlsx']:.0f} MiB")
        )
    peaks = []
    for months in (1, export_months):
        connection.close()
        secs, mib, code = _wait_rss(
            [sys.executable, "-m", "minhu.cli", "bench", "--probe-export", str(months)]
        )
        peaks.append((mib, code, secs))
    rows.append(
        Row(
            "memory",
            f"appeal list .xlsx export peak RSS, 1 vs {export_months} months",
            f"{peaks[0][0]:.0f} vs {peaks[1][0]:.0f} MiB"
            + ("" if peaks[1][1] == 0 else f" (exit {peaks[1][1]})"),
            "constant in streams",
            peaks[1][0] < peaks[0][0] * 1.5,
            "openpyxl write-only into a spooled temporary file; took "
            f"{peaks[0][2]:.0f} vs {peaks[1][2]:.0f} s (openpyxl writes every cell in Python)",
        )
    )
    return rows


def probe_export(months: int) -> int:
    """Export the appeal list of the last `months` months as district staff (run in a child process whose
    peak memory the parent reads). Returns the bytes written."""
    from django.test import Client

    from minhu.accounts.models import User

    user = User.objects.filter(groups__name="district_staff").order_by("pk").first() or admin_user()
    client = Client()
    client.force_login(user)
    today = timezone.localdate()
    start = today - timedelta(days=31 * months)
    response = client.get(f"/appeals/list/?format=xlsx&from={start}&to={today}")
    if response.streaming:
        chunks: Iterable[bytes] = response.streaming_content  # type: ignore[attr-defined]
        return sum(len(chunk) for chunk in chunks)
    return len(response.content)


def run(*, scale: str, only: list[str], seconds: float, clients: int, repeat: int, sweep_appeals: int,
        sweep_budget: float, import_rows: int, formats: list[str]) -> list[dict[str, Any]]:  # fmt: skip
    rows: list[Row] = []
    worker: float | None = None
    mem: dict[str, float] = {}
    if "intake" in only:
        r, extra = bench_intake(seconds=seconds, clients=clients)
        rows += r
        worker = extra["worker_mib"]
    if "pages" in only:
        rows += bench_pages(scale=scale, repeat=repeat)
    if "similarity" in only:
        rows += bench_similarity(repeat=max(5, repeat // 3))
    if "import" in only:
        r, mem = bench_import(rows=import_rows, formats=formats)
        rows += r
    if "memory" in only:
        # At district scale and above a year's export takes minutes (openpyxl): three months show the
        # same thing, whether memory grows with the rows.
        months = 12 if scale in ("tiny", "street") else 3
        rows += bench_memory(import_rows=import_rows, worker_mib=worker, mem=mem, export_months=months)
    if "sweep" in only:  # last: it rewrites appeals
        rows += bench_sweep(appeals=sweep_appeals, budget=sweep_budget)
    return [asdict(r) for r in rows]


def to_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1)

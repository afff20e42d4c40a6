"""`minhu insights_bench`: the city-scale timing of the proactive analysis (docs/insights.md, "Measured").

Not part of the test suite. `--generate` fills an EMPTY PostgreSQL database (its name must contain "bench"
or "city", so that it cannot be a real one) with a city's tree (16 districts, 350 streets, 7,000
communities, 15,000 grids, 4 M households), 40 categories and, written directly by SQL (`generate_series`),
≈2 M appeals in the month under test, ≈1.9 M in the month before and ≈1.8 M in the same month a year
earlier, skewed over places and categories with injected hot spots and repeat callers; the other months of
the analysis' 36-month history are synthesised in the rollup from the same month a year earlier. Then (with
or without `--generate`) it times `rollup_refresh` of the month and `analyse` at each level for a superuser
and for one street's staff, and prints the figures.

    createdb minhu_wtins_city
    DATABASE_URL=postgres://…/minhu_wtins_city minhu migrate
    DATABASE_URL=postgres://…/minhu_wtins_city minhu insights_bench --generate
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Count

from minhu.appeals.stats import Period, add_months

BASE_DISTRICT, BASE_STREET, BASE_COMMUNITY, BASE_GRID = 9_000_000, 9_100_000, 9_200_000, 9_300_000
DISTRICTS, STREETS, COMMUNITIES, GRIDS, CATEGORIES = 16, 350, 7000, 15000, 40
HOUSEHOLDS_PER_GRID = 267  # ≈ 4 M


def _sql(sql: str, params: Any = None) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return int(cur.rowcount)


def _tree() -> None:
    _sql(
        """INSERT INTO grid_unit (id, kind, name, code, path, depth, polygon, under_rectification,
                                  district_id, parent_id)
           SELECT %(b)s + d, 'district', '第' || d || '区', 'BD' || d, lpad((%(b)s + d)::text, 10, '0'),
                  1, '', false, %(b)s + d, NULL
           FROM generate_series(1, %(n)s) d""",
        {"b": BASE_DISTRICT, "n": DISTRICTS},
    )
    for kind, base, n, parent_base, parents, depth, prefix in (
        ("street", BASE_STREET, STREETS, BASE_DISTRICT, DISTRICTS, 2, "BS"),
        ("community", BASE_COMMUNITY, COMMUNITIES, BASE_STREET, STREETS, 3, "BC"),
        ("area", BASE_GRID, GRIDS, BASE_COMMUNITY, COMMUNITIES, 4, "BG"),
    ):
        _sql(
            """INSERT INTO grid_unit (id, kind, name, code, path, depth, polygon, under_rectification,
                                      district_id, parent_id)
               SELECT %(b)s + i, %(kind)s, %(prefix)s || i, %(prefix)s || i,
                      p.path || lpad((%(b)s + i)::text, 10, '0'), %(depth)s, '', false, p.district_id, p.id
               FROM generate_series(1, %(n)s) i
               JOIN grid_unit p ON p.id = %(pb)s + 1 + (i - 1) %% %(parents)s""",
            {
                "b": base,
                "kind": kind,
                "prefix": prefix,
                "n": n,
                "pb": parent_base,
                "parents": parents,
                "depth": depth,
            },
        )
    _sql(
        """INSERT INTO grid_household (number, address, created_at, district_id, unit_id)
           SELECT h || '号', '', now(), u.district_id, u.id
           FROM grid_unit u, generate_series(1, %(n)s) h WHERE u.kind = 'area' AND u.id > %(b)s""",
        {"n": HOUSEHOLDS_PER_GRID, "b": BASE_GRID},
    )
    _sql(
        """INSERT INTO appeals_category (code, name, name_en, description, "group", keywords, default_kind,
                                         urgency, handling_level, department, response_hours,
                                         resolution_amount, resolution_unit, required_fields, active)
           SELECT 'B' || lpad(i::text, 2, '0'), '类别' || i, 'Category ' || i, '', '', '', 'help', 'ordinary',
                  'household', '', 24, 7, 'days', '[]', true
           FROM generate_series(1, %(n)s - (SELECT count(*) FROM appeals_category)) i""",
        {"n": CATEGORIES},
    )


def _appeals(month: date, n: int, seed: float, tag: str) -> int:
    """n appeals spread over the month in the order they arrive (so the table is in time order, as one
    filled by intake is): grids skewed (random()^1.5 favours low ids, spread over every
    community), categories skewed (random()^2); 2 % of calls go to one of 300 hot (grid, category) pairs,
    5 % are repeat callers (one phone per grid × category × 1..3), 3 % are linked repeats (merged)."""
    period = Period.month_of(month)
    _sql("SELECT setseed(%s)", [seed])
    return _sql(
        """
        WITH cats AS (SELECT array_agg(id ORDER BY code) AS ids FROM appeals_category),
        x AS (
          SELECT i, random() AS r, (i - 1 + random()) / %(n)s AS t, random() AS p, random() AS h,
                 floor(random() * 300)::int AS j,
                 %(g)s + 1 + floor(%(grids)s * power(random(), 1.5))::int AS g0,
                 floor(%(cats)s * power(random(), 2))::int AS k0
          FROM generate_series(1, %(n)s) i
        ), w AS (
          SELECT x.*,
                 CASE WHEN h < 0.02 THEN %(g)s + 1 + (j * 37) %% %(grids)s ELSE g0 END AS g,
                 CASE WHEN h < 0.02 THEN j %% %(cats)s ELSE k0 END AS k
          FROM x
        ), y AS (
          SELECT w.*, %(c)s + 1 + (g - %(g)s - 1) %% %(communities)s AS v FROM w
        ), z AS (
          SELECT y.*, %(s)s + 1 + (v - %(c)s - 1) %% %(streets)s AS st FROM y
        )
        INSERT INTO appeals_appeal (
          tracking_code, kind, channel, description, address, caller_name, caller_phone, anonymous, state,
          department, escalation_level, submitted_at, deadline_exact, result, satisfaction, rating_comment,
          reopen_count, return_count, transfer_count, version, category_id, unit_id, village_id, street_id,
          district_id, closed_at)
        SELECT %(tag)s || lpad(i::text, 9, '0'), 'complaint', 'hotline', '城市规模测试诉求 ' || i, '', '张三',
               CASE WHEN p < 0.05
                    THEN '139' || lpad(((g %% 100000) * 1000 + k * 3 + floor(p * 60)::int %% 3)::text, 8, '0')
                    ELSE '13' || lpad(floor(random() * 1e9)::bigint::text, 9, '0') END,
               false,
               CASE WHEN r < 0.03 THEN 'merged' ELSE 'closed' END,
               '', 0, %(since)s::timestamptz + t * (%(until)s::timestamptz - %(since)s::timestamptz),
               true, '', '', '', 0, 0, 0, 0, cats.ids[k + 1], g, v, st,
               %(d)s + 1 + (st - %(s)s - 1) %% %(districts)s,
               %(since)s::timestamptz + t * (%(until)s::timestamptz - %(since)s::timestamptz)
        FROM z, cats
        """,
        {
            "n": n,
            "g": BASE_GRID,
            "grids": GRIDS,
            "c": BASE_COMMUNITY,
            "communities": COMMUNITIES,
            "s": BASE_STREET,
            "streets": STREETS,
            "d": BASE_DISTRICT,
            "districts": DISTRICTS,
            "cats": CATEGORIES,
            "since": period.since,
            "until": period.until,
            "tag": tag,
        },
    )


def _history(month: date) -> int:
    """The rollup of the 35 months before the same month a year earlier (with it, the 36 months the
    seasonal measure reads), synthesised from that month (each cell scaled by a random 0.6–1.4), in one
    statement with the cells' index built afterwards."""
    source = add_months(month, -12)
    _sql("ALTER TABLE insights_monthlycell DROP CONSTRAINT insights_cell_unique")
    rows = _sql(
        """INSERT INTO insights_monthlycell (month, level, place_id, category_id, appeals)
           SELECT (%(source)s::date - make_interval(months => k))::date, level, place_id, category_id,
                  greatest(1, round(appeals * (0.6 + 0.8 * random())))
           FROM insights_monthlycell, generate_series(1, 35) k WHERE month = %(source)s""",
        {"source": source},
    )
    _sql(
        "ALTER TABLE insights_monthlycell ADD CONSTRAINT insights_cell_unique "
        "UNIQUE (month, level, place_id, category_id)"
    )
    _sql(
        """INSERT INTO insights_rollupmonth (month, refreshed_at, appeals)
           SELECT (%(source)s::date - make_interval(months => k))::date, now(), 0
           FROM generate_series(1, 35) k ON CONFLICT (month) DO NOTHING""",
        {"source": source},
    )
    return rows


class Command(BaseCommand):
    help = "Time the insights rollup and analysis at city scale (PostgreSQL; not part of the tests)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--generate", action="store_true", help="fill an empty bench database first")
        parser.add_argument("--month", default="2026-11", help="the month under test, YYYY-MM")
        parser.add_argument(
            "--no-refresh", dest="refresh", action="store_false", help="time the analysis only"
        )
        parser.add_argument("--appeals", type=int, default=2_000_000, help="appeals in the month under test")

    def handle(self, *args: Any, **options: Any) -> None:
        from minhu.accounts.models import User
        from minhu.appeals.models import Appeal
        from minhu.grid.models import Unit
        from minhu.grid.services import post_create
        from minhu.insights.models import CallerCell, MonthlyCell, RollupMonth
        from minhu.insights.selectors import LEVELS, analyse
        from minhu.insights.services import households_refresh, rollup_refresh

        if connection.vendor != "postgresql":
            raise CommandError("insights_bench runs on PostgreSQL only.")
        name = str(connection.settings_dict["NAME"])
        year, mon = (int(x) for x in options["month"].split("-"))
        month = date(year, mon, 1)
        n = int(options["appeals"])

        def timed(label: str, fn: Any) -> Any:
            t0 = time.perf_counter()
            out = fn()
            self.stdout.write(f"{label}: {time.perf_counter() - t0:.2f} s")
            return out

        if options["generate"]:
            if "bench" not in name and "city" not in name:
                raise CommandError(
                    f"--generate refuses database {name!r}: its name must contain bench or city."
                )
            if not Unit.objects.filter(pk=BASE_DISTRICT + 1).exists():
                timed("tree, households, categories", _tree)
            months = [
                (month, n, 0.11, "BM"),
                (add_months(month, -1), n * 95 // 100, 0.22, "BP"),
                (add_months(month, -12), n * 90 // 100, 0.33, "BY"),
            ]
            todo = [x for x in months if not Appeal.objects.filter(tracking_code=f"{x[3]}000000001").exists()]
            if todo:
                # A bulk load: the plain indexes are dropped and built again afterwards, and the foreign-key
                # triggers are off for this session (every id written is one the tree above created).
                with connection.cursor() as cur:
                    cur.execute(
                        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'appeals_appeal' "
                        "AND indexdef NOT LIKE 'CREATE UNIQUE%%'"
                    )
                    indexes = cur.fetchall()
                for index, _definition in indexes:
                    _sql(f'DROP INDEX "{index}"')
                _sql("SET session_replication_role = replica")
                try:
                    for m, count, seed, tag in todo:
                        rows = timed(
                            f"appeals of {m:%Y-%m}",
                            lambda m=m, count=count, seed=seed, tag=tag: _appeals(m, count, seed, tag),
                        )
                        self.stdout.write(f"  {rows} appeals")
                finally:
                    _sql("SET session_replication_role = DEFAULT")
                    timed(
                        f"{len(indexes)} indexes rebuilt",
                        lambda: [_sql(definition) for _index, definition in indexes],
                    )
                timed("ANALYZE", lambda: _sql("ANALYZE"))
        for m in (add_months(month, -12), add_months(month, -1)):
            if not RollupMonth.objects.filter(month=m).exists():
                timed(f"rollup_refresh {m:%Y-%m}", lambda m=m: rollup_refresh(month=m, households=False))
        if not MonthlyCell.objects.filter(month=add_months(month, -13)).exists():
            rows = timed("history cells", lambda: _history(month))
            self.stdout.write(f"  {rows} synthesised cells")
            timed("ANALYZE", lambda: _sql("ANALYZE"))

        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM appeals_appeal")
            total = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM insights_monthlycell")
            cells = cur.fetchone()[0]
        self.stdout.write(f"database {name}: {total} appeals, {cells} rollup cells")
        counted = (
            timed(f"rollup_refresh {month:%Y-%m}", lambda: rollup_refresh(month=month, households=False))
            if options["refresh"]
            else 0
        )
        self.stdout.write(
            f"  {counted} appeals counted; "
            + ", ".join(
                f"{r['level']}: {r['n']} cells"
                for r in MonthlyCell.objects.filter(month=month).values("level").annotate(n=Count("id"))
            )
            + f"; {CallerCell.objects.filter(month=month).count()} caller cells"
        )
        # What autovacuum does after a month's rewrite (the deleted cells would otherwise slow the reads).
        timed("VACUUM ANALYZE insights_monthlycell", lambda: _sql("VACUUM ANALYZE insights_monthlycell"))
        units = timed("households_refresh", households_refresh)
        self.stdout.write(f"  {units} units with households")
        admin, _created = User.objects.get_or_create(
            username="insights-bench-admin", defaults={"is_superuser": True}
        )
        street = Unit.objects.filter(kind="street").order_by("id").first()
        staff, created = User.objects.get_or_create(username="insights-bench-street")
        if created and street is not None:
            post_create(user=staff, unit=street, title="街道干部", start=date(2020, 1, 1), actor=None)
        period = Period.month_of(month)
        runs = [(admin, level, "score", 20) for level in LEVELS]
        runs += [
            (admin, "village", "count", 20),
            (admin, "village", "rate", 20),
            (admin, "village", "score", 500),
        ]
        runs += [(staff, level, "score", 20) for level in LEVELS]
        for user, level, order, limit in runs:
            for attempt in ("cold", "warm"):
                user.__dict__.pop("_grid_scope", None)
                a = timed(
                    f"analyse {user.username} level={level} order={order} limit={limit} ({attempt})",
                    lambda user=user, level=level, order=order, limit=limit: analyse(
                        user, month=period, level=level, order=order, limit=limit
                    ),
                )
                top = a.candidates[0] if a.candidates else None
                self.stdout.write(
                    f"  {a.total} candidates; top: "
                    + (
                        f"{top.area} {top.category.code} score {top.score} ({top.count} appeals)"
                        if top
                        else "—"
                    )
                )

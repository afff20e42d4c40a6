"""`minhu synth` at the tiny scale: the same plan gives the same rows, and a load writes exactly the plan's
counts by the bulk path (COPY on PostgreSQL, executemany on SQLite) into a database the app then works on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from minhu.accounts.models import User
from minhu.accounts.roles import Role
from minhu.appeals.models import Appeal, Category
from minhu.bench import synth
from minhu.core.models import Event
from minhu.grid.models import Household, Person, Responsibility, Unit

UNTIL = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)
TINY = synth.SCALES["tiny"]
# district + street + 3 communities × (1 + 2 areas × (1 + 2 blocks))
TINY_UNITS = 1 + 1 + 3 * (1 + 2 * (1 + 2))


def fixed_plan(seed: int) -> synth.Plan:
    plan = synth.Plan(TINY, seed, UNTIL)
    plan.base = {"unit": 1000, "user": 1000, "household": 1000, "person": 1000, "appeal": 1000}
    return plan


def fake_cats() -> list[synth.Cat]:
    return [
        synth.Cat(1, "G01", "complaint", "household", "", 24, timedelta(days=7)),
        synth.Cat(2, "C01", "report", "village", "", 24, timedelta(days=15)),
        synth.Cat(3, "X01", "help", "area", "城管", 4, timedelta(hours=24)),
    ]


def all_rows(seed: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every generated row of a plan, without a database (logins are replaced by one id per unit)."""
    plan = fixed_plan(seed)
    tree = synth.Tree()
    units = list(synth.tree_rows(plan, tree))
    for i, (pk, *_rest) in enumerate(units):
        tree.user_of_unit[pk] = 5000 + i
    return {
        "units": units,
        "households": list(synth.household_rows(plan, tree)),
        "people": list(synth.person_rows(plan, tree)),
        "appeals": list(synth.appeal_rows(plan, tree, fake_cats())),
        "events": list(synth.event_rows(plan, appeal_ct=7)),
    }


def test_the_same_plan_gives_the_same_rows_and_another_seed_others() -> None:
    one, again, other = all_rows(1), all_rows(1), all_rows(2)
    assert one == again
    assert one["people"] != other["people"]
    assert one["appeals"] != other["appeals"]
    assert [len(one[k]) for k in ("units", "households", "people", "appeals", "events")] == [
        TINY_UNITS,
        TINY.households,
        TINY.people,
        TINY.appeals,
        TINY.appeals,
    ]


def test_rows_are_consistent() -> None:
    rows = all_rows(1)
    codes = [r[1] for r in rows["appeals"]]
    assert len(set(codes)) == len(codes)  # tracking codes are unique
    households = {r[0] for r in rows["households"]}
    assert {r[6] for r in rows["people"]} <= households
    assert len({(r[1], r[3]) for r in rows["households"]}) == len(households)  # (block, number) unique
    columns = synth.APPEAL_COLUMNS
    for r in rows["appeals"]:
        a = dict(zip(columns, r, strict=True))
        assert a["submitted_at"] <= UNTIL
        if a["state"] not in ("submitted", "merged"):
            assert a["dispatched_at"] < a["resolution_due_at"]
        if a["closed_at"] is not None:
            assert a["closed_at"] <= UNTIL
        assert (a["handler_id"] is None) == bool(a["department"])
    assert {dict(zip(columns, r, strict=True))["state"] for r in rows["appeals"]} >= {"closed", "in_progress"}


def test_a_city_slice_takes_its_share() -> None:
    plan = synth.Plan(synth.SCALES["city"], 1, UNTIL, districts=2)
    assert plan.n("appeals") == 2_500_000
    assert plan.n("communities") == 875


@pytest.fixture
def seeded(db: Any) -> None:
    """The role groups and the shipped catalogue (data migrations a transactional test's flush may empty)."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    if not Category.objects.exists():
        from importlib import import_module

        import_module("minhu.appeals.migrations.0002_shipped_catalogue").load(apps, None)


def test_a_tiny_load_writes_the_plan_and_the_app_works_on_it(seeded: None) -> None:
    before = {m: m.objects.count() for m in (Unit, User, Household, Person, Appeal, Event)}
    plan = synth.plan_for("tiny", 41, UNTIL)
    reports = synth.synth_load(plan)
    written = {r.table: r.rows for r in reports}
    assert written[Unit._meta.db_table] == TINY_UNITS
    assert written[Appeal._meta.db_table] == TINY.appeals
    assert Unit.objects.count() - before[Unit] == TINY_UNITS
    assert User.objects.count() - before[User] == TINY_UNITS  # one login per unit
    assert Household.objects.count() - before[Household] == TINY.households
    assert Person.objects.count() - before[Person] == TINY.people
    assert Appeal.objects.count() - before[Appeal] == TINY.appeals
    assert Event.objects.count() - before[Event] == TINY.appeals
    assert Responsibility.objects.filter(unit__code__startswith="S41-").count() == TINY_UNITS - 2
    assert synth.already_loaded(41)
    # The sequences follow the ids written, and the rows read back through the models.
    user = User.objects.create(username="after-synth")
    assert user.pk >= plan.base["user"] + TINY_UNITS
    appeal = Appeal.objects.filter(handler__isnull=False).select_related("unit", "handler").first()
    assert appeal is not None
    assert appeal.unit is not None
    assert appeal.unit.kind == Unit.Kind.BLOCK
    assert appeal.district_id == appeal.unit.district_id
    with pytest.raises(CommandError, match="already loaded"):
        call_command("synth", "--scale", "tiny", "--seed", "41")


def test_chunks_are_the_same_whoever_builds_them() -> None:
    """Each chunk has its own generator: worker processes give byte for byte the COPY text this process
    gives, and the chunked rows keep the invariants the sequential ones had (door numbers 1, 2, … per
    block, one head per household)."""
    plan = fixed_plan(1)
    plan.chunk = 64  # 400 appeals: 7 chunks
    tree = synth.Tree()
    units = list(synth.tree_rows(plan, tree))
    for i, (pk, *_rest) in enumerate(units):
        tree.user_of_unit[pk] = 5000 + i
    gen = synth.Gen(plan, tree, fake_cats(), appeal_ct=7)
    here, pool = synth.Builders(gen, 0), synth.Builders(gen, 2)
    try:
        for build, n in (
            (synth.appeal_chunk, TINY.appeals),
            (synth.person_chunk, TINY.people),
            (synth.household_chunk, TINY.households),
        ):
            mine, theirs = list(here.text(build, n)), list(pool.text(build, n))
            assert len(mine) == plan.chunks(n) > 1
            assert mine == theirs
            assert sum(part.count(b"\n") for part in mine) == n
    finally:
        pool.close()
    doors: dict[int, list[int]] = {}
    for _pk, block, _d, number, _addr, _at in synth.household_rows(plan, tree):
        doors.setdefault(block, []).append(int(number.removesuffix("号")))
    assert all(d == list(range(1, len(d) + 1)) for d in doors.values())
    heads = [r[7] for r in synth.person_rows(plan, tree)]
    assert sum(heads) == TINY.households


def test_copy_text_escapes_what_copy_would_misread() -> None:
    row = (None, True, False, 7, "a\tb\\c\nd", datetime(2026, 1, 2, 3, 4, tzinfo=UTC), date(2026, 1, 2))
    assert synth.copy_text([row]) == (
        b"\\N\tt\tf\t7\ta\\tb\\\\c\\nd\t2026-01-02T03:04:00+00:00\t2026-01-02\n"
    )


def _schema(tables: list[str]) -> list[tuple[Any, ...]]:
    """Every index and constraint of the tables, with its definition (PostgreSQL's catalogue)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1, 2",
            [tables],
        )
        out: list[tuple[Any, ...]] = list(cur.fetchall())
        cur.execute(
            """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), condeferrable,
                      condeferred, convalidated
               FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) ORDER BY 1, 2""",
            [tables],
        )
        out.extend(cur.fetchall())
    return out


def test_a_chunked_parallel_load_restores_every_index_and_constraint(seeded: None) -> None:
    """On PostgreSQL the big tables lose their secondary indexes and foreign keys for the load and get them
    back after it, the same as before; on SQLite nothing is dropped and the workers are not used."""
    tables = [m._meta.db_table for m in (Household, Person, Appeal, Event)]
    postgres = connection.vendor == "postgresql"
    before = _schema(tables) if postgres else []
    plan = synth.plan_for("tiny", 43, UNTIL)
    plan.chunk = 100
    reports = synth.synth_load(plan, workers=2)
    assert Appeal.objects.filter(unit__code__startswith="S43-").count() == TINY.appeals
    assert Person.objects.filter(household__unit__code__startswith="S43-").count() == TINY.people
    merged = Appeal.objects.filter(unit__code__startswith="S43-", state="merged")
    assert merged.exists()
    assert not merged.filter(repeat_of__isnull=True).exists()
    if postgres:
        assert reports[-1].table.startswith("indexes, foreign keys")
        assert _schema(tables) == before
        assert any("FOREIGN KEY" in str(r[2]) for r in before)
        # The foreign keys are back and checked: a dangling reference is refused.
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        dangling = f"UPDATE {Appeal._meta.db_table} SET unit_id = -1 WHERE id = %s"  # noqa: S608
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(dangling, [plan.base["appeal"]])


def test_ensure_postgres_database_creates_a_missing_database_once() -> None:
    """`synth --database-url` and `bench` create their PostgreSQL database when the server lacks it (and
    leave any other URL alone)."""
    import secrets

    import psycopg
    from psycopg import sql

    synth.ensure_postgres_database("sqlite:///var/nowhere.sqlite3")  # not PostgreSQL: nothing to do
    if connection.vendor != "postgresql":
        return
    s = connection.settings_dict
    server = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    name = f"minhu_ensure_{secrets.token_hex(4)}"
    exists = "SELECT count(*) FROM pg_database WHERE datname = %s"
    try:
        synth.ensure_postgres_database(f"{server}/{name}")
        synth.ensure_postgres_database(f"{server}/{name}")  # already there: no error, no second one
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            assert conn.execute(exists, [name]).fetchone() == (1,)
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))

"""A household import costs the same queries per batch however many blocks it touches and however many
households those blocks already hold (earlier batches' included): references are looked up by the batch's
own (unit, number) keys, never by every household of its blocks (issue 8: 120 rows/s at street scale)."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from minhu.accounts.models import User
from minhu.core.tabular import Row
from minhu.grid.imports import HouseholdSpec
from minhu.grid.models import Household, Unit
from minhu.grid.services import district_of, grid_import, unit_create
from minhu.grid.tests.conftest import Tree

BATCH = 500  # run_import's default batch size


def more_blocks(tree: Tree, n: int) -> list[Unit]:
    """`n` blocks under village A's area, each already holding 20 households."""
    blocks = [
        unit_create(kind="block", name=f"块{i}", code=f"210111001001B{i:03d}", parent=tree.area_a, actor=None)
        for i in range(n)
    ]
    Household.objects.bulk_create(
        Household(unit=b, district_id=district_of(b), number=f"{k}号") for b in blocks for k in range(1, 21)
    )
    return blocks


def households_csv(blocks: list[Unit], rows: int, tag: str) -> io.BytesIO:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["unit_code", "number"])
    for i in range(rows):  # round robin, as a file sorted by anything but the block would be
        w.writerow([blocks[i % len(blocks)].code, f"{tag}{i}号"])
    return io.BytesIO(out.getvalue().encode("utf-8"))


def queries_of_import(blocks: list[Unit], rows: int, tag: str, actor: User) -> int:
    f = households_csv(blocks, rows, tag)
    with CaptureQueriesContext(connection) as ctx:
        result = grid_import(kind="households", f=f, filename="h.csv", mode="atomic", actor=actor)
    assert result.errors == []
    assert result.written == rows
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["bob", "root"])
def test_household_import_queries_do_not_grow_with_batches_or_blocks(
    staffed: Tree, who: str, request: pytest.FixtureRequest
) -> None:
    actor = request.getfixturevalue(who)  # scoped cadre, and an administrator who sees everything
    blocks = more_blocks(staffed, 120)
    queries_of_import(blocks[:10], 1, "w", actor)  # the first import also reads the actor's scope
    one = queries_of_import(blocks[:10], BATCH, "a", actor)
    two = queries_of_import(blocks[:10], 2 * BATCH, "b", actor)
    four = queries_of_import(blocks[:10], 4 * BATCH, "c", actor)
    per_batch = two - one
    assert per_batch > 0
    assert four - two == 2 * per_batch  # each batch costs the same, the fourth as the first
    # Spread over twelve times the blocks (each with the households of the imports above), the same count.
    assert queries_of_import(blocks, 2 * BATCH, "d", actor) == two


def test_households_by_key_fetches_only_the_batch_keys(staffed: Tree, bob: User) -> None:
    blocks = more_blocks(staffed, 30)  # 600 households in the batch's blocks
    spec = HouseholdSpec(bob)
    rows = []
    for i, b in enumerate(blocks[:10]):
        rows.append(Row(number=i + 2, raw={}, values={"unit_code": b.code, "number": "3号"}))  # exists
        rows.append(Row(number=i + 2, raw={}, values={"unit_code": b.code, "number": "新1号"}))  # new
    rows.append(Row(number=99, raw={}, values={"unit_code": "210111001002001", "number": "1号"}))  # no scope
    found = spec.households_by_key(rows, "unit_code", "number")
    assert sorted(found) == sorted((b.code, "3号") for b in blocks[:10])
    assert all(h.unit.code == code and h.number == number for (code, number), h in found.items())

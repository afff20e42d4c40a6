"""A hand-built world for the analysis (month under test: March 2026, villages of 永乐街道).

    village A (2 households)  K1 楼道杂物: 12 in 2026-03 (4 of them from 13900001111, at block 一块),
                              4 in 2026-02, none in 2025-03 → hot spot, rising on both comparisons,
                              one repeat caller. Score 12 + ½·8 + ½·12 + 0 + 2·1 = 24.0
                              K2 路灯损坏: 2 in 2026-03 → under the minimum count (5): not a candidate
    village B (5 households)  K3 排水不畅: 5 in 2026-03 (3 from household B1a-1 with no phone), 5 in 2025-03,
                              5 in 2024-03, nothing else → seasonal in 2 of the last 3 years, rising on the
                              previous month (0), not on last year (5). Score 5 + 2.5 + 0 + ½·5·⅔ + 2 = 11.2
                              K2 路灯损坏: 6 every month from 2024-04 to 2026-03 → steady: no signal.
                              Score 6.0
Expected order by score: A·K1 (24.0), B·K3 (11.2), B·K2 (6.0).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import count
from zoneinfo import ZoneInfo

from minhu.appeals.models import Appeal, Category
from minhu.appeals.stats import Period
from minhu.grid.models import Household, Unit
from minhu.grid.services import household_create
from minhu.grid.tests.conftest import Tree, build_tree

SH = ZoneInfo("Asia/Shanghai")
MARCH = Period.month(2026, 3)
_seq = count(1)


@dataclass
class World:
    tree: Tree
    k1: Category
    k2: Category
    k3: Category


def appeals(
    n: int,
    category: Category,
    unit: Unit,
    *,
    street: Unit,
    village: Unit,
    year: int,
    month: int,
    phone: str = "",
    household: Household | None = None,
) -> list[Appeal]:
    out = []
    for i in range(n):
        k = next(_seq)
        out.append(
            Appeal(
                kind="complaint",
                channel="hotline",
                category=category,
                description=f"matter {k}",
                unit=unit,
                street=street,
                village=village,
                district=street.district,
                household=household,
                caller_name="刘大",
                caller_phone=phone or f"1370000{k:04d}",
                submitted_at=datetime(year, month, 1 + i % 27, 10, tzinfo=SH),
                tracking_code=f"INS{k:07d}",
                state="closed" if year < 2026 else "dispatched",
                closed_at=datetime(year, month, 28, tzinfo=SH) if year < 2026 else None,
            )
        )
    return out


def build_world() -> World:
    tree = build_tree()
    for n in range(2, 6):
        household_create(unit=tree.block_b, number=f"{n}号", actor=None)
    k1 = Category.objects.create(code="K1", name="楼道杂物")
    k2 = Category.objects.create(code="K2", name="路灯损坏")
    k3 = Category.objects.create(code="K3", name="排水不畅")
    s, va, vb = tree.street, tree.village_a, tree.village_b
    rows: list[Appeal] = []
    rows += appeals(8, k1, tree.block_a, street=s, village=va, year=2026, month=3)
    rows += appeals(4, k1, tree.block_a, street=s, village=va, year=2026, month=3, phone="13900001111")
    rows += appeals(4, k1, tree.block_a, street=s, village=va, year=2026, month=2)
    rows += appeals(2, k2, va, street=s, village=va, year=2026, month=3)
    rows += appeals(2, k3, vb, street=s, village=vb, year=2026, month=3)
    for a in appeals(3, k3, tree.block_b, street=s, village=vb, year=2026, month=3, household=tree.hh_b1):
        a.caller_phone = ""
        rows.append(a)
    rows += appeals(5, k3, vb, street=s, village=vb, year=2025, month=3)
    rows += appeals(5, k3, vb, street=s, village=vb, year=2024, month=3)
    for i in range(24):
        index = 2024 * 12 + 3 + i  # 2024-04 … 2026-03
        rows += appeals(6, k2, tree.block_b, street=s, village=vb, year=index // 12, month=index % 12 + 1)
    Appeal.objects.bulk_create(rows)
    return World(tree, k1, k2, k3)

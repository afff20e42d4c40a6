"""Demo: the estate's ledger (泮江翡翠城) over 2025 and 2026 with quarterly disclosures. Deterministic."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from minhu.accounts.models import User
from minhu.ledger.models import Account, Entry, Organisation
from minhu.ledger.services import ledger_entry_post, ledger_period_close

ACCOUNTS = [
    ("I01", "物业费收入", "income", False, 80000),
    ("I02", "广告收入", "income", False, 3600),
    ("I03", "停车费收入", "income", False, 12000),
    ("C01", "人员工资", "cost", False, 42000),
    ("C02", "保洁费", "cost", False, 15000),
    ("C03", "保安费", "cost", False, 18000),
    ("C04", "公共水电费", "cost", False, 6500),
    ("C05", "公共设施维修", "cost", True, 5000),
]


def load() -> list[tuple[str, str, str]]:
    org, created = Organisation.objects.get_or_create(
        slug="panjiang-feicuicheng", defaults={"name": "泮江翡翠城小区", "kind": Organisation.Kind.ESTATE}
    )
    if not created and Entry.objects.filter(organisation=org).exists():
        return []
    maker = User.objects.get(username="cadre")
    checker = User.objects.get(username="street")
    accounts = {}
    for code, name, klass, maint, _base in ACCOUNTS:
        accounts[code], _ = Account.objects.get_or_create(
            organisation=org, code=code, defaults={"name": name, "klass": klass, "is_maintenance": maint}
        )
    rng = random.Random(2026)  # noqa: S311 -- demo figures, not security
    months = [(y, m) for y in (2025, 2026) for m in range(1, 13) if (y, m) <= (2026, 10)]
    for y, m in months:
        for code, _name, _klass, _maint, base in ACCOUNTS:
            amount = Decimal(base) * Decimal(rng.randint(85, 115)) / 100
            ledger_entry_post(
                account=accounts[code],
                day=date(y, m, 25),
                amount=amount.quantize(Decimal("0.01")),
                description=f"{y}年{m}月{accounts[code].name}",
                maker=maker,
                checker=checker,
            )
        if m % 3 == 0:
            ledger_period_close(
                organisation=org,
                period="quarter",
                start=date(y, m - 2, 1),
                end=date(y, m, 30 if m in (6, 9) else 31),
                actor=checker,
            )
    return []

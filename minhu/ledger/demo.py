"""Demo: the estate's ledger (泮江翡翠城) over 2025 and 2026 with quarterly disclosures, Sujiatun's
party-building funds, and each organisation linked to its unit of the demo grid (when the grid demo made
it). Deterministic and idempotent."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from minhu.accounts.models import User
from minhu.grid.models import Unit
from minhu.ledger.models import Account, Entry, Organisation, Programme
from minhu.ledger.services import (
    allocation_record,
    ledger_entry_post,
    ledger_period_close,
    organisation_link_unit,
)

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


# Sujiatun's party-building funds (the seed: at least 20,000 yuan a year per village; over 2 million to
# demonstration sites in three years; 2 million a year for the 书记领航 programme). Figures per village are
# invented for the demo; two villages are deliberately below the minimum in 2026.
VILLAGES = [
    ("马耳山村", "maershan"),
    ("互助村", "huzhu"),
    ("杨城寨村", "yangchengzhai"),
    ("康家山村", "kangjiashan"),
    ("来胜堡村", "laishengbao"),
    ("宝相屯村", "baoxiangtun"),
    ("杨树林子村", "yangshulinzi"),
]
# Each organisation's unit in the demo grid (minhu/grid/demo.py), by code.
UNIT_CODES = {
    "panjiang-feicuicheng": "445381001001",
    "sujiatun": "210111",
    **{slug: f"210111001{i:03d}" for i, (_name, slug) in enumerate(VILLAGES, start=1)},
}
VILLAGE_FUND_2026 = {"康家山村": 18000, "杨树林子村": 15000}
DEMONSTRATION = [
    ("马耳山村", 2024, 350000),
    ("互助村", 2024, 300000),
    ("杨城寨村", 2025, 400000),
    ("马耳山村", 2025, 300000),
    ("互助村", 2026, 380000),
    ("杨城寨村", 2026, 320000),
]


def load_funds(actor: User) -> None:
    if Programme.objects.exists():
        return
    basic = Programme.objects.create(name="党建工作经费", minimum_per_village=Decimal("20000"))
    demo_sites = Programme.objects.create(name="标准化规范化示范点建设")
    navigator = Programme.objects.create(name="书记领航工程")
    district, _ = Organisation.objects.get_or_create(
        slug="sujiatun", defaults={"name": "苏家屯区", "kind": Organisation.Kind.DISTRICT}
    )
    villages = {}
    for name, slug in VILLAGES:
        villages[name], _ = Organisation.objects.get_or_create(
            slug=slug, defaults={"name": name, "kind": Organisation.Kind.VILLAGE}
        )
    for year in (2024, 2025, 2026):
        allocation_record(
            programme=navigator, organisation=district, year=year, amount="2000000", actor=actor
        )
        for name in villages:
            amount = VILLAGE_FUND_2026.get(name, 20000) if year == 2026 else 20000
            allocation_record(
                programme=basic, organisation=villages[name], year=year, amount=amount, actor=actor
            )
    for name, year, amount in DEMONSTRATION:
        allocation_record(
            programme=demo_sites,
            organisation=villages[name],
            year=year,
            amount=amount,
            purpose="活动场所达标升级",
            actor=actor,
        )


def link_units() -> None:
    """Link the demo organisations to their grid units, where the unit exists and the organisation has no
    unit yet (a link someone changed is left alone)."""
    units = {u.code: u for u in Unit.objects.filter(code__in=UNIT_CODES.values())}
    for org in Organisation.objects.filter(slug__in=UNIT_CODES, unit__isnull=True):
        unit = units.get(UNIT_CODES[org.slug])
        if unit is not None:
            organisation_link_unit(organisation=org, unit=unit, actor=None)


def village_accounts() -> None:
    """An account for spending the party-building funds in each village, so that the village's cadre (the
    `cadre` login keeps 马耳山村's accounts) has somewhere to post."""
    basic = Programme.objects.filter(name="党建工作经费").first()
    for org in Organisation.objects.filter(slug__in=[slug for _name, slug in VILLAGES]):
        Account.objects.get_or_create(
            organisation=org,
            code="P01",
            defaults={"name": "党建工作经费支出", "klass": Account.Klass.COST, "programme": basic},
        )


def load() -> list[tuple[str, str, str]]:
    load_funds(User.objects.get(username="district"))
    org, created = Organisation.objects.get_or_create(
        slug="panjiang-feicuicheng", defaults={"name": "泮江翡翠城小区", "kind": Organisation.Kind.ESTATE}
    )
    link_units()
    village_accounts()
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

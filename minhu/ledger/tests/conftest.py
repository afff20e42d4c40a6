"""Ledger fixtures: an estate with its accounts, a hand-computed first quarter, tampering, and the grid's
staffed tree with organisations linked to its units (for scope)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.db import connection

from minhu.accounts.models import User
from minhu.grid.tests.conftest import Tree, staffed, tree  # noqa: F401 -- fixtures used here
from minhu.ledger.models import Account, Entry, Organisation
from minhu.ledger.services import ledger_entry_post, organisation_link_unit


@pytest.fixture
def estate(db: Any) -> Organisation:
    org = Organisation.objects.create(name="泮江翡翠城小区", slug="panjiang", kind="estate")
    for code, name, klass, maint in [
        ("I01", "物业费", "income", False),
        ("I02", "广告收入", "income", False),
        ("I03", "停车费", "income", False),
        ("C01", "保洁", "cost", False),
        ("C02", "保安", "cost", False),
        ("C03", "公共设施维修", "cost", True),
    ]:
        Account.objects.create(organisation=org, code=code, name=name, klass=klass, is_maintenance=maint)
    return org


def acct(org: Organisation, code: str) -> Account:
    return Account.objects.get(organisation=org, code=code)


def post(org: Organisation, code: str, day: date, amount: str, maker: User, checker: User) -> Entry:
    return ledger_entry_post(
        account=acct(org, code),
        day=day,
        amount=amount,
        description=f"{code} {day}",
        maker=maker,
        checker=checker,
    )


def q1_fixture(org: Organisation, maker: User, checker: User) -> None:
    """Q1 2026 by hand: income 86,000.00 + 3,600.00 + 12,345.67 = 101,945.67;
    costs 30,000.00 + 24,000.00 + 8,800.50 = 62,800.50; profit 39,145.17; maintenance 8,800.50."""
    post(org, "I01", date(2026, 1, 15), "50000.00", maker, checker)
    post(org, "I01", date(2026, 3, 15), "36000", maker, checker)
    post(org, "I02", date(2026, 2, 1), "3600.00", maker, checker)
    post(org, "I03", date(2026, 3, 31), "12345.67", maker, checker)
    post(org, "C01", date(2026, 1, 31), "30000", maker, checker)
    post(org, "C02", date(2026, 2, 28), "24000", maker, checker)
    post(org, "C03", date(2026, 3, 10), "8800.50", maker, checker)
    post(org, "I01", date(2026, 4, 1), "99999", maker, checker)  # next quarter: not counted


def _tamper(sql: str, params: list[Any]) -> None:
    """What someone with direct database access could do: switch the guard off, rewrite, switch it back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # a superuser skips user triggers
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = DEFAULT")
        else:
            cursor.execute("DROP TRIGGER ledger_entry_no_update")
            cursor.execute(sql, params)


@dataclass
class Linked:
    """The estate's ledger kept in village A (bob's village, under alice's street), a second ledger in
    village B (alice's street, not bob's), and one not yet linked to any unit."""

    tree: Tree
    a: Organisation
    b: Organisation
    unlinked: Organisation


@pytest.fixture
def linked(staffed: Tree, estate: Organisation) -> Linked:  # noqa: F811 -- the imported fixture
    a = organisation_link_unit(organisation=estate, unit=staffed.village_a, actor=None)
    b = Organisation.objects.create(name="互助村", slug="huzhu", kind="village", unit=staffed.village_b)
    Account.objects.create(organisation=b, code="P01", name="党建工作经费支出", klass="cost")
    unlinked = Organisation.objects.create(name="来胜堡村", slug="laishengbao", kind="village")
    return Linked(staffed, a, b, unlinked)


# The smallest real files of each kind a voucher may be: a 1×1 PNG, a JPEG's opening, a one-page PDF.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a0a8a1e70000000049454e44ae426082"
)
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

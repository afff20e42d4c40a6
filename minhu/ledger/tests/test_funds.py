"""Party-building funds: yearly minimum per village, allocations and spending, multi-year totals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from minhu.accounts.models import User
from minhu.ledger.models import Account, Allocation, Organisation, Programme
from minhu.ledger.selectors import programme_totals, programme_year, villages_below_minimum
from minhu.ledger.services import allocation_record, ledger_entry_post


@pytest.fixture
def villages(db: None) -> dict[str, Organisation]:
    return {
        name: Organisation.objects.create(name=name, slug=slug, kind="village")
        for name, slug in [("马耳山村", "maershan"), ("互助村", "huzhu"), ("来胜堡村", "laishengbao")]
    }


@pytest.fixture
def party_fund(db: None) -> Programme:
    return Programme.objects.create(name="党建工作经费", minimum_per_village=Decimal("20000"))


def test_villages_below_the_minimum_are_listed(
    villages: dict[str, Organisation], party_fund: Programme, alice: User
) -> None:
    allocation_record(
        programme=party_fund, organisation=villages["马耳山村"], year=2026, amount="20000", actor=alice
    )
    allocation_record(
        programme=party_fund, organisation=villages["互助村"], year=2026, amount="15000", actor=alice
    )
    below = villages_below_minimum(party_fund, 2026)
    assert [(o.name, a) for o, a in below] == [("互助村", Decimal("15000.00")), ("来胜堡村", Decimal(0))]


def test_spending_is_read_from_the_ledger(
    villages: dict[str, Organisation], party_fund: Programme, alice: User, bob: User
) -> None:
    village = villages["马耳山村"]
    allocation_record(programme=party_fund, organisation=village, year=2026, amount="20000", actor=alice)
    account = Account.objects.create(
        organisation=village, code="F01", name="党建经费支出", klass="cost", programme=party_fund
    )
    ledger_entry_post(
        account=account,
        day=date(2026, 5, 1),
        amount="3500.50",
        description="党员活动室桌椅",
        maker=alice,
        checker=bob,
    )
    (line,) = programme_year(party_fund, 2026)
    assert (line.allocated, line.spent, line.balance) == (
        Decimal("20000.00"),
        Decimal("3500.50"),
        Decimal("16499.50"),
    )


def test_multi_year_totals_per_programme(villages: dict[str, Organisation], alice: User) -> None:
    demo = Programme.objects.create(name="示范点建设")
    for year, amount in [(2024, "600000"), (2025, "800000"), (2026, "700000")]:
        allocation_record(
            programme=demo, organisation=villages["马耳山村"], year=year, amount=amount, actor=alice
        )
    totals = programme_totals([2024, 2025, 2026])
    assert totals == {
        "示范点建设": {2024: Decimal("600000.00"), 2025: Decimal("800000.00"), 2026: Decimal("700000.00")}
    }
    assert sum(totals["示范点建设"].values()) == Decimal("2100000.00")


def test_a_non_positive_allocation_is_refused(
    villages: dict[str, Organisation], party_fund: Programme, alice: User
) -> None:
    with pytest.raises(ValidationError) as info:
        allocation_record(
            programme=party_fund, organisation=villages["互助村"], year=2026, amount="-1", actor=alice
        )
    assert set(info.value.message_dict) == {"amount"}
    assert not Allocation.objects.exists()


def test_funds_page_flags_villages_below_the_minimum(
    client: Client, villages: dict[str, Organisation], party_fund: Programme, alice: User
) -> None:
    allocation_record(
        programme=party_fund, organisation=villages["马耳山村"], year=2026, amount="25000", actor=alice
    )
    html = client.get("/sunshine/funds/2026/").content.decode()
    assert "data-below-minimum" in html
    assert "互助村" in html and "来胜堡村" in html  # noqa: PT018

"""The sunshine ledger: append-only, maker ≠ checker, reversals keep both, quarterly totals match a
hand-computed fixture, and tampering behind the app is found and named."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from minhu.accounts.models import User
from minhu.core.models import AppendOnlyError, Event
from minhu.ledger.models import Disclosure, Entry, Organisation
from minhu.ledger.selectors import ledger_verify, statement_for
from minhu.ledger.services import ledger_entry_reverse, ledger_period_close
from minhu.ledger.tests.conftest import _tamper, post, q1_fixture


def test_quarterly_totals_match_the_hand_computed_fixture(
    estate: Organisation, alice: User, bob: User
) -> None:
    q1_fixture(estate, alice, bob)
    s = statement_for(estate, date(2026, 1, 1), date(2026, 3, 31))
    assert (s["total_income"], s["total_costs"], s["profit_or_loss"], s["maintenance"]) == (
        "101945.67",
        "62800.50",
        "39145.17",
        "8800.50",
    )
    assert [(line["code"], line["amount"]) for line in s["income"]] == [
        ("I01", "86000.00"),
        ("I02", "3600.00"),
        ("I03", "12345.67"),
    ]


def test_maker_and_checker_must_differ(estate: Organisation, alice: User) -> None:
    with pytest.raises(ValidationError) as info:
        post(estate, "I01", date(2026, 1, 1), "100", alice, alice)
    assert set(info.value.message_dict) == {"checker"}
    assert Entry.objects.count() == 0
    assert not Event.objects.filter(verb="ledger.post").exists()


@pytest.mark.parametrize(
    ("amount", "field"), [("0", "amount"), ("12.345", "amount"), ("abc", "amount"), ("-5", "amount")]
)
def test_bad_amounts_are_refused(
    estate: Organisation, alice: User, bob: User, amount: str, field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        post(estate, "I01", date(2026, 1, 1), amount, alice, bob)
    assert set(info.value.message_dict) == {field}
    assert Entry.objects.count() == 0


def test_a_reversal_keeps_both_the_original_and_the_correction(
    estate: Organisation, alice: User, bob: User
) -> None:
    wrong = post(estate, "C01", date(2026, 1, 31), "3000", alice, bob)
    fix = ledger_entry_reverse(
        entry=wrong, reason="金额录错，应为 300 元", day=date(2026, 2, 1), maker=alice, checker=bob
    )
    right = post(estate, "C01", date(2026, 2, 1), "300", alice, bob)
    assert list(Entry.objects.order_by("seq").values_list("seq", "amount", "reverses__seq")) == [
        (1, Decimal("3000.00"), None),
        (2, Decimal("-3000.00"), 1),
        (3, Decimal("300.00"), None),
    ]
    assert fix.reason == "金额录错，应为 300 元"
    assert statement_for(estate, date(2026, 1, 1), date(2026, 3, 31))["total_costs"] == "300.00"
    with pytest.raises(ValidationError):
        ledger_entry_reverse(entry=wrong, reason="again", day=date(2026, 2, 2), maker=alice, checker=bob)
    assert right.prev_hash == fix.hash


def test_entries_cannot_be_edited_or_deleted_through_the_app(
    estate: Organisation, alice: User, bob: User
) -> None:
    entry = post(estate, "I01", date(2026, 1, 1), "100", alice, bob)
    entry.description = "forged"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_entry SET amount = 1 WHERE id = %s", [entry.pk])
    assert Entry.objects.get(pk=entry.pk).amount == Decimal("100.00")


def test_posting_into_a_published_period_is_refused(estate: Organisation, alice: User, bob: User) -> None:
    q1_fixture(estate, alice, bob)
    ledger_period_close(
        organisation=estate, period="quarter", start=date(2026, 1, 1), end=date(2026, 3, 31), actor=alice
    )
    with pytest.raises(ValidationError) as info:
        post(estate, "I01", date(2026, 3, 30), "1", alice, bob)
    assert set(info.value.message_dict) == {"day"}


def test_altering_an_amount_in_the_database_is_named_by_verify(
    estate: Organisation, alice: User, bob: User
) -> None:
    q1_fixture(estate, alice, bob)
    q1 = ledger_period_close(
        organisation=estate, period="quarter", start=date(2026, 1, 1), end=date(2026, 3, 31), actor=alice
    )
    assert ledger_verify(estate).ok
    target = Entry.objects.get(organisation=estate, seq=3)  # the advertising income of February
    _tamper("UPDATE ledger_entry SET amount = %s WHERE id = %s", ["360.00", target.pk])
    result = ledger_verify(estate)
    assert result.ok is False
    assert result.first_broken_seq == 3
    assert result.broken_disclosures == (q1.pk,)
    assert (
        Disclosure.objects.get(pk=q1.pk).statement["total_income"] == "101945.67"
    )  # the published figure stands


def test_verify_of_an_untouched_ledger_is_ok(estate: Organisation, alice: User, bob: User) -> None:
    q1_fixture(estate, alice, bob)
    result = ledger_verify(estate)
    assert (result.ok, result.entries, result.first_broken_seq) == (True, 8, None)

"""The public pages: no login, verification shown, no personal data."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.test import Client

from minhu.accounts.models import User
from minhu.ledger.models import Entry, Organisation
from minhu.ledger.services import ledger_period_close
from minhu.ledger.tests.conftest import _tamper, q1_fixture


def test_public_pages_show_the_statement_and_its_checksum(
    client: Client, estate: Organisation, alice: User, bob: User
) -> None:
    q1_fixture(estate, alice, bob)
    d = ledger_period_close(
        organisation=estate, period="quarter", start=date(2026, 1, 1), end=date(2026, 3, 31), actor=alice
    )
    page = client.get(f"/sunshine/{estate.slug}/").content.decode()
    assert 'data-verify="ok"' in page
    detail = client.get(f"/sunshine/{estate.slug}/{d.pk}/").content.decode()
    assert "39145.17" in detail and d.checksum in detail  # noqa: PT018
    for person in (alice, bob):
        assert person.username not in detail and person.display_name not in detail  # noqa: PT018


def test_a_tampered_period_shows_as_failing(
    client: Client, estate: Organisation, alice: User, bob: User
) -> None:
    q1_fixture(estate, alice, bob)
    d = ledger_period_close(
        organisation=estate, period="quarter", start=date(2026, 1, 1), end=date(2026, 3, 31), actor=alice
    )
    _tamper(
        "UPDATE ledger_entry SET amount = %s WHERE organisation_id = %s AND seq = 3", ["360.00", estate.pk]
    )
    page = client.get(f"/sunshine/{estate.slug}/").content.decode()
    assert 'data-verify="broken"' in page
    assert "第 3 号凭证" in page
    assert f'data-disclosure="{d.pk}"' in page and "失败" in page  # noqa: PT018
    assert 'data-verify="broken"' in client.get(f"/sunshine/{estate.slug}/{d.pk}/").content.decode()


def test_verify_command_names_the_entry_and_fails(estate: Organisation, alice: User, bob: User) -> None:
    from io import StringIO

    from django.core.management.base import CommandError

    q1_fixture(estate, alice, bob)
    call_command("verify", stdout=StringIO())
    target = Entry.objects.get(organisation=estate, seq=5)
    _tamper("UPDATE ledger_entry SET description = %s WHERE id = %s", ["改过的", target.pk])
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify", stdout=out)
    assert "first altered entry: #5" in out.getvalue()


def test_unknown_organisation_is_404(client: Client, db: None) -> None:
    assert client.get("/sunshine/nowhere/").status_code == 404


def test_notice_pdf_carries_the_chinese_headings_and_the_checksum(
    client: Client, estate: Organisation, alice: User, bob: User
) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    q1_fixture(estate, alice, bob)
    d = ledger_period_close(
        organisation=estate, period="quarter", start=date(2026, 1, 1), end=date(2026, 3, 31), actor=alice
    )
    response = client.get(f"/sunshine/{estate.slug}/{d.pk}/notice.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(BytesIO(response.content)).pages[0].extract_text()
    for heading in (
        "泮江翡翠城小区",
        "财务公开",
        "收入合计",
        "支出合计",
        "盈亏",
        "公共部位维修支出",
        "校验码",
    ):
        assert heading in text, heading
    assert d.checksum in text.replace("\n", "")
    assert "39145.17" in text


def test_entries_csv_uses_the_fiscal_data_package_fields_and_only_published_entries(
    client: Client, estate: Organisation, alice: User, bob: User
) -> None:
    import csv
    import io

    from minhu.ledger.models import Account
    from minhu.ledger.services import ledger_entry_post

    q1_fixture(estate, alice, bob)
    ledger_entry_post(
        account=Account.objects.get(organisation=estate, code="C03"),
        day=date(2026, 3, 20),
        amount="120",
        description="更换灯泡",
        counterparty="张三丰",
        maker=alice,
        checker=bob,
    )
    ledger_period_close(
        organisation=estate, period="quarter", start=date(2026, 1, 1), end=date(2026, 3, 31), actor=alice
    )
    body = b"".join(client.get(f"/sunshine/{estate.slug}/entries.csv").streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert list(rows[0]) == [
        "id",
        "date",
        "amount",
        "currency",
        "direction",
        "classification",
        "counterparty",
        "description",
        "corrects",
    ]
    assert len(rows) == 8  # the April entry is not yet published
    assert {r["currency"] for r in rows} == {"CNY"}
    assert {r["direction"] for r in rows} == {"revenue", "expenditure"}
    lamp = next(r for r in rows if r["description"] == "更换灯泡")
    assert (lamp["amount"], lamp["counterparty"]) == ("120.00", "张**")


def test_entries_xlsx_opens_with_the_fiscal_data_package_headers(
    client: Client, estate: Organisation, alice: User, bob: User
) -> None:
    import io
    from decimal import Decimal

    from openpyxl import load_workbook  # type: ignore[import-untyped]

    from minhu.ledger.services import ledger_entry_reverse

    q1_fixture(estate, alice, bob)
    wrong = Entry.objects.get(organisation=estate, seq=3)
    ledger_entry_reverse(entry=wrong, reason="重复入账", day=date(2026, 3, 31), maker=alice, checker=bob)
    ledger_period_close(
        organisation=estate, period="quarter", start=date(2026, 1, 1), end=date(2026, 3, 31), actor=alice
    )
    response = client.get(f"/sunshine/{estate.slug}/entries.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="panjiang-entries.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active  # type: ignore[attr-defined]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [
        "id",
        "date",
        "amount",
        "currency",
        "direction",
        "classification",
        "counterparty",
        "description",
        "corrects",
    ]
    body = rows[1:]
    assert len(body) == 8  # seven of the first quarter and the correction; April is not yet published
    first = body[0]
    assert (first[0], first[1].date(), Decimal(str(first[2])), first[3], first[4], first[5]) == (
        1,
        date(2026, 1, 15),
        Decimal("50000"),
        "CNY",
        "revenue",
        "I01 物业费",
    )
    correction = body[-1]
    assert (correction[0], Decimal(str(correction[2])), correction[8]) == (9, Decimal("-3600"), 3)
    assert sum(Decimal(str(r[2])) for r in body if r[4] == "revenue") == Decimal("98345.67")

"""Importing an existing ledger: all or nothing, row-level errors (row, column, reason), every row through
the chain, the same file never imported twice; the page and the command."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from minhu.accounts.models import User
from minhu.core.models import Event
from minhu.ledger.models import Entry, Organisation
from minhu.ledger.selectors import ledger_verify
from minhu.ledger.services import ledger_import, ledger_period_close
from minhu.ledger.tests.conftest import Linked, post

HEADER = ["date", "account", "amount", "counterparty", "description", "maker", "checker"]


def csv_file(rows: list[list[str]], header: list[str] = HEADER) -> io.BytesIO:
    text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    return io.BytesIO(("\ufeff" + text).encode("utf-8"))


def xlsx_file(rows: list[list[Any]]) -> io.BytesIO:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


GOOD = [
    [date(2025, 1, 25), "I01", 80000.5, "", "2025年1月物业费", "alice", "bob"],
    [date(2025, 1, 31), "C01 保洁", 15000, "罗定市洁美保洁服务有限公司", "1月保洁费", "alice", "bob"],
    [date(2025, 1, 28), "I02", "3600.00", None, "电梯广告", "bob", "alice"],
]


def test_an_xlsx_ledger_is_appended_in_file_order_through_the_chain(
    estate: Organisation, alice: User, bob: User
) -> None:
    post(estate, "I03", date(2024, 12, 31), "100", alice, bob)  # an entry already there
    result = ledger_import(organisation=estate, f=xlsx_file(GOOD), filename="旧账.xlsx", actor=None)
    assert (result.ok, result.rows, result.written) == (True, 3, 3)
    rows = list(
        Entry.objects.filter(organisation=estate)
        .order_by("seq")
        .values_list("seq", "date", "account__code", "amount", "counterparty", "maker__username")
    )
    assert rows == [
        (1, date(2024, 12, 31), "I03", Decimal("100.00"), "", "alice"),
        (2, date(2025, 1, 25), "I01", Decimal("80000.50"), "", "alice"),
        (3, date(2025, 1, 31), "C01", Decimal("15000.00"), "罗定市洁美保洁服务有限公司", "alice"),
        (4, date(2025, 1, 28), "I02", Decimal("3600.00"), "", "bob"),
    ]
    assert ledger_verify(estate).ok
    assert Event.objects.filter(verb="ledger.post").count() == 4
    imported = Event.objects.get(verb="ledger.import")
    assert (imported.actor_label, imported.after["rows"], imported.after["written"]) == (
        "ledger_import",
        3,
        3,
    )


def test_a_bad_row_reports_row_and_column_and_writes_nothing(
    estate: Organisation, alice: User, bob: User
) -> None:
    ledger_period_close(
        organisation=estate, period="year", start=date(2024, 1, 1), end=date(2024, 12, 31), actor=alice
    )
    f = csv_file(
        [
            ["2025-01-25", "I01", "80000.00", "", "1月物业费", "alice", "bob"],
            ["2025-01-26", "I01", "12.345", "", "零头", "alice", "bob"],
            ["2025-01-27", "X99", "10", "", "不存在的科目", "alice", "bob"],
            ["2025-01-28", "I02", "10", "", "自己审核自己", "alice", "alice"],
            ["2024-12-30", "I02", "10", "", "已公开期间", "alice", "bob"],
            ["2025-02-30", "I02", "10", "", "", "alice", "nobody"],
            ["2025-01-29", "C01", "-50", "", "负数", "bob", "alice"],
        ]
    )
    result = ledger_import(organisation=estate, f=f, filename="old.csv", actor=None)
    assert result.ok is False
    assert result.written == 0
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "amount"),
        (4, "account"),
        (5, "checker"),
        (6, "date"),
        (7, "date"),
        (7, "description"),
        (8, "amount"),
    ]
    reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert reasons[(5, "checker")] == "审核人不能与制单人为同一人。"
    assert reasons[(6, "date")] == "截至 2024-12-31 的期间已结账并公开。"
    assert (
        Entry.objects.count(),
        Event.objects.filter(verb__in=["ledger.post", "ledger.import"]).count(),
    ) == (
        0,
        0,
    )


def test_unknown_logins_and_a_missing_column_are_named(estate: Organisation, alice: User, bob: User) -> None:
    result = ledger_import(
        organisation=estate,
        f=csv_file([["2025-01-25", "I01", "1", "", "x", "ghost", "alice"]]),
        filename="a.csv",
        actor=None,
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "maker")]
    missing = ledger_import(
        organisation=estate,
        f=csv_file([["2025-01-25", "I01", "1"]], header=["date", "account", "amount"]),
        filename="a.csv",
        actor=None,
    )
    assert [(e.row, e.column) for e in missing.errors] == [(1, "description"), (1, "maker"), (1, "checker")]
    assert Entry.objects.count() == 0


def test_the_same_file_is_not_imported_twice(estate: Organisation, alice: User, bob: User) -> None:
    content = xlsx_file(GOOD).getvalue()
    first = ledger_import(organisation=estate, f=io.BytesIO(content), filename="a.xlsx", actor=None)
    again = ledger_import(organisation=estate, f=io.BytesIO(content), filename="a (1).xlsx", actor=None)
    assert (first.written, again.written) == (3, 0)
    assert [(e.row, e.reason) for e in again.errors] == [
        (2, "已导入为第 1 号凭证"),
        (3, "已导入为第 2 号凭证"),
        (4, "已导入为第 3 号凭证"),
    ]
    assert Entry.objects.count() == 3


def test_import_as_a_user_needs_the_scope(linked: Linked, bob: User) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        ledger_import(organisation=linked.b, f=csv_file([]), filename="a.csv", actor=bob)


def test_the_import_page_lists_the_bad_rows(linked: Linked, client: Client, bob: User, alice: User) -> None:
    client.force_login(bob)
    url = reverse("ledger:staff_import", args=[linked.a.slug])
    assert client.get(url).status_code == 200
    bad = csv_file([["2025-01-25", "I01", "一万", "", "x", "bob", "alice"]]).getvalue()
    response = client.post(url, {"file": SimpleUploadedFile("old.csv", bad)})
    html = response.content.decode()
    assert 'data-error-row="2"' in html
    assert "<td>amount</td>" in html
    assert "未导入" in html
    assert Entry.objects.count() == 0
    good = xlsx_file(GOOD).getvalue()
    response = client.post(url, {"file": SimpleUploadedFile("old.xlsx", good)})
    assert "已导入 3 笔凭证" in response.content.decode()
    assert Event.objects.get(verb="ledger.import").actor == bob


def test_the_import_template_has_the_columns(linked: Linked, client: Client, bob: User) -> None:
    from openpyxl import load_workbook

    client.force_login(bob)
    response = client.get(reverse("ledger:staff_import_template", args=[linked.a.slug, "xlsx"]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active  # type: ignore[attr-defined]
    assert [c.value for c in sheet[1]] == HEADER


@pytest.mark.parametrize(("who", "status"), [("bob", 404), ("carol", 403), ("dave", 403)])
def test_the_import_page_of_another_area_is_refused(
    linked: Linked, client: Client, who: str, status: int, request: Any
) -> None:
    client.force_login(request.getfixturevalue(who))
    url = reverse("ledger:staff_import", args=[linked.b.slug])
    assert client.get(url).status_code == status
    upload = SimpleUploadedFile("a.xlsx", xlsx_file(GOOD).getvalue())
    assert client.post(url, {"file": upload}).status_code == status
    assert Entry.objects.count() == 0


def test_the_command_imports_and_fails_loudly(
    linked: Linked, alice: User, bob: User, carol: User, tmp_path: Path
) -> None:
    slug = linked.a.slug
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file([["2025-01-25", "I01", "0", "", "x", "alice", "bob"]]).getvalue())
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("ledger_import", slug, str(bad), stdout=out)
    assert "row 2, amount: 金额不能为零。" in out.getvalue()
    assert Entry.objects.count() == 0

    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx_file(GOOD).getvalue())
    with pytest.raises(CommandError, match="does not keep"):
        call_command("ledger_import", slug, str(good), "--as", "carol", stdout=io.StringIO())
    out = io.StringIO()
    call_command("ledger_import", slug, str(good), "--as", "alice", stdout=out)
    assert "3 rows read, 3 entries appended" in out.getvalue()
    assert Event.objects.get(verb="ledger.import").actor == alice

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from minhu.accounts.models import User
from minhu.core.models import Event
from minhu.core.tabular import RowError, read_table, xlsx_file
from minhu.grid.models import Cadre, Household, Person, Term, Unit
from minhu.grid.services import grid_import
from minhu.grid.tests.conftest import Tree

PEOPLE_HEADER = ["unit_code", "household_number", "name", "birth_date", "phone", "id_number", "is_head"]


def people_rows(n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        rows.append(
            [
                "210111001001001",
                "1号" if i % 2 else "2号",
                f"居民{i}",
                "1960-01-01",
                f"1380000{i:04d}",
                "",
                "0",
            ]
        )
    return rows


def as_csv(header: list[str], rows: list[list[str]]) -> io.BytesIO:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(rows)
    return io.BytesIO(out.getvalue().encode("utf-8-sig"))


def with_three_bad(rows: list[list[str]]) -> list[list[str]]:
    rows[10][3] = "1960-13-45"  # file row 12
    rows[500][1] = "99号"  # file row 502: no such household
    rows[998][5] = "12345"  # file row 1000
    return rows


EXPECTED = [
    RowError(12, "birth_date", "not a date (YYYY-MM-DD)"),
    RowError(502, "household_number", "unknown household"),
    RowError(1000, "id_number", "not an 18-character ID number"),
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_atomic_import_reports_exactly_the_bad_rows_and_writes_nothing(
    staffed: Tree, bob: User, fmt: str
) -> None:
    before = Person.objects.count()
    rows = with_three_bad(people_rows(1000))
    f = as_csv(PEOPLE_HEADER, rows) if fmt == "csv" else xlsx_file(PEOPLE_HEADER, rows)
    result = grid_import(kind="people", f=f, filename=f"people.{fmt}", mode="atomic", actor=bob)
    assert result.rows == 1000
    assert result.errors == EXPECTED
    assert result.written == 0
    assert Person.objects.count() == before
    assert Event.objects.filter(verb="grid.import").count() == 0


def test_valid_mode_imports_the_rest_and_returns_rejects(staffed: Tree, bob: User) -> None:
    before = Person.objects.count()
    f = as_csv(PEOPLE_HEADER, with_three_bad(people_rows(1000)))
    result = grid_import(kind="people", f=f, filename="people.csv", mode="valid", actor=bob)
    assert result.errors == EXPECTED
    assert result.written == 997
    assert Person.objects.count() == before + 997
    rejects = list(csv.reader(io.StringIO(result.rejects_csv())))
    assert rejects[0] == [*PEOPLE_HEADER, "error"]
    assert [r[2] for r in rejects[1:]] == ["居民10", "居民500", "居民998"]
    event = Event.objects.get(verb="grid.import")
    assert event.after["written"] == 997


def test_import_cannot_reach_another_village(staffed: Tree, bob: User) -> None:
    f = as_csv(["unit_code", "number"], [["210111001002001", "9号"]])
    result = grid_import(kind="households", f=f, filename="h.csv", mode="atomic", actor=bob)
    assert result.errors == [RowError(2, "unit_code", "unknown unit")]
    assert Household.objects.filter(number="9号").count() == 0


def test_residents_cannot_import(staffed: Tree, dave: User) -> None:
    f = as_csv(["unit_code", "number"], [["210111001001001", "9号"]])
    with pytest.raises(PermissionDenied):
        grid_import(kind="households", f=f, filename="h.csv", mode="valid", actor=dave)
    assert Household.objects.filter(number="9号").count() == 0


def test_unit_import_builds_the_tree_in_file_order(staffed: Tree, alice: User) -> None:
    f = as_csv(
        ["code", "name", "kind", "parent_code"],
        [
            ["210111001009", "康家山村", "village", "210111001"],
            ["210111001009A", "一片", "area", "210111001009"],
            ["210111001009001", "一块", "block", "210111001009A"],
            ["210111001009002", "错块", "block", "210111001"],
        ],
    )
    result = grid_import(kind="units", f=f, filename="u.csv", mode="valid", actor=alice)
    assert result.errors == [RowError(5, "kind", "cannot sit under a unit of kind street")]
    block = Unit.objects.get(code="210111001009001")
    assert block.path.startswith(Unit.objects.get(code="210111001009").path)


def test_cadre_import_creates_terms(staffed: Tree, bob: User) -> None:
    f = as_csv(
        [
            "unit_code",
            "start_year",
            "end_year",
            "name",
            "birth_date",
            "education",
            "is_secretary",
            "is_director",
        ],
        [
            ["210111001001", "2021", "2026", "李书记", "1970-05-01", "college", "1", "1"],
            ["210111001001", "2021", "2026", "王委员", "1980-05-01", "senior", "0", "0"],
            ["210111001001", "2021", "2026", "赵委员", "1985-05-01", "bachelor", "1", "0"],
        ],
    )
    result = grid_import(kind="cadres", f=f, filename="c.csv", mode="valid", actor=bob)
    assert result.errors == [RowError(4, "is_secretary", "the term already has a secretary")]
    assert Term.objects.count() == 1
    assert Cadre.objects.count() == 2


def test_template_download(staffed: Tree, client: Any, bob: User) -> None:
    from django.urls import reverse

    client.force_login(bob)
    response = client.get(reverse("grid:import_template", args=["people", "xlsx"]))
    rows = list(read_table(io.BytesIO(b"".join(response.streaming_content)), "people.xlsx"))
    assert rows[0][:3] == ["unit_code", "household_number", "name"]


def test_import_page(staffed: Tree, client: Any, bob: User) -> None:
    from django.urls import reverse

    client.force_login(bob)
    f = as_csv(["unit_code", "number"], [["210111001001001", "7号"], ["bad", "8号"]])
    f.name = "h.csv"
    response = client.post(reverse("grid:import"), {"kind": "households", "mode": "valid", "file": f})
    page = response.content.decode()
    assert response.status_code == 200
    assert "unknown unit" in page
    assert Household.objects.filter(number="7号").count() == 1


def test_command_reports_progress_and_rejects(staffed: Tree, bob: User, tmp_path: Any) -> None:
    from django.core.management import call_command

    src = tmp_path / "h.csv"
    src.write_bytes(as_csv(["unit_code", "number"], [["210111001001001", "5号"], ["nope", "6号"]]).getvalue())
    rejects = tmp_path / "rejects.csv"
    out = io.StringIO()
    call_command(
        "grid_import",
        "households",
        str(src),
        "--mode",
        "valid",
        "--as",
        "bob",
        "--rejects",
        str(rejects),
        stdout=out,
    )
    text = out.getvalue()
    assert "2 rows…" in text
    assert "row 3, unit_code: unknown unit" in text
    assert "2 rows read, 1 written, 1 rejected" in text
    assert rejects.read_text(encoding="utf-8-sig").splitlines()[1] == "nope,6号,unit_code: unknown unit"

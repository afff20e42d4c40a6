"""Tables read and written safely: broken files refused whole with a message (TableError), control
characters in cells refused, and exports that neither run a resident's formula nor fail on a character a
workbook cannot hold."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from minhu.core.tabular import TableError, csv_lines, read_table, xlsx_file
from minhu.core.tests.hostile_files import hostile_files

ATTACK = '=HYPERLINK("http://example.invalid/","点此领取补贴")'


@pytest.mark.parametrize(("case", "name", "data"), hostile_files(), ids=[c for c, _n, _d in hostile_files()])
def test_a_file_that_is_no_table_raises_table_error(case: str, name: str, data: bytes) -> None:
    with pytest.raises(TableError):
        list(read_table(io.BytesIO(data), name))


def test_utf16_with_a_byte_order_mark_is_read() -> None:
    data = "a,b\n一,二\n".encode("utf-16")
    assert list(read_table(io.BytesIO(data), "list.csv")) == [["a", "b"], ["一", "二"]]


def test_an_xlsx_export_writes_formulas_as_text_and_drops_illegal_characters() -> None:
    rows = [[ATTACK, "楼道\x0b灯坏了", "+86 10 1234 5678", "-", 42, None]]
    book = load_workbook(xlsx_file(["描述", "备注", "电话", "x", "n", "empty"], rows))
    cells = next(iter(book.active.iter_rows(min_row=2)))
    assert [c.value for c in cells] == [ATTACK, "楼道灯坏了", "+86 10 1234 5678", "-", 42, None]
    assert [c.data_type for c in cells[:4]] == ["s", "s", "s", "s"]  # text, never a formula ("f")
    assert cells[4].data_type == "n"


def test_a_csv_export_puts_an_apostrophe_before_formula_like_text() -> None:
    lines = list(csv_lines(["a", "b", "c"], [[ATTACK, "@SUM(A1)", "楼道\x0b灯"], [12, None, "普通文字"]]))
    assert lines[2] == '"\'=HYPERLINK(""http://example.invalid/"",""点此领取补贴"")",\'@SUM(A1),楼道灯\r\n'
    assert lines[3] == "12,,普通文字\r\n"

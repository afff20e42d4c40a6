"""Tabular import and export (.csv and .xlsx), for every list staff keep in Excel.

Reading streams: CSV row by row, .xlsx with openpyxl's read-only mode, so a file of a million rows is never
held in memory. An import is described by a `Spec`: its columns (each with a parser that raises ValueError
with a reason), a `build` step that turns a batch of parsed rows into unsaved objects or per-row errors
(resolving references with one query per batch, not per row), and a `save` step (bulk_create by default).

Two modes:

- "atomic": all or nothing. Every row is checked; if any row is bad, nothing is written and the report lists
  every bad row (row number as the spreadsheet shows it, column name, reason).
- "valid": the valid rows are written, the bad ones come back as a rejects file (the original columns plus
  an `error` column) to fix and import again.

A file that cannot be read as a table at all (random bytes, a zip that is no workbook, a truncated .xlsx, a
binary or undecodable .csv) is refused whole with one message naming the file's problem (`TableError`,
reported as a file-level error: row 0), never a traceback; a cell holding a control character is refused
with a field error for its row and column.

Writing: `stream_csv` streams a CSV response (with a BOM, so Excel opens UTF-8 correctly); `xlsx_response`
writes rows with openpyxl's write-only mode into a spooled temporary file, so memory stays flat. Exports carry
what residents typed, so every cell is made safe first (`export_cell`): characters a workbook cannot hold are
dropped, and a text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
carriage return) is written as plain text — in .xlsx as a string cell, in .csv behind an apostrophe.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext as _translate

# Messages are looked up at run time in every catalogue; their translations live in the catalogue of the
# app that first used this module (minhu/grid/locale, see grid/imports.py TABULAR_MESSAGES) until core's
# catalogue takes them over. The alias keeps makemessages from extracting them into core's catalogue.

Mode = Literal["atomic", "valid"]
ERROR_COLUMN = "error"
# Control characters a cell may not hold (tab, line feed and carriage return are allowed).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class TableError(ValueError):
    """The file cannot be read as a table; the message says why, for the person who uploaded it."""


# --- parsers: each returns the value or raises ValueError(reason) --------------------------------------


def parse_text(value: str) -> str:
    return value.strip()


def parse_int(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ValueError(_translate("not a whole number")) from None


def parse_decimal(value: str) -> Decimal:
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        raise ValueError(_translate("not a number")) from None


def parse_date(value: str) -> date:
    """ISO dates (2024-03-01), also written 2024/03/01 or 2024.03.01 as spreadsheets often do."""
    v = value.strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(v[:10]) if len(v) >= 10 else date.fromisoformat(_pad_date(v))
    except ValueError:
        raise ValueError(_translate("not a date (YYYY-MM-DD)")) from None


def _pad_date(v: str) -> str:
    parts = v.split("-")
    if len(parts) != 3:
        raise ValueError(v)
    return f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"


TRUE_WORDS = {"1", "y", "yes", "true", "是", "√", "x"}
FALSE_WORDS = {"", "0", "n", "no", "false", "否"}


def parse_bool(value: str) -> bool:
    v = value.strip().lower()
    if v in TRUE_WORDS:
        return True
    if v in FALSE_WORDS:
        return False
    raise ValueError(_translate("not yes or no"))


def parse_choice(choices: Iterable[tuple[str, Any]]) -> Callable[[str], str]:
    """A parser accepting a choice's value or its label (in any language it is shown in)."""
    pairs = list(choices)

    def parse(value: str) -> str:
        v = value.strip()
        for key, label in pairs:
            if v == key or v == str(label):
                return key
        raise ValueError(_translate("not one of: %(choices)s") % {"choices": ", ".join(k for k, _l in pairs)})

    return parse


@dataclass(frozen=True)
class Column:
    """One column of an import: its header, how to parse it, whether it must be filled, and an example."""

    name: str
    parse: Callable[[str], Any] = parse_text
    required: bool = True
    example: str = ""
    help: str = ""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str


@dataclass
class Row:
    """One data row: its number in the file (the header is row 1), raw cells, parsed values, and after
    `build` either an object to save or errors."""

    number: int
    raw: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    obj: Any = None

    def fail(self, column: str, reason: str) -> None:
        self.errors.append(RowError(self.number, column, reason))


class Spec:
    """How to import one kind of list. Subclasses set `name` and `columns`, and implement `build`."""

    name: str = ""
    columns: list[Column] = []

    def build(self, rows: list[Row]) -> None:
        """Turn parsed rows into unsaved objects (row.obj) or errors (row.fail). Called per batch, before
        anything of the batch is saved; it may look up what earlier batches saved."""
        raise NotImplementedError

    def save(self, objs: list[Any]) -> None:
        """Write one batch of built objects (bulk_create by default)."""
        if objs:
            type(objs[0]).objects.bulk_create(objs)

    def headers(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass
class ImportResult:
    mode: Mode
    rows: int = 0
    written: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejects: list[Row] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def rejects_csv(self) -> str:
        """The rejected rows as CSV: the original columns and an `error` column, to fix and re-import."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([*self.headers, ERROR_COLUMN])
        for row in self.rejects:
            reasons = "; ".join(f"{e.column}: {e.reason}" for e in row.errors)
            writer.writerow([*(row.raw.get(h, "") for h in self.headers), reasons])
        return out.getvalue()


# --- reading ---------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# What openpyxl raises on a file that is not a readable workbook (random bytes, a zip without
# [Content_Types].xml, a truncated file); its own InvalidFileException is a subclass of Exception only.
_XLSX_BROKEN: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    KeyError,
    EOFError,
    OSError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
)


def _xlsx_rows(f: IO[bytes]) -> Iterator[list[str]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]
    from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

    broken = (*_XLSX_BROKEN, InvalidFileException)
    not_a_workbook = _translate(
        "The file is not a readable .xlsx workbook (it may be damaged, cut short or of another kind): save "
        "it from Excel or WPS as .xlsx and upload it again."
    )
    try:
        wb = load_workbook(f, read_only=True, data_only=True)
    except broken:
        raise TableError(not_a_workbook) from None
    try:
        if not wb.worksheets:
            raise TableError(not_a_workbook)
        rows = wb.worksheets[0].iter_rows(values_only=True)
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except broken:
                raise TableError(not_a_workbook) from None
            yield [_cell(v) for v in values]
    finally:
        with contextlib.suppress(*broken):
            wb.close()


def _csv_encoding(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"  # Excel's "Unicode text" and some WPS exports
    if b"\x00" in head:
        raise TableError(
            _translate(
                "The file is not a text .csv file (it holds binary data): save it from Excel or WPS as "
                "CSV (UTF-8) or .xlsx and upload it again."
            )
        )
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:  # not merely a character cut by the 4 KB boundary
            return "gb18030"
    return "utf-8-sig"


def _csv_rows(f: IO[bytes]) -> Iterator[list[str]]:
    head = f.read(4096)
    f.seek(0)
    encoding = _csv_encoding(head)
    text = io.TextIOWrapper(f, encoding=encoding, newline="")
    reader = csv.reader(text)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise TableError(
                _translate(
                    "The file is neither UTF-8 nor GB18030 text: save it from Excel or WPS as CSV (UTF-8) "
                    "and upload it again."
                )
            ) from None
        except csv.Error as e:
            raise TableError(
                _translate("The file is not a well-formed .csv file (%(reason)s).") % {"reason": e}
            ) from None
        yield cells


def read_table(f: IO[bytes], filename: str) -> Iterator[list[str]]:
    """The rows of a .csv (UTF-8, with or without BOM; UTF-16 with a BOM; GB18030 as a fallback) or .xlsx
    file (first sheet), as lists of strings, streamed. Raises `TableError` (while iterating) for a file that
    cannot be read as a table."""
    if filename.lower().endswith(".xlsx"):
        yield from _xlsx_rows(f)
    else:
        yield from _csv_rows(f)


def read_rows(f: IO[bytes], filename: str, spec: Spec) -> tuple[list[str], Iterator[Row], list[RowError]]:
    """Headers, the data rows (numbered as the spreadsheet numbers them), and header errors (missing
    required columns), streamed. Blank rows are skipped."""
    table = read_table(f, filename)
    header = [h.strip() for h in next(table, [])]
    errors = [
        RowError(1, c.name, _translate("column missing"))
        for c in spec.columns
        if c.required and c.name not in header
    ]

    def rows() -> Iterator[Row]:
        for number, cells in enumerate(table, start=2):
            if not any(c.strip() for c in cells):
                continue
            yield Row(
                number=number, raw={h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)}
            )

    return header, rows(), errors


def parse_row(spec: Spec, row: Row) -> None:
    for col in spec.columns:
        raw = row.raw.get(col.name, "").strip()
        if CONTROL.search(raw):
            row.fail(col.name, _translate("contains a control character"))
            row.values[col.name] = None
            continue
        if not raw:
            if col.required:
                row.fail(col.name, _translate("required"))
            row.values[col.name] = None
            continue
        try:
            row.values[col.name] = col.parse(raw)
        except (ValueError, ValidationError) as e:
            reason = "; ".join(e.messages) if isinstance(e, ValidationError) else str(e)
            row.fail(col.name, reason)


class _Rollback(Exception):
    pass


def run_import(
    *,
    spec: Spec,
    f: IO[bytes],
    filename: str,
    mode: Mode,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import a file with `spec` in `mode`, in one transaction, `batch_size` rows at a time.

    In atomic mode a single bad row means nothing is written (the transaction is rolled back after every row
    has been checked, so the report is complete). `progress` is called with the number of rows done after
    each batch.
    """
    try:
        return _run_import(
            spec=spec, f=f, filename=filename, mode=mode, batch_size=batch_size, progress=progress
        )
    except TableError as e:  # raised before anything was written, or rolled back with the transaction
        return ImportResult(mode=mode, errors=[RowError(0, filename[:200], str(e))])


def _run_import(
    *,
    spec: Spec,
    f: IO[bytes],
    filename: str,
    mode: Mode,
    batch_size: int,
    progress: Callable[[int], None] | None,
) -> ImportResult:
    headers, rows, header_errors = read_rows(f, filename, spec)
    result = ImportResult(mode=mode, headers=headers, errors=list(header_errors))
    if header_errors:
        return result
    try:
        with transaction.atomic():
            batch: list[Row] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= batch_size:
                    _batch(spec, batch, result)
                    if progress:
                        progress(result.rows)
                    batch = []
            if batch:
                _batch(spec, batch, result)
                if progress:
                    progress(result.rows)
            if mode == "atomic" and result.errors:
                raise _Rollback
    except _Rollback:
        result.written = 0
    return result


def _batch(spec: Spec, batch: list[Row], result: ImportResult) -> None:
    result.rows += len(batch)
    for row in batch:
        parse_row(spec, row)
    spec.build([r for r in batch if not r.errors])
    good = [r for r in batch if not r.errors and r.obj is not None]
    for r in batch:
        if r.errors:
            result.errors.extend(r.errors)
            result.rejects.append(r)
    if result.mode == "atomic" and result.errors:
        return  # keep checking the rest, write nothing more
    spec.save([r.obj for r in good])
    result.written += len(good)


# --- writing ---------------------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_cell(value: Any) -> Any:
    """A cell made safe to write: text without the characters a workbook cannot hold (control characters
    other than tab, line feed and carriage return); numbers, dates and None unchanged."""
    if isinstance(value, str):
        return CONTROL.sub("", value)
    return value


def is_formula_like(value: Any) -> bool:
    """Would a spreadsheet run this text as a formula (or as the start of one)?"""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def _csv_cell(value: Any) -> Any:
    value = export_cell(value)
    if value is None:
        return ""
    if is_formula_like(value):
        return "'" + value  # the apostrophe makes Excel and WPS read the rest as text
    return value


def csv_lines(header: list[Any], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # Excel reads UTF-8 only with a BOM
    yield writer.writerow([_csv_cell(str(h)) for h in header])
    for row in rows:
        yield writer.writerow([_csv_cell(v) for v in row])


def stream_csv(filename: str, header: list[Any], rows: Iterable[Iterable[Any]]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_file(header: list[Any], rows: Iterable[Iterable[Any]], title: str = "Sheet1") -> IO[bytes]:
    """Rows written with openpyxl's write-only mode into a spooled temporary file (memory stays flat)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])

    def cell(value: Any) -> Any:
        value = export_cell(value)
        if not is_formula_like(value):
            return value
        text = WriteOnlyCell(ws, value=value)
        text.data_type = "s"  # a string cell: shown as typed, never evaluated
        return text

    ws.append([cell(str(h)) for h in header])
    for row in rows:
        ws.append([cell(v) for v in row])
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 -- returned open
    wb.save(out)
    out.seek(0)
    return out


def xlsx_response(filename: str, header: list[Any], rows: Iterable[Iterable[Any]]) -> FileResponse:
    return FileResponse(
        xlsx_file(header, rows), as_attachment=True, filename=filename, content_type=XLSX_TYPE
    )


def template_rows(spec: Spec) -> list[list[str]]:
    """The example row of an import template."""
    return [[c.example for c in spec.columns]]

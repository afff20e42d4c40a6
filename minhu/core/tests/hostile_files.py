"""Files that are not tables, as people and attackers upload them (shared by the import tests of every app
that imports): each must be refused whole with one message naming the file's problem, never a traceback."""

from __future__ import annotations

import io
import random
import zipfile


def _real_xlsx() -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    wb = Workbook()
    ws = wb.active
    ws.append(["a", "b"])
    for i in range(200):
        ws.append([f"row {i}", i])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _zip_without_content_types() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return out.getvalue()


def hostile_files() -> list[tuple[str, str, bytes]]:
    """(case, filename, bytes) for every kind of broken upload."""
    noise = random.Random(7).randbytes(20_000)
    xlsx = _real_xlsx()
    return [
        ("random bytes as .xlsx", "list.xlsx", noise),
        ("random bytes as .csv", "list.csv", noise),
        ("a zip without [Content_Types].xml", "list.xlsx", _zip_without_content_types()),
        ("a truncated .xlsx", "list.xlsx", xlsx[: len(xlsx) // 2]),
        ("an empty .xlsx", "list.xlsx", b""),
        ("a CSV named .xlsx", "list.xlsx", b"a,b\n1,2\n"),
        ("a PNG named .csv", "list.csv", b"\x89PNG\r\n\x1a\n" + noise[:2000]),
        ("UTF-16 without a byte-order mark", "list.csv", "a,b\n一,二\n".encode("utf-16-le")),
        (
            "undecodable bytes after the first 4 KB",
            "list.csv",
            b"a,b\n" + b"x,y\n" * 2000 + b"\xff\xfe\xfd,\xc3\n",
        ),
    ]

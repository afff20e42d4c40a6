"""Broken files on the grid's import page and command: refused whole with the file's problem named, nothing
written, no traceback; a control character in a cell is a field error of its row."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from minhu.accounts.models import User
from minhu.core.models import Event
from minhu.core.tabular import RowError
from minhu.core.tests.hostile_files import hostile_files
from minhu.grid.models import Household
from minhu.grid.services import grid_import
from minhu.grid.tests.conftest import Tree
from minhu.grid.tests.test_import import as_csv

CASES = pytest.mark.parametrize(
    ("case", "name", "data"), hostile_files(), ids=[c for c, _n, _d in hostile_files()]
)


@CASES
def test_the_import_page_refuses_a_broken_file_with_its_problem(
    staffed: Tree, client: Any, bob: User, case: str, name: str, data: bytes
) -> None:
    client.force_login(bob)
    households = Household.objects.count()
    upload = SimpleUploadedFile(name, data)
    response = client.post(reverse("grid:import"), {"kind": "households", "mode": "valid", "file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    if not data:  # refused by the form before it is read: the field says so
        assert "The submitted file is empty." in page
    else:
        assert "The file is" in page
        assert "whole file" in page
    assert Household.objects.count() == households
    assert not Event.objects.filter(verb="grid.import").exists()


@CASES
def test_the_import_command_refuses_a_broken_file_without_a_traceback(
    staffed: Tree, bob: User, tmp_path: Path, case: str, name: str, data: bytes
) -> None:
    src = tmp_path / name
    src.write_bytes(data)
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("grid_import", "households", str(src), "--as", "bob", stdout=out)
    assert f"file {name}: The file is" in out.getvalue()


def test_the_import_command_names_a_missing_file(staffed: Tree, bob: User, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no file"):
        call_command("grid_import", "households", str(tmp_path / "nope.csv"), "--as", "bob")


def test_a_control_character_in_a_cell_is_a_field_error(staffed: Tree, bob: User) -> None:
    f = as_csv(["unit_code", "number"], [["210111001001001", "7\x0b号"], ["210111001001001", "8号"]])
    result = grid_import(kind="households", f=f, filename="h.csv", mode="atomic", actor=bob)
    assert result.errors == [RowError(2, "number", "contains a control character")]
    assert not Household.objects.filter(number__in=["7\x0b号", "8号"]).exists()

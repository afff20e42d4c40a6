from __future__ import annotations

import shutil
import sqlite3
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from minhu.accounts.models import User
from minhu.core.models import Event


@pytest.mark.django_db(transaction=True)
def test_backup_writes_a_restorable_copy(tmp_path: Path, alice: User) -> None:
    if connection.vendor == "postgresql" and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump not installed")
    out = StringIO()
    call_command("backup", "--to", str(tmp_path), stdout=out)
    path = Path(out.getvalue().strip())
    assert path.parent == tmp_path
    assert path.stat().st_size > 0
    if connection.vendor == "sqlite":
        with sqlite3.connect(path) as copy:
            (count,) = copy.execute("SELECT count(*) FROM accounts_user WHERE username = 'alice'").fetchone()
        assert count == 1
    else:
        assert path.read_bytes()[:5] == b"PGDMP"
    assert Event.objects.filter(verb="system.backup").count() == 1

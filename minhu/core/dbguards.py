"""Database triggers that make a table append-only, for migrations of any app.

UPDATE is refused on both databases; DELETE on PostgreSQL only (Django's test flush empties SQLite tables with
DELETE, PostgreSQL's with TRUNCATE, which row triggers do not see). The application refuses both everywhere.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def append_only(table: str) -> migrations.RunPython:
    fn = f"{table}_append_only"
    pg_forward = f"""
CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{table} is append-only (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {fn}();
CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {fn}();
"""
    pg_backward = f"""
DROP TRIGGER IF EXISTS {table}_no_update ON {table};
DROP TRIGGER IF EXISTS {table}_no_delete ON {table};
DROP FUNCTION IF EXISTS {fn}();
"""
    sqlite_forward = f"""
CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
BEGIN
    SELECT RAISE(ABORT, '{table} is append-only (UPDATE refused)');
END;
"""
    sqlite_backward = f"DROP TRIGGER IF EXISTS {table}_no_update;"

    def forward(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(pg_forward)
        elif vendor == "sqlite":
            schema_editor.execute(sqlite_forward)

    def backward(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(pg_backward)
        elif vendor == "sqlite":
            schema_editor.execute(sqlite_backward)

    return migrations.RunPython(forward, backward, elidable=False)

"""The catalogue line for a resident's objection to a line of a published ledger (阳光晒账 异议): dispatched
straight to the checker of that line, answered within 7 days (docs/ledger.md)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def load(apps: Any, schema_editor: Any) -> None:
    Category = apps.get_model("appeals", "Category")
    Category.objects.get_or_create(
        code="L01",
        defaults={
            "name": "账目公开异议",
            "name_en": "Objection to a published account",
            "group": "阳光晒账",
            "default_kind": "report",
            "urgency": "ordinary",
            "handling_level": "village",
            "response_hours": 24,
            "resolution_amount": 7,
            "resolution_unit": "days",
            "required_fields": [],
            "keywords": "账目 公开 物业费 收支 晒账",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("appeals", "0003_escalation")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

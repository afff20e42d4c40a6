"""The dispatch catalogue: the only functions that change a category (what a matter is, who handles it, and
how fast). Staff edit it in administration, which calls these; each change is one event with what changed.

A category is never deleted (appeals refer to theirs for ever): `category_update(active=False)` retires it.
A change never moves the deadlines of an appeal already running: they were copied onto it at dispatch.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.forms.models import model_to_dict

from minhu.appeals.models import Category
from minhu.core.services import changes_save, event_record
from minhu.core.types import Actor

# What staff may set on a category, and what the events record of it.
CATEGORY_FIELDS = (
    "code",
    "name",
    "name_en",
    "description",
    "group",
    "default_kind",
    "urgency",
    "handling_level",
    "department",
    "response_hours",
    "resolution_amount",
    "resolution_unit",
    "required_fields",
    "keywords",
    "active",
)


def _refuse_unknown(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - set(CATEGORY_FIELDS))
    if unknown:
        raise TypeError(f"not fields of a category: {', '.join(unknown)}")


@transaction.atomic
def category_create(*, code: str, name: str, actor: Actor, **fields: Any) -> Category:
    """Add a line to the catalogue (any of `CATEGORY_FIELDS` besides code and name; the model's defaults
    otherwise). Validated in full (ValidationError, nothing written); records `category.create` with every
    field."""
    _refuse_unknown(fields)
    category = Category(code=code, name=name, **fields)
    category.full_clean()
    category.save()
    event_record(
        actor=actor,
        verb="category.create",
        target=category,
        after=model_to_dict(category, CATEGORY_FIELDS),
    )
    return category


@transaction.atomic
def category_update(*, category: Category, actor: Actor, **changes: Any) -> Category:
    """Change some of `CATEGORY_FIELDS` of a category. Validated in full (ValidationError, nothing written);
    records `category.update` with the fields that changed, before → after; changing nothing records nothing.
    """
    _refuse_unknown(changes)
    row = Category.objects.select_for_update().get(pk=category.pk)
    before = model_to_dict(row, CATEGORY_FIELDS)
    for field, value in changes.items():
        setattr(row, field, value)
    row.full_clean()
    after = model_to_dict(row, CATEGORY_FIELDS)
    changes_save(row=row, before=before, after=after, verb="category.update", actor=actor)
    return row

"""Idempotency keys: the one rule for making a retried submission safe, whatever the app.

A caller that may retry (a form's hidden token, an API client's `Idempotency-Key` header, a WeChat message
id) sends a key with its submission; the service stores it on the row it creates, under a unique
constraint within the key's scope (all appeals, a convener's meetings, a meeting's agenda). Then:

1. `key_clean()` checks the key: 1 to `MAX_LENGTH` characters of printable ASCII without spaces (what an
   HTTP header or a form's token can carry unchanged); "" or None is no key, and every call acts.
2. `replay()` finds what a first call with the same key made, so the retry answers with it and creates
   nothing.
3. `create_once()` runs the creation in a savepoint: when two calls with the same key race past `replay()`,
   the unique constraint refuses the second, and it answers with the winner's row instead of an error.

Used by appeals' intake (every channel, the JSON API's header) and meetings (meetings and agenda items).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

MAX_LENGTH = 100  # the idempotency_key columns of appeals and meetings
_PRINTABLE = re.compile(r"[\x21-\x7e]+")

M = TypeVar("M", bound=models.Model)


def key_clean(
    value: str | None, *, max_length: int = MAX_LENGTH, field: str = "idempotency_key"
) -> str | None:
    """The key, or None when none is given ("" counts as none). Raises a ValidationError naming `field` for
    a key longer than `max_length` or with anything but printable ASCII (spaces and control characters
    included): a client's mistake, refused rather than silently truncated into another key."""
    if value is None or value == "":
        return None
    if len(value) > max_length:
        message = _("1 to %(n)d characters.") % {"n": max_length}
        raise ValidationError({field: ValidationError(message, code="key_length")})
    if not _PRINTABLE.fullmatch(value):
        message = _("Letters, digits and punctuation only, without spaces.")
        raise ValidationError({field: ValidationError(message, code="key_characters")})
    return value


def replay(queryset: models.QuerySet[M], key: str | None) -> M | None:
    """What a first call with `key` made, within `queryset` (the key's scope), or None (also without a
    key)."""
    if key is None:
        return None
    return queryset.filter(idempotency_key=key).first()


def create_once(queryset: models.QuerySet[M], key: str | None, create: Callable[[], M]) -> tuple[M, bool]:
    """(`create()`, True), run in a savepoint; or, when it fails on the unique key because a concurrent call
    with the same `key` won the race, (the winner's row, False) — nothing of the loser's is left. Any other
    IntegrityError is raised."""
    try:
        with transaction.atomic():
            return create(), True
    except IntegrityError:
        winner = replay(queryset, key)
        if winner is None:
            raise
        return winner, False

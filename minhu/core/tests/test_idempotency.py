"""The one idempotency-key helper: what a key may be, and the retry rule (replay, and the race on the unique
key). The rule as each app uses it is tested there (appeals' intake and API, meetings)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from minhu.core.idempotency import MAX_LENGTH, key_clean


@pytest.mark.parametrize("value", [None, ""])
def test_no_key_is_none(value: str | None) -> None:
    assert key_clean(value) is None


@pytest.mark.parametrize("value", ["k", "web:0f8e2b", "api:12:2026-03-01T09:00/x", "a" * MAX_LENGTH])
def test_a_good_key_is_kept_as_it_is(value: str) -> None:
    assert key_clean(value) == value


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("a" * (MAX_LENGTH + 1), "key_length"),
        ("two words", "key_characters"),
        ("tab\there", "key_characters"),
        ("键", "key_characters"),
        ("line\n", "key_characters"),
    ],
)
def test_a_bad_key_is_refused_naming_the_field(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        key_clean(value, field="Idempotency-Key")
    assert list(refused.value.message_dict) == ["Idempotency-Key"]
    assert refused.value.error_dict["Idempotency-Key"][0].code == code


def test_the_length_is_the_columns() -> None:
    assert key_clean("a" * 64, max_length=64) == "a" * 64
    with pytest.raises(ValidationError):
        key_clean("a" * 65, max_length=64)

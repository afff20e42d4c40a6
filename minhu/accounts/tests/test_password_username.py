"""A password holding the user name (forwards or backwards, any case) is refused, also through the service."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from minhu.accounts.models import User
from minhu.accounts.services import user_create


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("zhangsan@Minhu2026", False),
        ("ZhangSan#2026x", False),
        ("nasgnahz#2026X", False),  # the name backwards
        ("Lanterns#2026x", True),
    ],
)
def test_a_password_may_not_contain_the_user_name(password: str, ok: bool) -> None:
    user = User(username="zhangsan")
    if ok:
        validate_password(password, user)
    else:
        with pytest.raises(ValidationError) as e:
            validate_password(password, user)
        assert "password_contains_username" in {err.code for err in e.value.error_list}


def test_user_create_refuses_it_and_writes_nothing(db: None) -> None:
    with pytest.raises(ValidationError):
        user_create(username="zhangsan", password="zhangsan@Minhu2026", actor=None)
    assert not User.objects.filter(username="zhangsan").exists()

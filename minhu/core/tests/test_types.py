"""`login_of` narrows `request.user` by checking it: a login comes back as itself, an anonymous visitor is
refused."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from minhu.accounts.models import User
from minhu.core.types import login_of


def test_login_of_a_login_is_the_login() -> None:
    alice = User(username="alice")
    assert login_of(alice) is alice


def test_login_of_an_anonymous_visitor_is_refused() -> None:
    with pytest.raises(PermissionDenied):
        login_of(AnonymousUser())

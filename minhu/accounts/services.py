"""The only functions that write accounts' data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from minhu.accounts.models import User
from minhu.accounts.roles import Role
from minhu.core.services import event_record


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    actor: Any,
    display_name: str = "",
    phone: str = "",
    roles: Iterable[Role] = (),
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create an account whose password meets the policy, with its roles; records `user.create`."""
    user = User(
        username=username,
        display_name=display_name,
        phone=phone,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    user.full_clean(exclude=["password"])
    validate_password(password, user)
    user.set_password(password)
    user.save()
    role_values = sorted(r.value for r in roles)
    if role_values:
        user.groups.set(_role_groups(role_values))
    event_record(
        actor=actor,
        verb="user.create",
        target=user,
        after={"username": username, "roles": role_values, "is_staff": is_staff},
    )
    return user


def _role_groups(names: list[str]) -> list[Group]:
    """The role groups, created if missing (a role is a fixed name; a database emptied and rebuilt without
    its data migration must not silently drop a role)."""
    return [Group.objects.get_or_create(name=name)[0] for name in names]


@transaction.atomic
def user_set_roles(*, user: User, roles: Iterable[Role], actor: Any) -> User:
    """Replace a user's roles; records `user.roles` with before and after."""
    before = sorted(user.roles())
    after = sorted(r.value for r in roles)
    if before == after:
        return user
    user.groups.set(_role_groups(after))
    event_record(
        actor=actor,
        verb="user.roles",
        target=user,
        before={"roles": before},
        after={"roles": after},
    )
    return user

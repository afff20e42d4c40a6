"""Who does or reads something, typed: the names to use instead of `Any` for a user parameter.

- `Actor` — whoever performs a write: a login, or None for the trusted system (a job, a sweep, a command
  run without `--as`, the demo loader). Services take it as `actor` (keyword-only) and hand it to
  `event_record`. A service that refuses the system types its actor `Login` instead.
- `Login` — an authenticated user (`accounts.User`): the actor of a service that needs a person behind it
  (a reveal, an import, an adoption, a second factor), or a selector's user once it has been narrowed.
- `Viewer` — whoever reads a page or a selector: `request.user` as django-stubs types it with
  `AUTH_USER_MODEL = "accounts.User"`, a login or the anonymous visitor. Selectors take it and apply the
  scope (an anonymous visitor sees nothing in scope).

A user that is the *subject* of a change (the login linked to a person, given a post) is typed `User`.

Going from a `Viewer` to a `Login` is a check, never a cast: `if not user.is_authenticated: ...` narrows
(django-stubs types `is_authenticated` as `Literal[True]` on users and `Literal[False]` on
`AnonymousUser`), and `login_of(request.user)` does it in a view behind `login_required`.

The aliases are strings resolved only by the type checker, so `minhu.core` imports nothing of
`minhu.accounts` at run time (accounts depends on core, not the other way round).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from minhu.accounts.models import User

Login: TypeAlias = "User"
Actor: TypeAlias = "User | None"
Viewer: TypeAlias = "User | AnonymousUser"


def login_of(viewer: Viewer) -> Login:
    """`viewer` as the login it is, for a view that hands `request.user` to a service needing a login.

    Behind `login_required` this never refuses; it makes the narrowing a checked one. An anonymous
    visitor gets PermissionDenied (403), never a write in nobody's name."""
    if not viewer.is_authenticated:
        raise PermissionDenied
    return viewer

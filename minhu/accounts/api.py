"""JSON API: who is calling (per-user tokens with scopes)."""

# No "from __future__ import annotations": django-ninja reads these annotations at import time.

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.security import HttpBearer

from minhu.accounts.models import ApiToken, Scope
from minhu.accounts.services import token_authenticate
from minhu.core.api import TOKEN_ERRORS, ApiError


class TokenAuth(HttpBearer):
    """`Authorization: Bearer mhu_…`: the request then acts as the token's user (request.user), within the
    token's scopes (request.auth)."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = token_authenticate(token)
        if found is not None:
            request.user = found.user
        return found


def require_scope(request: HttpRequest, scope: Scope) -> Any:
    """The calling user, if the token carries `scope`; else a 403 naming the scope."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    if not token.has_scope(scope):
        raise ApiError(403, "scope", _("This token lacks the scope %(scope)s.") % {"scope": scope.value})
    return token.user


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[str]
    token_name: str
    scopes: list[str]
    expires_at: datetime | None


router = Router(tags=["accounts"])


@router.get("/me", response={200: MeOut, **TOKEN_ERRORS}, summary="Who this token acts as")
def me(request: HttpRequest) -> MeOut:
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    user = token.user
    return MeOut(
        username=user.get_username(),
        display_name=str(user),
        roles=sorted(user.roles()),
        token_name=token.name,
        scopes=list(token.scopes),
        expires_at=token.expires_at,
    )

"""The only functions that write accounts' data."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from minhu.accounts.models import TOKEN_PREFIX_LENGTH, ApiToken, Scope, User, token_hash
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


TOKEN_START = "mhu_"  # noqa: S105 (a prefix that tells Minhu tokens apart, not a secret)


@transaction.atomic
def token_issue(
    *,
    user: User,
    name: str,
    scopes: Iterable[Scope | str],
    actor: Any,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Make a JSON API token for `user` with `scopes`. Returns the token row and the plaintext, which is
    stored nowhere (only its hash): show it once. Records `api_token.issue`."""
    wanted = sorted({str(s) for s in scopes})
    unknown = [s for s in wanted if s not in Scope.values]
    if not wanted or unknown:
        raise ValidationError(
            {"scopes": _("Choose one or more of: %(known)s.") % {"known": ", ".join(Scope.values)}}
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    plain = TOKEN_START + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip(),
        scopes=wanted,
        key_prefix=plain[:TOKEN_PREFIX_LENGTH],
        key_hash=token_hash(plain),
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    event_record(
        actor=actor,
        verb="api_token.issue",
        target=token,
        after={"user": user.pk, "name": token.name, "scopes": wanted, "key_prefix": token.key_prefix},
    )
    return token, plain


def token_revoke(*, token: ApiToken, actor: Any) -> ApiToken:
    """Revoke a token: from now on it is refused (401). Revoking a revoked token raises ValidationError."""
    with transaction.atomic():
        done = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if done != 1:
            raise ValidationError(_("This token is already revoked."), code="revoked")
        token.refresh_from_db()
        event_record(
            actor=actor,
            verb="api_token.revoke",
            target=token,
            before={"revoked": False},
            after={"revoked": True, "key_prefix": token.key_prefix},
        )
    return token


def token_authenticate(plain: str) -> ApiToken | None:
    """The usable token with this plaintext, or None. Marks it used at most once a minute (no write per
    request)."""
    token = ApiToken.objects.usable().select_related("user").filter(key_hash=token_hash(plain)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


@transaction.atomic
def totp_device_start(*, user: Any) -> TOTPDevice:
    """The user's unconfirmed device (created once; shown as a QR code until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
        event_record(actor=user, verb="auth.2fa_device_created", target=user)
    return device


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, token: str, actor: Any) -> bool:
    """Confirm the device with a first code from the app; False (and nothing confirmed) for a wrong code."""
    ok = bool(device.verify_token(token.strip()))
    if ok:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    event_record(actor=actor, verb="auth.2fa_confirmed" if ok else "auth.2fa_failed", target=actor)
    return ok

"""The only functions that write accounts' data."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from minhu.accounts.models import TOKEN_PREFIX_LENGTH, ApiToken, Scope, User, token_hash
from minhu.accounts.roles import Role
from minhu.accounts.twofactor import confirmed_device
from minhu.core.masking import mask_phone
from minhu.core.services import event_record
from minhu.core.types import Actor, Login


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    actor: Actor,
    display_name: str = "",
    phone: str = "",
    roles: Iterable[Role | str] = (),
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create an account whose password meets the policy, with its roles (`roles_check`); records
    `user.create`."""
    role_values = roles_check(roles)
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


# The powers kept apart (三员分立, 等保 2.0): the one who runs the system is not the one who audits it.
SEPARATED_ROLES = frozenset({Role.ADMINISTRATOR.value, Role.AUDITOR.value})


def roles_check(roles: Iterable[Role | str]) -> list[str]:
    """The role slugs, sorted, if one account may hold them together; else ValidationError (the system
    administrator and the security auditor are different people)."""
    values = sorted({str(r.value if isinstance(r, Role) else r) for r in roles})
    unknown = [v for v in values if v not in Role.values]
    if unknown:
        raise ValidationError(_("Unknown role: %(role)s.") % {"role": ", ".join(unknown)}, code="unknown")
    if set(values) >= SEPARATED_ROLES:
        raise ValidationError(
            _("The system administrator and the security auditor must be different people."),
            code="separated",
        )
    return values


@transaction.atomic
def user_set_roles(*, user: User, roles: Iterable[Role | str], actor: Actor) -> User:
    """Replace a user's roles (checked by `roles_check`); records `user.roles` with before and after;
    setting the same roles records nothing."""
    after = roles_check(roles)
    User.objects.select_for_update().filter(pk=user.pk).first()  # one change of roles at a time
    before = sorted(user.roles())
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


# What `user_update` may change: the profile. Access (active, staff), roles and the password have their own
# services; the user name is fixed (events keep the name an actor used).
PROFILE_FIELDS = ("display_name", "phone", "first_name", "last_name", "email")


def _shown(field: str, value: Any) -> Any:
    return mask_phone(value) if field == "phone" else value  # the timeline keeps no full phone number


@transaction.atomic
def user_update(*, user: User, actor: Actor, **changes: Any) -> User:
    """Change some of `PROFILE_FIELDS`. Validated (ValidationError, nothing written); records `user.update`
    with what changed (the phone masked); changing nothing records nothing."""
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise TypeError(f"not profile fields: {', '.join(unknown)}")
    row = User.objects.select_for_update().get(pk=user.pk)
    changed = [f for f in PROFILE_FIELDS if f in changes and getattr(row, f) != changes[f]]
    if not changed:
        return row
    before = {f: _shown(f, getattr(row, f)) for f in changed}
    for f in changed:
        setattr(row, f, changes[f])
    row.full_clean(exclude=["password"])
    row.save(update_fields=changed)
    event_record(
        actor=actor,
        verb="user.update",
        target=row,
        before=before,
        after={f: _shown(f, getattr(row, f)) for f in changed},
    )
    return row


@transaction.atomic
def user_set_active(*, user: User, active: bool, actor: Actor) -> User:
    """Activate or deactivate an account (accounts with a history are deactivated, never deleted): a
    deactivated user cannot log in and their API tokens stop working. Records `user.activate` or
    `user.deactivate`; no change, no event. Nobody deactivates their own account."""
    row = User.objects.select_for_update().get(pk=user.pk)
    if row.is_active == active:
        return row
    if not active and actor is not None and getattr(actor, "pk", None) == row.pk:
        raise ValidationError(_("You cannot deactivate your own account."), code="self")
    row.is_active = active
    row.save(update_fields=["is_active"])
    event_record(
        actor=actor,
        verb="user.activate" if active else "user.deactivate",
        target=row,
        before={"is_active": not active},
        after={"is_active": active},
    )
    return row


@transaction.atomic
def user_set_staff(*, user: User, staff: bool, actor: Actor) -> User:
    """Give or take away access to administration (`is_staff`; what a user may do there is still their
    roles' and permissions'). Records `user.staff`; no change, no event."""
    row = User.objects.select_for_update().get(pk=user.pk)
    if row.is_staff == staff:
        return row
    row.is_staff = staff
    row.save(update_fields=["is_staff"])
    event_record(
        actor=actor, verb="user.staff", target=row, before={"is_staff": not staff}, after={"is_staff": staff}
    )
    return row


@transaction.atomic
def user_set_password(*, user: User, password: str | None, actor: Actor) -> User:
    """Set a user's password (it must meet the policy: ValidationError, nothing written), or with None turn
    password login off. Sets it on `user` too (the caller keeps its session hash in step). Records
    `user.password` without any trace of the password."""
    if password is not None:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save(update_fields=["password"])
    event_record(actor=actor, verb="user.password", target=user, after={"usable": password is not None})
    return user


TOKEN_START = "mhu_"  # noqa: S105 (a prefix that tells Minhu tokens apart, not a secret)


@transaction.atomic
def token_issue(
    *,
    user: User,
    name: str,
    scopes: Iterable[Scope | str],
    actor: Actor,
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


def token_revoke(*, token: ApiToken, actor: Actor) -> ApiToken:
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
def totp_device_start(*, actor: Login) -> TOTPDevice:
    """The actor's own unconfirmed device (created once, recorded as `auth.2fa_device_created`; shown as a QR
    code until confirmed)."""
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name="authenticator", confirmed=False)
        event_record(actor=actor, verb="auth.2fa_device_created", target=actor)
    return device


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, token: str, actor: Login) -> bool:
    """Confirm the device with a first code from the app; False (and nothing confirmed) for a wrong code."""
    ok = bool(device.verify_token(token.strip()))
    if ok:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    event_record(actor=actor, verb="auth.2fa_confirmed" if ok else "auth.2fa_failed", target=actor)
    return ok


def totp_verify(*, actor: Login, token: str) -> TOTPDevice | None:
    """The actor's confirmed device if it accepts `token`, or None; every attempt is recorded (and throttled
    by the device: each failure doubles the wait before the next attempt)."""
    device = confirmed_device(actor)
    ok = device is not None and device.verify_is_allowed()[0] and bool(device.verify_token(token.strip()))
    event_record(actor=actor, verb="auth.2fa_ok" if ok else "auth.2fa_failed", target=actor)
    return device if ok else None


@transaction.atomic
def totp_device_remove(*, device: TOTPDevice, actor: Actor) -> None:
    """Remove a second-factor device (its owner lost the phone): they enrol again at their next login.
    Records `auth.2fa_device_removed` on the owner."""
    owner = device.user
    was_confirmed = bool(device.confirmed)
    device.delete()
    event_record(
        actor=actor, verb="auth.2fa_device_removed", target=owner, before={"confirmed": was_confirmed}
    )


def _permission_names(permissions: Iterable[Permission]) -> list[str]:
    return sorted(f"{p.content_type.app_label}.{p.codename}" for p in permissions)


@transaction.atomic
def role_set_permissions(*, group: Group, permissions: Iterable[Permission], actor: Actor) -> Group:
    """Replace what a role may do in administration (its group's permissions; a role's work elsewhere is
    decided by the role itself). Records `role.permissions` with before and after as `app.codename`;
    setting the same permissions records nothing."""
    wanted = list(permissions)
    before = _permission_names(group.permissions.select_related("content_type"))
    after = _permission_names(
        Permission.objects.filter(pk__in=[p.pk for p in wanted]).select_related("content_type")
    )
    if before == after:
        return group
    group.permissions.set(wanted)
    event_record(
        actor=actor,
        verb="role.permissions",
        target=group,
        before={"permissions": before},
        after={"permissions": after},
    )
    return group

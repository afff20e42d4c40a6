"""Two factors for administrators (等保 2.0 level-3 practice): a TOTP device from any authenticator app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from minhu.accounts.roles import Role
from minhu.core.services import event_record


def requires_second_factor(user: Any) -> bool:
    if not settings.ADMIN_2FA or not user.is_authenticated:
        return False
    return bool(user.is_superuser or user.groups.filter(name=Role.ADMINISTRATOR.value).exists())


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


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


def totp_verify(*, user: Any, token: str) -> TOTPDevice | None:
    """The confirmed device that accepts `token`, or None; every attempt is recorded (and throttled by the
    device: each failure doubles the wait before the next attempt)."""
    device = confirmed_device(user)
    ok = device is not None and device.verify_is_allowed()[0] and bool(device.verify_token(token.strip()))
    event_record(actor=user, verb="auth.2fa_ok" if ok else "auth.2fa_failed", target=user)
    return device if ok else None

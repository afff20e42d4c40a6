"""Two factors for administrators (等保 2.0 level-3 practice): a TOTP device from any authenticator app.

Who needs one and which device is theirs; enrolling and verifying (writes: the device and its throttle,
and their events) are services in `minhu.accounts.services`."""

from __future__ import annotations

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from minhu.accounts.roles import Role
from minhu.core.types import Login, Viewer


def requires_second_factor(user: Viewer) -> bool:
    if not settings.ADMIN_2FA or not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name=Role.ADMINISTRATOR.value).exists()


def confirmed_device(user: Login) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()

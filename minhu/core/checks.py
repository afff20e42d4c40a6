"""Deployment checks of our own, run by `minhu check --deploy` beside Django's: a production setting that
opens the platform to anyone fails the check outright (an error, not a warning)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.security, deploy=True)
def insecure_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if not getattr(settings, "ADMIN_2FA", True):
        errors.append(
            Error(
                "MINHU_ADMIN_2FA is off: administrators log in with a password alone.",
                hint="Unset MINHU_ADMIN_2FA (it defaults to on) or set it to 1.",
                id="minhu.E001",
            )
        )
    if "*" in settings.ALLOWED_HOSTS:
        errors.append(
            Error(
                "MINHU_ALLOWED_HOSTS contains '*': any Host header is accepted (host-header attacks).",
                hint="List the host names the platform is reached by, e.g. minhu.example.gov.cn.",
                id="minhu.E002",
            )
        )
    if getattr(settings, "BENCH_ENDPOINTS", False):
        errors.append(
            Error(
                "MINHU_BENCH_ENDPOINTS is on: the benchmark's endpoints write without the usual checks.",
                hint="The bench endpoints are for benchmark databases only: unset MINHU_BENCH_ENDPOINTS.",
                id="minhu.E003",
            )
        )
    return errors

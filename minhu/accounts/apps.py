from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Users, roles and the login policy."""

    name = "minhu.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Login, logout and failed logins are recorded from Django's auth signals: they are raised by the
        # authentication machinery itself (including axes' lockouts), the one place that sees every attempt.
        from minhu.accounts import signals  # noqa: F401

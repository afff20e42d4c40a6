from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """No domain: audit events, request context, health, masking; the parts every other app stands on."""

    name = "minhu.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from minhu.core import checks  # noqa: F401  -- registers the deployment checks

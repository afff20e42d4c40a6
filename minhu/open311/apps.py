from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    """Open311 GeoReport v2 over appeals: civic clients file appeals through the one intake service and
    follow them, without any personal data in what they read back."""

    name = "minhu.open311"
    label = "open311"
    verbose_name = _("Open311")

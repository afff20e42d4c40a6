from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    """阳光晒账: append-only, hash-chained accounts with frozen public disclosures."""

    name = "minhu.ledger"
    label = "ledger"
    verbose_name = _("Sunshine accounts")

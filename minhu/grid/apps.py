from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridConfig(AppConfig):
    """事事有人办: the unit tree, households, people, party members and who answers for each (包保)."""

    name = "minhu.grid"
    label = "grid"
    verbose_name = _("Grid")

    def ready(self) -> None:
        from minhu.core.selectors import register_undelivered_scope
        from minhu.grid.selectors import undelivered_notifications_q

        register_undelivered_scope(undelivered_notifications_q)

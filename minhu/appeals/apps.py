from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppealsConfig(AppConfig):
    """民呼我应: intake from every channel, dispatch, deadlines, handling, rating, close-out, rates."""

    name = "minhu.appeals"
    label = "appeals"
    verbose_name = _("Appeals")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from minhu.appeals.routing import forget_shapes
        from minhu.appeals.services.escalation import WATCH
        from minhu.core import deadlines
        from minhu.grid.models import Unit

        deadlines.register(WATCH)

        def _forget(**_kwargs: object) -> None:
            forget_shapes()

        post_save.connect(_forget, sender=Unit, dispatch_uid="appeals.forget_shapes.save", weak=False)
        post_delete.connect(_forget, sender=Unit, dispatch_uid="appeals.forget_shapes.delete", weak=False)

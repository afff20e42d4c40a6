from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MobiliseConfig(AppConfig):
    """一呼百应 and 未呼先应: call-outs that bring many hands to one job, and care visits that reach the
    households who need them before anyone has to call."""

    name = "minhu.mobilise"
    label = "mobilise"
    verbose_name = _("Call-outs and care visits")

    def ready(self) -> None:
        from minhu.core import deadlines
        from minhu.mobilise.services import CARE_WATCH

        deadlines.register(CARE_WATCH)  # missed care visits, swept by core's one task

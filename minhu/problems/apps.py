from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    """问题清单: shared problems of a community, merged from appeals, decided one at a time and struck off."""

    name = "minhu.problems"
    label = "problems"
    verbose_name = _("Problem list")

    def ready(self) -> None:
        from minhu.appeals.panels import register_detail_panel, register_intake_hint
        from minhu.meetings.services import register_subject_closer
        from minhu.problems.services import close_from_meeting
        from minhu.problems.views import appeal_panel, intake_hint

        register_detail_panel("problems", appeal_panel)
        register_intake_hint("problems", intake_hint)
        register_subject_closer("problems.problem", close_from_meeting)

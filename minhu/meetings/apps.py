from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    """Consultation and joint meetings: types with their parties, agendas of one matter per item, sign-in,
    decisions and the action items that carry them out (deadlines, reminders, escalation, close-out).
    Knows nothing of what an item is about: the subject is a generic link, and the app that owns the subject
    registers what closing the item means for it (`services.register_subject_closer`)."""

    name = "minhu.meetings"
    label = "meetings"
    verbose_name = _("Consultation meetings")

    def ready(self) -> None:
        from minhu.core import deadlines
        from minhu.meetings.escalation import WATCH

        deadlines.register(WATCH)  # reminders and escalation of action items, swept by core's one task

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """未诉先办 / 每月一题: patterns in the appeals (hot spots, rising trends, seasonal recurrences, repeat
    callers) and the monthly list of problem-of-the-month candidates."""

    name = "minhu.insights"
    label = "insights"
    verbose_name = _("Proactive governance")

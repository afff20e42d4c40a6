"""Top-level URLs. Each app owns its own urls.py; pages are language-neutral (the language is a cookie)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("", include("minhu.core.urls")),
    path("accounts/", include("minhu.accounts.urls")),
    path("sunshine/", include("minhu.ledger.urls")),
    path("grid/", include("minhu.grid.urls")),
    path("appeals/", include("minhu.appeals.urls")),
    path("problems/", include("minhu.problems.urls")),
    path("meetings/", include("minhu.meetings.urls")),
    path("insights/", include("minhu.insights.urls")),
    path("open311/v2/", include("minhu.open311.urls")),
    path("api/v1/", api.urls),
    path("mobilise/", include("minhu.mobilise.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if settings.BENCH_ENDPOINTS:  # off by default: see docs/performance.md
    urlpatterns.append(path("bench/", include("minhu.bench.urls")))

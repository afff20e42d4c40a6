from __future__ import annotations

from django.contrib import admin

from minhu.problems.models import Problem, ProblemAppeal


class LinkInline(admin.TabularInline[ProblemAppeal, Problem]):
    model = ProblemAppeal
    extra = 0
    raw_id_fields = ["appeal", "merged_by"]
    readonly_fields = ["merged_at"]


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin[Problem]):
    list_display = ["title", "unit", "state", "appeal_count", "last_seen"]
    list_filter = ["state", "source"]
    search_fields = ["title", "description"]
    raw_id_fields = ["unit", "district", "category", "created_by"]
    inlines = [LinkInline]
    # the list is kept through the services (events, callers told); the admin reads it
    readonly_fields = ["state", "closed_at", "appeal_count", "first_seen", "last_seen", "resolution"]

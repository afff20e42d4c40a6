"""The problem list in the back office, read-only: problems and their links to appeals change only through the
services — `problem_merge`/`problem_unmerge` on the problem's page (which checks the merger's scope, sets the
appeal's clock and tells its caller), `problem_update`, `problem_close`, `problem_dismiss` — and so the
timeline. Administration has no scope and tells nobody, so it does not link or unlink."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from minhu.core.admin import ReadOnlyAdminMixin
from minhu.problems.models import Problem, ProblemAppeal


class LinkInline(admin.TabularInline[ProblemAppeal, Problem]):
    model = ProblemAppeal
    extra = 0
    fields = ["appeal", "merged_by", "merged_at"]
    readonly_fields = ["appeal", "merged_by", "merged_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Problem | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Problem]):
    list_display = ["title", "unit", "state", "appeal_count", "last_seen"]
    list_filter = ["state", "source"]
    search_fields = ["title", "description"]
    list_select_related = ["unit"]
    inlines = [LinkInline]

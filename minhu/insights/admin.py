from __future__ import annotations

from django.contrib import admin

from minhu.insights.models import Adoption


@admin.register(Adoption)
class AdoptionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: adoptions are made by `candidate_adopt` and recorded as events."""

    list_display = ("month", "unit", "category", "problem_id", "adopted_by", "adopted_at")
    list_filter = ("month",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False

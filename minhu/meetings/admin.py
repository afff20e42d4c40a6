"""Meetings in the back office. Meeting types (their parties) are back-office data and edited here; meetings,
items and actions are read-only: every change goes through the services (and so the timeline)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from minhu.core.admin import ReadOnlyAdminMixin
from minhu.meetings.models import ActionItem, AgendaItem, Attendance, Meeting, MeetingType


@admin.register(MeetingType)
class MeetingTypeAdmin(admin.ModelAdmin[MeetingType]):
    list_display = ["code", "name", "parties"]
    search_fields = ["code", "name"]


class AttendanceInline(admin.TabularInline[Attendance, Meeting]):
    model = Attendance
    fields = ["party", "name", "role", "user", "signed_in_at"]
    readonly_fields = ["party", "name", "role", "user", "signed_in_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Meeting | None = None) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Meeting]):
    list_display = ["title", "type", "unit", "state", "starts_at", "convener"]
    list_filter = ["state", "type"]
    search_fields = ["title", "unit__name"]
    list_select_related = ["type", "unit", "convener"]
    inlines = [AttendanceInline]


@admin.register(AgendaItem)
class AgendaItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[AgendaItem]):
    list_display = ["__str__", "meeting", "state", "owner_role", "deadline", "budget"]
    list_filter = ["state"]
    search_fields = ["title", "solution"]
    list_select_related = ["meeting"]


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[ActionItem]):
    list_display = ["title", "item", "owner", "owner_role", "due_at", "state", "escalation_level"]
    list_filter = ["state", "escalation_level"]
    search_fields = ["title"]
    list_select_related = ["item", "owner"]

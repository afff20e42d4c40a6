"""Meetings in the back office. Meeting types (their parties) are back-office data, edited here through
`meeting_type_create` and `meeting_type_update` (validated, recorded); meetings, items and actions are
read-only: every change goes through the services (and so the timeline)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from minhu.core.admin import ReadOnlyAdminMixin
from minhu.core.types import login_of
from minhu.meetings.models import ActionItem, AgendaItem, Attendance, Meeting, MeetingType
from minhu.meetings.services import meeting_type_create, meeting_type_parties_check, meeting_type_update


class MeetingTypeForm(forms.ModelForm[MeetingType]):
    class Meta:
        model = MeetingType
        fields = ["code", "name", "parties"]

    def clean_parties(self) -> list[str]:
        # The service's own check, so that a refusal is a form error rather than a failed save.
        try:
            return meeting_type_parties_check(self.cleaned_data["parties"], meeting_type=self.instance)
        except ValidationError as refused:
            raise forms.ValidationError(refused.message_dict["parties"]) from refused


@admin.register(MeetingType)
class MeetingTypeAdmin(admin.ModelAdmin[MeetingType]):
    form = MeetingTypeForm
    list_display = ["code", "name", "parties"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "parties"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code"] if obj is not None else []  # meeting_type_default() finds its type by the code

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # meetings refer to their type

    def save_model(self, request: HttpRequest, obj: MeetingType, form: Any, change: bool) -> None:
        # The form has validated; the service validates again (the parties too), saves and records.
        if change:
            saved = meeting_type_update(
                meeting_type=obj, actor=login_of(request.user), name=obj.name, parties=obj.parties
            )
        else:
            saved = meeting_type_create(
                code=obj.code, name=obj.name, parties=obj.parties, actor=login_of(request.user)
            )
        obj.pk = saved.pk
        obj._state.adding = False
        obj.name, obj.parties = saved.name, saved.parties


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

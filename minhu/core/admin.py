"""The audit log in admin: readable and searchable, never writable."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from minhu.core.models import CalendarDay, CalendarYear, Event, Heartbeat
from minhu.core.services import calendar_day_clear, calendar_day_set, calendar_year_mark_entered
from minhu.core.types import login_of


class ReadOnlyAdminMixin:
    """For records written only by services (audit events, ledger entries): visible, never editable here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Event]):
    list_display = ["at", "actor_label", "verb", "target_label", "client_addr", "request_id"]
    list_filter = ["verb", "target_type"]
    search_fields = ["actor_label", "verb", "target_label", "target_id", "request_id"]
    date_hierarchy = "at"
    list_select_related = ["target_type"]
    readonly_fields = [f.name for f in Event._meta.fields]


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin[Heartbeat]):
    list_display = ["name", "beat_at", "host", "pid"]
    readonly_fields = ["name", "beat_at", "host", "pid"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin[CalendarDay]):
    """Holidays and make-up working days; writes go through the calendar services (and are recorded)."""

    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    fields = ["date", "kind", "name"]

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        if change and "date" in form.changed_data:
            calendar_day_clear(day=form.initial["date"], actor=login_of(request.user))
        saved = calendar_day_set(day=obj.date, kind=obj.kind, name=obj.name, actor=login_of(request.user))
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        calendar_day_clear(day=obj.date, actor=login_of(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for day in list(queryset.values_list("date", flat=True)):
            calendar_day_clear(day=day, actor=login_of(request.user))


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin[CalendarYear]):
    list_display = ["year", "note", "changed_at"]
    fields = ["year", "note"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["year"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: CalendarYear, form: Any, change: bool) -> None:
        saved = calendar_year_mark_entered(year=obj.year, note=obj.note, actor=login_of(request.user))
        obj.pk = saved.pk

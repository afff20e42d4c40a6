"""Call-outs and care plans in the back office, read-only: every change goes through the services (and so
the timeline). Care notes and visit notes are personal data and are not listed here."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from minhu.core.admin import ReadOnlyAdminMixin
from minhu.mobilise.models import CallOut, CallOutMember, CallOutTarget, CareEscalation, CarePlan, CareVisit


class TargetInline(admin.TabularInline[CallOutTarget, CallOut]):
    model = CallOutTarget
    fields = ["name", "unit_label", "goal", "progress"]
    readonly_fields = ["name", "unit_label", "goal", "progress"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: CallOut | None = None) -> bool:
        return False


@admin.register(CallOut)
class CallOutAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[CallOut]):
    list_display = ["title", "unit", "state", "organiser", "raised_at", "closed_at", "head_count"]
    list_filter = ["state"]
    search_fields = ["title", "unit__name"]
    list_select_related = ["unit", "organiser"]
    inlines = [TargetInline]
    exclude = ["summary"]


@admin.register(CallOutMember)
class CallOutMemberAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[CallOutMember]):
    list_display = ["party_member", "callout", "answer", "answered_at", "user"]
    list_filter = ["answer"]
    list_select_related = ["party_member__person", "callout", "user"]


@admin.register(CarePlan)
class CarePlanAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[CarePlan]):
    list_display = [
        "household",
        "source",
        "cadence_days",
        "due_on",
        "last_visited_on",
        "escalation_level",
        "ended_on",
    ]
    list_filter = ["source", "escalation_level"]
    list_select_related = ["household__unit"]
    exclude = ["note"]


@admin.register(CareVisit)
class CareVisitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[CareVisit]):
    list_display = ["household", "visited_at", "outcome", "visitor"]
    list_filter = ["outcome"]
    list_select_related = ["household__unit", "visitor"]
    fields = ["plan", "household", "visitor", "visited_at", "outcome", "recorded_at"]


@admin.register(CareEscalation)
class CareEscalationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[CareEscalation]):
    list_display = ["plan", "due_on", "level", "role", "unit", "at"]
    list_filter = ["level", "role"]
    list_select_related = ["plan__household__unit", "unit"]

"""The dispatch catalogue is configuration that staff edit (every change recorded as an event); appeals and
their photos are read-only here — they change only through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms.models import model_to_dict
from django.http import HttpRequest

from minhu.appeals.models import Appeal, Attachment, Category
from minhu.core.admin import ReadOnlyAdminMixin
from minhu.core.services import event_record

CATEGORY_FIELDS = [
    "code",
    "name",
    "name_en",
    "group",
    "default_kind",
    "urgency",
    "handling_level",
    "department",
    "response_hours",
    "resolution_amount",
    "resolution_unit",
    "required_fields",
    "keywords",
    "active",
]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = [
        "code",
        "name",
        "urgency",
        "handling_level",
        "department",
        "response_hours",
        "resolution_amount",
        "resolution_unit",
        "active",
    ]
    list_filter = ["active", "urgency", "handling_level", "group"]
    search_fields = ["code", "name", "name_en", "keywords"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # appeals refer to their category for ever: deactivate instead

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        before = model_to_dict(Category.objects.get(pk=obj.pk), CATEGORY_FIELDS) if change else None
        super().save_model(request, obj, form, change)
        after = model_to_dict(obj, CATEGORY_FIELDS)
        if before is not None:
            changed = [k for k in CATEGORY_FIELDS if before[k] != after[k]]
            before = {k: before[k] for k in changed}
            after = {k: after[k] for k in changed}
        event_record(
            actor=request.user,
            verb="category.update" if change else "category.create",
            target=obj,
            before=before,
            after=after,
        )


class AttachmentInline(admin.TabularInline[Attachment, Appeal]):
    model = Attachment
    fields = ["role", "image", "uploaded_at"]
    readonly_fields = ["role", "image", "uploaded_at"]
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Appeal]):
    list_display = ["tracking_code", "category", "kind", "channel", "state", "handler", "submitted_at"]
    list_filter = ["state", "kind", "channel"]
    list_select_related = ["category", "handler"]
    search_fields = ["tracking_code"]
    date_hierarchy = "submitted_at"
    show_full_result_count = False
    inlines = [AttachmentInline]
    exclude = ["caller_name", "caller_phone"]  # personal data: shown masked on the detail page only

"""The dispatch catalogue is configuration that staff edit here, through the catalogue services
(`category_create`, `category_update`: validated, one event each); appeals and their photos are read-only
here — they change only through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from minhu.appeals.models import Appeal, Attachment, Category
from minhu.appeals.services import CATEGORY_FIELDS, category_create, category_update
from minhu.core.admin import ReadOnlyAdminMixin
from minhu.core.types import login_of


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
        # The form has validated; the service validates again, saves and records the event.
        if change:
            changes = {f: getattr(obj, f) for f in form.changed_data if f in CATEGORY_FIELDS}
            saved = category_update(category=obj, actor=login_of(request.user), **changes)
        else:
            values = {f: getattr(obj, f) for f in CATEGORY_FIELDS if f not in ("code", "name")}
            saved = category_create(code=obj.code, name=obj.name, actor=login_of(request.user), **values)
        obj.pk = saved.pk
        obj._state.adding = False


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

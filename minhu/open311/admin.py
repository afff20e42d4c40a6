"""Open311 clients in admin: a read-only list; adding one issues a key (shown once, on the page that follows),
and the revoke action revokes keys. Both go through the services, which record them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from minhu.core.admin import ReadOnlyAdminMixin
from minhu.core.types import login_of
from minhu.open311.models import Client, Submission
from minhu.open311.services import client_issue, client_revoke

_SHOWN: list[Any] = ["name", "contact", "key_prefix", "active", "created_at", "created_by", "revoked_at"]


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin[Client]):
    list_display = _SHOWN
    list_filter = ["active"]
    search_fields = ["name", "contact", "key_prefix"]
    list_select_related = ["created_by"]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return ["name", "contact"] if obj is None else _SHOWN

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else _SHOWN

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Client, form: Any, change: bool) -> None:
        client, key = client_issue(name=obj.name, contact=obj.contact, actor=login_of(request.user))
        obj.__dict__.update(client.__dict__)
        obj._issued_key = key  # type: ignore[attr-defined]  # shown once by response_add, kept nowhere

    def response_add(
        self, request: HttpRequest, obj: Client, post_url_continue: str | None = None
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "client": obj,
            "key": getattr(obj, "_issued_key", ""),
            "title": _("Open311 key issued"),
        }
        response = render(request, "open311/admin/key_issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=gettext_lazy("Revoke the selected keys"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Client]) -> None:
        done = 0
        for client in queryset.filter(active=True):
            try:
                client_revoke(client=client, actor=login_of(request.user))
                done += 1
            except ValidationError:
                pass  # revoked meanwhile by someone else
        message = ngettext("%(n)d key revoked.", "%(n)d keys revoked.", done) % {"n": done}
        self.message_user(request, message, messages.SUCCESS)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("open311.add_client")


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Submission]):
    list_display = ["submitted_at", "client", "appeal", "media_url"]
    list_filter = ["client"]
    list_select_related = ["client", "appeal", "appeal__category"]
    search_fields = ["appeal__tracking_code"]
    date_hierarchy = "submitted_at"

"""The ledger in the back office. Entries, vouchers and disclosures are read-only (append-only, written only
by the ledger services). Organisations and their accounts are configuration: added here through
`organisation_create` and `account_create`; afterwards an organisation's grid unit changes through
`organisation_link_unit` (it decides who keeps the accounts) and nothing else of either changes — the public
address is printed on notices, and an account's class gives the direction of entries the hash chain has fixed.
Every change is recorded."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from minhu.core.admin import ReadOnlyAdminMixin
from minhu.core.types import login_of
from minhu.ledger.models import Account, Disclosure, Entry, Organisation, Voucher
from minhu.ledger.services import account_create, organisation_create, organisation_link_unit


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "slug", "kind", "unit"]
    list_select_related = ["unit"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["unit"]
    fields = ["name", "slug", "kind", "unit"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["name", "slug", "kind"] if obj is not None else []

    def get_prepopulated_fields(self, request: HttpRequest, obj: Any = None) -> dict[str, Any]:
        return {} if obj is not None else dict(self.prepopulated_fields)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # entries and disclosures refer to it

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        if change:  # only the unit is editable: the link goes through its service (and the audit)
            saved = organisation_link_unit(organisation=obj, unit=obj.unit, actor=login_of(request.user))
        else:
            saved = organisation_create(
                name=obj.name, slug=obj.slug, kind=obj.kind, unit=obj.unit, actor=login_of(request.user)
            )
        obj.pk = saved.pk
        obj._state.adding = False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin[Account]):
    list_display = ["organisation", "code", "name", "klass", "is_maintenance"]
    list_filter = ["organisation", "klass"]
    fields = ["organisation", "code", "name", "klass", "is_maintenance", "programme"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # entries are posted on it: its class and code stay as they were

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Account, form: Any, change: bool) -> None:
        saved = account_create(
            organisation=obj.organisation,
            code=obj.code,
            name=obj.name,
            klass=obj.klass,
            is_maintenance=obj.is_maintenance,
            programme=obj.programme,
            actor=login_of(request.user),
        )
        obj.pk = saved.pk
        obj._state.adding = False


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Entry]):
    list_display = ["organisation", "seq", "date", "account", "amount", "description", "maker", "checker"]
    list_filter = ["organisation"]
    list_select_related = ["organisation", "account", "maker", "checker"]


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Voucher]):
    list_display = ["entry", "name", "content_type", "size", "uploaded_by", "uploaded_at"]
    list_select_related = ["entry", "uploaded_by"]
    # The content is served by the scoped staff page, never loaded into the admin's lists or forms.
    readonly_fields = ["entry", "name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]
    fields = ("entry", "name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at")

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).defer("content")


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Disclosure]):
    list_display = ["organisation", "period", "start", "end", "checksum", "published_at"]

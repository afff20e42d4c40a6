"""Organisations and accounts are configuration; entries, vouchers and disclosures are read-only here (they
are written only by the ledger services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from minhu.core.admin import ReadOnlyAdminMixin
from minhu.ledger.models import Account, Disclosure, Entry, Organisation, Voucher
from minhu.ledger.services import organisation_link_unit


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "slug", "kind", "unit"]
    list_select_related = ["unit"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["unit"]

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        # The link to a unit decides who keeps the accounts: it goes through the service (and the audit).
        unit, relink = obj.unit, "unit" in form.changed_data
        if relink:  # save the rest with the link as it was; the service changes the link
            obj.unit = Organisation.objects.get(pk=obj.pk).unit if change else None
        super().save_model(request, obj, form, change)
        if relink:
            obj.unit = organisation_link_unit(organisation=obj, unit=unit, actor=request.user).unit


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin[Account]):
    list_display = ["organisation", "code", "name", "klass", "is_maintenance"]
    list_filter = ["organisation", "klass"]


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

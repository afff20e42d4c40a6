"""Organisations and accounts are configuration; entries and disclosures are read-only here (they are
written only by the ledger services)."""

from __future__ import annotations

from django.contrib import admin

from minhu.core.admin import ReadOnlyAdminMixin
from minhu.ledger.models import Account, Disclosure, Entry, Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "slug", "kind", "unit"]
    list_select_related = ["unit"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["unit"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin[Account]):
    list_display = ["organisation", "code", "name", "klass", "is_maintenance"]
    list_filter = ["organisation", "klass"]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Entry]):
    list_display = ["organisation", "seq", "date", "account", "amount", "description", "maker", "checker"]
    list_filter = ["organisation"]
    list_select_related = ["organisation", "account", "maker", "checker"]


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Disclosure]):
    list_display = ["organisation", "period", "start", "end", "checksum", "published_at"]

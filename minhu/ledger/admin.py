"""Organisations and accounts are configuration; entries and disclosures are read-only here (they are
written only by the ledger services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from minhu.ledger.models import Account, Disclosure, Entry, Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "slug", "kind"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin[Account]):
    list_display = ["organisation", "code", "name", "klass", "is_maintenance"]
    list_filter = ["organisation", "klass"]


class ReadOnly:
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Entry)
class EntryAdmin(ReadOnly, admin.ModelAdmin[Entry]):
    list_display = ["organisation", "seq", "date", "account", "amount", "description", "maker", "checker"]
    list_filter = ["organisation"]
    list_select_related = ["organisation", "account", "maker", "checker"]


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnly, admin.ModelAdmin[Disclosure]):
    list_display = ["organisation", "period", "start", "end", "checksum", "published_at"]

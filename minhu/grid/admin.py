"""The grid in the back office, read-only: every change goes through the services (and so the timeline),
by the grid pages, the import or the command line. Personal data is shown masked here too."""

from __future__ import annotations

from django.contrib import admin

from minhu.core.admin import ReadOnlyAdminMixin
from minhu.core.masking import mask_id_number, mask_phone
from minhu.grid.models import (
    Cadre,
    Household,
    PartyMember,
    Person,
    Post,
    Responsibility,
    ScopeGrant,
    Term,
    Unit,
)


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Unit]):
    list_display = ["name", "kind", "code", "parent", "depth"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    list_select_related = ["parent"]


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Household]):
    list_display = ["number", "unit", "address"]
    search_fields = ["number", "unit__name"]
    list_select_related = ["unit"]


@admin.register(Person)
class PersonAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Person]):
    list_display = ["name", "household", "masked_phone", "masked_id_number"]
    fields = ["name", "gender", "household", "is_head", "masked_phone", "masked_id_number", "user"]
    readonly_fields = ["masked_phone", "masked_id_number"]
    search_fields = ["name"]
    list_select_related = ["household"]

    @admin.display(description=Person._meta.get_field("phone").verbose_name)
    def masked_phone(self, obj: Person) -> str:
        return mask_phone(obj.phone)

    @admin.display(description=Person._meta.get_field("id_number").verbose_name)
    def masked_id_number(self, obj: Person) -> str:
        return mask_id_number(obj.id_number)


@admin.register(PartyMember)
class PartyMemberAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[PartyMember]):
    list_display = ["person", "party_group", "status", "centre_household", "registered_unit", "show_identity"]
    list_select_related = ["person", "registered_unit"]


@admin.register(Responsibility)
class ResponsibilityAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Responsibility]):
    list_display = ["unit", "household", "role", "person", "user", "department", "start", "end"]
    list_filter = ["role"]
    list_select_related = ["unit", "household", "person", "user"]


@admin.register(Post)
class PostAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Post]):
    list_display = ["user", "unit", "title", "start", "end"]
    list_select_related = ["user", "unit"]


@admin.register(ScopeGrant)
class ScopeGrantAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[ScopeGrant]):
    list_display = ["user", "unit", "reason", "until"]
    list_select_related = ["user", "unit"]


@admin.register(Term)
class TermAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Term]):
    list_display = ["unit", "start_year", "end_year", "dispatched_secretary"]
    list_select_related = ["unit"]


@admin.register(Cadre)
class CadreAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Cadre]):
    list_display = ["name", "term", "education", "is_secretary", "is_director", "dispatched"]
    list_select_related = ["term__unit"]

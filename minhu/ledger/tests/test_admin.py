"""The ledger's back office: organisations and accounts are added through their services (recorded) and not
changed afterwards but for an organisation's unit; entries, vouchers and disclosures are read-only."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from minhu.core.models import Event
from minhu.ledger.models import Account, Entry, Organisation
from minhu.ledger.tests.conftest import Linked


def test_an_organisation_added_in_administration_is_recorded(linked: Linked, root_client: Any) -> None:
    unit = linked.tree.village_b
    data = {"name": "互助村股份经济合作社", "slug": "huzhu-coop", "kind": "village", "unit": unit.pk}
    response = root_client.post(reverse("admin:ledger_organisation_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    org = Organisation.objects.get(slug="huzhu-coop")
    assert org.unit == unit
    event = Event.objects.get(verb="ledger.organisation_create")
    assert (event.actor.username, event.target_id, event.after) == (  # type: ignore[union-attr]
        "root",
        str(org.pk),
        {"name": "互助村股份经济合作社", "slug": "huzhu-coop", "kind": "village", "unit": unit.code},
    )


def test_an_account_added_in_administration_is_recorded_and_never_changed(
    estate: Organisation, root_client: Any
) -> None:
    data = {"organisation": estate.pk, "code": "I04", "name": "场地租金", "klass": "income"}
    response = root_client.post(reverse("admin:ledger_account_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    account = Account.objects.get(organisation=estate, code="I04")
    event = Event.objects.get(verb="ledger.account_create")
    assert (event.target_id, event.after) == (
        str(account.pk),
        {
            "organisation": "panjiang",
            "code": "I04",
            "name": "场地租金",
            "klass": "income",
            "is_maintenance": False,
            "programme": None,
        },
    )
    change = reverse("admin:ledger_account_change", args=[account.pk])
    assert root_client.post(change, {**data, "klass": "cost"}).status_code == 403
    delete = reverse("admin:ledger_account_delete", args=[account.pk])
    assert root_client.post(delete, {"post": "yes"}).status_code == 403
    account.refresh_from_db()
    assert account.klass == "income"
    assert Event.objects.filter(verb__startswith="ledger.").count() == 1


def test_entries_cannot_be_added_changed_or_deleted_in_administration(
    estate: Organisation, root_client: Any
) -> None:
    assert root_client.get(reverse("admin:ledger_entry_add")).status_code == 403
    org_delete = reverse("admin:ledger_organisation_delete", args=[estate.pk])
    assert root_client.post(org_delete, {"post": "yes"}).status_code == 403
    assert Organisation.objects.filter(pk=estate.pk).exists()
    assert not Entry.objects.exists()

"""Who keeps which accounts: cadres and staff above them, within the grid's scope; the checker's list is
the inverse of that rule; the demo links its organisations to the demo grid by code."""

from __future__ import annotations

from typing import Any

import pytest

from minhu.accounts.models import User
from minhu.core.models import Event
from minhu.grid.models import Unit
from minhu.grid.selectors import scope_for, users_with_scope_over
from minhu.grid.services import scope_grant_create, unit_create
from minhu.ledger.models import Organisation
from minhu.ledger.selectors import keepers_of, organisations_kept_by
from minhu.ledger.services import organisation_link_unit
from minhu.ledger.tests.conftest import Linked


@pytest.mark.parametrize(
    ("who", "slugs"),
    [
        ("alice", ["huzhu", "panjiang"]),  # street staff: both villages of the street
        ("bob", ["panjiang"]),  # village cadre: village A only
        ("carol", []),  # a party member covering a household keeps no accounts
        ("dave", []),  # a resident
        ("erin", []),  # district staff without a post anywhere
        ("root", ["huzhu", "laishengbao", "panjiang"]),  # an administrator, the unlinked one too
    ],
)
def test_organisations_kept_by_follow_the_grid_scope(
    linked: Linked, who: str, slugs: list[str], request: Any
) -> None:
    from conftest import make_persona

    user = request.getfixturevalue(who) if who != "erin" else make_persona("erin")
    assert sorted(organisations_kept_by(user).values_list("slug", flat=True)) == slugs


def test_keepers_of_is_the_inverse(linked: Linked, alice: User, bob: User, root: User) -> None:
    assert list(keepers_of(linked.a)) == [alice, bob, root]
    assert list(keepers_of(linked.b)) == [alice, root]
    assert list(keepers_of(linked.unlinked)) == [root]


def test_a_scope_grant_makes_a_keeper(linked: Linked, bob: User) -> None:
    scope_grant_create(user=bob, unit=linked.tree.village_b, reason="代管互助村账目", actor=None)
    bob = User.objects.get(pk=bob.pk)
    assert sorted(organisations_kept_by(bob).values_list("slug", flat=True)) == ["huzhu", "panjiang"]
    assert bob in keepers_of(linked.b)


def test_users_with_scope_over_agrees_with_scope_for(
    linked: Linked, alice: User, bob: User, carol: User, dave: User, root: User
) -> None:
    people = (alice, bob, carol, dave, root)
    for unit in Unit.objects.all():
        expected = {u.username for u in people if scope_for(u).covers_path(unit.path)}
        assert set(users_with_scope_over(unit).values_list("username", flat=True)) == expected, unit.code


def test_linking_records_an_event_and_is_idempotent(linked: Linked) -> None:
    organisation_link_unit(organisation=linked.unlinked, unit=linked.tree.village_b, actor=None)
    organisation_link_unit(organisation=linked.unlinked, unit=linked.tree.village_b, actor=None)
    events = Event.objects.filter(verb="ledger.organisation_link", target_id=str(linked.unlinked.pk))
    assert list(events.values_list("before", "after")) == [({"unit": None}, {"unit": "210111001002"})]


def test_demo_links_organisations_to_the_demo_grid_by_code(db: Any) -> None:
    from minhu.accounts import demo as accounts_demo
    from minhu.ledger import demo

    accounts_demo.load()
    demo.load()  # no grid yet: nothing to link, and no failure
    assert Organisation.objects.filter(unit__isnull=False).count() == 0

    district = unit_create(kind="district", name="苏家屯区", code="210111", parent=None, actor=None)
    street = unit_create(kind="street", name="永乐街道", code="210111001", parent=district, actor=None)
    unit_create(kind="village", name="马耳山村", code="210111001001", parent=street, actor=None)
    luoding = unit_create(kind="district", name="罗定市", code="445381", parent=None, actor=None)
    luocheng = unit_create(kind="street", name="罗城街道", code="445381001", parent=luoding, actor=None)
    unit_create(kind="estate", name="泮江翡翠城", code="445381001001", parent=luocheng, actor=None)
    demo.load()
    linked = dict(Organisation.objects.filter(unit__isnull=False).values_list("slug", "unit__code"))
    assert linked == {
        "maershan": "210111001001",
        "panjiang-feicuicheng": "445381001001",
        "sujiatun": "210111",
    }
    cadre = User.objects.get(username="cadre")
    assert list(organisations_kept_by(cadre)) == []  # no post in this partial grid
    assert Organisation.objects.get(slug="maershan").account_set.filter(code="P01").exists()


def test_linking_in_the_admin_goes_through_the_service(linked: Linked, root_client: Any) -> None:
    url = f"/admin/ledger/organisation/{linked.unlinked.pk}/change/"
    assert root_client.get(url).status_code == 200
    response = root_client.post(
        url, {"name": "来胜堡村", "slug": "laishengbao", "kind": "village", "unit": linked.tree.village_b.pk}
    )
    assert response.status_code == 302
    linked.unlinked.refresh_from_db()
    assert linked.unlinked.unit == linked.tree.village_b
    event = Event.objects.get(verb="ledger.organisation_link", target_id=str(linked.unlinked.pk))
    assert (event.actor.username, event.after) == ("root", {"unit": "210111001002"})  # type: ignore[union-attr]
    # The public address is fixed once the organisation exists (printed on notices): posted, ignored.
    assert root_client.post(url, {"name": "x", "slug": "elsewhere", "kind": "estate"}).status_code == 302
    assert Organisation.objects.get(pk=linked.unlinked.pk).slug == "laishengbao"
    # A reserved address is refused by the add form, and nothing is made.
    add = "/admin/ledger/organisation/add/"
    refused = root_client.post(add, {"name": "x", "slug": "staff", "kind": "village"})
    assert refused.status_code == 200
    assert not Organisation.objects.filter(slug="staff").exists()

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from minhu.accounts.models import User
from minhu.core.models import Event
from minhu.grid.tests.conftest import Tree


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def urls_for(tree: Tree, which: str) -> list[str]:
    """Every page and export that shows the other village (B) or its household or person."""
    if which == "other_village":
        return [
            reverse("grid:unit", args=[tree.village_b.pk]),
            reverse("grid:coverage", args=[tree.village_b.pk]),
            reverse("grid:coverage_csv", args=[tree.village_b.pk]),
            reverse("grid:households_csv", args=[tree.village_b.pk]),
            reverse("grid:household", args=[tree.hh_b1.pk]),
            reverse("grid:person", args=[tree.b_person.pk]),
        ]
    return [
        reverse("grid:household", args=[tree.hh_a2.pk]),
        reverse("grid:person", args=[tree.neighbour.pk]),
        reverse("grid:unit", args=[tree.village_a.pk]),
    ]


@pytest.mark.parametrize(
    ("who", "status"),
    [("alice", 200), ("bob", 404), ("carol", 404), ("dave", 404), ("root", 200)],
)
def test_other_village_is_reachable_only_from_above(
    staffed: Tree, client: Client, who: str, status: int, request: Any
) -> None:
    user = request.getfixturevalue(who)
    if who == "root":
        from conftest import login_with_second_factor

        login_with_second_factor(client, user)
    else:
        login(client, user)
    assert {u: client.get(u).status_code for u in urls_for(staffed, "other_village")} == dict.fromkeys(
        urls_for(staffed, "other_village"), status
    )


def test_cadre_export_has_only_own_village(staffed: Tree, client: Client, bob: User) -> None:
    login(client, bob)
    body = b"".join(client.get(reverse("grid:households_csv", args=[staffed.village_a.pk])).streaming_content)  # type: ignore[attr-defined]
    lines = body.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 3
    assert "138****8000" in body.decode()
    assert "13812348000" not in body.decode()


@pytest.mark.parametrize("who", ["dave", "carol"])
def test_resident_and_member_reach_only_their_household(
    staffed: Tree, client: Client, who: str, request: Any
) -> None:
    login(client, request.getfixturevalue(who))
    own = client.get(reverse("grid:household", args=[staffed.hh_a1.pk]))
    assert own.status_code == 200
    assert "138****8000" in own.content.decode()
    assert {u: client.get(u).status_code for u in urls_for(staffed, "neighbours")} == dict.fromkeys(
        urls_for(staffed, "neighbours"), 404
    )


def test_resident_home_redirects_to_household(staffed: Tree, client: Client, dave: User) -> None:
    login(client, dave)
    response = client.get(reverse("grid:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("grid:household", args=[staffed.hh_a1.pk])


def test_person_page_is_masked(staffed: Tree, client: Client, bob: User) -> None:
    login(client, bob)
    page = client.get(reverse("grid:person", args=[staffed.neighbour.pk])).content.decode()
    assert "139****1111" in page
    assert "13900001111" not in page
    assert "210111********5678" in page
    assert Event.objects.filter(verb="person.reveal").count() == 0


def test_cadre_reveal_shows_and_records(staffed: Tree, client: Client, bob: User) -> None:
    login(client, bob)
    response = client.post(reverse("grid:person_reveal", args=[staffed.neighbour.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "13900001111" in page
    assert "210111196002025678" in page
    assert Event.objects.filter(verb="person.reveal", actor=bob).count() == 1


@pytest.mark.parametrize("who", ["carol", "dave"])
def test_reveal_refused_below_cadre(staffed: Tree, client: Client, who: str, request: Any) -> None:
    login(client, request.getfixturevalue(who))
    response = client.post(reverse("grid:person_reveal", args=[staffed.dave_person.pk]))
    assert response.status_code == 404
    assert "13812348000" not in response.content.decode()
    assert Event.objects.filter(verb="person.reveal").count() == 0


def test_unit_page_shows_chain_and_gaps(staffed: Tree, client: Client, alice: User) -> None:
    login(client, alice)
    page = client.get(reverse("grid:unit", args=[staffed.street.pk])).content.decode()
    assert "马耳山村" in page
    cov = client.get(reverse("grid:coverage", args=[staffed.street.pk])).content.decode()
    assert cov.count("data-gap=") == 3


def test_unit_page_query_count(
    staffed: Tree, client: Client, alice: User, django_assert_max_num_queries: Any
) -> None:
    login(client, alice)
    url = reverse("grid:unit", args=[staffed.street.pk])
    client.get(url)
    # a constant baseline: session, user, roles, scope (5), unit, chain (3), lists, counts, inbox
    with django_assert_max_num_queries(25):
        client.get(url)


def test_anonymous_goes_to_login(staffed: Tree, client: Client) -> None:
    response = client.get(reverse("grid:unit", args=[staffed.village_a.pk]))
    assert response.status_code == 302

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from minhu.core.models import Event
from minhu.grid.models import Household, Person, Responsibility, Unit, path_segment
from minhu.grid.selectors import responsible_chain
from minhu.grid.services import responsibility_end, unit_create, unit_move
from minhu.grid.tests.conftest import Tree


def test_paths_are_ancestor_segments(tree: Tree) -> None:
    ids = [tree.district.pk, tree.street.pk, tree.village_a.pk, tree.area_a.pk, tree.block_a.pk]
    assert tree.block_a.path == "".join(path_segment(i) for i in ids)
    assert tree.block_a.depth == 4
    assert tree.block_a.district_id == tree.district.pk
    assert tree.district.district_id == tree.district.pk


def test_subtree_is_one_prefix_query(tree: Tree) -> None:
    names = list(Unit.objects.subtree(tree.village_a.path).values_list("code", flat=True))
    assert names == ["210111001001", "210111001001A", "210111001001001"]


def test_unit_codes_are_unique(tree: Tree) -> None:
    with pytest.raises(ValidationError):
        unit_create(kind="village", name="重复", code="210111001001", parent=tree.street, actor=None)
    assert Unit.objects.filter(name="重复").count() == 0


def test_unit_kind_must_fit_parent(tree: Tree) -> None:
    with pytest.raises(ValidationError):
        unit_create(kind="block", name="错块", code="X1", parent=tree.street, actor=None)
    assert Unit.objects.filter(code="X1").count() == 0


def test_move_rewrites_descendant_paths(tree: Tree, root: Any) -> None:
    unit_move(unit=tree.area_b, parent=tree.village_a, actor=root)
    tree.block_b.refresh_from_db()
    assert tree.block_b.path == tree.village_a.path + path_segment(tree.area_b.pk) + path_segment(
        tree.block_b.pk
    )
    assert tree.block_b.depth == 4
    assert Unit.objects.subtree(tree.village_a.path).count() == 5
    event = Event.objects.get(verb="unit.move")
    assert event.actor == root
    assert event.before["parent"] == tree.village_b.pk
    assert event.after == {
        "parent": tree.village_a.pk,
        "path": tree.village_a.path + path_segment(tree.area_b.pk),
        "units": 2,
    }


def test_move_across_districts_rewrites_district(tree: Tree) -> None:
    other = unit_create(kind="district", name="罗定市", code="445381", parent=None, actor=None)
    street = unit_create(kind="street", name="罗城街道", code="445381001", parent=other, actor=None)
    unit_move(unit=tree.village_b, parent=street, actor=None)
    assert set(Unit.objects.subtree(street.path).values_list("district_id", flat=True)) == {other.pk}
    assert Household.objects.get(pk=tree.hh_b1.pk).district_id == other.pk
    assert Person.objects.get(pk=tree.b_person.pk).district_id == other.pk


def test_move_under_own_descendant_is_refused(tree: Tree) -> None:
    before = list(Unit.objects.values_list("pk", "parent_id", "path"))
    with pytest.raises(ValidationError):
        unit_move(unit=tree.village_a, parent=tree.block_a, actor=None)
    with pytest.raises(ValidationError):
        unit_move(unit=tree.village_a, parent=tree.village_a, actor=None)
    assert list(Unit.objects.values_list("pk", "parent_id", "path")) == before
    assert Event.objects.filter(verb="unit.move").count() == 0


def test_chain_in_constant_queries(staffed: Tree, django_assert_num_queries: Any) -> None:
    household = Household.objects.get(pk=staffed.hh_a1.pk)
    with django_assert_num_queries(3):
        chain = responsible_chain(household)
    assert [link.unit.name if link.unit else link.household.number for link in chain] == [  # type: ignore[union-attr]
        "1号",
        "一块",
        "一片",
        "马耳山村",
        "永乐街道",
        "苏家屯区",
    ]
    assert [[r.holder_label() for r in link.responsibilities] for link in chain] == [
        ["张卡"],
        ["周组长"],
        ["孙委员"],
        ["老王"],
        [],
        [],
    ]


def test_chain_of_other_household_has_no_foreign_bao_hu(staffed: Tree) -> None:
    chain = responsible_chain(Household.objects.get(pk=staffed.hh_a2.pk))
    assert chain[0].responsibilities == []
    assert [r.holder_label() for r in chain[1].responsibilities] == ["周组长"]


def test_ending_keeps_history(staffed: Tree) -> None:
    resp = Responsibility.objects.get(role="group_leader")
    responsibility_end(responsibility=resp, actor=None)
    resp.refresh_from_db()
    assert resp.end is not None
    assert Responsibility.objects.filter(role="group_leader").count() == 1
    chain = responsible_chain(staffed.hh_a2)
    assert chain[1].responsibilities == []
    with pytest.raises(ValidationError):
        responsibility_end(responsibility=resp, actor=None)
    assert Event.objects.filter(verb="responsibility.end").count() == 1


def test_party_member_responsibility_needs_household(staffed: Tree) -> None:
    from minhu.grid.services import responsibility_assign

    with pytest.raises(ValidationError):
        responsibility_assign(unit=staffed.block_a, role="party_member", person=staffed.neighbour, actor=None)
    assert Responsibility.objects.filter(role="party_member").count() == 1

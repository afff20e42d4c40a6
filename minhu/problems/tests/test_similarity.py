"""Suggestions on intake against a fixed labelled set: in one village, paraphrases of three matters
(electric-bike charging, a broken street lamp, rubbish at a corner) and a few unrelated appeals. For each
appeal, the suggestions should be its paraphrases and nothing else; precision and recall over the whole set
are printed (pytest -s) and held to a floor. Appeals of another village are never suggested."""

from __future__ import annotations

from typing import Any

import pytest

from minhu.accounts.models import User
from minhu.appeals.models import Appeal, Category
from minhu.grid.tests.conftest import Tree
from minhu.problems.selectors import similar_to
from minhu.problems.services import problem_create

pytestmark = pytest.mark.django_db

LABELLED: dict[str, list[str]] = {
    "charging": [
        "电动车在楼道里充电，很危险",
        "有人把电瓶车推进楼道充电，担心起火",
        "小区没有电动车充电桩，大家只好飞线充电",
        "楼下电动车充电的线从窗户拉下来，太危险了",
        "希望小区安装电动车充电桩",
    ],
    "lamp": [
        "三号楼前的路灯坏了，晚上一片漆黑",
        "路灯不亮好几天了，老人晚上出门不方便",
        "小区路灯坏了没人修",
    ],
    "rubbish": [
        "西北角垃圾堆了一个星期没人清运",
        "垃圾站旁边的垃圾没人清运，味道很大",
        "卫生死角垃圾成堆，苍蝇很多",
    ],
}
UNRELATED = [
    "想咨询一下孩子入学需要准备哪些材料",
    "楼上邻居装修噪音太大，中午也不停",
    "低保申请需要去哪里办理",
    "公交站的站牌被风吹倒了",
]


def _load(tree: Tree, category: Category, raise_: Any) -> dict[int, str]:
    labels: dict[int, str] = {}
    for label, texts in LABELLED.items():
        for i, text in enumerate(texts):
            a = raise_(tree.block_a, text, category, address=f"{label}{i}")
            labels[a.pk] = label
    for i, text in enumerate(UNRELATED):
        a = raise_(tree.area_a, text, category, address=f"other{i}")
        labels[a.pk] = f"unrelated{i}"
    return labels


def test_paraphrases_are_suggested_and_unrelated_matters_not(
    staffed: Tree, bob: User, ordinary: Category, raise_: Any
) -> None:
    labels = _load(staffed, ordinary, raise_)
    true_pos = false_pos = false_neg = 0
    for appeal in Appeal.objects.filter(pk__in=labels):
        found = {
            s.appeal.pk
            for s in similar_to(bob, text=appeal.description, unit=appeal.unit, exclude=appeal, limit=20)
            if s.appeal is not None
        }
        wanted = {pk for pk, label in labels.items() if label == labels[appeal.pk] and pk != appeal.pk}
        true_pos += len(found & wanted)
        false_pos += len(found - wanted)
        false_neg += len(wanted - found)
    precision = true_pos / ((true_pos + false_pos) or 1)
    recall = true_pos / ((true_pos + false_neg) or 1)
    print(f"\nsuggestions on the labelled set: precision {precision:.2f}, recall {recall:.2f}")
    assert precision >= 0.9
    assert recall >= 0.6


def test_an_open_problem_is_suggested_and_another_village_is_not_compared(
    staffed: Tree, bob: User, root: User, ordinary: Category, raise_: Any
) -> None:
    elsewhere = raise_(staffed.block_b, "电动车在楼道里充电，很危险", ordinary, address="b")
    problem = problem_create(
        actor=bob, unit=staffed.village_a, title="电动车充电难", description="楼道充电、飞线充电"
    )
    found = similar_to(root, text="电瓶车在楼道里充电太危险", unit=staffed.block_a)
    assert [s.problem for s in found if s.problem] == [problem]
    assert elsewhere.pk not in {s.appeal.pk for s in found if s.appeal}


def test_same_block_ranks_above_the_rest_of_the_village_for_the_same_text(
    staffed: Tree, root: User, ordinary: Category, raise_: Any
) -> None:
    far = raise_(staffed.area_a, "楼道里电动车充电危险", ordinary, address="x1")
    near = raise_(staffed.block_a, "楼道里电动车充电危险", ordinary, address="x2")
    found = [s.appeal for s in similar_to(root, text="楼道电动车充电", unit=staffed.block_a) if s.appeal]
    assert found[:2] == [near, far]


def test_nothing_to_compare_with_outside_scope(
    staffed: Tree, dave: User, ordinary: Category, raise_: Any
) -> None:
    raise_(staffed.block_a, "电动车在楼道里充电，很危险", ordinary, address="y")
    # a resident sees only their own appeals: nobody else's text is suggested to them
    assert similar_to(dave, text="楼道电动车充电", unit=staffed.block_a) == []

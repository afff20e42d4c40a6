"""The problem list's services: creating (lifted to the community, in scope, idempotent), merging appeals
(same community only, each appeal in one problem), striking off (every linked appeal resolved, each caller
told once, then able to rate), dismissing; every change recorded."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from minhu.accounts.models import User
from minhu.appeals.models import Appeal, Category, Satisfaction, State
from minhu.appeals.services import appeal_dispatch, appeal_rate
from minhu.core.models import Event, Notification
from minhu.grid.tests.conftest import Tree
from minhu.problems.models import Problem
from minhu.problems.services import (
    problem_close,
    problem_create,
    problem_dismiss,
    problem_merge,
    problem_unmerge,
)

pytestmark = pytest.mark.django_db

CHARGING = "电动车在楼道里充电，很危险"


def test_create_lifts_a_block_to_its_village_and_records_it(staffed: Tree, bob: User) -> None:
    problem = problem_create(actor=bob, unit=staffed.block_a, title="电动车充电难")
    assert problem.unit == staffed.village_a
    assert problem.district_id == staffed.district.pk
    assert problem.state == Problem.State.OPEN
    assert problem.appeal_count == 0
    event = Event.objects.get(verb="problem.create")
    assert event.actor == bob
    assert event.after["title"] == "电动车充电难"


def test_create_outside_scope_or_above_a_community_is_refused(staffed: Tree, bob: User, alice: User) -> None:
    with pytest.raises(PermissionDenied):
        problem_create(actor=bob, unit=staffed.village_b, title="别村的事")
    with pytest.raises(ValidationError) as exc:
        problem_create(actor=alice, unit=staffed.street, title="整条街的事")
    assert "unit" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        problem_create(actor=bob, unit=staffed.village_a, title="  ")
    assert "title" in exc.value.message_dict
    assert not Problem.objects.exists()


def test_a_retried_create_returns_the_first_problem(staffed: Tree, bob: User) -> None:
    first = problem_create(actor=bob, unit=staffed.village_a, title="路灯不亮", idempotency_key="k1")
    again = problem_create(actor=bob, unit=staffed.village_a, title="路灯不亮", idempotency_key="k1")
    assert again.pk == first.pk
    assert Problem.objects.count() == 1
    assert Event.objects.filter(verb="problem.create").count() == 1


def test_merge_counts_channels_and_seen_times(
    staffed: Tree, bob: User, ordinary: Category, raise_: Any
) -> None:
    a1 = raise_(staffed.block_a, CHARGING, ordinary, channel="box", address="3号楼")
    a2 = raise_(staffed.area_a, "有人把电瓶车推进电梯上楼充电", ordinary, channel="hotline", address="5号楼")
    problem = problem_create(actor=bob, unit=staffed.village_a, title="电动车充电难", appeals=[a1])
    assert problem_merge(problem=problem, actor=bob, appeals=[a1, a2]) == 1  # a1 is there already
    problem.refresh_from_db()
    assert problem.appeal_count == 2
    assert problem.first_seen == a1.submitted_at
    assert problem.last_seen == a2.submitted_at
    assert set(Appeal.objects.filter(problem_link__problem=problem)) == {a1, a2}
    assert Event.objects.filter(verb="appeal.problem_link").count() == 2
    problem_unmerge(problem=problem, actor=bob, appeal=a2)
    problem.refresh_from_db()
    assert problem.appeal_count == 1


def test_merge_refuses_another_community_and_another_problem(
    staffed: Tree, bob: User, alice: User, ordinary: Category, raise_: Any
) -> None:
    here = raise_(staffed.block_a, CHARGING, ordinary)
    there = raise_(staffed.block_b, "村口垃圾没人清运", ordinary)
    p1 = problem_create(actor=bob, unit=staffed.village_a, title="电动车充电难", appeals=[here])
    with pytest.raises(ValidationError) as exc:
        problem_merge(problem=p1, actor=alice, appeals=[there])
    assert "appeals" in exc.value.message_dict
    p2 = problem_create(actor=bob, unit=staffed.village_a, title="另一个")
    with pytest.raises(ValidationError) as exc:
        problem_merge(problem=p2, actor=bob, appeals=[here])
    assert "电动车充电难" in exc.value.message_dict["appeals"][0]


def test_strike_off_resolves_every_linked_appeal_and_tells_each_caller_once(
    staffed: Tree, bob: User, carol: User, dave: User, ordinary: Category, raise_: Any
) -> None:
    box = raise_(staffed.block_a, CHARGING, ordinary, channel="box", phone="13500001111", address="3号楼")
    hotline = raise_(
        staffed.block_a, "楼下没有充电桩", ordinary, channel="hotline", phone="135 0000 1111", address="4号楼"
    )
    wechat = raise_(
        staffed.area_a, "电瓶车飞线充电", ordinary, channel="wechat", caller=dave, address="6号楼"
    )
    anonymous = raise_(staffed.area_a, "充电难", ordinary, channel="web", anonymous=True, address="7号楼")
    appeal_dispatch(appeal=hotline, handler=carol, actor=bob)
    problem = problem_create(
        actor=bob, unit=staffed.village_a, title="电动车充电难", appeals=[box, hotline, wechat, anonymous]
    )
    with pytest.raises(ValidationError) as exc:
        problem_close(problem=problem, actor=bob, resolution=" ")
    assert "resolution" in exc.value.message_dict

    problem_close(problem=problem, actor=bob, resolution="在小区东侧安装了20个充电桩。")
    problem.refresh_from_db()
    assert problem.state == Problem.State.SOLVED
    assert problem.closed_at is not None
    for a in (box, hotline, wechat, anonymous):
        a.refresh_from_db()
        assert a.state == State.RESOLVED
        assert a.result == "在小区东侧安装了20个充电桩。"
    assert Event.objects.filter(verb="appeal.resolve_shared").count() == 4
    told = Notification.objects.filter(kind="problem.solved")
    # one phone (written two ways) gets one SMS; dave's login one in-app message; the anonymous caller none
    assert sorted((n.channel, n.address or getattr(n.recipient, "username", "")) for n in told) == [
        ("inapp", "dave"),
        ("sms", "13500001111"),
    ]
    assert box.tracking_code in told.get(channel="sms").body
    close = Event.objects.get(verb="problem.close")
    assert close.after == {"state": "solved", "appeals": 4, "callers_told": 2}

    # striking off again changes nothing and sends nothing
    problem_close(problem=problem, actor=bob, resolution="再次")
    assert Notification.objects.filter(kind="problem.solved").count() == 2

    # each caller rates their own appeal, as with any other
    appeal_rate(appeal=wechat, resolved_ok=True, satisfaction=Satisfaction.SATISFIED, actor=dave)
    wechat.refresh_from_db()
    assert wechat.state == State.CLOSED
    assert wechat.satisfaction == Satisfaction.SATISFIED
    with pytest.raises(ValidationError):
        problem_merge(problem=problem, actor=bob, appeals=[raise_(staffed.block_a, "又一个", ordinary)])


def test_dismiss_needs_a_reason_and_leaves_the_appeals_alone(
    staffed: Tree, bob: User, ordinary: Category, raise_: Any
) -> None:
    a = raise_(staffed.block_a, CHARGING, ordinary)
    problem = problem_create(actor=bob, unit=staffed.village_a, title="重复", appeals=[a])
    with pytest.raises(ValidationError) as exc:
        problem_dismiss(problem=problem, actor=bob, reason="")
    assert "reason" in exc.value.message_dict
    problem_dismiss(problem=problem, actor=bob, reason="与另一条重复")
    problem.refresh_from_db()
    a.refresh_from_db()
    assert problem.state == Problem.State.DISMISSED
    assert a.state == State.SUBMITTED
    assert Event.objects.get(verb="problem.dismiss").note == "与另一条重复"
    with pytest.raises(ValidationError):
        problem_close(problem=problem, actor=bob, resolution="x")

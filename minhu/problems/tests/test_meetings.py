"""The problem list and the three-party consultation: a problem goes on a meeting's agenda from its page;
the decision shows on the problem and on the public board (the party responsible by role, never a name);
closing out the item strikes the problem off, resolves its appeals and tells the callers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from minhu.accounts.models import User
from minhu.appeals.models import Appeal, Category, State
from minhu.core.models import Event, Notification
from minhu.grid.tests.conftest import Tree
from minhu.meetings.models import AgendaItem
from minhu.meetings.services import (
    action_done,
    action_verify,
    agenda_item_close,
    agenda_item_decide,
    attendance_sign_in,
    meeting_create,
    meeting_hold,
)
from minhu.problems.models import Problem
from minhu.problems.services import problem_create, problem_dismiss

pytestmark = pytest.mark.django_db


def _meeting(tree: Tree, actor: User) -> Any:
    meeting = meeting_create(
        actor=actor,
        unit=tree.village_a,
        title="三方联席会议（十二月）",
        starts_at=timezone.now() + timedelta(hours=1),
        attendees=[
            ("街道党工委", "孙书记", ""),
            ("物业党支部", "钱支书", ""),
            ("党员业主代表", "周代表", ""),
        ],
    )
    return meeting


def test_from_the_agenda_to_struck_off(
    staffed: Tree, bob: User, alice: User, ordinary: Category, client: Any, raise_: Any
) -> None:
    a1 = raise_(
        staffed.block_a, "楼道里电动车充电很危险", ordinary, channel="box", phone="13500001111", address="1"
    )
    a2 = raise_(
        staffed.block_a, "小区没有充电桩", ordinary, channel="hotline", phone="13500002222", address="2"
    )
    problem = problem_create(actor=bob, unit=staffed.village_a, title="电动车充电难", appeals=[a1, a2])
    meeting = _meeting(staffed, bob)
    client.force_login(bob)
    page = client.get(reverse("problems:detail", args=[problem.pk])).content.decode()
    assert "data-agenda" in page
    assert meeting.title in page

    # put on the agenda from the problem's page (a retry adds nothing)
    for _ in range(2):
        r = client.post(reverse("problems:act", args=[problem.pk, "agenda"]), {"meeting": meeting.pk})
        assert r.status_code == 302
    item = AgendaItem.objects.get()
    assert item.subject_is(problem)
    assert item.title == "电动车充电难"
    bad = client.post(reverse("problems:act", args=[problem.pk, "agenda"]), {"meeting": 0})
    assert bad.status_code == 400

    for attendance in meeting.attendance.all():
        attendance_sign_in(attendance=attendance, actor=bob)
    meeting_hold(meeting=meeting, actor=bob)
    item = agenda_item_decide(
        item=item,
        actor=bob,
        solution="在小区东侧安装电动车集中充电桩",
        owner_role="物业党支部",
        owner=bob,
        deadline=timezone.localdate() + timedelta(days=20),
        actions=["采购并安装20个充电桩"],
    )
    board = client.get(reverse("problems:board", args=[staffed.village_a.code])).content.decode()
    assert "在小区东侧安装电动车集中充电桩" in board
    assert "物业党支部" in board
    assert bob.display_name not in board

    action = action_done(action=item.actions.get(), actor=bob, result="已安装20个充电桩并通电")
    action_verify(action=action, actor=alice)
    agenda_item_close(item=item, actor=bob)
    problem.refresh_from_db()
    assert problem.state == Problem.State.SOLVED
    assert problem.resolution == "在小区东侧安装电动车集中充电桩\n已安装20个充电桩并通电"
    assert set(Appeal.objects.filter(problem_link__problem=problem).values_list("state", flat=True)) == {
        State.RESOLVED
    }
    assert Notification.objects.filter(kind="problem.solved").count() == 2
    assert Event.objects.get(verb="problem.close").actor == bob


def test_a_dismissed_problem_does_not_stop_its_item_closing(
    staffed: Tree, bob: User, alice: User, ordinary: Category
) -> None:
    from minhu.meetings.services import agenda_item_add

    problem = problem_create(actor=bob, unit=staffed.village_a, title="重复的一条")
    meeting = _meeting(staffed, bob)
    item = agenda_item_add(meeting=meeting, actor=bob, title=problem.title, subject=problem)
    attendance_sign_in(attendance=meeting.attendance.first(), actor=bob)
    meeting_hold(meeting=meeting, actor=bob)
    item = agenda_item_decide(
        item=item,
        actor=bob,
        solution="并入另一条",
        owner_role="村两委",
        deadline=timezone.localdate(),
        actions=["并入"],
    )
    problem_dismiss(problem=problem, actor=bob, reason="重复")
    action_verify(action=action_done(action=item.actions.get(), actor=bob, result="已并入"), actor=alice)
    item = agenda_item_close(item=item, actor=bob)
    problem.refresh_from_db()
    assert item.state == AgendaItem.State.CLOSED
    assert problem.state == Problem.State.DISMISSED

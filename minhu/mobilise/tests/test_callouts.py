"""Call-outs (一呼百应): raising tells every party member of the subtree once; members answer; the organiser
gives tasks; reports move the targets; closing freezes the summary; nobody outside the scope sees or acts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from minhu.accounts.models import User
from minhu.core.models import Event, Notification
from minhu.grid.models import Unit
from minhu.grid.services import party_member_set
from minhu.mobilise.models import CallOut, CallOutMember, CallOutTarget, ProgressReport
from minhu.mobilise.selectors import callouts_visible_to, party_members_in
from minhu.mobilise.services import (
    TargetSpec,
    callout_answer,
    callout_close,
    callout_raise,
    callout_report,
    callout_task_assign,
    callout_task_done,
)
from minhu.mobilise.tests.conftest import Squad

SH = ZoneInfo("Asia/Shanghai")


def raise_snow(actor: Any, unit: Unit, head_count: int = 3) -> CallOut:
    return callout_raise(
        unit=unit,
        title="除雪突击队",
        description="七点半村委会集合，带铁锹",
        head_count=head_count,
        targets=[
            TargetSpec(name="打通田间作业路", unit_label="公里", goal=Decimal(21)),
            TargetSpec(name="清理大棚积雪", unit_label="栋", goal=Decimal(1500)),
        ],
        actor=actor,
    )


def row(callout: CallOut, name: str) -> CallOutMember:
    return CallOutMember.objects.get(callout=callout, party_member__person__name=name)


def targets(callout: CallOut) -> list[tuple[str, Decimal]]:
    return [(t.name, t.progress) for t in CallOutTarget.objects.filter(callout=callout).order_by("position")]


def test_raising_tells_every_party_member_of_the_subtree_once(squad: Squad, bob: User, carol: User) -> None:
    callout = raise_snow(bob, squad.tree.village_a)
    roster = {m.party_member.person.name: m.user for m in CallOutMember.objects.filter(callout=callout)}
    # carol lives in the village and answers for a household there too: she is on the roster once
    assert roster == {"张卡": carol, "冯兰": squad.frank_user, "孙大": None}
    url = f"/mobilise/callouts/{callout.pk}/"
    sent = Notification.objects.filter(kind="callout.raised").order_by("recipient__username")
    assert [(n.recipient, n.channel, n.url, n.dedupe_key) for n in sent] == [
        (carol, "inapp", url, f"callout:{callout.pk}:invite:person{squad.carol.person_id}:inapp"),
        (squad.frank_user, "inapp", url, f"callout:{callout.pk}:invite:person{squad.frank.person_id}:inapp"),
    ]
    assert sent[0].subject == "一呼百应：除雪突击队"  # written in the default language
    event = Event.objects.get(verb="callout.raise")
    assert (event.actor, event.after["invited"], event.after["told"]) == (bob, 3, 2)
    assert event.after["targets"] == [
        {"name": "打通田间作业路", "unit_label": "公里", "goal": "21"},
        {"name": "清理大棚积雪", "unit_label": "栋", "goal": "1500"},
    ]


def test_the_street_calls_on_both_villages_and_registration_counts(squad: Squad, alice: User) -> None:
    # henry lives in village B but has registered (双报到) in village A: A's call-outs reach him too
    party_member_set(
        person=squad.henry.person,
        registered_unit=squad.tree.village_a,
        registered_on=date(2025, 3, 1),
        actor=None,
    )
    names_a = sorted(pm.person.name for pm in party_members_in(squad.tree.village_a))
    assert names_a == ["冯兰", "孙大", "张卡", "韩亨"]
    street = raise_snow(alice, squad.tree.street)
    assert street.members.count() == 4
    assert Notification.objects.filter(kind="callout.raised").count() == 3


def test_members_accept_or_decline_and_a_second_tap_changes_nothing(
    squad: Squad, bob: User, carol: User
) -> None:
    callout = raise_snow(bob, squad.tree.village_a)
    mine = row(callout, "张卡")
    callout_answer(member=mine, accept=True, actor=carol)
    callout_answer(member=mine, accept=True, actor=carol)
    callout_answer(member=row(callout, "冯兰"), accept=False, actor=squad.frank_user)
    callout_answer(member=row(callout, "孙大"), accept=True, actor=bob)  # taken on the phone
    answers = dict(
        CallOutMember.objects.filter(callout=callout).values_list("party_member__person__name", "answer")
    )
    assert answers == {"张卡": "accepted", "冯兰": "declined", "孙大": "accepted"}
    assert row(callout, "孙大").answered_by == bob
    assert row(callout, "张卡").answered_by == carol
    events = Event.objects.filter(verb="callout.answer").order_by("id")
    assert [(e.actor, e.after["answer"], e.after["by_organiser"]) for e in events] == [
        (carol, "accepted", False),
        (squad.frank_user, "declined", False),
        (bob, "accepted", True),
    ]


def test_a_member_cannot_answer_for_another(squad: Squad, bob: User, carol: User) -> None:
    callout = raise_snow(bob, squad.tree.village_a)
    with pytest.raises(PermissionDenied):
        callout_answer(member=row(callout, "冯兰"), accept=False, actor=carol)
    assert row(callout, "冯兰").answer == "invited"
    assert not Event.objects.filter(verb="callout.answer").exists()


def test_progress_reports_move_the_targets(squad: Squad, bob: User, carol: User) -> None:
    callout = raise_snow(bob, squad.tree.village_a)
    road, houses = CallOutTarget.objects.filter(callout=callout).order_by("position")
    callout_answer(member=row(callout, "张卡"), accept=True, actor=carol)
    callout_answer(member=row(callout, "冯兰"), accept=False, actor=squad.frank_user)
    callout_report(
        callout=callout,
        actor=carol,
        member=row(callout, "张卡"),
        hours="8",
        amounts={road.pk: "3.5", houses.pk: "120"},
    )
    callout_report(callout=callout, actor=bob, hours="16", amounts={road.pk: 2}, note="两台铲车")
    assert targets(callout) == [("打通田间作业路", Decimal("5.50")), ("清理大棚积雪", Decimal("120.00"))]

    refused: list[tuple[type[Exception], dict[str, Any]]] = [
        (
            ValidationError,
            {"actor": squad.frank_user, "member": row(callout, "冯兰"), "hours": 3},
        ),  # declined
        (ValidationError, {"actor": carol, "member": row(callout, "张卡"), "amounts": {road.pk: "-1"}}),
        (ValidationError, {"actor": carol, "member": row(callout, "张卡"), "hours": "25"}),
        (ValidationError, {"actor": carol, "member": row(callout, "张卡")}),  # nothing to report
        (
            PermissionDenied,
            {"actor": carol, "member": None, "hours": 3},
        ),  # the squad's report is the organiser's
        (PermissionDenied, {"actor": squad.ivan, "member": None, "hours": 3}),
    ]
    for exc, kwargs in refused:
        with pytest.raises(exc):
            callout_report(callout=callout, **kwargs)
    assert targets(callout) == [("打通田间作业路", Decimal("5.50")), ("清理大棚积雪", Decimal("120.00"))]
    assert ProgressReport.objects.count() == 2
    assert Event.objects.filter(verb="callout.report").count() == 2
    with pytest.raises(ValidationError):  # work was reported: they took part
        callout_answer(member=row(callout, "张卡"), accept=False, actor=carol)


def test_tasks_go_to_members_who_are_coming(squad: Squad, bob: User, carol: User) -> None:
    callout = raise_snow(bob, squad.tree.village_a)
    callout_answer(member=row(callout, "张卡"), accept=True, actor=carol)
    callout_answer(member=row(callout, "冯兰"), accept=False, actor=squad.frank_user)
    task = callout_task_assign(callout=callout, member=row(callout, "张卡"), text="清理村北田间路", actor=bob)
    told = Notification.objects.get(kind="callout.task")
    assert (told.recipient, told.dedupe_key) == (carol, f"callout:{callout.pk}:task:{task.pk}:inapp")
    with pytest.raises(ValidationError):
        callout_task_assign(callout=callout, member=row(callout, "冯兰"), text="x", actor=bob)
    with pytest.raises(PermissionDenied):
        callout_task_assign(callout=callout, member=row(callout, "张卡"), text="x", actor=carol)
    with pytest.raises(PermissionDenied):
        callout_task_done(task=task, actor=squad.frank_user)
    callout_task_done(task=task, actor=carol)
    task.refresh_from_db()
    assert task.done
    assert [e.verb for e in Event.objects.filter(verb__startswith="callout.task").order_by("id")] == [
        "callout.task_assign",
        "callout.task_done",
    ]


def test_closing_freezes_the_summary(squad: Squad, bob: User, carol: User, client: Any) -> None:
    frank = squad.frank_user
    with time_machine.travel(datetime(2026, 11, 19, 7, 0, tzinfo=SH), tick=False) as clock:
        callout = raise_snow(bob, squad.tree.village_a)
        road, houses = CallOutTarget.objects.filter(callout=callout).order_by("position")
        callout_answer(member=row(callout, "张卡"), accept=True, actor=carol)
        callout_answer(member=row(callout, "冯兰"), accept=True, actor=frank)
        callout_answer(member=row(callout, "孙大"), accept=True, actor=bob)
        clock.move_to(datetime(2026, 11, 19, 18, 0, tzinfo=SH))
        callout_report(
            callout=callout, actor=carol, member=row(callout, "张卡"), hours=8, amounts={road.pk: "6.5"}
        )
        callout_report(
            callout=callout, actor=frank, member=row(callout, "冯兰"), hours=9, amounts={houses.pk: 420}
        )
        clock.move_to(datetime(2026, 11, 20, 18, 0, tzinfo=SH))
        callout_report(
            callout=callout, actor=carol, member=row(callout, "张卡"), hours="8.5", amounts={road.pk: 8}
        )
        callout_report(
            callout=callout, actor=frank, member=row(callout, "冯兰"), hours=10, amounts={houses.pk: 610}
        )
        clock.move_to(datetime(2026, 11, 21, 18, 0, tzinfo=SH))
        callout_report(callout=callout, actor=bob, hours=12, amounts={road.pk: "6.5", houses.pk: 482})
        clock.move_to(datetime(2026, 11, 21, 19, 30, tzinfo=SH))
        callout = callout_close(callout=callout, actor=bob, note="全村道路畅通")

    assert callout.state == "closed"
    assert callout.summary == {
        "invited": 3,
        "accepted": 3,
        "declined": 0,
        "no_answer": 0,
        "head_count": 3,
        "names": ["冯兰", "孙大", "张卡"],
        "hours": "47.5",
        "reports": 5,
        "tasks": 0,
        "tasks_done": 0,
        "targets": [
            {"name": "打通田间作业路", "unit_label": "公里", "goal": "21", "achieved": "21", "percent": 100},
            {"name": "清理大棚积雪", "unit_label": "栋", "goal": "1500", "achieved": "1512", "percent": 100},
        ],
        "raised_on": "2026-11-19",
        "closed_on": "2026-11-21",
        "days": 3,
        "first_work_on": "2026-11-19",
        "last_work_on": "2026-11-21",
        "note": "全村道路畅通",
    }
    # frozen: nothing more can be reported, answered or closed
    with pytest.raises(ValidationError):
        callout_report(callout=callout, actor=carol, member=row(callout, "张卡"), hours=1)
    with pytest.raises(ValidationError):
        callout_close(callout=callout, actor=bob)
    assert targets(callout)[0] == ("打通田间作业路", Decimal("21.00"))
    thanked = Notification.objects.filter(kind="callout.closed").values_list("recipient__username", flat=True)
    assert sorted(thanked) == ["carol", "frank"]
    client.force_login(bob)
    page = client.get(f"/mobilise/callouts/{callout.pk}/").content.decode()
    assert "3 party members took part, 47.5 hours in 3 days (2026-11-19 – 2026-11-21)" in page
    assert "1512 栋" in page


def test_a_cadre_of_another_village_can_neither_see_nor_act(squad: Squad, bob: User, client: Any) -> None:
    callout = raise_snow(bob, squad.tree.village_a)
    ivan = squad.ivan
    with pytest.raises(PermissionDenied):
        raise_snow(ivan, squad.tree.village_a)
    assert not callouts_visible_to(ivan).filter(pk=callout.pk).exists()
    for call in (
        lambda: callout_close(callout=callout, actor=ivan),
        lambda: callout_answer(member=row(callout, "孙大"), accept=True, actor=ivan),
        lambda: callout_report(callout=callout, actor=ivan, hours=1),
    ):
        with pytest.raises(PermissionDenied):
            call()
    client.force_login(ivan)
    base = f"/mobilise/callouts/{callout.pk}/"
    assert client.get(base).status_code == 404
    assert client.post(f"{base}close/", {"note": ""}).status_code == 404
    assert client.post(f"{base}report/", {"hours": "1"}).status_code == 404
    callout.refresh_from_db()
    assert callout.state == "open"
    assert CallOut.objects.count() == 1
    assert Event.objects.filter(verb__in=["callout.close", "callout.answer", "callout.report"]).count() == 0
    # a party member raises nothing, and one not on the roster sees nothing
    client.force_login(squad.henry_user)
    assert client.get(base).status_code == 404
    assert client.get("/mobilise/callouts/new/").status_code == 404


def test_raise_on_the_page_and_answer_from_the_message(
    squad: Squad, bob: User, carol: User, client: Any
) -> None:
    client.force_login(bob)
    response = client.post(
        "/mobilise/callouts/new/",
        {
            "unit": squad.tree.village_a.pk,
            "title": "除雪突击队",
            "description": "带铁锹",
            "head_count": "20",
            "targets-TOTAL_FORMS": "3",
            "targets-INITIAL_FORMS": "0",
            "targets-MIN_NUM_FORMS": "0",
            "targets-MAX_NUM_FORMS": "10",
            "targets-0-name": "打通田间作业路",
            "targets-0-unit_label": "公里",
            "targets-0-goal": "21",
            "targets-1-name": "清理大棚积雪",
            "targets-1-unit_label": "栋",
            "targets-1-goal": "1500",
        },
    )
    callout = CallOut.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/mobilise/callouts/{callout.pk}/"
    assert [(t.name, t.unit_label, t.goal) for t in callout.targets.order_by("position")] == [
        ("打通田间作业路", "公里", Decimal("21.00")),
        ("清理大棚积雪", "栋", Decimal("1500.00")),
    ]
    client.force_login(carol)
    message = Notification.objects.get(recipient=carol, kind="callout.raised")
    page = client.get(message.url)
    assert page.status_code == 200
    assert "I am coming" in page.content.decode()
    message.refresh_from_db()
    assert message.read_at is not None  # opening the page read the message
    assert client.post(f"{message.url}answer/", {"answer": "accept"}).status_code == 302
    assert row(callout, "张卡").answer == "accepted"
    road = callout.targets.get(position=0)
    response = client.post(f"{message.url}report/", {"hours": "4", f"amount_{road.pk}": "1.5", "note": ""})
    assert response.status_code == 302
    road.refresh_from_db()
    assert road.progress == Decimal("1.50")
    live = client.get(message.url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="callout-live").content.decode()
    assert live.startswith('<div id="callout-live"')
    assert 'hx-trigger="every 10s"' in live
    assert "1.5 / 21 公里 (7%)" in live
    assert "<html" not in live


def test_an_invalid_raise_form_writes_nothing(squad: Squad, bob: User, client: Any) -> None:
    client.force_login(bob)
    response = client.post(
        "/mobilise/callouts/new/",
        {
            "unit": squad.tree.village_b.pk,  # not bob's village
            "title": "",
            "head_count": "0",
            "targets-TOTAL_FORMS": "1",
            "targets-INITIAL_FORMS": "0",
            "targets-MIN_NUM_FORMS": "0",
            "targets-MAX_NUM_FORMS": "10",
            "targets-0-name": "路",
            "targets-0-unit_label": "",
            "targets-0-goal": "-3",
        },
    )
    assert response.status_code == 400
    assert CallOut.objects.count() == 0
    assert Notification.objects.count() == 0

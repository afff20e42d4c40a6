"""Care visits (未呼先应): flagged households get plans; visits move the due date; a missed visit climbs the
chain exactly once per level and period — also when the sweep runs twice, or twice at once; the reason for
care is shown only to those who may see it."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from minhu.accounts.models import User
from minhu.core.models import Event, Notification
from minhu.core.tests.concurrency import at_once
from minhu.grid.models import Person, Responsibility
from minhu.grid.services import responsibility_assign, responsibility_end
from minhu.grid.tests.conftest import START, Tree
from minhu.mobilise.models import CareEscalation, CarePlan, CareVisit
from minhu.mobilise.selectors import visits_due_for
from minhu.mobilise.services import (
    care_escalate_missed,
    care_plan_end,
    care_plan_set,
    care_plans_sync,
    care_visit_record,
)
from minhu.mobilise.tests.conftest import ChainLogins, Squad

SH = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 8, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=SH)


def told() -> list[tuple[str, str]]:
    """(recipient, dedupe key) of every missed-visit message, in order."""
    return list(
        Notification.objects.filter(kind="care.missed")
        .order_by("id")
        .values_list("recipient__username", "dedupe_key")
    )


@time_machine.travel(at(2), tick=False)
def test_flagged_households_get_a_plan_once(staffed: Tree, bob: User) -> None:
    report = care_plans_sync()
    assert (report.created, report.ended) == (1, 0)
    plan = CarePlan.objects.get()
    assert (plan.household, plan.source, plan.cadence_days, plan.due_on) == (
        staffed.hh_a2,  # 赵邻, elderly and living alone
        "flags",
        7,
        date(2026, 3, 9),
    )
    assert care_plans_sync().created == 0
    # the register changes: a low-income household joins (monthly), the elderly neighbour moves in with family
    Person.objects.filter(pk=staffed.b_person.pk).update(low_income=True)
    Person.objects.filter(pk=staffed.neighbour.pk).update(elderly_alone=False)
    care_plan_set(household=staffed.hh_a1, cadence_days=10, note="刚出院", actor=bob)  # set by staff
    report = care_plans_sync()
    assert (report.created, report.ended) == (1, 1)
    active = {p.household: (p.source, p.cadence_days) for p in CarePlan.objects.active()}
    assert active == {staffed.hh_b1: ("flags", 30), staffed.hh_a1: ("manual", 10)}
    assert Event.objects.filter(verb="care.plan_start").count() == 3
    assert Event.objects.filter(verb="care.plan_end").count() == 1
    # the note is personal data: it stays out of the timeline
    assert "刚出院" not in str(list(Event.objects.values_list("before", "after", "note")))


def test_visits_move_the_due_date(staffed: Tree, bob: User, carol: User) -> None:
    with time_machine.travel(at(2), tick=False) as clock:
        plan = care_plan_set(household=staffed.hh_a1, cadence_days=7, actor=bob)
        assert plan.due_on == date(2026, 3, 9)
        clock.move_to(at(5, 10))
        care_visit_record(household=staffed.hh_a1, actor=carol, outcome="well", notes="精神不错")
        plan.refresh_from_db()
        assert (plan.last_visited_on, plan.due_on) == (date(2026, 3, 5), date(2026, 3, 12))
        clock.move_to(at(13, 10))
        care_visit_record(household=staffed.hh_a1, actor=carol, outcome="not_met")  # nobody home: still due
        care_visit_record(  # an older visit entered late moves nothing back
            household=staffed.hh_a1, actor=carol, outcome="well", visited_at=at(4, 15)
        )
        plan.refresh_from_db()
        assert (plan.last_visited_on, plan.due_on) == (date(2026, 3, 5), date(2026, 3, 12))
        clock.move_to(at(14, 10))
        care_visit_record(household=staffed.hh_a1, actor=carol, outcome="needs", needs="取暖煤不够")
        plan.refresh_from_db()
        assert plan.due_on == date(2026, 3, 21)
        care_plan_set(household=staffed.hh_a1, cadence_days=14, actor=bob)
        plan.refresh_from_db()
        assert (plan.cadence_days, plan.due_on) == (14, date(2026, 3, 28))
        with pytest.raises(ValidationError):
            care_visit_record(household=staffed.hh_a1, actor=carol, outcome="needs")  # which needs?
        with pytest.raises(ValidationError):
            care_visit_record(household=staffed.hh_a1, actor=carol, outcome="well", visited_at=at(20))
    assert CareVisit.objects.count() == 4
    assert [e.after["outcome"] for e in Event.objects.filter(verb="care.visit").order_by("id")] == [
        "well",
        "not_met",
        "well",
        "needs",
    ]


def test_my_visits_due_soonest_first(staffed: Tree, bob: User, carol: User) -> None:
    responsibility_assign(
        household=staffed.hh_a2,
        unit=staffed.block_a,
        role="party_member",
        user=carol,
        start=START,
        actor=None,
    )
    today = timezone.localdate()
    care_plan_set(household=staffed.hh_a1, cadence_days=14, actor=bob, start=today - timedelta(days=3))
    care_plan_set(household=staffed.hh_a2, cadence_days=7, actor=bob, start=today - timedelta(days=10))
    care_plan_set(household=staffed.hh_b1, cadence_days=1, actor=None)  # not carol's
    assert [(p.household, p.due_on) for p in visits_due_for(carol)] == [
        (staffed.hh_a2, today - timedelta(days=3)),
        (staffed.hh_a1, today + timedelta(days=11)),
    ]


def test_a_missed_visit_climbs_the_chain_once_per_level_in_working_days(
    staffed: Tree, carol: User, chain_logins: ChainLogins
) -> None:
    with time_machine.travel(at(2), tick=False) as clock:
        # due Friday 6 March: started Friday 27 February, a weekly cadence (calendar days, the cadence's rule)
        plan = care_plan_set(household=staffed.hh_a1, cadence_days=7, actor=None, start=date(2026, 2, 27))
        assert plan.due_on == date(2026, 3, 6)
        levels = []
        for day in (7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19, 30):
            clock.move_to(at(day))
            care_escalate_missed()
            care_escalate_missed()  # the sweep runs again: nothing more
            plan.refresh_from_db()
            levels.append(plan.escalation_level)
        # two working days' grace, then one level every two working days: 包户 member, group leader,
        # committee, street. Sunday 8 and Monday 9 are two and three calendar days late, but the weekend
        # does not count: Monday 9 and Tuesday 10 are the grace, so the 包户 member is told on Wednesday 11;
        # the group leader after Wednesday and Thursday (on Friday 13), the committee member after Friday
        # and Monday (on Tuesday 17), the street leader after Tuesday and Wednesday (on Thursday 19).
        assert levels == [0, 0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4]
        key = f"care:{plan.pk}:2026-03-06"
        assert told() == [
            ("carol", f"{key}:level1:user{carol.pk}:inapp"),
            ("gina", f"{key}:level2:user{chain_logins.gina.pk}:inapp"),
            ("kate", f"{key}:level3:user{chain_logins.kate.pk}:inapp"),
            ("leo", f"{key}:level4:user{chain_logins.leo.pk}:inapp"),
        ]
        assert list(CareEscalation.objects.values_list("level", "role", "holders")) == [
            (1, "party_member", ["张卡"]),
            (2, "group_leader", ["周组长"]),
            (3, "committee_member", ["孙委员"]),
            (4, "street_leader", ["老王"]),
        ]
        events = Event.objects.filter(verb="care.escalate").order_by("id")
        assert [(e.before["level"], e.after["level"]) for e in events] == [(0, 1), (1, 2), (2, 3), (3, 4)]
        first = Notification.objects.filter(kind="care.missed").first()
        assert first is not None
        assert first.url == f"/mobilise/care/households/{staffed.hh_a1.pk}/"
        plan.refresh_from_db()
        assert (plan.escalation_done, plan.watch_at) == (True, None)  # the top was told: nothing to watch

        # A visit ends the period; the next missed one climbs again from the bottom, as a new period. Due
        # Monday 6 April, the Qingming holiday: the grace is Tuesday 7 and Wednesday 8.
        care_visit_record(household=staffed.hh_a1, actor=carol, outcome="well")
        plan.refresh_from_db()
        assert (plan.due_on, plan.escalation_level) == (date(2026, 4, 6), 0)
        clock.move_to(at(8, hour=20, month=4))
        assert care_escalate_missed()["levels"] == 0
        clock.move_to(at(9, month=4))
        assert care_escalate_missed()["levels"] == 1
        assert told()[-1] == ("carol", f"care:{plan.pk}:2026-04-06:level1:user{carol.pk}:inapp")
        assert len(told()) == 5


def test_the_watch_follows_the_due_date(staffed: Tree, bob: User, carol: User) -> None:
    """Each service that moves the due date or ends the plan moves the watch: the first level's moment, at
    the end of the second working day after the due date."""
    with time_machine.travel(at(2), tick=False) as clock:  # Monday 2 March
        plan = care_plan_set(household=staffed.hh_a1, cadence_days=4, actor=bob)  # due Friday 6 March
        assert plan.watch_at == datetime(2026, 3, 10, 23, 59, 59, tzinfo=SH)  # the end of Tuesday 10
        clock.move_to(at(3, 10))
        care_visit_record(household=staffed.hh_a1, actor=carol, outcome="well")  # due Saturday 7 March
        plan.refresh_from_db()
        assert plan.due_on == date(2026, 3, 7)
        assert plan.watch_at == datetime(2026, 3, 10, 23, 59, 59, tzinfo=SH)
        care_plan_set(household=staffed.hh_a1, cadence_days=7, actor=bob)  # due Tuesday 10 March
        plan.refresh_from_db()
        assert plan.watch_at == datetime(2026, 3, 12, 23, 59, 59, tzinfo=SH)
        care_plan_end(plan=plan, actor=bob)
        plan.refresh_from_db()
        assert plan.watch_at is None
        clock.move_to(at(30))
        assert care_escalate_missed().objects == 0
    assert told() == []


@time_machine.travel(at(2), tick=False)
def test_a_sweep_that_comes_late_tells_every_level_once(
    staffed: Tree, carol: User, chain_logins: ChainLogins
) -> None:
    plan = care_plan_set(
        household=staffed.hh_a1, cadence_days=7, actor=None, start=date(2026, 2, 1)
    )  # due 8 Feb
    assert care_escalate_missed()["levels"] == 4
    assert care_escalate_missed()["levels"] == 0
    assert [u for u, _k in told()] == ["carol", "gina", "kate", "leo"]
    plan.refresh_from_db()
    assert (plan.escalation_level, plan.escalation_done) == (4, True)


@time_machine.travel(at(20), tick=False)
def test_an_empty_level_is_skipped_and_an_empty_chain_is_recorded_once(
    staffed: Tree, carol: User, chain_logins: ChainLogins
) -> None:
    group = Responsibility.objects.get(role="group_leader", unit=staffed.block_a)
    responsibility_end(responsibility=group, actor=None, end=date(2026, 3, 1))  # 包块 vacant
    care_plan_set(household=staffed.hh_a1, cadence_days=7, actor=None, start=date(2026, 3, 1))  # due 8 March
    nobody = care_plan_set(household=staffed.hh_b1, cadence_days=7, actor=None, start=date(2026, 3, 1))
    care_escalate_missed()
    care_escalate_missed()
    assert [u for u, _k in told()] == ["carol", "kate", "leo"]  # the committee member answers for the block
    assert list(CareEscalation.objects.values_list("level", "role")) == [
        (1, "party_member"),
        (2, "committee_member"),
        (3, "street_leader"),
    ]
    # village B has nobody at any level: recorded once, so that the gap shows
    unanswered = Event.objects.filter(verb="care.escalate", target_id=str(nobody.pk))
    assert [(e.after["level"], e.note) for e in unanswered] == [
        (0, "nobody answers for this household at any level")
    ]
    assert CarePlan.objects.filter(watch_at__isnull=False).count() == 0  # neither is watched any more


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_tell_each_level_once(
    staffed: Tree, carol: User, chain_logins: ChainLogins
) -> None:
    with time_machine.travel(at(2), tick=False):
        care_plan_set(
            household=staffed.hh_a1,
            cadence_days=7,
            actor=None,
            start=date(2026, 2, 1),  # due 8 February: every level is due
        )
    results = at_once(lambda: care_escalate_missed()["levels"], at=at(2))
    assert sorted(results) == [0, 4]
    assert sorted(u for u, _k in told()) == ["carol", "gina", "kate", "leo"]
    assert CareEscalation.objects.count() == 4
    assert Event.objects.filter(verb="care.escalate").count() == 4


@pytest.mark.django_db(transaction=True)
def test_two_syncs_at_once_make_one_plan(staffed: Tree) -> None:
    barrier = threading.Barrier(2)
    created: list[int] = []

    def sync() -> None:
        try:
            barrier.wait()
            created.append(care_plans_sync().created)
        finally:
            connection.close()

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(created) == [0, 1]
    assert CarePlan.objects.count() == 1
    assert Event.objects.filter(verb="care.plan_start").count() == 1


def test_who_may_record_a_visit_or_set_a_plan(squad: Squad, bob: User, carol: User, dave: User) -> None:
    tree = squad.tree
    plan = care_plan_set(household=tree.hh_a1, cadence_days=7, actor=bob)
    for who in (
        dave,
        squad.ivan,
        squad.frank_user,
    ):  # the resident, another village's cadre, a party member living there
        with pytest.raises(PermissionDenied):
            care_visit_record(household=tree.hh_a1, actor=who, outcome="well")
    for who in (carol, squad.ivan):
        with pytest.raises(PermissionDenied):
            care_plan_set(household=tree.hh_a1, cadence_days=3, actor=who)
        with pytest.raises(PermissionDenied):
            care_plan_end(plan=plan, actor=who)
    assert CareVisit.objects.count() == 0
    plan.refresh_from_db()
    assert (plan.cadence_days, plan.ended_on) == (7, None)
    assert Event.objects.filter(verb__in=["care.visit", "care.plan_set", "care.plan_end"]).count() == 0
    care_visit_record(household=tree.hh_a1, actor=carol, outcome="well")  # the 包户 member
    care_visit_record(household=tree.hh_a1, actor=bob, outcome="well")  # the village cadre
    assert CareVisit.objects.count() == 2
    care_plan_end(plan=plan, actor=bob)
    with pytest.raises(ValidationError):
        care_visit_record(household=tree.hh_a1, actor=carol, outcome="well")


def test_the_reason_for_care_is_shown_only_to_those_who_may_see_it(
    squad: Squad, bob: User, carol: User, client: Any
) -> None:
    tree = squad.tree
    responsibility_assign(
        household=tree.hh_a2, unit=tree.block_a, role="party_member", user=carol, start=START, actor=None
    )
    care_plans_sync()  # 赵邻 is elderly and lives alone
    page = f"/mobilise/care/households/{tree.hh_a2.pk}/"

    client.force_login(carol)
    for url in ("/mobilise/care/", page):
        content = client.get(url).content.decode()
        assert "Care household" in content
        assert "living alone" not in content
        assert "(recorded)" not in content
    assert client.post(f"{page}reveal/").status_code == 404
    assert client.post("/mobilise/care/reveal/").status_code == 404
    assert client.post(f"{page}visit/", {"outcome": "well"}).status_code == 302  # she visits all the same

    client.force_login(bob)
    assert "Show the reason for care (recorded)" in client.get(page).content.decode()
    response = client.post(f"{page}reveal/")
    assert "赵邻: elderly, living alone" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    overview = client.post("/mobilise/care/reveal/").content.decode()
    assert "赵邻: elderly, living alone" in overview
    assert list(Event.objects.filter(verb="care.reveal").values_list("actor__username", flat=True)) == [
        "bob",
        "bob",
    ]

    client.force_login(squad.ivan)
    assert client.get(page).status_code == 404
    assert client.post(f"{page}reveal/").status_code == 404
    assert client.post(f"{page}visit/", {"outcome": "well"}).status_code == 404
    assert CareVisit.objects.count() == 1


def test_record_a_visit_from_the_page(staffed: Tree, bob: User, carol: User, client: Any) -> None:
    care_plan_set(household=staffed.hh_a1, cadence_days=7, actor=bob)
    client.force_login(carol)
    url = f"/mobilise/care/households/{staffed.hh_a1.pk}/"
    assert "Record a visit" in client.get(url).content.decode()
    bad = client.post(f"{url}visit/", {"outcome": "needs", "needs": ""})
    assert bad.status_code == 400
    assert "Say what is needed." in bad.content.decode()
    good = client.post(
        f"{url}visit/", {"outcome": "needs", "needs": "需要代购降压药", "follow_up": "联系村医"}
    )
    assert good.status_code == 302
    visit = CareVisit.objects.get()
    assert (visit.visitor, visit.outcome, visit.needs, visit.follow_up) == (
        carol,
        "needs",
        "需要代购降压药",
        "联系村医",
    )
    assert "需要代购降压药" in client.get(url).content.decode()

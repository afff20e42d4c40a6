"""Demo call-outs and care visits, on the grid demo's 永乐街道.

- The seed's snow squad, closed with its summary: after the November 2020 snowstorm 来胜堡村 called on its
  party members; 52 came (the article: "50余名党员"), and in three days (19–21 November) they opened the
  village's 21 km of field roads and cleared the snow from 1,512 greenhouses ("1500余栋"). The village's
  roster is made up to 56 party members from its grown-up residents; the answers were taken on the phone by
  the street's secretary (the `street` login), and each member reported their hours and what their team
  cleared at the end of each day.
- An open call-out in 马耳山村 raised by the `cadre` login: the `member` login (张伟) has a message in the
  inbox and has not answered yet.
- Care plans for every household the grid flags (elderly living alone, disability, low income), started
  four weeks ago with visits since; two more of the `member` login's households on plans set by staff, one
  of them overdue (and already passed to 张伟 by the sweep).

Idempotent: once the snow call-out exists, nothing more is created.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from minhu.accounts.models import User
from minhu.core.workdays import work_calendar
from minhu.grid.models import Household, PartyMember, Person, Responsibility, Unit, subtree_q
from minhu.grid.services import party_member_set
from minhu.mobilise.models import CallOut, CallOutMember, CarePlan, CareVisit
from minhu.mobilise.selectors import grace_days
from minhu.mobilise.services import (
    TargetSpec,
    callout_answer,
    callout_close,
    callout_raise,
    callout_report,
    callout_task_assign,
    care_escalate_missed,
    care_plan_set,
    care_plans_sync,
    care_visit_record,
)

SNOW_TITLE = "来胜堡村雪灾抢险除雪突击队"
SNOW_DAYS = [date(2020, 11, 19), date(2020, 11, 20), date(2020, 11, 21)]
ROAD_KM = [Decimal("6.5"), Decimal("8"), Decimal("6.5")]  # 21 km of field roads
GREENHOUSES = [Decimal(420), Decimal(610), Decimal(482)]  # 1,512 greenhouses
SQUAD, CALLED = 52, 56
ROAD_TEAM = 20  # the rest clear greenhouses

NEEDS = [
    "冬季取暖煤不够，需帮助联系购买",
    "常用降压药快吃完了，需代购",
    "屋顶漏雨，需找人修补",
    "想办理高龄补贴，需帮忙申请",
]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(settings.TIME_ZONE))


def _split(total: Decimal, n: int, step: Decimal) -> list[Decimal]:
    """`total` in `n` shares of whole `step`s, the larger shares first; the shares add up to `total`."""
    units = int(total / step)
    base, extra = divmod(units, n)
    return [step * (base + (1 if i < extra else 0)) for i in range(n)]


def load() -> list[tuple[str, str, str]]:
    if CallOut.objects.filter(title=SNOW_TITLE).exists():
        return []
    laishengbao = Unit.objects.filter(name="来胜堡村", kind=Unit.Kind.VILLAGE).first()
    mars = Unit.objects.filter(code="210111001001").first()
    if laishengbao is None or mars is None:
        return []  # no grid demo to build on
    rng = random.Random(2020)  # noqa: S311 -- demo figures, not security
    users = {u.username: u for u in User.objects.filter(username__in=["street", "cadre", "member"])}
    _snow(rng, laishengbao, users.get("street"))
    _open_callout(rng, mars, users.get("cadre"))
    _care(rng, users.get("member"))
    return []


def _snow(rng: random.Random, village: Unit, organiser: User | None) -> None:
    # Make the village's party members up to CALLED from its grown-up residents (born 1952–2000).
    living = Person.objects.filter(subtree_q("household__unit__path", village.path))
    have = PartyMember.objects.filter(person__in=living).count()
    candidates = living.filter(
        party_member__isnull=True, birth_date__gte=date(1952, 1, 1), birth_date__lte=date(2000, 12, 31)
    ).order_by("pk")
    for person in candidates[: max(0, CALLED - have)]:
        party_member_set(
            person=person,
            party_group="来胜堡村党支部",
            status=rng.choice(("working", "retired")),
            actor=None,
        )
    callout = callout_raise(
        unit=village,
        title=SNOW_TITLE,
        description=(
            "昨夜特大暴雪，全村田间作业路中断，大棚积雪严重，有压塌危险。请全村党员今早七点半到村委会集合，"
            "带好铁锹、扫帚，分田间路和大棚两个组除雪。"
        ),
        head_count=50,
        targets=[
            TargetSpec(name="打通田间作业路", unit_label="公里", goal=Decimal(21)),
            TargetSpec(name="清理大棚积雪", unit_label="栋", goal=Decimal(1500)),
        ],
        actor=organiser,
        at=_at(SNOW_DAYS[0], 6, 40),
    )
    members = list(CallOutMember.objects.filter(callout=callout).order_by("pk"))
    squad = members[:SQUAD]
    for i, m in enumerate(members):
        callout_answer(
            member=m,
            accept=i < SQUAD,
            actor=organiser,
            at=_at(SNOW_DAYS[0], 6, 45) + timedelta(minutes=i // 4),
        )
    road, houses = squad[:ROAD_TEAM], squad[ROAD_TEAM:]
    targets = list(callout.targets.order_by("position"))
    for day, km, count in zip(SNOW_DAYS, ROAD_KM, GREENHOUSES, strict=True):
        for team, target, total, step in (
            (road, targets[0], km, Decimal("0.05")),
            (houses, targets[1], count, Decimal(1)),
        ):
            for m, share in zip(team, _split(total, len(team), step), strict=True):
                callout_report(
                    callout=callout,
                    actor=organiser,
                    member=m,
                    hours=rng.choice(("6", "7", "8", "8", "8.5", "9", "10")),
                    amounts={target.pk: share},
                    worked_on=day,
                    at=_at(day, 18, rng.randint(0, 50)),
                )
    callout_close(
        callout=callout,
        actor=organiser,
        note="3天打通全村21公里田间作业路，清理1500余栋大棚积雪，村民及企业生产生活快速恢复。感谢每一位突击队员！",
        at=_at(SNOW_DAYS[-1], 19, 30),
    )


def _open_callout(rng: random.Random, village: Unit, organiser: User | None) -> None:
    raised = timezone.now() - timedelta(hours=20)
    callout = callout_raise(
        unit=village,
        title="入冬前清理村内排水沟",
        description="上冻前把村里主要排水沟清一遍，防止明年开春积水。周六上午八点在村委会门口集合，自带铁锹。",
        head_count=15,
        targets=[
            TargetSpec(name="排水沟清淤", unit_label="米", goal=Decimal(2000)),
            TargetSpec(name="垃圾清运", unit_label="车", goal=Decimal(20)),
        ],
        actor=organiser,
        at=raised,
    )
    others = list(CallOutMember.objects.filter(callout=callout, user__isnull=True).order_by("pk"))
    coming = others[:6]
    for i, m in enumerate(others[:7]):
        callout_answer(member=m, accept=i < 6, actor=organiser, at=raised + timedelta(minutes=10 + i * 7))
    ditch, rubbish = list(callout.targets.order_by("position"))
    callout_task_assign(callout=callout, member=coming[0], text="带队清理村北主排水沟", actor=organiser)
    callout_task_assign(callout=callout, member=coming[1], text="联系三轮车运走淤泥和垃圾", actor=organiser)
    for m in coming[:4]:
        callout_report(
            callout=callout,
            actor=organiser,
            member=m,
            hours=rng.choice(("3", "3.5", "4")),
            amounts={ditch.pk: Decimal(rng.choice((120, 150, 180))), rubbish.pk: Decimal(1)},
            note="",
            at=raised + timedelta(hours=6),
        )


def _missed_due(today: date) -> date:
    """The latest due date whose grace (in working days) was over by yesterday: a visit due then and not made
    has been passed to its 包户 member (level 1), and not yet further."""
    cal, grace = work_calendar(), grace_days()
    due = today - timedelta(days=grace + 2)
    while cal.working_days_between(due, today - timedelta(days=1)) < grace:
        due -= timedelta(days=1)
    return due


def _care(rng: random.Random, member: User | None) -> None:
    today = timezone.localdate()
    start = today - timedelta(days=28)
    care_plans_sync(today=start)
    overdue: CarePlan | None = None
    if member is not None:
        mine = Household.objects.filter(
            responsibilities__role=Responsibility.Role.PARTY_MEMBER, responsibilities__user=member
        ).order_by("number")
        notes = ["老人独居，子女在沈阳市区工作", "刚做完手术出院，需常去看看"]
        for hh in mine:
            if notes and not CarePlan.objects.active().filter(household=hh).exists():
                plan = care_plan_set(household=hh, cadence_days=7, note=notes.pop(0), start=start, actor=None)
                overdue = overdue or plan
    plans = list(CarePlan.objects.active().select_related("household").order_by("pk"))
    if overdue is None and plans:
        overdue = plans[0]
    visitor_of = {
        r.household_id: r.user
        for r in Responsibility.objects.active()
        .filter(role=Responsibility.Role.PARTY_MEMBER, user__isnull=False)
        .select_related("user")
    }
    for plan in plans:
        # Visits every cadence − 1 days back from the last one: yesterday, or for the overdue plan the day
        # that makes its next visit late past the grace in working days (the sweep tells the 包户 member).
        if overdue and plan.pk == overdue.pk:
            last = _missed_due(today) - timedelta(days=plan.cadence_days)
        else:
            last = today - timedelta(days=1)
        days = []
        day = last
        while day > start:
            days.append(day)
            day -= timedelta(days=max(1, plan.cadence_days - 1))
        for day in reversed(days):
            visitor = visitor_of.get(plan.household_id)
            if rng.random() < 0.08 and day - timedelta(days=1) > start:  # nobody home the day before
                care_visit_record(
                    household=plan.household,
                    actor=visitor,
                    outcome=CareVisit.Outcome.NOT_MET,
                    notes="敲门没人应，邻居说去女儿家了",
                    visited_at=_at(day - timedelta(days=1), rng.randint(9, 16), rng.randint(0, 59)),
                )
            needs = rng.random() < 0.12
            care_visit_record(
                household=plan.household,
                actor=visitor,
                outcome=CareVisit.Outcome.NEEDS if needs else CareVisit.Outcome.WELL,
                needs=rng.choice(NEEDS) if needs else "",
                notes="" if needs else "身体还好，聊了一会儿家常",
                follow_up="请村委会跟进" if needs else "",
                visited_at=_at(day, rng.randint(9, 16), rng.randint(0, 59)),
            )
    care_escalate_missed()

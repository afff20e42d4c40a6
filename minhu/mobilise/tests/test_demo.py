from __future__ import annotations

from typing import Any

from django.utils import timezone

from minhu.accounts import demo as accounts_demo
from minhu.accounts.models import User
from minhu.core.models import Event, Notification
from minhu.grid import demo as grid_demo
from minhu.mobilise import demo
from minhu.mobilise.models import CallOut, CareEscalation, CarePlan, CareVisit, ProgressReport
from minhu.mobilise.selectors import visits_due_for


def counts() -> tuple[int, ...]:
    return (
        CallOut.objects.count(),
        ProgressReport.objects.count(),
        CarePlan.objects.count(),
        CareVisit.objects.count(),
        Event.objects.count(),
        Notification.objects.count(),
    )


def test_demo_tells_the_snow_story_and_loads_once(db: Any) -> None:
    accounts_demo.load()
    grid_demo.load()
    assert demo.load() == []
    snow = CallOut.objects.get(title=demo.SNOW_TITLE)
    s = snow.summary
    assert (s["invited"], s["accepted"], s["declined"], s["days"]) == (56, 52, 4, 3)
    assert (s["raised_on"], s["closed_on"], s["reports"], s["hours"]) == (
        "2020-11-19",
        "2020-11-21",
        156,
        "1272.5",
    )
    assert [(t["name"], t["achieved"], t["goal"], t["unit_label"]) for t in s["targets"]] == [
        ("打通田间作业路", "21", "21", "公里"),
        ("清理大棚积雪", "1512", "1500", "栋"),
    ]
    assert snow.unit.name == "来胜堡村"

    member = User.objects.get(username="member")
    open_one = CallOut.objects.open().get()
    assert Notification.objects.filter(
        recipient=member, kind="callout.raised", url__endswith=f"/{open_one.pk}/"
    )
    assert open_one.members.filter(user=member, answer="invited").exists()

    today = timezone.localdate()
    overdue = CarePlan.objects.active().filter(due_on__lt=today)
    assert overdue.count() == 1
    mine = visits_due_for(member)
    assert mine[0] == overdue.get()
    assert list(CareEscalation.objects.values_list("plan", "level")) == [(mine[0].pk, 1)]
    assert Notification.objects.filter(recipient=member, kind="care.missed").count() == 1

    before = counts()
    assert demo.load() == []
    assert counts() == before

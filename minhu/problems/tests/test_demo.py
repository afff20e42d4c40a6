"""The demo problem list: the estate's electric-bike charging problem is merged from charging appeals of
several channels; loading again adds nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from minhu.accounts import demo as accounts_demo
from minhu.appeals import demo as appeals_demo
from minhu.appeals.models import Appeal
from minhu.grid import demo as grid_demo
from minhu.meetings.models import subject_items
from minhu.problems import demo
from minhu.problems.models import Problem

NOW = datetime(2026, 11, 25, 18, 40, tzinfo=ZoneInfo("Asia/Shanghai"))


@time_machine.travel(NOW, tick=False)
def test_demo_problems(db: Any) -> None:
    accounts_demo.load()
    grid_demo.load()
    appeals_demo.load()
    demo.load()
    charging = Problem.objects.get(unit__code="445381001001")
    linked = Appeal.objects.filter(problem_link__problem=charging)
    assert charging.appeal_count == linked.count() >= 3
    assert all("充电" in a.description for a in linked)
    assert len(set(linked.values_list("channel", flat=True))) >= 3
    assert Problem.objects.filter(unit__code="210111001001").exists()
    (item,) = subject_items(charging)
    assert item.meeting.unit == charging.unit
    assert item.meeting.state == "planned"
    assert item.meeting.attendance.count() == 4
    count = Problem.objects.count()
    demo.load()
    assert Problem.objects.count() == count

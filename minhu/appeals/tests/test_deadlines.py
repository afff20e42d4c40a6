"""Deadlines an appeal gets at dispatch, from its category and the working-day calendar: across the 2026
Spring Festival (15–23 Feb off; Sat 14 and Sat 28 Feb worked), across National Day 2026 (1–7 Oct off; Sun
20 Sep and Sat 10 Oct worked), and into 2027, which no shipped schedule covers yet (Monday–Friday assumed,
and the pages say so)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from minhu.accounts.models import User
from minhu.appeals.models import Appeal, Category, PeriodUnit
from minhu.appeals.services import IntakeData, appeal_dispatch, appeal_submit

SH = ZoneInfo("Asia/Shanghai")


def dispatched(category: Category, at: datetime, handler: User) -> Appeal:
    with time_machine.travel(at, tick=False):
        appeal = appeal_submit(
            data=IntakeData(
                kind="help",
                channel="hotline",
                category=category,
                description="暖气不热",
                address=f"某小区 {at}",
            )
        ).appeal
        return appeal_dispatch(appeal=appeal, handler=handler, actor=None)


@pytest.fixture
def three_working_days(db: Any) -> Category:
    return Category.objects.create(
        code="T03",
        name="咨询",
        response_hours=24,
        resolution_amount=3,
        resolution_unit=PeriodUnit.WORKING_DAYS,
    )


@pytest.fixture
def seven_days(db: Any) -> Category:
    return Category.objects.create(
        code="T04", name="一般", response_hours=24, resolution_amount=7, resolution_unit=PeriodUnit.DAYS
    )


@pytest.mark.parametrize(
    ("start", "due"),
    [
        # Thu 12 Feb: 13 (Fri), 14 (make-up Sat) ... then the festival ... 24 Feb.
        (datetime(2026, 2, 12, 9, 0, tzinfo=SH), datetime(2026, 2, 24, 23, 59, 59, tzinfo=SH)),
        # Fri 13 Feb: 14 (Sat, worked), 24, 25.
        (datetime(2026, 2, 13, 16, 0, tzinfo=SH), datetime(2026, 2, 25, 23, 59, 59, tzinfo=SH)),
        # Submitted on a festival day: 24, 25, 26.
        (datetime(2026, 2, 17, 10, 0, tzinfo=SH), datetime(2026, 2, 26, 23, 59, 59, tzinfo=SH)),
        # Thu 26 Feb: 27 (Fri), 28 (make-up Sat), 2 Mar.
        (datetime(2026, 2, 26, 10, 0, tzinfo=SH), datetime(2026, 3, 2, 23, 59, 59, tzinfo=SH)),
        # Fri 18 Sep: Sun 20 Sep is worked (21 and 22 follow).
        (datetime(2026, 9, 18, 10, 0, tzinfo=SH), datetime(2026, 9, 22, 23, 59, 59, tzinfo=SH)),
        # Tue 29 Sep: 30 Sep, then 1–7 Oct off, 8, 9.
        (datetime(2026, 9, 29, 10, 0, tzinfo=SH), datetime(2026, 10, 9, 23, 59, 59, tzinfo=SH)),
        # Thu 8 Oct: 9, Sat 10 (make-up), 12.
        (datetime(2026, 10, 8, 10, 0, tzinfo=SH), datetime(2026, 10, 12, 23, 59, 59, tzinfo=SH)),
    ],
)
def test_working_day_deadlines_across_2026_holidays(
    three_working_days: Category, carol: User, start: datetime, due: datetime
) -> None:
    appeal = dispatched(three_working_days, start, carol)
    assert appeal.resolution_due_at == due
    assert appeal.deadline_exact is True


def test_a_period_in_days_ending_in_national_day_moves_to_the_next_working_day(
    seven_days: Category, carol: User
) -> None:
    # 7 days from Thu 24 Sep end on Thu 1 Oct, a holiday: the period ends on Thu 8 Oct (Civil Code art. 203).
    appeal = dispatched(seven_days, datetime(2026, 9, 24, 10, 0, tzinfo=SH), carol)
    assert appeal.resolution_due_at == datetime(2026, 10, 8, 23, 59, 59, tzinfo=SH)
    # ...and the response deadline counts clock hours straight through the holiday.
    late = dispatched(seven_days, datetime(2026, 9, 30, 18, 0, tzinfo=SH), carol)
    assert late.response_due_at == datetime(2026, 10, 1, 18, 0, tzinfo=SH)


def test_into_2027_monday_to_friday_is_assumed_and_shown(
    client: Client, three_working_days: Category, carol: User
) -> None:
    # Wed 30 Dec 2026: 31 Dec (known), then 2027 — unknown, so Friday 1 Jan counts (New Year's Day is not
    # known yet) and Monday 4 Jan ends it.
    appeal = dispatched(three_working_days, datetime(2026, 12, 30, 10, 0, tzinfo=SH), carol)
    assert appeal.resolution_due_at == datetime(2027, 1, 4, 23, 59, 59, tzinfo=SH)
    assert appeal.deadline_exact is False
    client.force_login(carol)
    page = client.get(reverse("appeals:detail", args=[appeal.pk])).content.decode()
    assert "Monday–Friday assumed" in page
    inside = dispatched(three_working_days, datetime(2026, 12, 1, 10, 0, tzinfo=SH), carol)
    assert inside.deadline_exact is True
    assert (
        "Monday–Friday assumed"
        not in client.get(reverse("appeals:detail", args=[inside.pk])).content.decode()
    )

"""Deadlines across the 2026 Spring Festival and National Day (with their make-up working days), into 2027
(no shipped schedule: Monday–Friday with a warning), and with staff-entered days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from minhu.accounts.models import User
from minhu.core.models import CalendarDay, Event
from minhu.core.services import calendar_day_clear, calendar_day_set, calendar_year_mark_entered
from minhu.core.workdays import ENTERED, FALLBACK, SHIPPED, work_calendar

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, 0, tzinfo=SH)


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, tzinfo=SH)


def test_2026_spring_festival_days(db: None) -> None:
    cal = work_calendar()
    # 2026: holidays 15–23 February; Saturdays 14 and 28 February are make-up working days.
    assert [cal.is_working_day(date(2026, 2, d)) for d in (13, 14, 15, 20, 23, 24, 28)] == [
        True,
        True,
        False,
        False,
        False,
        True,
        True,
    ]


def test_three_working_days_across_the_spring_festival(db: None) -> None:
    # Filed Thursday 12 Feb: day 1 = Fri 13, day 2 = Sat 14 (make-up), holiday 15–23, day 3 = Tue 24.
    deadline = work_calendar().add_working_days(at(2026, 2, 12), 3)
    assert deadline.at == end_of(2026, 2, 24)
    assert deadline.is_exact


def test_working_days_use_the_saturday_make_up_day_after_the_festival(db: None) -> None:
    # Filed Wed 25 Feb: 26, 27, Sat 28 (make-up) → the third working day is Saturday 28 February.
    assert work_calendar().add_working_days(at(2026, 2, 25), 3).at == end_of(2026, 2, 28)


def test_five_working_days_across_national_day(db: None) -> None:
    # 2026 National Day: 1–7 October off; Sunday 20 September and Saturday 10 October are working days.
    cal = work_calendar()
    assert cal.is_working_day(date(2026, 9, 20))
    assert cal.is_working_day(date(2026, 10, 10))
    assert not cal.is_working_day(date(2026, 10, 5))
    # Filed Tue 29 Sep: 30 Sep (1), 1–7 Oct off, Thu 8 (2), Fri 9 (3), Sat 10 (4), Mon 12 (5).
    assert cal.add_working_days(at(2026, 9, 29), 5).at == end_of(2026, 10, 12)


def test_a_period_in_days_ending_on_a_holiday_moves_to_the_next_working_day(db: None) -> None:
    # 7 days from 26 Sep ends on 3 Oct (National Day): the period ends on Thu 8 Oct (art. 203).
    assert work_calendar().add_days(at(2026, 9, 26), 7).at == end_of(2026, 10, 8)
    # The first day is not counted (art. 201): 7 days from Mon 9 Nov end on Mon 16 Nov.
    assert work_calendar().add_days(at(2026, 11, 9), 7).at == end_of(2026, 11, 16)


def test_local_date_decides_the_first_day(db: None) -> None:
    # 17:30 UTC on Thu 12 Feb is 01:30 on Fri 13 Feb in Shanghai: counting starts after the 13th.
    deadline = work_calendar().add_working_days(datetime(2026, 2, 12, 17, 30, tzinfo=UTC), 1)
    assert deadline.at == end_of(2026, 2, 14)


def test_hours_run_through_holidays(db: None) -> None:
    assert work_calendar().add_hours(at(2026, 2, 16, 22), 2).at == at(2026, 2, 17, 0)


def test_2027_falls_back_to_monday_to_friday_with_a_warning(db: None) -> None:
    cal = work_calendar()
    assert cal.year_source(2026) == SHIPPED
    assert cal.year_source(2027) == FALLBACK
    # 1 Jan 2027 is a Friday; with no schedule it is counted as a working day rather than failing.
    deadline = cal.add_working_days(at(2026, 12, 30), 3)
    assert deadline.at == end_of(2027, 1, 4)  # Thu 31 Dec, Fri 1 Jan, Mon 4 Jan
    assert deadline.fallback_years == (2027,)
    assert not deadline.is_exact


def test_staff_entered_days_override_and_complete_a_year(alice: User) -> None:
    calendar_day_set(day=date(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦", actor=alice)
    calendar_year_mark_entered(year=2027, actor=alice)
    cal = work_calendar()
    assert cal.year_source(2027) == ENTERED
    deadline = cal.add_working_days(at(2026, 12, 30), 3)
    assert deadline.at == end_of(2027, 1, 5)  # Thu 31 Dec, (Fri 1 Jan off), Mon 4, Tue 5
    assert deadline.is_exact
    assert Event.objects.filter(verb="calendar.day_set", actor=alice).count() == 1
    assert Event.objects.filter(verb="calendar.year_entered", actor=alice).count() == 1


def test_a_make_up_saturday_entered_by_staff_counts(alice: User) -> None:
    calendar_day_set(day=date(2027, 1, 9), kind=CalendarDay.Kind.WORKDAY, name="调休", actor=alice)
    assert work_calendar().is_working_day(date(2027, 1, 9))
    calendar_day_clear(day=date(2027, 1, 9), actor=alice)
    assert not work_calendar().is_working_day(date(2027, 1, 9))
    assert list(Event.objects.filter(verb__startswith="calendar.").values_list("verb", flat=True)) == [
        "calendar.day_clear",
        "calendar.day_set",
    ]


def test_invalid_kind_is_refused_and_nothing_written(alice: User) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        calendar_day_set(day=date(2027, 1, 9), kind="weekend", actor=alice)
    assert not CalendarDay.objects.exists()
    assert not Event.objects.filter(verb="calendar.day_set").exists()


def test_working_days_between(db: None) -> None:
    assert work_calendar().working_days_between(date(2026, 2, 12), date(2026, 2, 24)) == 3


def test_period_must_be_positive(db: None) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        work_calendar().add_working_days(at(2026, 3, 2), 0)


def test_roll_forward_keeps_a_working_day_and_moves_a_rest_day(db: None) -> None:
    cal = work_calendar()
    assert cal.roll_forward(date(2026, 2, 13)) == date(2026, 2, 13)  # a Friday, working
    assert cal.roll_forward(date(2026, 2, 14)) == date(2026, 2, 14)  # a make-up working Saturday
    assert cal.roll_forward(date(2026, 2, 15)) == date(2026, 2, 24)  # the Spring Festival: after it
    assert cal.roll_forward(date(2026, 3, 7)) == date(2026, 3, 9)  # an ordinary Saturday: Monday


def test_end_of_day_is_the_last_second_in_the_calendars_zone(db: None) -> None:
    cal = work_calendar()
    end = cal.end_of_day(date(2026, 3, 7))  # a rest day too: the end of the day itself, not rolled
    assert end == end_of(2026, 3, 7)
    assert end.astimezone(UTC) == datetime(2026, 3, 7, 15, 59, 59, tzinfo=UTC)


def test_a_deadline_date_on_a_rest_day_ends_with_the_next_working_day(db: None, alice: User) -> None:
    # Civil Code art. 203 for a deadline given as a date (a meeting's decision), as add_days does
    calendar_day_set(day=date(2026, 3, 9), kind=CalendarDay.Kind.HOLIDAY, name="停工", actor=alice)
    cal = work_calendar()
    assert cal.end_of_day(cal.roll_forward(date(2026, 3, 7))) == end_of(2026, 3, 10)
    assert cal.add_days(at(2026, 3, 4), 3).at == end_of(2026, 3, 10)

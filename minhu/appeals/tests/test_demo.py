"""The demo year of appeals: every kind, channel, category and outcome; timelines coherent with the appeals'
own timestamps and deadlines from the calendar; a live queue for the demo member; loaded once."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count
from django.utils import timezone

from minhu.accounts import demo as accounts_demo
from minhu.accounts.models import User
from minhu.appeals import demo
from minhu.appeals.models import Appeal, Category, Channel, Kind, Satisfaction, State
from minhu.appeals.rates import rates_for
from minhu.appeals.routing import handlers_up_the_chain
from minhu.appeals.selectors import workbench_for
from minhu.appeals.services import deadlines_for
from minhu.core.models import Event
from minhu.core.workdays import work_calendar
from minhu.grid import demo as grid_demo
from minhu.grid.models import Household, Unit

NOW = datetime(2026, 11, 25, 18, 40, tzinfo=ZoneInfo("Asia/Shanghai"))


@time_machine.travel(NOW, tick=False)
def test_demo_year_of_appeals(db: Any) -> None:
    accounts_demo.load()
    grid_demo.load()
    assert demo.load() == []
    appeals = Appeal.objects.filter(idempotency_key__startswith=demo.MARKER)
    counts = (Appeal.objects.count(), Event.objects.count())
    assert 1500 <= appeals.count() <= 3000
    assert appeals.count() == counts[0]

    # every kind, channel and category, over the twelve months before now
    def per(name: str) -> dict[str, int]:
        return dict(appeals.values_list(name).annotate(n=Count("id")).order_by(name))

    assert set(per("kind")) == set(Kind.values)
    assert set(per("channel")) == set(Channel.values)
    # every category but L01: objections to a ledger line arrive from the ledger's pages, not these channels
    assert set(per("category__code")) == set(
        Category.objects.exclude(code="L01").values_list("code", flat=True)
    )
    assert appeals.filter(submitted_at__lt=timezone.now() - timedelta(days=365)).count() == 0
    assert appeals.filter(submitted_at__lt=timezone.now() - timedelta(days=330)).exists()

    # the estate's problems from the seed, through the box, the hotline and the WeChat butler
    estate = Unit.objects.get(name="泮江翡翠城")
    at_estate = appeals.filter(unit__path__startswith=estate.path)
    for code in ("G01", "G02", "G03"):
        channels = set(at_estate.filter(category__code=code).values_list("channel", flat=True))
        assert {Channel.SUGGESTION_BOX, Channel.HOTLINE, Channel.WECHAT} <= channels, code
    assert at_estate.filter(description__contains="充电").exists()
    assert at_estate.filter(description__contains="卫生死角").exists()

    # every outcome
    closed = appeals.filter(state=State.CLOSED)
    assert closed.filter(satisfaction=Satisfaction.SATISFIED, reopen_count=0).exists()
    assert closed.filter(satisfaction=Satisfaction.BASIC).exists()
    assert closed.filter(reopen_count__gt=0).exists()  # not satisfied, reopened, then closed
    assert closed.filter(kind=Kind.CONSULT, resolved_ok__isnull=True).exists()  # answered on the spot
    assert closed.filter(return_count__gt=0).exists()  # returned and re-dispatched
    assert appeals.filter(transfer_count__gt=0).exists()
    assert appeals.filter(state=State.MERGED, repeat_of__isnull=False).exists()
    assert appeals.overdue().exists()
    assert appeals.filter(state=State.SUBMITTED, handler__isnull=True).exists()  # the dispatchers' queue
    for appeal in appeals.filter(state=State.MERGED).select_related("repeat_of"):
        original = appeal.repeat_of
        assert original is not None
        assert original.repeat_of_id is None
        assert original.category_id == appeal.category_id
        assert original.submitted_at <= appeal.submitted_at <= original.submitted_at + timedelta(days=30)
        assert original.closed_at is None or original.closed_at > appeal.submitted_at

    # handlers are the logins the grid's chains give (the rest went to a committee by name); the loader's
    # shortcut (asking a chain only where a login can be in it) answers as the routing does
    world = demo.World.read()
    assert world is not None
    sanitation = Category.objects.get(code="G01")
    for hh in Household.objects.select_related("unit"):
        found = handlers_up_the_chain(hh, sanitation.handling_level)
        route = world.route(sanitation, hh, hh.unit)
        assert (route.handler if route else None) == (found[0][0] if found else None)
    handlers = appeals.exclude(handler=None).values_list("handler__username", flat=True)
    assert set(handlers) == {"member", "cadre"}
    assert not appeals.filter(state=State.DISPATCHED, handler=None, department="").exists()

    # closed after submission; every timeline in time order, from the submission to the close
    ends = appeals.exclude(closed_at=None).values_list("state", "submitted_at", "closed_at")
    for state, submitted, closed_at in ends:
        assert closed_at is not None
        assert closed_at > submitted if state == State.CLOSED else closed_at == submitted  # merged at once
    timelines: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for target_id, at, verb in (
        Event.objects.filter(target_type=ContentType.objects.get_for_model(Appeal))
        .order_by("at", "id")
        .values_list("target_id", "at", "verb")
    ):
        timelines[target_id].append((at, verb))
    for a in appeals.only("pk", "state", "submitted_at", "closed_at", "version"):
        timeline = timelines[str(a.pk)]
        first = "appeal.repeat" if a.state == State.MERGED else "appeal.submit"
        assert timeline[0] == (a.submitted_at, first)
        assert [at for at, _ in timeline] == sorted(at for at, _ in timeline)
        assert len(timeline) == a.version + 1  # one event per move
        assert timeline[-1][0] <= timezone.now()
        if a.state == State.CLOSED:
            assert timeline[-1][0] == a.closed_at
            assert timeline[-1][1] in ("appeal.rate_close", "appeal.answer_on_spot")

    # deadlines from the working-day calendar at dispatch (a reopen restarts them)
    cal = work_calendar()
    for a in appeals.filter(dispatched_at__isnull=False, reopen_count=0).select_related("category"):
        assert a.dispatched_at is not None
        due = deadlines_for(a.category, a.dispatched_at, calendar=cal)
        assert (a.response_due_at, a.resolution_due_at, a.deadline_exact) == due

    # the member's live queue
    bench = workbench_for(User.objects.get(username="member"))
    flags = {getattr(a, "flag", "") for a in bench.mine}
    assert len(bench.mine) >= 5
    assert {"overdue", "due-soon", ""} <= flags
    resident = User.objects.get(username="resident")
    assert appeals.filter(caller=resident, state=State.CLOSED).exists()
    assert appeals.filter(caller=resident).exclude(state=State.CLOSED).exists()

    # plausible rates
    rates = rates_for(appeals)
    for rate in (rates.response_rate, rates.resolution_rate, rates.satisfaction_rate, rates.composite):
        assert rate is not None
        assert Decimal(80) <= rate <= Decimal(100)
    assert rates.response_rate is not None
    assert rates.response_rate < 100  # some were called back late
    assert rates.median_hours_to_close is not None
    assert 2 < rates.median_hours_to_close < 24 * 15
    assert rates.reopens > 0
    assert rates.returns > 0
    assert rates.transfers > 0

    # loaded once
    assert demo.load() == []
    assert (Appeal.objects.count(), Event.objects.count()) == counts


def test_demo_without_the_demo_grid_adds_nothing(db: Any) -> None:
    assert demo.load() == []
    assert not Appeal.objects.exists()

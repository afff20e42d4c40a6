"""The appeal lifecycle: every transition is a service that writes one event; invalid moves and races are
refused and change nothing."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from minhu.accounts.models import User
from minhu.appeals.models import Appeal, Category, Satisfaction, State
from minhu.appeals.services import (
    Conflict,
    IntakeData,
    InvalidTransition,
    NotAllowed,
    actions_for,
    appeal_answer_on_spot,
    appeal_dispatch,
    appeal_rate,
    appeal_resolve,
    appeal_respond,
    appeal_return,
    appeal_start,
    appeal_submit,
    appeal_transfer,
    deadlines_for,
)
from minhu.core.models import Event
from minhu.core.workdays import work_calendar

SH = ZoneInfo("Asia/Shanghai")


def submit(category: Category, **extra: Any) -> Appeal:
    data = IntakeData(
        kind=extra.pop("kind", "complaint"),
        channel=extra.pop("channel", "web"),
        category=category,
        description=extra.pop("description", "楼道里堆满杂物，影响通行"),
        address=extra.pop("address", "泮江翡翠城 3 栋"),
        caller_phone=extra.pop("caller_phone", "13812348000"),
        **extra,
    )
    return appeal_submit(data=data).appeal


def verbs(appeal: Appeal) -> list[str]:
    return list(Event.objects.for_target(appeal).order_by("at", "id").values_list("verb", flat=True))


@time_machine.travel(datetime(2026, 2, 12, 10, 0, tzinfo=SH), tick=False)
def test_full_loop_from_submission_to_close_out(ordinary: Category, carol: User) -> None:
    appeal = submit(ordinary)
    assert appeal.state == State.SUBMITTED  # nobody answers for a free address yet: the dispatcher's queue
    appeal = appeal_dispatch(appeal=appeal, handler=carol, actor=None)
    # 24 clock hours to respond; 5 working days to resolve across the Spring Festival
    # (13, 14, 24, 25, 26 Feb).
    assert appeal.response_due_at == datetime(2026, 2, 13, 10, 0, tzinfo=SH)
    assert appeal.resolution_due_at == datetime(2026, 2, 26, 23, 59, 59, tzinfo=SH)
    appeal = appeal_respond(appeal=appeal, actor=carol)
    appeal = appeal_start(appeal=appeal, actor=carol)
    appeal = appeal_resolve(appeal=appeal, result="已清理杂物", actor=carol)
    appeal = appeal_rate(appeal=appeal, resolved_ok=True, satisfaction=Satisfaction.SATISFIED)
    assert appeal.state == State.CLOSED
    assert appeal.closed_at == appeal.confirmed_at
    assert verbs(appeal) == [
        "appeal.submit",
        "appeal.dispatch",
        "appeal.respond",
        "appeal.start",
        "appeal.resolve",
        "appeal.rate_close",
    ]


def test_dissatisfaction_reopens_with_fresh_deadlines(ordinary: Category, carol: User) -> None:
    appeal = appeal_dispatch(appeal=submit(ordinary), handler=carol, actor=None)
    appeal = appeal_resolve(appeal=appeal_respond(appeal=appeal, actor=carol), result="已处理", actor=carol)
    appeal = appeal_rate(
        appeal=appeal, resolved_ok=False, satisfaction=Satisfaction.NOT, comment="没有清理干净"
    )
    assert (appeal.state, appeal.reopen_count, appeal.handler) == (State.DISPATCHED, 1, carol)
    assert appeal.resolved_at is None
    assert verbs(appeal)[-1] == "appeal.reopen"


def test_invalid_move_is_refused_and_changes_nothing(ordinary: Category, carol: User) -> None:
    appeal = submit(ordinary)
    before = verbs(appeal)
    with pytest.raises(InvalidTransition):  # the state refuses, even the trusted system
        appeal_resolve(appeal=appeal, result="x", actor=None)
    with pytest.raises(NotAllowed):  # and before the state, the actor's right: carol is not its handler
        appeal_resolve(appeal=appeal, result="x", actor=carol)
    appeal.refresh_from_db()
    assert (appeal.state, appeal.version) == (State.SUBMITTED, 0)
    assert verbs(appeal) == before


def test_resolve_needs_a_result(ordinary: Category, carol: User) -> None:
    appeal = appeal_respond(
        appeal=appeal_dispatch(appeal=submit(ordinary), handler=carol, actor=None), actor=carol
    )
    with pytest.raises(Exception, match="Say what was done"):
        appeal_resolve(appeal=appeal, result="  ", actor=carol)
    appeal.refresh_from_db()
    assert appeal.state == State.RESPONDED


def test_a_stale_copy_gets_a_conflict(ordinary: Category, carol: User, bob: User) -> None:
    appeal = appeal_dispatch(appeal=submit(ordinary), handler=carol, actor=None)
    stale = Appeal.objects.get(pk=appeal.pk)
    appeal_respond(appeal=appeal, actor=carol)
    with pytest.raises(Conflict):
        appeal_return(appeal=stale, reason="不归我管", actor=carol)
    stale.refresh_from_db()
    assert (stale.state, stale.return_count) == (State.RESPONDED, 0)


def test_consultation_answered_on_the_spot_closes(ordinary: Category, alice: User) -> None:
    appeal = submit(ordinary, kind="consult", description="社区卫生站几点开门？")
    appeal = appeal_answer_on_spot(appeal=appeal, answer="每天 8:00–17:00", actor=alice)
    assert appeal.state == State.CLOSED
    assert verbs(appeal) == ["appeal.submit", "appeal.answer_on_spot"]


def test_return_is_counted_and_back_to_the_dispatcher(ordinary: Category, carol: User) -> None:
    appeal = appeal_dispatch(appeal=submit(ordinary), handler=carol, actor=None)
    appeal = appeal_return(appeal=appeal, reason="这是物业的事", actor=carol)
    assert (appeal.state, appeal.handler, appeal.return_count) == (State.SUBMITTED, None, 1)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_transitions_exactly_one_wins(ordinary: Category, carol: User, bob: User) -> None:
    appeal = appeal_dispatch(appeal=submit(ordinary), handler=carol, actor=None)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(who: User, action: str) -> None:
        copy = Appeal.objects.get(pk=appeal.pk)
        barrier.wait()
        try:
            if action == "respond":
                appeal_respond(appeal=copy, actor=who)
            else:
                appeal_return(appeal=copy, reason="不归我管", actor=who)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(carol, "respond")),
        threading.Thread(target=act, args=(carol, "return")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    assert Event.objects.filter(verb__in=["appeal.respond", "appeal.return"]).count() == 1
    appeal.refresh_from_db()
    assert appeal.version == 2


def test_deadlines_from_a_reused_calendar_are_the_same(ordinary: Category) -> None:
    start = datetime(2026, 9, 30, 16, 0, tzinfo=SH)  # into the National Day holiday
    assert deadlines_for(ordinary, start, calendar=work_calendar()) == deadlines_for(ordinary, start)


def test_dissatisfaction_reopens_at_most_the_configured_times(
    ordinary: Category, carol: User, settings: Any
) -> None:
    settings.APPEALS_MAX_REOPENS = 1
    appeal = appeal_dispatch(appeal=submit(ordinary), handler=carol, actor=None)

    def handle_and_rate() -> Appeal:
        a = appeal_respond(appeal=Appeal.objects.get(pk=appeal.pk), actor=carol)
        a = appeal_resolve(appeal=a, result="已处理", actor=carol)
        return appeal_rate(appeal=a, resolved_ok=False, satisfaction=Satisfaction.NOT, comment="还是没修好")

    first = handle_and_rate()
    assert (first.state, first.reopen_count, first.result) == (State.DISPATCHED, 1, "")
    second = handle_and_rate()
    assert (second.state, second.reopen_count, second.satisfaction) == (State.CLOSED, 1, Satisfaction.NOT)
    assert second.resolved_ok is False
    closing = Event.objects.for_target(appeal).get(verb="appeal.rate_close")
    assert (closing.actor_label, closing.note) == ("caller", "还是没修好")


def test_a_return_clears_the_department(ordinary: Category, carol: User) -> None:
    appeal = appeal_dispatch(appeal=submit(ordinary), handler=None, department="供电公司", actor=None)
    # a department has no login: its objection is recorded by the trusted system
    appeal = appeal_return(appeal=appeal, reason="不是供电问题", actor=None)
    assert (appeal.state, appeal.department) == (State.SUBMITTED, "")


def test_a_resolved_appeal_waiting_for_its_rating_is_not_flagged(ordinary: Category, carol: User) -> None:
    from minhu.appeals.selectors import flag

    appeal = appeal_dispatch(appeal=submit(ordinary), handler=carol, actor=None)
    appeal = appeal_resolve(appeal=appeal_respond(appeal=appeal, actor=carol), result="好了", actor=carol)
    assert appeal.resolution_due_at is not None
    assert flag(appeal, appeal.resolution_due_at + timedelta(days=3)) == ""
    reopened = appeal_rate(appeal=appeal, resolved_ok=False, satisfaction=Satisfaction.NOT)
    assert reopened.response_due_at is not None
    assert flag(reopened, reopened.response_due_at + timedelta(hours=1)) == "overdue"


# --- the rights, checked by the services themselves (pages, htmx, the API and commands all come here) ---


def snapshot(appeal: Appeal) -> tuple[Any, ...]:
    a = Appeal.objects.get(pk=appeal.pk)
    return (a.state, a.version, a.handler_id, a.result, a.closed_at, Event.objects.count())


def test_only_a_consultation_is_answered_on_the_spot_whoever_asks(
    ordinary: Category, alice: User, staffed: Any
) -> None:
    complaint = submit(ordinary)
    before = snapshot(complaint)
    for actor in (alice, None):  # a dispatcher, and even the trusted system
        with pytest.raises(ValidationError) as refused:
            appeal_answer_on_spot(appeal=complaint, answer="已解释", actor=actor)
        assert list(refused.value.message_dict) == ["kind"]
    assert snapshot(complaint) == before
    assert "answer" not in actions_for(complaint, alice)
    consult = submit(ordinary, kind="consult", address="泮江翡翠城 5 栋")
    assert "answer" in actions_for(consult, alice)


@pytest.mark.parametrize(
    ("who", "action", "allowed"),
    [
        ("carol", "respond", True),  # the handler
        ("bob", "respond", False),  # a dispatcher is not the handler
        ("dave", "respond", False),  # a resident
        ("bob", "transfer", True),  # a dispatcher of the appeal's village
        ("carol", "transfer", True),  # the handler
        ("dave", "transfer", False),
        ("bob", "answer", True),  # refused for its kind below, not for the right
        ("carol", "answer", False),
    ],
)
def test_who_may_act_is_the_services_rule(
    staffed: Any, ordinary: Category, who: str, action: str, allowed: bool, request: Any
) -> None:
    actor = request.getfixturevalue(who)
    carol = request.getfixturevalue("carol")
    appeal = submit(ordinary, household=staffed.hh_a1, address="")
    assert appeal.handler == carol  # routed to the household's party member
    before = snapshot(appeal)
    calls = {
        "respond": lambda: appeal_respond(appeal=appeal, actor=actor),
        "transfer": lambda: appeal_transfer(appeal=appeal, to=carol, reason="换人", actor=actor),
        "answer": lambda: appeal_answer_on_spot(appeal=appeal, answer="已解释", actor=actor),
    }
    if allowed and action == "answer":  # the right passed; a complaint's kind did not
        with pytest.raises(ValidationError) as refused:
            calls[action]()
        assert list(refused.value.message_dict) == ["kind"]
        assert snapshot(appeal) == before
    elif allowed:
        calls[action]()
    else:
        with pytest.raises(NotAllowed):
            calls[action]()
        assert snapshot(appeal) == before


def test_a_dispatcher_acts_only_within_their_scope(staffed: Any, ordinary: Category, bob: User) -> None:
    # village B has nobody answering: the appeal waits for a dispatcher; bob is village A's
    appeal = submit(ordinary, household=staffed.hh_b1, address="")
    assert (appeal.state, appeal.handler) == (State.SUBMITTED, None)
    before = snapshot(appeal)
    with pytest.raises(NotAllowed):
        appeal_dispatch(appeal=appeal, handler=bob, actor=bob)
    assert snapshot(appeal) == before


def test_only_the_caller_rates(ordinary: Category, carol: User, dave: User) -> None:
    appeal = appeal_dispatch(appeal=submit(ordinary, caller=dave), handler=carol, actor=None)
    appeal = appeal_resolve(appeal=appeal_respond(appeal=appeal, actor=carol), result="好了", actor=carol)
    before = snapshot(appeal)
    verdict: dict[str, Any] = {"resolved_ok": True, "satisfaction": Satisfaction.SATISFIED}
    for actor, tail in ((carol, None), (carol, "0000"), (None, ""), (None, "8001")):
        with pytest.raises(ValidationError) as refused:
            appeal_rate(appeal=appeal, actor=actor, phone_tail=tail, **verdict)
        assert list(refused.value.message_dict) == ["phone_tail"]
    assert snapshot(appeal) == before
    # the caller's own login, or the last four digits of the phone given (13812348000)
    assert appeal_rate(appeal=appeal, actor=dave, **verdict).state == State.CLOSED


def test_the_tracking_pages_proof_is_the_phones_last_four_digits(ordinary: Category, carol: User) -> None:
    appeal = appeal_dispatch(appeal=submit(ordinary), handler=carol, actor=None)
    appeal = appeal_resolve(appeal=appeal_respond(appeal=appeal, actor=carol), result="好了", actor=carol)
    rated = appeal_rate(
        appeal=appeal, actor=None, phone_tail="8000", resolved_ok=True, satisfaction=Satisfaction.BASIC
    )
    assert rated.state == State.CLOSED

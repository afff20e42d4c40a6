"""Who is told of what (minhu.appeals.services.notify): the handler, the unit's dispatchers and the caller, on
the right channel, in their language, exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from minhu.accounts.models import User
from minhu.appeals.models import Appeal, Category, Channel, Satisfaction, State
from minhu.appeals.services import (
    Conflict,
    IntakeData,
    appeal_dispatch,
    appeal_rate,
    appeal_resolve,
    appeal_respond,
    appeal_return,
    appeal_submit,
    appeal_transfer,
    notify,
)
from minhu.core.models import Notification

PHONE = "13812348000"


def submit(category: Category, **extra: Any) -> Appeal:
    data = IntakeData(
        kind=extra.pop("kind", "complaint"),
        channel=extra.pop("channel", Channel.WEB),
        category=category,
        description=extra.pop("description", "楼道里堆满杂物，影响通行"),
        address=extra.pop("address", "3 栋楼下"),
        caller_phone=extra.pop("caller_phone", PHONE),
        **extra,
    )
    return appeal_submit(data=data).appeal


def rows(appeal: Appeal, **filters: Any) -> list[Notification]:
    return list(
        Notification.objects.filter(dedupe_key__startswith=f"appeal:{appeal.pk}:", **filters).order_by("pk")
    )


def told(appeal: Appeal, kind: str) -> set[tuple[str, str]]:
    """(recipient's username or address, channel) of every message of `kind` about the appeal."""
    return {
        (n.recipient.get_username() if n.recipient else n.address, n.channel) for n in rows(appeal, kind=kind)
    }


def test_a_routed_matter_tells_its_handler_and_its_caller_once(staffed: Any, ordinary: Category) -> None:
    appeal = submit(ordinary, household=staffed.hh_a1, idempotency_key="k-1")
    assert appeal.state == State.DISPATCHED
    assert appeal.handler is not None
    assert appeal.handler.username == "carol"
    assert told(appeal, "appeal.assigned") == {("carol", "inapp")}
    assert told(appeal, "appeal.accepted") == {(PHONE, "sms")}
    assert told(appeal, "appeal.queued") == set()  # someone was chosen: nothing waits in a queue
    sms = rows(appeal, kind="appeal.accepted")[0]
    assert appeal.tracking_code in sms.body
    link = f"http://127.0.0.1:8000/appeals/track/{appeal.tracking_code}/"
    assert sms.url == link
    assert link in sms.body
    assert "carol" not in sms.body  # who answers: the unit and the role, never a private name
    assert "马耳山村" in sms.body
    handler_msg = rows(appeal, kind="appeal.assigned")[0]
    assert handler_msg.url == f"/appeals/{appeal.pk}/"  # in-app: a relative link
    assert appeal.tracking_code in handler_msg.subject
    count = Notification.objects.count()
    # the same submission retried (its idempotency key): the same appeal, nothing sent again
    again = submit(ordinary, household=staffed.hh_a1, idempotency_key="k-1")
    assert again.pk == appeal.pk
    assert Notification.objects.count() == count == 2


def test_a_matter_nobody_was_chosen_for_waits_and_its_dispatchers_are_told(
    staffed: Any, ordinary: Category
) -> None:
    appeal = submit(ordinary, household=staffed.hh_b1)  # village B has nobody: the street's queue
    assert appeal.state == State.SUBMITTED
    assert told(appeal, "appeal.queued") == {("alice", "inapp")}  # the street staff, not village A's bob
    accepted = rows(appeal, kind="appeal.accepted")
    assert [(n.address, n.channel) for n in accepted] == [(PHONE, "sms")]
    assert appeal.tracking_code in accepted[0].body


def test_a_dispatch_tells_the_handler_and_the_caller_who_answers(
    staffed: Any, ordinary: Category, alice: User, carol: User
) -> None:
    appeal = submit(ordinary, household=staffed.hh_b1)
    appeal = appeal_dispatch(appeal=appeal, handler=carol, actor=alice)
    assert told(appeal, "appeal.assigned") == {("carol", "inapp")}
    assert told(appeal, "appeal.dispatched") == {(PHONE, "sms")}
    sms = rows(appeal, kind="appeal.dispatched")[0]
    assert "carol" not in sms.body
    assert str(carol) not in sms.body
    assert sms.body.count("http://127.0.0.1:8000/") == 1


def test_transfer_tells_the_new_and_the_previous_handler(
    staffed: Any, ordinary: Category, bob: User, carol: User
) -> None:
    appeal = submit(ordinary, household=staffed.hh_a1)
    appeal = appeal_transfer(appeal=appeal, to=bob, reason="不归我管", actor=carol)
    assert told(appeal, "appeal.assigned") == {("carol", "inapp"), ("bob", "inapp")}
    assert told(appeal, "appeal.transferred") == {("carol", "inapp")}


def test_a_return_tells_the_dispatchers_of_the_village(staffed: Any, ordinary: Category, carol: User) -> None:
    appeal = submit(ordinary, household=staffed.hh_a1)
    appeal = appeal_return(appeal=appeal, reason="不是本网格的事", actor=carol)
    assert told(appeal, "appeal.returned") == {("bob", "inapp")}  # village A's cadre, not the street


def test_resolve_sends_the_rating_link_and_a_reopen_tells_everyone(
    staffed: Any, ordinary: Category, carol: User
) -> None:
    appeal = submit(ordinary, household=staffed.hh_a1)
    appeal = appeal_resolve(appeal=appeal_respond(appeal=appeal, actor=carol), result="已清理", actor=carol)
    sms = rows(appeal, kind="appeal.resolved")
    assert [(n.address, n.channel) for n in sms] == [(PHONE, "sms")]
    link = f"http://127.0.0.1:8000/appeals/track/{appeal.tracking_code}/"
    assert sms[0].url == link
    assert link in sms[0].body
    appeal = appeal_rate(appeal=appeal, resolved_ok=False, satisfaction=Satisfaction.NOT, comment="没弄好")
    assert told(appeal, "appeal.reopened") == {("carol", "inapp"), ("bob", "inapp"), (PHONE, "sms")}
    # the notify step run again for the same reopen (a retried action) sends nothing more
    count = Notification.objects.count()
    notify.appeal_reopened(appeal)
    notify.appeal_resolved(appeal)
    assert Notification.objects.count() == count


def test_a_logged_in_caller_is_told_in_the_inbox_and_a_wechat_caller_by_wechat(
    staffed: Any, ordinary: Category, dave: User
) -> None:
    mine = submit(ordinary, household=staffed.hh_a1, caller=dave, caller_phone="")
    assert told(mine, "appeal.accepted") == {("dave", "inapp")}
    assert rows(mine, kind="appeal.accepted")[0].url == f"/appeals/track/{mine.tracking_code}/"
    wechat = submit(
        ordinary,
        household=staffed.hh_a2,
        channel=Channel.WECHAT,
        idempotency_key="wechat:m1",
        caller_phone="",
    )
    assert told(wechat, "appeal.accepted") == {("wechat:m1", "wechat")}
    with_phone = submit(ordinary, household=staffed.hh_b1, channel=Channel.WECHAT)
    assert told(with_phone, "appeal.accepted") == {(PHONE, "wechat")}  # not an SMS as well


def test_anonymous_callers_get_nothing(staffed: Any, ordinary: Category, carol: User) -> None:
    appeal = submit(ordinary, household=staffed.hh_a1, anonymous=True)
    appeal = appeal_resolve(appeal=appeal_respond(appeal=appeal, actor=carol), result="已清理", actor=carol)
    assert [n.kind for n in rows(appeal)] == ["appeal.assigned"]  # the handler only


def test_each_message_is_in_its_recipients_language(
    staffed: Any, ordinary: Category, bob: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An account's own language (the attribute `language`, when the account model has one) wins.
    monkeypatch.setattr(
        User, "language", property(lambda u: "en" if u.username == "carol" else ""), raising=False
    )
    appeal = submit(ordinary, household=staffed.hh_a1)
    carol_msg = rows(appeal, kind="appeal.assigned")[0]
    assert carol_msg.subject.startswith("New matter for you:")
    sms = rows(appeal, kind="appeal.accepted")[0]  # a phone: the default language, zh-hans
    assert "已收到" in sms.subject
    appeal = appeal_return(appeal=appeal, reason="不是本网格的事", actor=appeal.handler)
    bob_msg = rows(appeal, kind="appeal.returned")[0]  # bob has no language: zh-hans
    assert bob_msg.recipient == bob
    assert "退回" in bob_msg.subject


def test_outbox_rows_of_a_whole_loop(staffed: Any, ordinary: Category, carol: User) -> None:
    appeal = submit(ordinary, household=staffed.hh_a1)
    appeal = appeal_respond(appeal=appeal, actor=carol)
    appeal = appeal_resolve(appeal=appeal, result="已清理", actor=carol)
    appeal = appeal_rate(appeal=appeal, resolved_ok=True, satisfaction=Satisfaction.SATISFIED)
    assert [(n.kind, n.channel) for n in rows(appeal)] == [
        ("appeal.assigned", "inapp"),
        ("appeal.accepted", "sms"),
        ("appeal.resolved", "sms"),
    ]
    assert appeal.unit is not None
    assert all(n.about_path == appeal.unit.path for n in rows(appeal))


def test_public_links_follow_the_setting(settings: Any) -> None:
    settings.PUBLIC_BASE_URL = "https://minhu.example.cn/"
    assert notify.public_url("/track/AB12/") == "https://minhu.example.cn/track/AB12/"


def test_a_refused_retry_sends_nothing(staffed: Any, ordinary: Category, carol: User) -> None:
    appeal = submit(ordinary, household=staffed.hh_a1)
    stale = Appeal.objects.get(pk=appeal.pk)
    appeal_return(appeal=appeal, reason="不是本网格的事", actor=carol)
    count = Notification.objects.count()
    with pytest.raises(Conflict):  # the same return sent twice (a double tap): the second is refused
        appeal_return(appeal=stale, reason="不是本网格的事", actor=carol)
    assert Notification.objects.count() == count


def test_a_struck_off_problem_texts_an_absolute_link(staffed: Any, ordinary: Category, dave: User) -> None:
    from minhu.problems.services import problem_close, problem_create

    by_phone = submit(ordinary, household=staffed.hh_b1, caller_phone="13500001111", address="3号楼")
    by_login = submit(ordinary, household=staffed.hh_b1, caller=dave, caller_phone="", address="4号楼")
    by_phone = Appeal.objects.get(pk=by_phone.pk)
    alice = User.objects.get(username="alice")  # the street's staff: village B has no cadre
    problem = problem_create(
        actor=alice, unit=staffed.village_b, title="电动车充电难", appeals=[by_phone, by_login]
    )
    problem_close(problem=problem, actor=alice, resolution="安装了充电桩。")
    sms = Notification.objects.get(kind="problem.solved", channel="sms")
    assert sms.url == f"http://127.0.0.1:8000/appeals/track/{by_phone.tracking_code}/"
    inapp = Notification.objects.get(kind="problem.solved", channel="inapp")
    assert inapp.url == f"/appeals/track/{by_login.tracking_code}/"
    # the problem tells its callers itself: resolving the appeals with it sends no second message
    assert not Notification.objects.filter(kind="appeal.resolved").exists()

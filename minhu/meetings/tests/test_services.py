"""The meeting services: the state machine, errors keyed by field, one event per change, scope."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from minhu.accounts.models import User
from minhu.core.models import Event, Notification
from minhu.grid.tests.conftest import Tree
from minhu.meetings import services
from minhu.meetings.models import ActionItem, AgendaItem, Attendance, Meeting, MeetingType, subject_items
from minhu.meetings.services import (
    ActionSpec,
    Attendee,
    action_done,
    action_verify,
    agenda_item_add,
    agenda_item_close,
    agenda_item_decide,
    attendance_sign_in,
    meeting_close,
    meeting_create,
    meeting_hold,
    meeting_type_default,
    register_subject_closer,
)
from minhu.meetings.tests.conftest import ATTENDEES, starts


def verbs(obj: Any) -> list[str]:
    return list(Event.objects.for_target(obj).order_by("id").values_list("verb", flat=True))


def held(meeting: Meeting, actor: User) -> Meeting:
    attendance_sign_in(attendance=meeting.attendance.order_by("id")[0], actor=actor)
    return meeting_hold(meeting=meeting, actor=actor)


def decided(meeting: Meeting, actor: User, owner: User | None, **kw: Any) -> AgendaItem:
    item = agenda_item_add(meeting=meeting, actor=actor, title=kw.pop("title", "3栋楼道照明损坏"))
    return agenda_item_decide(
        item=item,
        actor=actor,
        solution="物业更换楼道灯",
        owner_role="物业党支部",
        owner=owner,
        deadline=timezone.localdate() + timedelta(days=10),
        budget=Decimal("1200.00"),
        notes="业主反映三个月",
        **kw,
    )


def test_the_default_type_has_the_three_parties(db: None) -> None:
    mt = meeting_type_default()
    assert mt.parties == ["街道党工委", "物业党支部", "党员业主代表"]
    assert meeting_type_default().pk == mt.pk
    assert MeetingType.objects.count() == 1


def test_create_plans_the_meeting_with_its_attendees_and_records_it(meeting: Meeting, bob: User) -> None:
    assert meeting.state == Meeting.State.PLANNED
    assert meeting.convener == bob
    assert [(a.party, a.name, a.role) for a in meeting.attendance.order_by("id")] == [
        tuple(a[:3]) for a in ATTENDEES
    ]
    event = Event.objects.for_target(meeting).get()
    assert (event.verb, event.actor, event.after["attendees"]) == ("meeting.create", bob, 3)


def test_create_refuses_a_party_not_of_the_type_and_names_the_field(staffed: Tree, bob: User) -> None:
    with pytest.raises(ValidationError) as exc:
        meeting_create(
            actor=bob,
            unit=staffed.village_a,
            title=" ",
            starts_at=starts(),
            attendees=[Attendee("居委会", "张三")],
        )
    assert set(exc.value.message_dict) == {"title", "attendees"}
    assert "居委会 is not a party of 三方联席协商议事." in exc.value.message_dict["attendees"]
    assert not Meeting.objects.exists()
    assert not Event.objects.filter(verb="meeting.create").exists()


def test_create_outside_ones_scope_is_refused_and_writes_nothing(
    staffed: Tree, ivan: User, carol: User
) -> None:
    for who in (ivan, carol):  # another village's cadre; a party member (not a manager)
        with pytest.raises(PermissionDenied):
            meeting_create(actor=who, unit=staffed.village_a, title="会议", starts_at=starts())
    assert not Meeting.objects.exists()
    assert not Event.objects.filter(verb="meeting.create").exists()


def test_a_retried_create_returns_the_first_meeting(staffed: Tree, bob: User) -> None:
    kw: dict[str, Any] = {"actor": bob, "unit": staffed.village_a, "title": "会议", "starts_at": starts()}
    first = meeting_create(**kw, attendees=ATTENDEES, idempotency_key="k1")
    again = meeting_create(**kw, attendees=ATTENDEES, idempotency_key="k1")
    assert again.pk == first.pk
    assert (Meeting.objects.count(), Attendance.objects.count()) == (1, 3)
    assert Event.objects.filter(verb="meeting.create").count() == 1


def test_a_street_staff_member_runs_the_meetings_of_the_villages_below(staffed: Tree, alice: User) -> None:
    m = meeting_create(actor=alice, unit=staffed.village_b, title="互助村会议", starts_at=starts())
    assert m.unit == staffed.village_b


def test_sign_in_once_then_refused(meeting: Meeting, bob: User) -> None:
    a = meeting.attendance.first()
    assert a is not None
    attendance_sign_in(attendance=a, actor=bob)
    with pytest.raises(ValidationError) as exc:
        attendance_sign_in(attendance=a, actor=bob)
    assert "attendance" in exc.value.message_dict
    assert verbs(meeting).count("meeting.sign_in") == 1


def test_an_attendee_with_a_login_signs_themselves_in(staffed: Tree, bob: User, carol: User) -> None:
    m = meeting_create(
        actor=bob,
        unit=staffed.village_a,
        title="会议",
        starts_at=starts(),
        attendees=[Attendee("党员业主代表", "张卡", "", carol)],
    )
    a = attendance_sign_in(attendance=m.attendance.get(), actor=carol)
    assert a.signed_in_at is not None


def test_someone_else_cannot_sign_an_attendee_in_outside_their_scope(meeting: Meeting, ivan: User) -> None:
    with pytest.raises(PermissionDenied):
        attendance_sign_in(attendance=meeting.attendance.first(), actor=ivan)  # type: ignore[arg-type]
    assert not meeting.attendance.filter(signed_in_at__isnull=False).exists()


def test_hold_needs_someone_signed_in(meeting: Meeting, bob: User) -> None:
    with pytest.raises(ValidationError) as exc:
        meeting_hold(meeting=meeting, actor=bob)
    assert "attendance" in exc.value.message_dict
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.PLANNED
    held(meeting, bob)
    meeting.refresh_from_db()
    assert (meeting.state, meeting.held_at is not None) == (Meeting.State.HELD, True)
    with pytest.raises(ValidationError):
        meeting_hold(meeting=meeting, actor=bob)


def test_items_are_numbered_one_matter_each(meeting: Meeting, bob: User) -> None:
    a = agenda_item_add(meeting=meeting, actor=bob, title="楼道照明")
    b = agenda_item_add(meeting=meeting, actor=bob, title="  垃圾分类  ")
    assert [(a.number, a.title), (b.number, b.title)] == [(1, "楼道照明"), (2, "垃圾分类")]
    with pytest.raises(ValidationError) as exc:
        agenda_item_add(meeting=meeting, actor=bob, title="")
    assert set(exc.value.message_dict) == {"title"}
    assert AgendaItem.objects.count() == 2


def test_a_retried_add_returns_the_first_item(meeting: Meeting, bob: User) -> None:
    a = agenda_item_add(meeting=meeting, actor=bob, title="楼道照明", idempotency_key="x")
    b = agenda_item_add(meeting=meeting, actor=bob, title="楼道照明", idempotency_key="x")
    assert a.pk == b.pk
    assert AgendaItem.objects.count() == 1


def test_decisions_wait_for_the_meeting_to_be_held(meeting: Meeting, bob: User) -> None:
    with pytest.raises(ValidationError) as exc:
        decided(meeting, bob, None)
    assert "meeting" in exc.value.message_dict
    assert AgendaItem.objects.get().state == AgendaItem.State.OPEN
    assert not ActionItem.objects.exists()


def test_decide_names_every_wrong_field_and_changes_nothing(meeting: Meeting, bob: User) -> None:
    held(meeting, bob)
    item = agenda_item_add(meeting=meeting, actor=bob, title="楼道照明")
    with pytest.raises(ValidationError) as exc:
        agenda_item_decide(
            item=item,
            actor=bob,
            solution=" ",
            owner_role="",
            deadline=timezone.localdate() - timedelta(days=1),
            budget=Decimal("-1"),
        )
    assert set(exc.value.message_dict) == {"solution", "owner_role", "deadline", "budget"}
    with pytest.raises(ValidationError) as exc:
        agenda_item_decide(
            item=item,
            actor=bob,
            solution="换灯",
            owner_role="物业党支部",
            deadline=timezone.localdate() + timedelta(days=3),
            actions=[ActionSpec("买灯", due=timezone.localdate() + timedelta(days=5))],
        )
    assert set(exc.value.message_dict) == {"actions"}
    item.refresh_from_db()
    assert item.state == AgendaItem.State.OPEN
    assert not ActionItem.objects.exists()
    assert "meeting.decide" not in verbs(item)


def test_decide_makes_the_actions_and_tells_their_owners(meeting: Meeting, bob: User, carol: User) -> None:
    held(meeting, bob)
    soon = timezone.localdate() + timedelta(days=4)
    item = decided(meeting, bob, carol, actions=[ActionSpec("采购灯具", due=soon), "安装灯具"])
    assert (item.state, item.owner, item.budget) == (AgendaItem.State.DECIDED, carol, Decimal("1200.00"))
    first, second = item.actions.order_by("id")
    assert (first.title, first.owner, first.owner_role) == ("采购灯具", carol, "物业党支部")
    assert timezone.localtime(first.due_at).date() >= soon  # the end of that day (or the next working day)
    assert item.deadline is not None
    assert timezone.localtime(second.due_at).date() >= item.deadline
    assert first.watch_at is not None
    assert second.watch_at is not None
    event = Event.objects.for_target(item).get(verb="meeting.decide")
    assert event.after["budget"] == "1200.00"
    assert event.after["actions"] == [first.pk, second.pk]
    assert Notification.objects.filter(recipient=carol, kind="meeting.action").count() == 2


def test_with_no_action_given_one_is_named_after_the_solution(meeting: Meeting, bob: User) -> None:
    held(meeting, bob)
    item = decided(meeting, bob, None)
    assert list(item.actions.values_list("title", "owner_role")) == [("物业更换楼道灯", "物业党支部")]


def test_a_decided_matter_is_not_decided_again(meeting: Meeting, bob: User) -> None:
    held(meeting, bob)
    item = decided(meeting, bob, None)
    with pytest.raises(ValidationError) as exc:
        agenda_item_decide(
            item=item,
            actor=bob,
            solution="x",
            owner_role="y",
            deadline=timezone.localdate() + timedelta(days=1),
        )
    assert "state" in exc.value.message_dict
    assert item.actions.count() == 1


def test_done_then_refused_then_verified_then_closed_out(meeting: Meeting, bob: User, carol: User) -> None:
    held(meeting, bob)
    item = decided(meeting, bob, carol)
    action = item.actions.get()
    with pytest.raises(ValidationError) as exc:
        agenda_item_close(item=item, actor=bob)
    assert "actions" in exc.value.message_dict

    with pytest.raises(ValidationError) as exc:
        action_done(action=action, actor=carol, result=" ")
    assert "result" in exc.value.message_dict
    action = action_done(action=action, actor=carol, result="已更换 6 盏灯")
    assert (action.state, action.watch_at) == (ActionItem.State.DONE, None)
    assert Notification.objects.filter(recipient=bob, subject__startswith="Done, to be verified").exists()

    with pytest.raises(ValidationError) as exc:
        action_verify(action=action, actor=bob, accept=False)
    assert "note" in exc.value.message_dict
    action = action_verify(action=action, actor=bob, accept=False, note="2 楼还不亮")
    assert (action.state, action.done_at) == (ActionItem.State.OPEN, None)
    assert action.watch_at is not None  # watched again

    action = action_done(action=action, actor=carol, result="2 楼也换了")
    action = action_verify(action=action, actor=bob, note="现场看过")
    assert action.state == ActionItem.State.VERIFIED
    item = agenda_item_close(item=item, actor=bob, note="业主满意")
    assert (item.state, item.close_note) == (AgendaItem.State.CLOSED, "业主满意")
    assert verbs(action) == ["action.done", "action.refuse", "action.done", "action.verify"]
    assert verbs(item) == ["meeting.item_add", "meeting.decide", "meeting.item_close"]

    meeting = meeting_close(meeting=meeting, actor=bob)
    assert meeting.state == Meeting.State.CLOSED
    with pytest.raises(ValidationError):
        agenda_item_add(meeting=meeting, actor=bob, title="又一事")


def test_the_owner_cannot_verify_their_own_action(meeting: Meeting, bob: User) -> None:
    held(meeting, bob)
    action = decided(meeting, bob, bob).actions.get()
    action_done(action=action, actor=bob, result="done")
    with pytest.raises(ValidationError) as exc:
        action_verify(action=action, actor=bob)
    assert "state" in exc.value.message_dict
    action.refresh_from_db()
    assert action.state == ActionItem.State.DONE


def test_only_the_owner_or_a_manager_reports_done(
    meeting: Meeting, bob: User, carol: User, ivan: User
) -> None:
    held(meeting, bob)
    action = decided(meeting, bob, carol).actions.get()
    with pytest.raises(PermissionDenied):
        action_done(action=action, actor=ivan, result="x")
    action.refresh_from_db()
    assert action.state == ActionItem.State.OPEN


def test_a_meeting_closes_only_when_every_matter_is_closed_out(meeting: Meeting, bob: User) -> None:
    held(meeting, bob)
    agenda_item_add(meeting=meeting, actor=bob, title="楼道照明")
    with pytest.raises(ValidationError) as exc:
        meeting_close(meeting=meeting, actor=bob)
    assert "items" in exc.value.message_dict
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.HELD


@pytest.fixture
def closers() -> Any:
    saved = dict(services._SUBJECT_CLOSERS)
    yield services._SUBJECT_CLOSERS
    services._SUBJECT_CLOSERS.clear()
    services._SUBJECT_CLOSERS.update(saved)


def test_closing_out_calls_the_subjects_closer_in_the_transaction(
    meeting: Meeting, bob: User, staffed: Tree, closers: Any
) -> None:
    calls: list[tuple[int, Any, Any]] = []
    register_subject_closer("grid.Unit", lambda item, subject, actor: calls.append((item.pk, subject, actor)))
    held(meeting, bob)
    item = agenda_item_add(meeting=meeting, actor=bob, title="一片的路灯", subject=staffed.area_a)
    assert list(subject_items(staffed.area_a)) == [item]
    assert item.subject_is(staffed.area_a)
    with pytest.raises(ValidationError) as exc:
        agenda_item_add(meeting=meeting, actor=bob, title="又是路灯", subject=staffed.area_a)
    assert "subject" in exc.value.message_dict

    item = agenda_item_decide(
        item=item,
        actor=bob,
        solution="修灯",
        owner_role="物业党支部",
        deadline=timezone.localdate() + timedelta(days=2),
    )
    action = item.actions.get()
    action_done(action=action, actor=bob, result="修好")
    action.refresh_from_db()
    action_verify(action=action, actor=User.objects.get(username="alice"))
    agenda_item_close(item=item, actor=bob)
    assert calls == [(item.pk, staffed.area_a, bob)]
    # closed out: the subject may go on another agenda
    agenda_item_add(meeting=meeting, actor=bob, title="路灯又坏了", subject=staffed.area_a)


def test_a_failing_closer_leaves_the_item_decided(
    meeting: Meeting, bob: User, alice: User, staffed: Tree, closers: Any
) -> None:
    def boom(item: AgendaItem, subject: Any, actor: Any) -> None:
        raise ValidationError({"subject": "the problem refuses"})

    register_subject_closer("grid.unit", boom)
    held(meeting, bob)
    item = agenda_item_add(meeting=meeting, actor=bob, title="一片的路灯", subject=staffed.area_a)
    item = agenda_item_decide(
        item=item,
        actor=bob,
        solution="修灯",
        owner_role="物业党支部",
        deadline=timezone.localdate() + timedelta(days=2),
    )
    action = action_done(action=item.actions.get(), actor=bob, result="修好")
    action_verify(action=action, actor=alice)
    with pytest.raises(ValidationError):
        agenda_item_close(item=item, actor=bob)
    item.refresh_from_db()
    assert item.state == AgendaItem.State.DECIDED
    assert "meeting.item_close" not in verbs(item)


def test_a_retried_create_racing_the_first_returns_the_first_meeting(
    staffed: Tree, bob: User, monkeypatch: Any
) -> None:
    from minhu.meetings import services

    kw: dict[str, Any] = {"actor": bob, "unit": staffed.village_a, "title": "会议", "starts_at": starts()}
    first = meeting_create(**kw, attendees=ATTENDEES, idempotency_key="k-race")
    monkeypatch.setattr(services, "replay", lambda qs, key: None)  # both passed the lookup at once
    again = meeting_create(**kw, attendees=ATTENDEES, idempotency_key="k-race")
    assert again.pk == first.pk
    assert (Meeting.objects.count(), Attendance.objects.count()) == (1, 3)
    assert Event.objects.filter(verb="meeting.create").count() == 1


def test_a_bad_key_is_refused_naming_it(staffed: Tree, bob: User) -> None:
    with pytest.raises(ValidationError) as exc:
        meeting_create(
            actor=bob, unit=staffed.village_a, title="会议", starts_at=starts(), idempotency_key="two words"
        )
    assert set(exc.value.message_dict) == {"idempotency_key"}
    assert not Meeting.objects.exists()

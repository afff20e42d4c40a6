"""The only functions that change meetings. Each checks who acts and whether the move is allowed, locks the
row, saves with `update_fields`, and writes one event in the same transaction; a refused move raises
ValidationError (keyed by the field it is about) or PermissionDenied, and changes nothing.

Who may act: a manager of the meeting's unit (`selectors.may_manage`: a cadre or staff whose scope covers the
unit, or an administrator) for everything; an attendee's own login signs that attendee in; an action's owner
reports it done (and may not verify it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.core.idempotency import create_once, key_clean, replay
from minhu.core.services import changes_save, event_record, notification_send
from minhu.core.types import Actor, Login
from minhu.core.workdays import work_calendar
from minhu.meetings.escalation import rewatch
from minhu.meetings.models import THREE_PARTIES, ActionItem, AgendaItem, Attendance, Meeting, MeetingType
from minhu.meetings.selectors import may_manage

if TYPE_CHECKING:
    from minhu.accounts.models import User
    from minhu.grid.models import Unit

# What closing an item means for its subject, by model label ("problems.problem"): registered by the app
# that owns the subject in its AppConfig.ready(), so that meetings depends on no such app.
SubjectCloser = Callable[[AgendaItem, Any, Actor], None]
_SUBJECT_CLOSERS: dict[str, SubjectCloser] = {}


def register_subject_closer(label: str, closer: SubjectCloser) -> None:
    """Call `closer(item, subject, actor)` inside `agenda_item_close`'s transaction, after an item about a
    subject of model `label` ("app_label.modelname") has been closed out by `actor`. An exception in it rolls
    the close-out back. Registering the same label again replaces the closer."""
    _SUBJECT_CLOSERS[label.lower()] = closer


def meeting_type_default() -> MeetingType:
    """The three-party consultation (三方联席协商议事), created on first use."""
    mt, _created = MeetingType.objects.get_or_create(
        code="three_party", defaults={"name": "三方联席协商议事", "parties": list(THREE_PARTIES)}
    )
    return mt


class Attendee(NamedTuple):
    """An expected attendee: the party they sit for, their name, their role there, their login if any."""

    party: str
    name: str
    role: str = ""
    user: User | None = None


@dataclass(frozen=True)
class ActionSpec:
    """One action of a decision: by default owned by the decision's owner and due at its deadline."""

    title: str
    owner: Any = None
    owner_role: str = ""
    due: date | None = None


def _require(actor: Login, unit: Unit) -> None:
    if not may_manage(actor, unit):
        raise PermissionDenied


def _locked(model: type[models.Model], pk: int) -> Any:
    return model._default_manager.select_for_update().get(pk=pk)


def _meeting_url(meeting_id: int) -> str:
    return reverse("meetings:detail", args=[meeting_id])


def meeting_create(
    *,
    actor: Login,
    unit: Any,
    title: str,
    starts_at: datetime,
    type: MeetingType | None = None,
    place: str = "",
    attendees: Sequence[Attendee | tuple[Any, ...]] = (),
    idempotency_key: str | None = None,
) -> Meeting:
    """Plan a meeting of `unit` convened by `actor`; `attendees` are (party, name, role[, user]), each party
    one of the type's (default: the three-party consultation). A retried call with the same `idempotency_key`
    returns the meeting the first call created, and creates nothing (`minhu.core.idempotency`; a key is
    unique among the convener's meetings)."""
    _require(actor, unit)
    key = key_clean(idempotency_key)
    existing = replay(Meeting.objects.filter(convener=actor), key)
    if existing is not None:
        return existing
    mt = type or meeting_type_default()
    people = [Attendee(*a) for a in attendees]
    title = title.strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Give the meeting a title.")
    if starts_at is None:
        errors["starts_at"] = _("Say when the meeting starts.")
    seen: set[tuple[str, str]] = set()
    for a in people:
        if a.party not in mt.parties:
            errors["attendees"] = _("%(party)s is not a party of %(type)s.") % {
                "party": a.party,
                "type": mt.name,
            }
        elif not a.name.strip():
            errors["attendees"] = _("Every attendee needs a name.")
        elif (a.party, a.name.strip()) in seen:
            errors["attendees"] = _("%(name)s is listed twice for %(party)s.") % {
                "name": a.name.strip(),
                "party": a.party,
            }
        seen.add((a.party, a.name.strip()))
    if errors:
        raise ValidationError(errors)

    def create() -> Meeting:
        meeting = Meeting(
            type=mt,
            unit=unit,
            title=title,
            starts_at=starts_at,
            place=place.strip(),
            convener=actor,
            idempotency_key=key,
        )
        meeting.full_clean(exclude=["idempotency_key"])
        meeting.save()
        Attendance.objects.bulk_create(
            Attendance(meeting=meeting, party=a.party, name=a.name.strip(), role=a.role.strip(), user=a.user)
            for a in people
        )
        event_record(
            actor=actor,
            verb="meeting.create",
            target=meeting,
            after={
                "title": title,
                "unit": unit.pk,
                "type": mt.code,
                "starts_at": starts_at,
                "attendees": len(people),
            },
        )
        return meeting

    meeting, _created = create_once(Meeting.objects.filter(convener=actor), key, create)
    return meeting


def attendance_sign_in(*, attendance: Attendance, actor: Login) -> Attendance:
    """Tick an attendee as present: by a manager at the door, or by the attendee's own login."""
    if attendance.user_id is None or attendance.user_id != actor.pk:
        _require(actor, attendance.meeting.unit)
    with transaction.atomic():
        row = _locked(Attendance, attendance.pk)
        meeting = row.meeting
        if meeting.state == Meeting.State.CLOSED:
            raise ValidationError({"attendance": _("The meeting is closed.")})
        if row.signed_in_at is not None:
            raise ValidationError({"attendance": _("%(name)s has already signed in.") % {"name": row.name}})
        row.signed_in_at = timezone.now()
        row.save(update_fields=["signed_in_at"])
        event_record(
            actor=actor,
            verb="meeting.sign_in",
            target=meeting,
            after={"attendee": row.pk, "party": row.party, "name": row.name},
        )
    return row  # type: ignore[no-any-return]


def agenda_item_add(
    *,
    meeting: Meeting,
    actor: Login,
    title: str,
    subject: models.Model | None = None,
    idempotency_key: str | None = None,
) -> AgendaItem:
    """Put one matter on the agenda (一事一议), numbered after the last. A subject (a problem…) is on at
    most one item not yet closed out. A retried call with the same `idempotency_key` returns the first
    call's item (`minhu.core.idempotency`; under the meeting's lock, so retries cannot race)."""
    _require(actor, meeting.unit)
    key = key_clean(idempotency_key)
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Name the matter.")})
    if len(title) > 200:
        raise ValidationError({"title": _("At most 200 characters.")})
    with transaction.atomic():
        m = _locked(Meeting, meeting.pk)
        existing = replay(AgendaItem.objects.filter(meeting=m), key)
        if existing is not None:
            return existing
        if m.state == Meeting.State.CLOSED:
            raise ValidationError({"meeting": _("The meeting is closed.")})
        ct = ContentType.objects.get_for_model(subject) if subject is not None else None
        if (
            subject is not None
            and AgendaItem.objects.filter(subject_type=ct, subject_id=subject.pk)
            .exclude(state=AgendaItem.State.CLOSED)
            .exists()
        ):
            raise ValidationError(
                {"subject": _("This matter is already on an agenda and not yet closed out.")}
            )
        number = (m.items.aggregate(n=models.Max("number"))["n"] or 0) + 1
        item = AgendaItem.objects.create(
            meeting=m,
            number=number,
            title=title,
            subject_type=ct,
            subject_id=subject.pk if subject is not None else None,
            idempotency_key=key,
        )
        event_record(
            actor=actor,
            verb="meeting.item_add",
            target=item,
            after={
                "meeting": m.pk,
                "number": number,
                "title": title,
                "subject": f"{ct.app_label}.{ct.model}:{subject.pk}" if ct is not None and subject else None,
            },
        )
    return item


def meeting_hold(*, meeting: Meeting, actor: Login, minutes: str = "") -> Meeting:
    """Record that the planned meeting sat (at least one attendee signed in); `minutes` is free text."""
    _require(actor, meeting.unit)
    with transaction.atomic():
        m = _locked(Meeting, meeting.pk)
        if m.state != Meeting.State.PLANNED:
            raise ValidationError({"state": _("Only a planned meeting can be marked held.")})
        if not m.attendance.filter(signed_in_at__isnull=False).exists():
            raise ValidationError({"attendance": _("No one has signed in yet.")})
        m.state, m.held_at, m.minutes = Meeting.State.HELD, timezone.now(), minutes.strip() or m.minutes
        m.save(update_fields=["state", "held_at", "minutes"])
        event_record(
            actor=actor, verb="meeting.hold", target=m, before={"state": "planned"}, after={"state": m.state}
        )
    return m  # type: ignore[no-any-return]


def meeting_close(*, meeting: Meeting, actor: Login) -> Meeting:
    """Close a held meeting once every item on its agenda has been closed out."""
    _require(actor, meeting.unit)
    with transaction.atomic():
        m = _locked(Meeting, meeting.pk)
        if m.state != Meeting.State.HELD:
            raise ValidationError({"state": _("Only a held meeting can be closed.")})
        if m.items.exclude(state=AgendaItem.State.CLOSED).exists():
            raise ValidationError({"items": _("Every matter must be closed out first.")})
        m.state, m.closed_at = Meeting.State.CLOSED, timezone.now()
        m.save(update_fields=["state", "closed_at"])
        event_record(
            actor=actor, verb="meeting.close", target=m, before={"state": "held"}, after={"state": "closed"}
        )
    return m  # type: ignore[no-any-return]


def due_at(deadline: date) -> datetime:
    """The end of the deadline day (24:00, as 23:59:59 in the calendar's zone), moved to the next working day
    if it is a rest day (Civil Code art. 203, as every deadline of the working-day calendar)."""
    cal = work_calendar()
    return cal.end_of_day(cal.roll_forward(deadline))


def agenda_item_decide(
    *,
    item: AgendaItem,
    actor: Login,
    solution: str,
    owner_role: str,
    deadline: date,
    owner: Any = None,
    budget: Decimal | None = None,
    notes: str = "",
    actions: Sequence[ActionSpec | str] = (),
) -> AgendaItem:
    """The meeting's decision on one matter: the solution, who answers for it (a party, and a login if it
    has one), by when, at what cost; and the action items that carry it out (at least one; by default one
    named after the solution). Each action is owned by its own owner or the decision's, and due at its own
    date (not after the deadline) or the deadline; its owner is told, and the escalation sweep watches it."""
    _require(actor, item.meeting.unit)
    errors: dict[str, str] = {}
    solution, owner_role = solution.strip(), owner_role.strip()
    today = timezone.localdate()
    if not solution:
        errors["solution"] = _("Say what was decided.")
    if not owner_role:
        errors["owner_role"] = _("Say which party answers for it.")
    if deadline is None:
        errors["deadline"] = _("Give a deadline.")
    elif deadline < today:
        errors["deadline"] = _("The deadline is in the past.")
    if budget is not None and budget < 0:
        errors["budget"] = _("The budget cannot be negative.")
    specs = [ActionSpec(title=a) if isinstance(a, str) else a for a in actions]
    specs = [s for s in specs if s.title.strip()] or [ActionSpec(title=solution[:200])]
    for s in specs:
        if len(s.title.strip()) > 200:
            errors["actions"] = _("An action is at most 200 characters.")
        elif s.due is not None and s.due < today:
            errors["actions"] = _("An action's due date is in the past.")
        elif s.due is not None and deadline is not None and s.due > deadline:
            errors["actions"] = _("An action cannot be due after the decision's deadline.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = _locked(AgendaItem, item.pk)
        if row.state != AgendaItem.State.OPEN:
            raise ValidationError({"state": _("This matter has already been decided.")})
        if row.meeting.state != Meeting.State.HELD:
            raise ValidationError({"meeting": _("Decisions are taken at a meeting that has been held.")})
        row.state, row.solution, row.owner_role, row.owner = (
            AgendaItem.State.DECIDED,
            solution,
            owner_role,
            owner,
        )
        row.deadline, row.budget, row.notes, row.decided_at = deadline, budget, notes.strip(), timezone.now()
        row.save(
            update_fields=[
                "state",
                "solution",
                "owner_role",
                "owner",
                "deadline",
                "budget",
                "notes",
                "decided_at",
            ]
        )
        created = []
        for s in specs:
            action = ActionItem.objects.create(
                item=row,
                title=s.title.strip(),
                owner=s.owner if s.owner is not None else owner,
                owner_role=s.owner_role.strip() or owner_role,
                due_at=due_at(s.due or deadline),
            )
            rewatch(action)
            created.append(action)
        event_record(
            actor=actor,
            verb="meeting.decide",
            target=row,
            before={"state": "open"},
            after={
                "state": row.state,
                "solution": solution,
                "owner_role": owner_role,
                "owner": owner.pk if owner is not None else None,
                "deadline": deadline,
                "budget": budget,
                "actions": [a.pk for a in created],
            },
        )
        for a in created:
            if a.owner is not None:
                notification_send(
                    recipient=a.owner,
                    kind="meeting.action",
                    subject=_("New action for you, due %(due)s: %(title)s")
                    % {"due": f"{timezone.localtime(a.due_at):%Y-%m-%d}", "title": a.title},
                    body=row.title,
                    url=_meeting_url(row.meeting_id),
                    dedupe_key=f"action:{a.pk}:assigned:u{a.owner.pk}",
                )
    return row  # type: ignore[no-any-return]


def action_done(*, action: ActionItem, actor: Login, result: str) -> ActionItem:
    """The owner (or a manager) reports the action done; it waits for verification, and the sweep stops
    watching it. The meeting's convener is told."""
    if action.owner_id is None or action.owner_id != actor.pk:
        _require(actor, action.item.meeting.unit)
    result = result.strip()
    if not result:
        raise ValidationError({"result": _("Say what was done.")})
    if len(result) > 4000:
        raise ValidationError({"result": _("At most 4000 characters.")})
    with transaction.atomic():
        row = _locked(ActionItem, action.pk)
        if row.state != ActionItem.State.OPEN:
            raise ValidationError({"state": _("This action is not open.")})
        row.state, row.result, row.done_at, row.watch_at = ActionItem.State.DONE, result, timezone.now(), None
        row.save(update_fields=["state", "result", "done_at", "watch_at"])
        event_record(
            actor=actor,
            verb="action.done",
            target=row,
            before={"state": "open"},
            after={"state": "done", "result": result},
        )
        meeting = row.item.meeting
        if meeting.convener_id != actor.pk:
            notification_send(
                recipient=meeting.convener,
                kind="meeting.action",
                subject=_("Done, to be verified: %(title)s") % {"title": row.title},
                body=result[:200],
                url=_meeting_url(meeting.pk),
                dedupe_key=f"action:{row.pk}:done:{int(row.done_at.timestamp())}:u{meeting.convener_id}",
            )
    return row  # type: ignore[no-any-return]


def action_verify(*, action: ActionItem, actor: Login, accept: bool = True, note: str = "") -> ActionItem:
    """A manager checks the result on the spot: accepted, the action is verified; refused (say what is
    missing), it is open again and watched again from now. The owner may not verify their own action."""
    _require(actor, action.item.meeting.unit)
    if action.owner_id is not None and action.owner_id == actor.pk:
        raise ValidationError({"state": _("The owner of an action cannot verify it.")})
    note = note.strip()
    if not accept and not note:
        raise ValidationError({"note": _("Say what is still missing.")})
    with transaction.atomic():
        row = _locked(ActionItem, action.pk)
        if row.state != ActionItem.State.DONE:
            raise ValidationError({"state": _("Only a done action can be verified.")})
        now = timezone.now()
        if accept:
            row.state, row.verified_at, row.verify_note = ActionItem.State.VERIFIED, now, note
            row.save(update_fields=["state", "verified_at", "verify_note"])
        else:
            row.state, row.done_at, row.verify_note, row.watched_until = (
                ActionItem.State.OPEN,
                None,
                note,
                now,
            )
            row.save(update_fields=["state", "done_at", "verify_note", "watched_until"])
            rewatch(row)
        event_record(
            actor=actor,
            verb="action.verify" if accept else "action.refuse",
            target=row,
            before={"state": "done"},
            after={"state": row.state},
            note=note,
        )
        if not accept and row.owner is not None:
            notification_send(
                recipient=row.owner,
                kind="meeting.action",
                subject=_("Not accepted, still to do: %(title)s") % {"title": row.title},
                body=note[:200],
                url=_meeting_url(row.item.meeting_id),
                dedupe_key=f"action:{row.pk}:refused:{int(now.timestamp())}:u{row.owner.pk}",
            )
    return row  # type: ignore[no-any-return]


def agenda_item_close(*, item: AgendaItem, actor: Login, note: str = "") -> AgendaItem:
    """Close out (销号) a decided item once every one of its actions is done and verified. What that means
    for its subject (for a problem: its callers told and asked to rate) is done by the subject's registered
    closer, `closer(item, subject, actor)`, in the same transaction: if it raises, nothing is closed."""
    _require(actor, item.meeting.unit)
    with transaction.atomic():
        row = _locked(AgendaItem, item.pk)
        if row.state != AgendaItem.State.DECIDED:
            raise ValidationError({"state": _("Only a decided matter can be closed out.")})
        if row.actions.exclude(state=ActionItem.State.VERIFIED).exists():
            raise ValidationError({"actions": _("Every action must be done and verified first.")})
        row.state, row.closed_at, row.close_note = AgendaItem.State.CLOSED, timezone.now(), note.strip()
        row.save(update_fields=["state", "closed_at", "close_note"])
        event_record(
            actor=actor,
            verb="meeting.item_close",
            target=row,
            before={"state": "decided"},
            after={"state": "closed"},
            note=note.strip(),
        )
        if row.subject_type_id is not None:
            ct = ContentType.objects.get_for_id(row.subject_type_id)
            closer = _SUBJECT_CLOSERS.get(f"{ct.app_label}.{ct.model}")
            if closer is not None:
                closer(row, row.subject, actor)
    return row  # type: ignore[no-any-return]


__all__ = [
    "ActionSpec",
    "Attendee",
    "action_done",
    "action_verify",
    "agenda_item_add",
    "agenda_item_close",
    "agenda_item_decide",
    "attendance_sign_in",
    "meeting_close",
    "meeting_create",
    "meeting_hold",
    "meeting_type_default",
    "register_subject_closer",
]


# --- meeting types (back-office data, edited in administration) ------------------------------------------


def meeting_type_parties_check(
    parties: Sequence[str], *, meeting_type: MeetingType | None = None
) -> list[str]:
    """The parties as stored (names stripped, none empty, none twice: the model's invariant), else
    ValidationError keyed "parties". For an existing type, a party that attendees of a meeting not yet
    closed sit for cannot be dropped."""
    if isinstance(parties, str) or not all(isinstance(p, str) for p in parties):
        raise ValidationError({"parties": _("Give the parties as a list of names.")})
    names = [p.strip() for p in parties]
    if not names or any(not n for n in names):
        raise ValidationError({"parties": _("Give each party a name.")})
    if len(set(names)) != len(names):
        raise ValidationError({"parties": _("Each party sits once.")})
    if meeting_type is not None and meeting_type.pk is not None:
        dropped = set(MeetingType.objects.get(pk=meeting_type.pk).parties) - set(names)
        in_use = Attendance.objects.filter(
            meeting__type_id=meeting_type.pk, party__in=dropped, meeting__in=Meeting.objects.open()
        )
        if dropped and in_use.exists():
            raise ValidationError({"parties": _("Attendees of a meeting not yet closed sit for this party.")})
    return names


@transaction.atomic
def meeting_type_create(*, code: str, name: str, parties: Sequence[str], actor: Actor) -> MeetingType:
    """Add a kind of meeting with the parties that sit at it. Validated in full (ValidationError, nothing
    written); records `meeting_type.create`."""
    mt = MeetingType(code=code.strip(), name=name.strip(), parties=meeting_type_parties_check(parties))
    mt.full_clean()
    mt.save()
    event_record(
        actor=actor,
        verb="meeting_type.create",
        target=mt,
        after={"code": mt.code, "name": mt.name, "parties": mt.parties},
    )
    return mt


@transaction.atomic
def meeting_type_update(
    *, meeting_type: MeetingType, actor: Actor, name: str | None = None, parties: Sequence[str] | None = None
) -> MeetingType:
    """Rename a kind of meeting or change its parties (checked by `meeting_type_parties_check`); its code
    stays (`meeting_type_default` finds the three-party type by it). Records `meeting_type.update` with what
    changed; changing nothing records nothing."""
    row: MeetingType = _locked(MeetingType, meeting_type.pk)
    new_name = row.name if name is None else name.strip()
    new_parties = (
        list(row.parties) if parties is None else meeting_type_parties_check(parties, meeting_type=row)
    )
    before: dict[str, Any] = {"name": row.name, "parties": list(row.parties)}
    after: dict[str, Any] = {"name": new_name, "parties": new_parties}
    if before == after:
        return row
    row.name, row.parties = new_name, new_parties
    row.full_clean()
    changes_save(row=row, before=before, after=after, verb="meeting_type.update", actor=actor)
    return row


__all__ += ["meeting_type_create", "meeting_type_parties_check", "meeting_type_update"]

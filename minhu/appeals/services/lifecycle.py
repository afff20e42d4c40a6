"""The only functions that change appeals after intake, and the rules of who may change them.

Each transition first checks the actor's right (`may_act`, `may_rate`: `NotAllowed`, a PermissionDenied, or
a ValidationError naming the field), then the appeal's predicate (`Appeal.answerable_on_spot`, the states an
action is allowed from: `InvalidTransition`), claims the row with a conditional UPDATE on `version` (so of two
simultaneous actions exactly one wins and the other gets `Conflict`), and writes one event in the same
transaction. A refused action changes nothing and writes nothing. `actor=None` is the trusted system (the
escalation sweep, the routing rules, commands and tests acting as it): no right is checked for it.

The staff pages, their one-tap buttons, the JSON API and Open311 all come here, so they cannot disagree
about who may do what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.accounts.roles import Role
from minhu.appeals.models import (
    NOT_ANSWERABLE_ON_SPOT,
    OPEN_STATES,
    Appeal,
    Category,
    PeriodUnit,
    Satisfaction,
    State,
)
from minhu.appeals.selectors import appeals_visible_to
from minhu.appeals.services.escalation import rewatch
from minhu.core.services import event_record
from minhu.core.types import Actor, Login, Viewer
from minhu.core.workdays import WorkCalendar, work_calendar

# Who may dispatch, transfer and answer appeals of their scope (the dispatchers).
DISPATCH_ROLES = frozenset({Role.VILLAGE_CADRE, Role.STREET_STAFF, Role.DISTRICT_STAFF})
HANDLER_ACTIONS = ("respond", "start", "resolve", "return")
DISPATCHER_ACTIONS = ("dispatch", "answer")
ACTIONS = (*HANDLER_ACTIONS, *DISPATCHER_ACTIONS, "transfer")


class NotAllowed(PermissionDenied):
    """The actor may not take this action on this appeal (whatever its state)."""

    def __init__(self, action: str) -> None:
        super().__init__(_("You may not %(action)s this appeal.") % {"action": action})


class InvalidTransition(ValidationError):
    """The appeal is not in a state that allows this action."""


class Conflict(Exception):
    """Someone else changed the appeal between reading and acting; nothing was changed."""

    def __init__(self) -> None:
        super().__init__(_("Someone else acted on this appeal just now. Reload it to see what changed."))


def may_dispatch(user: Viewer) -> bool:
    """A dispatcher: village cadres, street and district staff, administrators."""
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser or user.roles() & DISPATCH_ROLES)


def may_act(appeal: Appeal, user: Viewer, action: str) -> bool:
    """The actor's right to take `action` (one of ACTIONS) on an appeal they see, not the state's: the
    handler responds, starts, resolves and returns; dispatchers dispatch and answer on the spot, as does
    whoever recorded the appeal; the handler and dispatchers may transfer. The services also require a
    dispatcher's appeal to be in their scope (`appeals_visible_to`)."""
    if action in HANDLER_ACTIONS:
        return bool(appeal.handler_id is not None and appeal.handler_id == user.pk)
    if action == "answer" and appeal.recorded_by_id is not None and appeal.recorded_by_id == user.pk:
        return True  # whoever took the call (a grid member on foot too) answers it during the call
    if action in DISPATCHER_ACTIONS:
        return may_dispatch(user)
    if action == "transfer":
        return bool(appeal.handler_id == user.pk or may_dispatch(user))
    return False


def actions_for(appeal: Appeal, user: Viewer) -> list[str]:
    """What `user` may try now on an appeal they see: their rights on an open appeal, and answering on the
    spot only for a consultation (the state may still refuse an action listed)."""
    if not appeal.is_open:
        return []
    return [a for a in ACTIONS if may_act(appeal, user, a) and (a != "answer" or appeal.answerable_on_spot)]


def _authorise(appeal: Appeal, actor: Actor, action: str) -> None:
    """Raise NotAllowed unless `actor` (None: the trusted system) may take `action` on `appeal`: their right
    (`may_act`) and, for a dispatcher who is not its handler, the appeal within their scope."""
    if actor is None:
        return
    if not getattr(actor, "is_authenticated", False) or not may_act(appeal, actor, action):
        raise NotAllowed(action)
    if appeal.handler_id != actor.pk and not appeals_visible_to(actor).filter(pk=appeal.pk).exists():
        raise NotAllowed(action)


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def may_rate(appeal: Appeal, actor: Actor, phone_tail: str | None) -> bool:
    """Only the caller rates: the caller's own login, or whoever gives the last four digits of the phone
    given with the matter (`phone_tail`, from the tracking page: the tracking code alone is not enough, as
    Open311 lists codes publicly). An appeal given without a phone can be rated with its code alone.
    `actor=None` without a `phone_tail` is the trusted system."""
    if actor is not None and appeal.caller_id is not None and appeal.caller_id == actor.pk:
        return True
    if phone_tail is None:
        return actor is None
    phone = _digits(appeal.caller_phone)
    return not phone or phone_tail.strip() == phone[-4:]


def deadlines_for(
    category: Category, start: datetime, *, calendar: WorkCalendar | None = None
) -> tuple[datetime, datetime, bool]:
    """(respond by, resolve by, exact) from the category and the working-day calendar. A batch (the demo's
    year of appeals) passes one `work_calendar()` for all its calls instead of re-checking it each time."""
    cal = calendar or work_calendar()
    response = cal.add_hours(start, category.response_hours)
    if category.resolution_unit == PeriodUnit.HOURS:
        resolution = cal.add_hours(start, category.resolution_amount)
    elif category.resolution_unit == PeriodUnit.WORKING_DAYS:
        resolution = cal.add_working_days(start, category.resolution_amount)
    else:
        resolution = cal.add_days(start, category.resolution_amount)
    return response.at, resolution.at, response.is_exact and resolution.is_exact


def _transition(
    *,
    appeal: Appeal,
    allowed: list[str],
    to: str,
    actor: Actor,
    verb: str,
    changes: dict[str, Any] | None = None,
    note: str = "",
    actor_label: str | None = None,
) -> Appeal:
    if appeal.state not in allowed:
        raise InvalidTransition(
            _("This appeal is %(state)s: that action is not possible now.")
            % {"state": appeal.get_state_display()},
            code="invalid_transition",
        )
    changes = dict(changes or {})
    with transaction.atomic():
        claimed = Appeal.objects.filter(pk=appeal.pk, state=appeal.state, version=appeal.version).update(
            state=to, version=F("version") + 1, **changes
        )
        if claimed != 1:
            raise Conflict()
        before: dict[str, Any] = {"state": appeal.state}
        before.update(
            {k: getattr(appeal, k) for k in changes if not hasattr(changes[k], "resolve_expression")}
        )
        appeal.refresh_from_db()
        rewatch(appeal, restart=verb in ("appeal.dispatch", "appeal.reopen"))
        after: dict[str, Any] = {"state": appeal.state}
        after.update({k: getattr(appeal, k) for k in changes})
        for key in ("handler", "repeat_of", "escalated_to"):
            for d in (before, after):
                if key in d and hasattr(d[key], "pk"):
                    d[key] = d[key].pk
        event_record(
            actor=actor,
            actor_label=actor_label,
            verb=verb,
            target=appeal,
            before=before,
            after=after,
            note=note,
        )
    return appeal


def appeal_dispatch(
    *, appeal: Appeal, handler: Any, actor: Actor, department: str = "", note: str = ""
) -> Appeal:
    """A dispatcher sends the appeal to its handler (a person, or a department) and starts its deadlines.
    Refused (NotAllowed) unless the actor is a dispatcher in whose scope the appeal lies."""
    _authorise(appeal, actor, "dispatch")
    from minhu.appeals.services import notify

    with transaction.atomic():
        appeal = appeal_dispatch_routed(
            appeal=appeal, handler=handler, actor=actor, department=department, note=note
        )
        notify.appeal_dispatched_caller(appeal)  # the handler was told by the dispatch itself
        return appeal


def appeal_dispatch_routed(
    *, appeal: Appeal, handler: Any, actor: Actor, department: str = "", note: str = ""
) -> Appeal:
    """The intake's first dispatch, to whom the routing rules chose (or the handler the matter names): the
    rules decided, not the actor who recorded the matter, so no right of theirs is checked; the event still
    names them."""
    from minhu.appeals.services import notify

    now = timezone.now()
    response_due, resolution_due, exact = deadlines_for(appeal.category, now)
    with transaction.atomic():
        appeal = _transition(
            appeal=appeal,
            allowed=[State.SUBMITTED],
            to=State.DISPATCHED,
            actor=actor,
            verb="appeal.dispatch",
            note=note,
            changes={
                "handler": handler,
                "department": department,
                "dispatched_at": now,
                "response_due_at": response_due,
                "resolution_due_at": resolution_due,
                "deadline_exact": exact,
            },
        )
        notify.appeal_dispatched(appeal)  # the caller: by the intake's acceptance or `appeal_dispatch`
        return appeal


def appeal_respond(*, appeal: Appeal, actor: Actor, note: str = "") -> Appeal:
    """First contact with the caller has been made (即呼即应). The handler's action."""
    _authorise(appeal, actor, "respond")
    return _transition(
        appeal=appeal,
        allowed=[State.DISPATCHED],
        to=State.RESPONDED,
        actor=actor,
        verb="appeal.respond",
        note=note,
        changes={"responded_at": timezone.now()},
    )


def appeal_start(*, appeal: Appeal, actor: Actor, note: str = "") -> Appeal:
    """The handler starts working on it. The handler's action."""
    _authorise(appeal, actor, "start")
    return _transition(
        appeal=appeal,
        allowed=[State.RESPONDED],
        to=State.IN_PROGRESS,
        actor=actor,
        verb="appeal.start",
        note=note,
    )


def appeal_resolve(*, appeal: Appeal, result: str, actor: Actor) -> Appeal:
    """The handler reports the result; the caller is asked to confirm and rate it. The handler's action."""
    _authorise(appeal, actor, "resolve")
    result = result.strip()
    if not result:
        raise ValidationError({"result": _("Say what was done.")})
    if len(result) > 4000:
        raise ValidationError({"result": _("At most 4000 characters.")})
    from minhu.appeals.services import notify

    with transaction.atomic():
        appeal = _transition(
            appeal=appeal,
            allowed=[State.RESPONDED, State.IN_PROGRESS],
            to=State.RESOLVED,
            actor=actor,
            verb="appeal.resolve",
            changes={"result": result, "resolved_at": timezone.now()},
        )
        notify.appeal_resolved(appeal)
        return appeal


def appeal_resolve_shared(*, appeal: Appeal, result: str, actor: Actor, note: str = "") -> Appeal:
    """The appeal was part of a shared matter (a problem on the problem list) that has been solved and struck
    off: from wherever it stands in handling it is resolved with that result, and the caller is asked to
    confirm and rate it like any other. Appeals already resolved, closed or linked as repeats are left
    alone (returns them unchanged). The right is the problem's: its service (`problem_close`) checks who
    strikes it off; no appeal right of the actor's is checked here."""
    result = result.strip()
    if not result:
        raise ValidationError({"result": _("Say what was done.")})
    if appeal.state not in (State.SUBMITTED, State.DISPATCHED, State.RESPONDED, State.IN_PROGRESS):
        return appeal
    now = timezone.now()
    return _transition(
        appeal=appeal,
        allowed=[State.SUBMITTED, State.DISPATCHED, State.RESPONDED, State.IN_PROGRESS],
        to=State.RESOLVED,
        actor=actor,
        verb="appeal.resolve_shared",
        note=note,
        changes={
            "result": result[:4000],
            "resolved_at": now,
            "responded_at": appeal.responded_at or now,
            "dispatched_at": appeal.dispatched_at or now,
        },
    )


def appeal_rate(
    *,
    appeal: Appeal,
    resolved_ok: bool,
    satisfaction: str,
    comment: str = "",
    actor: Actor = None,
    phone_tail: str | None = None,
) -> Appeal:
    """The caller's verdict. Resolved and (basically) satisfied closes the appeal out (销号); otherwise it is
    reopened to its handler with fresh deadlines and counted as a reopen — up to
    `settings.APPEALS_MAX_REOPENS` times, after which the verdict is recorded as it is and the appeal closed
    (the dissatisfaction counts against the rates instead of reopening for ever). A caller without a login
    is recorded as "caller".

    Only the caller rates (`may_rate`): their login, or `phone_tail` (the tracking page's proof); refused
    with a ValidationError naming `phone_tail` otherwise."""
    if not may_rate(appeal, actor, phone_tail):
        raise ValidationError(
            {"phone_tail": _("The last four digits do not match the phone given with this matter.")}
        )
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": _("Choose how satisfied you are.")})
    if len(comment) > 1000:
        raise ValidationError({"rating_comment": _("At most 1000 characters.")})
    now = timezone.now()
    label = None if actor is not None else "caller"
    satisfied = resolved_ok and satisfaction != Satisfaction.NOT
    if satisfied or appeal.reopen_count >= settings.APPEALS_MAX_REOPENS:
        return _transition(
            appeal=appeal,
            allowed=[State.RESOLVED],
            to=State.CLOSED,
            actor=actor,
            actor_label=label,
            verb="appeal.rate_close",
            note="" if satisfied else comment,
            changes={
                "resolved_ok": resolved_ok,
                "satisfaction": satisfaction,
                "rating_comment": comment,
                "confirmed_at": now,
                "closed_at": now,
            },
        )
    response_due, resolution_due, exact = deadlines_for(appeal.category, now)
    from minhu.appeals.services import notify

    with transaction.atomic():
        appeal = _transition(
            appeal=appeal,
            allowed=[State.RESOLVED],
            to=State.DISPATCHED,
            actor=actor,
            actor_label=label,
            verb="appeal.reopen",
            note=comment,
            changes={
                "result": "",
                "resolved_ok": resolved_ok,
                "satisfaction": satisfaction,
                "rating_comment": comment,
                "reopen_count": F("reopen_count") + 1,
                "dispatched_at": now,
                "escalation_level": 0,
                "escalated_to": None,
                "overdue_at": None,
                "responded_at": None,
                "resolved_at": None,
                "response_due_at": response_due,
                "resolution_due_at": resolution_due,
                "deadline_exact": exact,
            },
        )
        notify.appeal_reopened(appeal)
        return appeal


def appeal_answer_on_spot(*, appeal: Appeal, answer: str, actor: Actor) -> Appeal:
    """A consultation answered at once closes at once: a dispatcher's action. Only a consultation (咨询) can
    be answered on the spot (`Appeal.answerable_on_spot`): any other kind closed at once would count as
    responded to and resolved in time with nothing done, inflating the rates; refused naming `kind`."""
    _authorise(appeal, actor, "answer")
    if not appeal.answerable_on_spot:
        raise ValidationError({"kind": ValidationError(NOT_ANSWERABLE_ON_SPOT, code="not_answerable")})
    answer = answer.strip()
    if not answer:
        raise ValidationError({"result": _("Give the answer.")})
    now = timezone.now()
    return _transition(
        appeal=appeal,
        allowed=[State.SUBMITTED, State.DISPATCHED],
        to=State.CLOSED,
        actor=actor,
        verb="appeal.answer_on_spot",
        changes={"result": answer, "responded_at": now, "resolved_at": now, "closed_at": now},
    )


def appeal_return(*, appeal: Appeal, reason: str, actor: Actor) -> Appeal:
    """The handler objects to a wrong dispatch (objection review): back to the dispatcher, counted. The
    handler's action."""
    _authorise(appeal, actor, "return")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this is not yours to handle.")})
    from minhu.appeals.services import notify

    with transaction.atomic():
        appeal = _transition(
            appeal=appeal,
            allowed=[State.DISPATCHED, State.RESPONDED],
            to=State.SUBMITTED,
            actor=actor,
            verb="appeal.return",
            note=reason.strip(),
            changes={"handler": None, "department": "", "return_count": F("return_count") + 1},
        )
        notify.appeal_returned(appeal, actor=actor)
        return appeal


def appeal_transfer(*, appeal: Appeal, to: Any, reason: str, actor: Actor) -> Appeal:
    """Hand the appeal to another handler, keeping its deadlines; counted so ping-pong shows. The handler's
    or a dispatcher's action."""
    _authorise(appeal, actor, "transfer")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why it is transferred.")})
    from minhu.appeals.services import notify

    previous = appeal.handler
    with transaction.atomic():
        appeal = _transition(
            appeal=appeal,
            allowed=[State.DISPATCHED, State.RESPONDED, State.IN_PROGRESS],
            to=appeal.state,
            actor=actor,
            verb="appeal.transfer",
            note=reason.strip(),
            changes={"handler": to, "transfer_count": F("transfer_count") + 1},
        )
        notify.appeal_transferred(appeal, previous=previous)
        return appeal


def appeals_export_callers(*, actor: Login, rows: int, filters: dict[str, Any]) -> None:
    """Allow and record an export of callers' full names and phones (`appeal.export_callers`): every full
    view of personal data is recorded (docs/security.md), with the filters that select the rows and their
    number. Refused (PermissionDenied, nothing recorded) unless `stats.can_export_callers(actor)`."""
    from minhu.appeals.stats import can_export_callers

    if not can_export_callers(actor):
        raise PermissionDenied
    event_record(actor=actor, verb="appeal.export_callers", after={"rows": rows, "filters": filters})


__all__ = [
    "ACTIONS",
    "DISPATCH_ROLES",
    "OPEN_STATES",
    "Conflict",
    "InvalidTransition",
    "NotAllowed",
    "actions_for",
    "appeal_answer_on_spot",
    "appeal_dispatch",
    "appeal_dispatch_routed",
    "appeal_rate",
    "appeal_resolve",
    "appeal_respond",
    "appeal_return",
    "appeal_start",
    "appeal_transfer",
    "appeals_export_callers",
    "deadlines_for",
    "may_act",
    "may_dispatch",
    "may_rate",
]

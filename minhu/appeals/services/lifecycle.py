"""The only functions that change appeals. Each transition checks its predicate, claims the row with a
conditional UPDATE on `version` (so of two simultaneous actions exactly one wins and the other gets
`Conflict`), and writes one event in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals.models import OPEN_STATES, Appeal, Category, PeriodUnit, Satisfaction, State
from minhu.appeals.services.escalation import rewatch
from minhu.core.services import event_record
from minhu.core.workdays import WorkCalendar, work_calendar


class InvalidTransition(ValidationError):
    """The appeal is not in a state that allows this action."""


class Conflict(Exception):
    """Someone else changed the appeal between reading and acting; nothing was changed."""

    def __init__(self) -> None:
        super().__init__(_("Someone else acted on this appeal just now. Reload it to see what changed."))


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
    actor: Any,
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
    *, appeal: Appeal, handler: Any, actor: Any, department: str = "", note: str = ""
) -> Appeal:
    """Send the appeal to its handler (a person, or a department) and start its deadlines."""
    now = timezone.now()
    response_due, resolution_due, exact = deadlines_for(appeal.category, now)
    return _transition(
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


def appeal_respond(*, appeal: Appeal, actor: Any, note: str = "") -> Appeal:
    """First contact with the caller has been made (即呼即应)."""
    return _transition(
        appeal=appeal,
        allowed=[State.DISPATCHED],
        to=State.RESPONDED,
        actor=actor,
        verb="appeal.respond",
        note=note,
        changes={"responded_at": timezone.now()},
    )


def appeal_start(*, appeal: Appeal, actor: Any, note: str = "") -> Appeal:
    return _transition(
        appeal=appeal,
        allowed=[State.RESPONDED],
        to=State.IN_PROGRESS,
        actor=actor,
        verb="appeal.start",
        note=note,
    )


def appeal_resolve(*, appeal: Appeal, result: str, actor: Any) -> Appeal:
    """The handler reports the result; the caller is asked to confirm and rate it."""
    result = result.strip()
    if not result:
        raise ValidationError({"result": _("Say what was done.")})
    if len(result) > 4000:
        raise ValidationError({"result": _("At most 4000 characters.")})
    return _transition(
        appeal=appeal,
        allowed=[State.RESPONDED, State.IN_PROGRESS],
        to=State.RESOLVED,
        actor=actor,
        verb="appeal.resolve",
        changes={"result": result, "resolved_at": timezone.now()},
    )


def appeal_resolve_shared(*, appeal: Appeal, result: str, actor: Any, note: str = "") -> Appeal:
    """The appeal was part of a shared matter (a problem on the problem list) that has been solved and struck
    off: from wherever it stands in handling it is resolved with that result, and the caller is asked to
    confirm and rate it like any other. Appeals already resolved, closed or linked as repeats are left
    alone (returns them unchanged)."""
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
    *, appeal: Appeal, resolved_ok: bool, satisfaction: str, comment: str = "", actor: Any = None
) -> Appeal:
    """The caller's verdict. Resolved and (basically) satisfied closes the appeal out (销号); otherwise it is
    reopened to its handler with fresh deadlines and counted as a reopen — up to
    `settings.APPEALS_MAX_REOPENS` times, after which the verdict is recorded as it is and the appeal closed
    (the dissatisfaction counts against the rates instead of reopening for ever). A caller without a login
    is recorded as "caller"."""
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
    return _transition(
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


def appeal_answer_on_spot(*, appeal: Appeal, answer: str, actor: Any) -> Appeal:
    """A consultation answered at once closes at once."""
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


def appeal_return(*, appeal: Appeal, reason: str, actor: Any) -> Appeal:
    """The handler objects to a wrong dispatch (objection review): back to the dispatcher, counted."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this is not yours to handle.")})
    return _transition(
        appeal=appeal,
        allowed=[State.DISPATCHED, State.RESPONDED],
        to=State.SUBMITTED,
        actor=actor,
        verb="appeal.return",
        note=reason.strip(),
        changes={"handler": None, "department": "", "return_count": F("return_count") + 1},
    )


def appeal_transfer(*, appeal: Appeal, to: Any, reason: str, actor: Any) -> Appeal:
    """Hand the appeal to another handler, keeping its deadlines; counted so ping-pong shows."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why it is transferred.")})
    return _transition(
        appeal=appeal,
        allowed=[State.DISPATCHED, State.RESPONDED, State.IN_PROGRESS],
        to=appeal.state,
        actor=actor,
        verb="appeal.transfer",
        note=reason.strip(),
        changes={"handler": to, "transfer_count": F("transfer_count") + 1},
    )


def appeals_export_callers(*, actor: Any, rows: int, filters: dict[str, Any]) -> None:
    """Allow and record an export of callers' full names and phones (`appeal.export_callers`): every full
    view of personal data is recorded (docs/security.md), with the filters that select the rows and their
    number. Refused (PermissionDenied, nothing recorded) unless `stats.can_export_callers(actor)`."""
    from minhu.appeals.stats import can_export_callers

    if not can_export_callers(actor):
        raise PermissionDenied
    event_record(actor=actor, verb="appeal.export_callers", after={"rows": rows, "filters": filters})


__all__ = [
    "OPEN_STATES",
    "Conflict",
    "InvalidTransition",
    "appeal_answer_on_spot",
    "appeal_dispatch",
    "appeal_rate",
    "appeal_resolve",
    "appeal_respond",
    "appeal_return",
    "appeal_start",
    "appeal_transfer",
    "appeals_export_callers",
    "deadlines_for",
]

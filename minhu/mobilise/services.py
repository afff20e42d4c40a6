"""The only functions that change call-outs and care visits.

Each checks who may act (PermissionDenied: nothing changed, nothing recorded), runs in one transaction,
locks the rows it changes, and writes one event in that transaction. Notifications are rows of core's
outbox written in the same transaction, each with a dedupe key, so a retried or doubled cause never tells
anyone twice. `actor=None` is the system (the demo, the periodic sweep): trusted callers only.

Notification texts are written in the default language (zh-hans): they go to many people at once, whatever
language the person acting happens to use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from minhu.core import deadlines
from minhu.core.deadlines import Moment, SweepReport
from minhu.core.services import event_record, notification_send
from minhu.core.types import Actor, Login
from minhu.grid.models import Household, Person, Responsibility, Unit
from minhu.mobilise.models import (
    CARE_FLAGS,
    CallOut,
    CallOutMember,
    CallOutTarget,
    CallOutTask,
    CareEscalation,
    CarePlan,
    CareVisit,
    ProgressReport,
    ReportAmount,
    care_cadence_for,
)
from minhu.mobilise.selectors import (
    Figures,
    Level,
    callout_figures,
    can_manage,
    can_manage_care,
    can_raise,
    can_visit,
    care_levels,
    care_reasons_for,
    grace_days,
    household_path,
    party_members_in,
    reveal_scope,
)

MAX_HOURS_PER_REPORT = Decimal(24)  # one member's report covers at most a day


def _user(actor: Actor) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _num(value: Decimal) -> str:
    """A decimal without trailing zeros ("21", "3.5"), as the summary stores and shows it."""
    text = format(value.normalize(), "f")
    return text


def _decimal(value: Any, *, field: str, places: int) -> Decimal:
    try:
        d = Decimal(str(value).strip() or "0")
    except InvalidOperation:
        raise ValidationError({field: _("Enter a number.")}) from None
    if not d.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    return d.quantize(Decimal(1).scaleb(-places))


# --- call-outs (一呼百应) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetSpec:
    """A target as given when raising: "field roads cleared", "km", 21."""

    name: str
    unit_label: str
    goal: Decimal


def _lock_open(callout: CallOut) -> CallOut:
    locked = CallOut.objects.select_for_update().get(pk=callout.pk)
    if locked.state != CallOut.State.OPEN:
        raise ValidationError(_("This call-out is closed."), code="closed")
    return locked


@transaction.atomic
def callout_raise(
    *,
    unit: Any,
    title: str,
    head_count: int,
    targets: list[TargetSpec],
    actor: Actor,
    description: str = "",
    at: datetime | None = None,
) -> CallOut:
    """Call on every party member of `unit`'s subtree (who lives, is registered or answers for something
    there). The roster is written now; each member with a login gets one in-app message with the link to
    answer. Records `callout.raise`. `at` backdates a call-out recorded afterwards (default now)."""
    if actor is not None and not can_raise(actor, unit):
        raise PermissionDenied
    raised_at = at or timezone.now()
    if raised_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"raised_at": _("A call-out cannot be raised in the future.")})
    callout = CallOut(
        unit=unit,
        title=title.strip(),
        description=description.strip(),
        head_count=head_count,
        organiser=_user(actor),
        raised_at=raised_at,
    )
    callout.full_clean()
    names = [t.name.strip() for t in targets]
    if len(set(names)) != len(names):
        raise ValidationError({"targets": _("Two targets have the same name.")})
    callout.save()
    rows = []
    for i, spec in enumerate(targets):
        target = CallOutTarget(
            callout=callout,
            name=spec.name.strip(),
            unit_label=spec.unit_label.strip(),
            goal=spec.goal,
            position=i,
        )
        target.full_clean()
        rows.append(target)
    CallOutTarget.objects.bulk_create(rows)
    members = [
        CallOutMember(
            callout=callout,
            party_member=pm,
            user=pm.person.user if pm.person.user is not None and pm.person.user.is_active else None,
        )
        for pm in party_members_in(unit, on=timezone.localdate(raised_at))
    ]
    CallOutMember.objects.bulk_create(members)
    told = [m for m in members if m.user is not None]
    event_record(
        actor=actor,
        verb="callout.raise",
        target=callout,
        after={
            "unit": unit.pk,
            "title": callout.title,
            "head_count": head_count,
            "targets": [{"name": t.name, "unit_label": t.unit_label, "goal": _num(t.goal)} for t in rows],
            "invited": len(members),
            "told": len(told),
        },
    )
    url = reverse("mobilise:callout", args=[callout.pk])
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Call-out: %(title)s") % {"title": callout.title}
        body = _(
            "%(unit)s calls on its party members: %(description)s Open the link to say whether you can come."
        ) % {
            "unit": unit.name,
            "description": (callout.description[:300] + "…")
            if len(callout.description) > 300
            else callout.description,
        }
    for m in told:
        notification_send(
            recipient=m.user,
            kind="callout.raised",
            subject=subject,
            body=body,
            url=url,
            dedupe_key=f"callout:{callout.pk}:invite:person{m.party_member.person_id}",
        )
    return callout


@transaction.atomic
def callout_answer(
    *, member: CallOutMember, accept: bool, actor: Actor, at: datetime | None = None
) -> CallOutMember:
    """A member says they are coming or not (themselves, or the organiser who took the answer on the
    phone). Answering the same again changes nothing; a member whose work has been reported cannot decline.
    Records `callout.answer`. `at` backdates an answer recorded afterwards (default now)."""
    callout = CallOut.objects.select_for_update().get(pk=member.callout_id)
    row = CallOutMember.objects.select_for_update().get(pk=member.pk)
    own = actor is not None and row.user_id is not None and row.user_id == actor.pk
    if actor is not None and not own and not can_manage(actor, callout):
        raise PermissionDenied
    if callout.state != CallOut.State.OPEN:
        raise ValidationError(_("This call-out is closed."), code="closed")
    new = CallOutMember.Answer.ACCEPTED if accept else CallOutMember.Answer.DECLINED
    if row.answer == new:
        return row
    if new == CallOutMember.Answer.DECLINED and row.reports.exists():
        raise ValidationError(_("Work has been reported for this member: they took part."), code="has_work")
    before = {"member": row.pk, "answer": row.answer}
    row.answer, row.answered_at, row.answered_by = new, at or timezone.now(), _user(actor)
    row.save(update_fields=["answer", "answered_at", "answered_by"])
    event_record(
        actor=actor,
        verb="callout.answer",
        target=callout,
        before=before,
        after={"member": row.pk, "answer": new, "by_organiser": not own and actor is not None},
    )
    return row


@transaction.atomic
def callout_task_assign(*, callout: CallOut, member: CallOutMember, text: str, actor: Actor) -> CallOutTask:
    """Give a member who is coming a piece of the job; they are told in-app. Records `callout.task_assign`."""
    callout = _lock_open(callout)
    if actor is not None and not can_manage(actor, callout):
        raise PermissionDenied
    member = CallOutMember.objects.select_related("party_member__person").get(pk=member.pk)
    if member.callout_id != callout.pk:
        raise ValidationError({"assignee": _("Not on this call-out's roster.")})
    if member.answer != CallOutMember.Answer.ACCEPTED:
        raise ValidationError({"assignee": _("Only members who are coming can be given tasks.")})
    task = CallOutTask(callout=callout, text=text.strip(), assignee=member, assigned_by=_user(actor))
    task.full_clean()
    task.save()
    event_record(
        actor=actor,
        verb="callout.task_assign",
        target=callout,
        after={"task": task.pk, "member": member.pk, "text": task.text},
    )
    if member.user_id is not None:
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Your task on %(title)s: %(task)s") % {"title": callout.title, "task": task.text}
        notification_send(
            recipient=member.user,
            kind="callout.task",
            subject=subject,
            url=reverse("mobilise:callout", args=[callout.pk]),
            dedupe_key=f"callout:{callout.pk}:task:{task.pk}",
        )
    return task


@transaction.atomic
def callout_task_done(*, task: CallOutTask, actor: Actor) -> CallOutTask:
    """The assignee (or the organiser) marks a task done; marking it again changes nothing. Records
    `callout.task_done`."""
    callout = _lock_open(task.callout)
    task = CallOutTask.objects.select_for_update().select_related("assignee").get(pk=task.pk)
    own = actor is not None and task.assignee.user_id == actor.pk
    if actor is not None and not own and not can_manage(actor, callout):
        raise PermissionDenied
    if task.done:
        return task
    task.done, task.done_at = True, timezone.now()
    task.save(update_fields=["done", "done_at"])
    event_record(
        actor=actor,
        verb="callout.task_done",
        target=callout,
        before={"task": task.pk},
        after={"task": task.pk},
    )
    return task


@transaction.atomic
def callout_report(
    *,
    callout: CallOut,
    actor: Actor,
    hours: Any = 0,
    amounts: dict[int, Any] | None = None,
    note: str = "",
    member: CallOutMember | None = None,
    worked_on: date | None = None,
    at: datetime | None = None,
) -> ProgressReport:
    """Report work: hours, an amount for any of the targets, a note. `member` is whoever worked (a member
    who is coming: themselves, or the organiser for them); None is the organiser's report for the squad.
    The targets move by the amounts in the same transaction. Records `callout.report`."""
    callout = _lock_open(callout)
    if member is not None:
        member = CallOutMember.objects.get(pk=member.pk)
        if member.callout_id != callout.pk:
            raise PermissionDenied
        own = actor is not None and member.user_id == actor.pk
        if actor is not None and not own and not can_manage(actor, callout):
            raise PermissionDenied
        if member.answer != CallOutMember.Answer.ACCEPTED:
            raise ValidationError(_("Only members who are coming report work."), code="not_coming")
    elif actor is not None and not can_manage(actor, callout):
        raise PermissionDenied
    h = _decimal(hours, field="hours", places=1)
    if h < 0:
        raise ValidationError({"hours": _("Hours cannot be negative.")})
    if member is not None and h > MAX_HOURS_PER_REPORT:
        raise ValidationError({"hours": _("One report covers at most 24 hours of one person's work.")})
    targets = {t.pk: t for t in CallOutTarget.objects.filter(callout=callout)}
    given: dict[int, Decimal] = {}
    for target_id, raw in (amounts or {}).items():
        if target_id not in targets:
            raise ValidationError({"amounts": _("Not a target of this call-out.")})
        amount = _decimal(raw, field=f"amount_{target_id}", places=2)
        if amount < 0:
            raise ValidationError({f"amount_{target_id}": _("Amounts cannot be negative.")})
        if amount > 0:
            given[target_id] = amount
    note = note.strip()
    if h == 0 and not given and not note:
        raise ValidationError(_("Report hours, an amount or a note."), code="empty")
    reported_at = at or timezone.now()
    report = ProgressReport(
        callout=callout,
        member=member,
        reported_by=_user(actor),
        hours=h,
        note=note,
        worked_on=worked_on or timezone.localdate(reported_at),
        reported_at=reported_at,
    )
    report.full_clean()
    report.save()
    rows = [ReportAmount(report=report, target_id=tid, amount=a) for tid, a in given.items()]
    for r in rows:
        r.full_clean(exclude=["report", "target"])
    ReportAmount.objects.bulk_create(rows)
    for tid, amount in given.items():
        CallOutTarget.objects.filter(pk=tid).update(progress=F("progress") + amount)
    event_record(
        actor=actor,
        verb="callout.report",
        target=callout,
        after={
            "report": report.pk,
            "member": member.pk if member else None,
            "hours": _num(h),
            "amounts": {str(tid): _num(a) for tid, a in given.items()},
            "worked_on": report.worked_on,
        },
    )
    return report


def summary_from(figures: Figures, *, raised_on: date, closed_on: date, note: str) -> dict[str, Any]:
    """The figures frozen as JSON (decimals as plain strings)."""
    return {
        "invited": figures.invited,
        "accepted": figures.accepted,
        "declined": figures.declined,
        "no_answer": figures.no_answer,
        "head_count": figures.head_count,
        "names": figures.names,
        "hours": _num(figures.hours),
        "reports": figures.reports,
        "tasks": figures.tasks,
        "tasks_done": figures.tasks_done,
        "targets": [
            {
                "name": t.name,
                "unit_label": t.unit_label,
                "goal": _num(t.goal),
                "achieved": _num(t.achieved),
                "percent": t.percent,
            }
            for t in figures.targets
        ],
        "raised_on": raised_on.isoformat(),
        "closed_on": closed_on.isoformat(),
        "days": (closed_on - raised_on).days + 1,
        "first_work_on": figures.first_work_on.isoformat() if figures.first_work_on else None,
        "last_work_on": figures.last_work_on.isoformat() if figures.last_work_on else None,
        "note": note,
    }


@transaction.atomic
def callout_close(*, callout: CallOut, actor: Actor, note: str = "", at: datetime | None = None) -> CallOut:
    """Close the call-out and freeze its summary: who took part, total hours, each target achieved against
    its goal, the dates. Nothing can be reported afterwards. Those who came are thanked in-app. Records
    `callout.close`."""
    callout = _lock_open(callout)
    if actor is not None and not can_manage(actor, callout):
        raise PermissionDenied
    closed_at = at or timezone.now()
    if closed_at < callout.raised_at:
        raise ValidationError({"closed_at": _("A call-out cannot close before it was raised.")})
    note = note.strip()
    if len(note) > 2000:
        raise ValidationError({"note": _("At most 2000 characters.")})
    summary = summary_from(
        callout_figures(callout),
        raised_on=timezone.localdate(callout.raised_at),
        closed_on=timezone.localdate(closed_at),
        note=note,
    )
    callout.state, callout.closed_at, callout.closing_note, callout.summary = (
        CallOut.State.CLOSED,
        closed_at,
        note,
        summary,
    )
    callout.save(update_fields=["state", "closed_at", "closing_note", "summary"])
    event_record(
        actor=actor,
        verb="callout.close",
        target=callout,
        before={"state": CallOut.State.OPEN},
        after={"state": CallOut.State.CLOSED, "summary": {k: v for k, v in summary.items() if k != "names"}},
    )
    url = reverse("mobilise:callout", args=[callout.pk])
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Call-out closed: %(title)s. Thank you!") % {"title": callout.title}
    for m in CallOutMember.objects.filter(
        callout=callout, answer=CallOutMember.Answer.ACCEPTED, user__isnull=False
    ).select_related("user", "party_member"):
        notification_send(
            recipient=m.user,
            kind="callout.closed",
            subject=subject,
            url=url,
            dedupe_key=f"callout:{callout.pk}:closed:person{m.party_member.person_id}",
        )
    return callout


# --- care visits (未呼先应) -----------------------------------------------------------------------------


def _care_flag_q(prefix: str = "") -> Q:
    q = Q(pk__in=[])
    for f in CARE_FLAGS:
        q |= Q(**{f"{prefix}{f}": True})
    return q


@transaction.atomic
def care_plan_set(
    *, household: Household, cadence_days: int, actor: Actor, note: str = "", start: date | None = None
) -> CarePlan:
    """Put a household on a care plan, or change its plan's cadence and note (the plan then counts as set
    by staff, and the sweep no longer ends it when the grid's categories change). The next visit falls due
    `cadence_days` after the last visit (or the start). Records `care.plan_start` or `care.plan_set` — the
    note is personal data and stays out of the event."""
    if actor is not None and not can_manage_care(actor, household):
        raise PermissionDenied
    today = timezone.localdate()
    if not 1 <= cadence_days <= 365:
        raise ValidationError({"cadence_days": _("Between 1 and 365 days.")})
    if start is not None and start > today:
        raise ValidationError({"start": _("A plan cannot start in the future.")})
    note = note.strip()
    plan = CarePlan.objects.select_for_update().active().filter(household=household).first()
    if plan is not None:
        before = {"cadence_days": plan.cadence_days, "source": plan.source, "due_on": plan.due_on}
        plan.cadence_days, plan.note, plan.source = cadence_days, note, CarePlan.Source.MANUAL
        fields = ["cadence_days", "note", "source"]
        due = plan.next_due()
        if due != plan.due_on:
            plan.due_on, plan.escalation_level, plan.escalation_done = due, 0, False
            fields += ["due_on", "escalation_level", "escalation_done"]
        plan.full_clean()
        plan.save(update_fields=fields)
        if "due_on" in fields:
            _rewatch(plan, restart=True)
        event_record(
            actor=actor,
            verb="care.plan_set",
            target=plan,
            before=before,
            after={"cadence_days": cadence_days, "source": plan.source, "due_on": plan.due_on},
        )
        return plan
    started = start or today
    plan = CarePlan(
        household=household,
        district_id=household.district_id,
        source=CarePlan.Source.MANUAL,
        cadence_days=cadence_days,
        note=note,
        started_on=started,
        due_on=started + timedelta(days=cadence_days),
    )
    plan.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:
        raise ValidationError(_("This household was put on a care plan just now. Reload the page.")) from None
    _rewatch(plan, restart=True)
    event_record(
        actor=actor,
        verb="care.plan_start",
        target=plan,
        after={
            "household": household.pk,
            "source": plan.source,
            "cadence_days": cadence_days,
            "due_on": plan.due_on,
        },
    )
    return plan


@transaction.atomic
def care_plan_end(*, plan: CarePlan, actor: Actor) -> CarePlan:
    """Take a household off care (moved away, in a home, passed away). History is kept. Records
    `care.plan_end`."""
    plan = CarePlan.objects.select_for_update().select_related("household").get(pk=plan.pk)
    if actor is not None and not can_manage_care(actor, plan.household):
        raise PermissionDenied
    if plan.ended_on is not None:
        raise ValidationError(_("This care plan has already ended."))
    plan.ended_on = max(timezone.localdate(), plan.started_on)
    plan.save(update_fields=["ended_on"])
    _rewatch(plan)  # nothing more to watch
    event_record(
        actor=actor,
        verb="care.plan_end",
        target=plan,
        before={"ended_on": None},
        after={"ended_on": plan.ended_on},
    )
    return plan


@dataclass
class SyncReport:
    created: int = 0
    ended: int = 0


def care_plans_sync(*, today: date | None = None, limit: int = 500) -> SyncReport:
    """Households whose members carry a care category (the grid's elderly-alone, disability, low-income
    flags) get a plan with the category's cadence; plans made this way end when no member carries one any
    more (plans set by staff are left alone). At most `limit` of each per run; safe to run in several
    workers at once (a plan another run made first is skipped). Records `care.plan_start`/`care.plan_end`."""
    today = today or timezone.localdate()
    report = SyncReport()
    flagged = Person.objects.filter(_care_flag_q(), household__isnull=False).values("household_id")
    missing = list(
        Household.objects.filter(pk__in=flagged)
        .exclude(pk__in=CarePlan.objects.active().values("household_id"))
        .order_by("pk")
        .values_list("pk", "district_id")[:limit]
    )
    flags: dict[int, dict[str, bool]] = {}
    for row in Person.objects.filter(_care_flag_q(), household_id__in=[h for h, _d in missing]).values(
        "household_id", *CARE_FLAGS
    ):
        merged = flags.setdefault(row["household_id"], {})
        for f in CARE_FLAGS:
            merged[f] = merged.get(f, False) or row[f]
    for household_id, district_id in missing:
        cadence = care_cadence_for(flags.get(household_id, {}))
        if cadence is None:
            continue
        try:
            with transaction.atomic():
                plan = CarePlan.objects.create(
                    household_id=household_id,
                    district_id=district_id,
                    source=CarePlan.Source.FLAGS,
                    cadence_days=cadence,
                    started_on=today,
                    due_on=today + timedelta(days=cadence),
                )
                _rewatch(plan, restart=True)
                event_record(
                    actor=None,
                    verb="care.plan_start",
                    target=plan,
                    after={
                        "household": household_id,
                        "source": plan.source,
                        "cadence_days": cadence,
                        "due_on": plan.due_on,
                    },
                )
        except IntegrityError:
            continue  # another sweep put it on a plan first
        report.created += 1
    stale = list(
        CarePlan.objects.active()
        .filter(source=CarePlan.Source.FLAGS)
        .exclude(household_id__in=flagged)
        .order_by("pk")
        .values_list("pk", "started_on")[:limit]
    )
    for plan_id, started_on in stale:
        with transaction.atomic():
            ended_on = max(today, started_on)
            if CarePlan.objects.filter(pk=plan_id, ended_on__isnull=True).update(ended_on=ended_on) != 1:
                continue
            ended = CarePlan.objects.get(pk=plan_id)
            _rewatch(ended)  # nothing more to watch
            event_record(
                actor=None,
                verb="care.plan_end",
                target=ended,
                before={"ended_on": None},
                after={"ended_on": ended_on},
                note="no member in a care category any more",
            )
        report.ended += 1
    return report


@transaction.atomic
def care_visit_record(
    *,
    household: Household,
    actor: Actor,
    outcome: str,
    notes: str = "",
    needs: str = "",
    follow_up: str = "",
    visited_at: datetime | None = None,
) -> CareVisit:
    """Record a visit (from a phone, on the doorstep, or afterwards). A visit that met the person moves the
    next due date to its day + the cadence, and ends any escalation of the missed one; a visit that did not
    meet them is kept, and the visit stays due. Records `care.visit` (without the notes: personal data)."""
    if actor is not None and not can_visit(actor, household):
        raise PermissionDenied
    now = timezone.now()
    visited_at = visited_at or now
    if visited_at > now + timedelta(minutes=5):
        raise ValidationError({"visited_at": _("A visit cannot be in the future.")})
    if outcome not in CareVisit.Outcome.values:
        raise ValidationError({"outcome": _("Choose how the visit went.")})
    if outcome == CareVisit.Outcome.NEEDS and not needs.strip():
        raise ValidationError({"needs": _("Say what is needed.")})
    plan = CarePlan.objects.select_for_update().active().filter(household=household).first()
    if plan is None:
        raise ValidationError(_("This household is not on a care plan."), code="no_plan")
    visit = CareVisit(
        plan=plan,
        household=household,
        visitor=_user(actor),
        visited_at=visited_at,
        outcome=outcome,
        notes=notes.strip(),
        needs=needs.strip(),
        follow_up=follow_up.strip(),
    )
    visit.full_clean()
    visit.save()
    before = {"due_on": plan.due_on, "last_visited_on": plan.last_visited_on, "level": plan.escalation_level}
    if visit.counts:
        day = timezone.localdate(visited_at)
        if plan.last_visited_on is None or day > plan.last_visited_on:
            plan.last_visited_on = day
        due = plan.next_due()
        moved = due != plan.due_on
        if moved:
            plan.due_on, plan.escalation_level, plan.escalation_done = due, 0, False
        plan.save(update_fields=["last_visited_on", "due_on", "escalation_level", "escalation_done"])
        if moved:
            _rewatch(plan, restart=True)  # a new period: its own climb from the bottom
    event_record(
        actor=actor,
        verb="care.visit",
        target=plan,
        before=before,
        after={
            "visit": visit.pk,
            "outcome": outcome,
            "visited_at": visited_at,
            "due_on": plan.due_on,
            "last_visited_on": plan.last_visited_on,
            "needs_found": bool(visit.needs),
            "follow_up": bool(visit.follow_up),
        },
    )
    return visit


def _household_label(household: Household) -> str:
    return f"{household.unit.name} {household.number}"


# --- missed visits: a watched kind of the core deadline engine ---------------------------------------------

# The most levels a missed visit can climb: the household's 包户 member and one per unit above it.
CARE_MAX_LEVELS = 1 + len(Unit.Kind)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), timezone.get_default_timezone())


def care_schedule(plan: CarePlan) -> list[Moment]:
    """The moments a missed visit climbs the chain, on the working-day calendar: level k is told at the end of
    the (k × grace)-th working day after the due date (grace 2, due on a Friday: level 1 at the end of the
    Tuesday after; level 2 at the end of the Thursday). Empty when the plan has ended or was escalated to
    the top."""
    if plan.ended_on is not None or plan.escalation_done:
        return []
    grace = grace_days()
    cal = deadlines.current_calendar()
    first = cal.add_working_days(_day_start(plan.due_on), grace).at
    return deadlines.ladder_working_days(first, levels=CARE_MAX_LEVELS, every=grace, calendar=cal)


class CareDeadlines(deadlines.Watched[CarePlan]):
    """Missed care visits (see `care_schedule`, `_care_escalate`)."""

    name = "mobilise.care"
    model = CarePlan

    def due(self) -> QuerySet[CarePlan]:
        return CarePlan.objects.select_related("household__unit")

    def schedule(self, obj: CarePlan) -> list[Moment]:
        return care_schedule(obj)

    def start(self, obj: CarePlan) -> datetime:
        """The period's watch begins with its due day (every level's moment comes after it)."""
        return _day_start(obj.due_on)

    def handle(self, obj: CarePlan, moment: Moment, report: SweepReport) -> None:
        _care_escalate(obj, moment.level, report)


CARE_WATCH = CareDeadlines()  # registered with the engine in MobiliseConfig.ready()


def _rewatch(plan: CarePlan, *, restart: bool = False) -> None:
    """After `due_on` moved (`restart`: a new period, watched from its due day) or the plan ended."""
    deadlines.rewatch(CARE_WATCH, plan, restart=restart)


def care_escalate_missed(*, now: datetime | None = None, limit: int | None = None) -> SweepReport:
    """Climb the chain for every visit missed by more than the grace period (the engine's sweep of this kind):
    level k (the 包户 party member, then the party-group leader, the committee member, the street leader —
    skipping empty levels) is told once `k × grace` working days have passed after the due date, once per
    missed period (keyed by the due date), with one message per login and one event per level — also when
    several sweeps run at once. `report["levels"]` counts the levels told."""
    return deadlines.sweep(CARE_WATCH, now=now, limit=limit)


def _care_escalate(plan: CarePlan, k: int, report: SweepReport) -> None:
    """Tell level `k` about the missed visit: the escalation row, one message per login and one event. A
    household nobody answers for at any level is recorded once, so that the gap shows."""
    if plan.escalation_done or plan.escalation_level >= k:
        return
    key = ("care-levels", plan.household_id)
    if key not in report.memo:
        report.memo[key] = care_levels(plan.household, on=timezone.localdate())
    levels: list[Level] = report.memo[key]
    if not levels:
        plan.escalation_done = True
        CarePlan.objects.filter(pk=plan.pk).update(escalation_done=True)
        event_record(
            actor=None,
            verb="care.escalate",
            target=plan,
            before={"level": 0},
            after={"level": 0, "due_on": plan.due_on, "recipients": []},
            note="nobody answers for this household at any level",
        )
        report.tally("unanswered")
        return
    if k > len(levels):
        return
    level, last = levels[k - 1], k == len(levels)
    plan.escalation_level, plan.escalation_done = k, last
    CarePlan.objects.filter(pk=plan.pk).update(escalation_level=k, escalation_done=last)
    users = level.users()
    CareEscalation.objects.create(
        plan=plan,
        due_on=plan.due_on,
        level=k,
        role=level.role,
        unit=level.unit,
        holders=level.holders(),
        recipients=[u.pk for u in users],
        at=timezone.now(),
    )
    url = reverse("mobilise:care_household", args=[plan.household_id])
    household = _household_label(plan.household)
    with translation.override(settings.LANGUAGE_CODE):
        role = str(Responsibility.Role(level.role).label)
        if level.role == Responsibility.Role.PARTY_MEMBER:
            subject = _("Care visit missed: %(household)s, due %(due)s") % {
                "household": household,
                "due": plan.due_on.isoformat(),
            }
            body = _("Please visit as soon as you can and record the visit.")
        else:
            subject = _("Missed care visit passed to you: %(household)s, due %(due)s") % {
                "household": household,
                "due": plan.due_on.isoformat(),
            }
            body = _(
                "The visit due on %(due)s has not been made. You are told as %(role)s: make sure someone "
                "visits and records it."
            ) % {"due": plan.due_on.isoformat(), "role": role}
    for user in users:
        notification_send(
            recipient=user,
            kind="care.missed",
            subject=subject,
            body=body,
            url=url,
            dedupe_key=f"care:{plan.pk}:{plan.due_on.isoformat()}:level{k}:user{user.pk}",
        )
    event_record(
        actor=None,
        verb="care.escalate",
        target=plan,
        before={"level": k - 1},
        after={
            "level": k,
            "due_on": plan.due_on,
            "role": level.role,
            "unit": level.unit.pk if level.unit else None,
            "recipients": [u.pk for u in users],
        },
    )
    report.tally("levels")


@transaction.atomic
def care_reveal(*, actor: Login, plans: list[CarePlan]) -> dict[int, list[str]]:
    """Why these households are cared for, for a login allowed to see the grid's sensitive categories
    (`can_see_reason`); plans it may not see are left out. Recorded as one `care.reveal`; a refused reveal
    raises PermissionDenied and records nothing."""
    scope = reveal_scope(actor)
    allowed = [p for p in plans if scope is not None and scope.covers_path(household_path(p.household))]
    if not allowed:
        raise PermissionDenied
    event_record(
        actor=actor,
        verb="care.reveal",
        target=allowed[0] if len(allowed) == 1 else None,
        after={"plans": [p.pk for p in allowed]},
    )
    return care_reasons_for(allowed)

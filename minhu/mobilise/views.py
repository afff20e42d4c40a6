"""Call-out and care-visit pages. Rows are looked up through scoped selectors, so anything outside the user's
sight is a 404; every change is one service call; a refused change says why and changes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minhu.core.http import HtmxHttpRequest
from minhu.core.models import Notification
from minhu.core.services import notification_mark_read
from minhu.core.types import login_of
from minhu.grid.models import Household
from minhu.grid.selectors import households_visible_to
from minhu.mobilise import selectors
from minhu.mobilise.forms import (
    AnswerForm,
    CallOutForm,
    CarePlanForm,
    CloseForm,
    RecordAnswerForm,
    ReportForm,
    TargetFormSet,
    TaskForm,
    VisitForm,
)
from minhu.mobilise.models import CallOut, CallOutMember, CallOutTask, CarePlan
from minhu.mobilise.services import (
    TargetSpec,
    callout_answer,
    callout_close,
    callout_raise,
    callout_report,
    callout_task_assign,
    callout_task_done,
    care_plan_end,
    care_plan_set,
    care_reveal,
    care_visit_record,
)


def _say(request: HtmxHttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


# --- index ---------------------------------------------------------------------------------------------


@login_required
def index(request: HtmxHttpRequest) -> HttpResponse:
    """My call-outs (to answer, or in my scope) and my care visits due."""
    user = login_of(request.user)
    visible = selectors.callouts_visible_to(user)
    today = timezone.localdate()
    due = selectors.visits_due_for(user)
    for p in due:
        p.flag = selectors.flag_for(p, today)  # type: ignore[attr-defined]
    return render(
        request,
        "mobilise/index.html",
        {
            "open_callouts": list(visible.open().order_by("-raised_at")[:50]),
            "closed_callouts": list(visible.filter(state=CallOut.State.CLOSED).order_by("-closed_at")[:20]),
            "to_answer": set(
                CallOutMember.objects.filter(
                    user=user, answer=CallOutMember.Answer.INVITED, callout__state=CallOut.State.OPEN
                ).values_list("callout_id", flat=True)
            ),
            "may_raise": selectors.units_for_callouts(user).exists(),
            "due": due[:5],
            "n_due": len(due),
            "n_overdue": sum(1 for p in due if p.due_on < today),
        },
    )


# --- call-outs -----------------------------------------------------------------------------------------


@login_required
def callout_new(request: HtmxHttpRequest) -> HttpResponse:
    units = selectors.units_for_callouts(request.user)
    if not units.exists():
        raise Http404
    form = CallOutForm(request.POST or None, units=units)
    targets = TargetFormSet(request.POST or None, prefix="targets")
    if request.method == "POST" and form.is_valid() and targets.is_valid():
        specs = [
            TargetSpec(name=t["name"], unit_label=t["unit_label"], goal=t["goal"])
            for t in targets.cleaned_data
            if t
        ]
        try:
            callout = callout_raise(
                unit=form.cleaned_data["unit"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                head_count=form.cleaned_data["head_count"],
                targets=specs,
                actor=login_of(request.user),
            )
        except ValidationError as exc:
            for msg in exc.messages:
                form.add_error(None, msg)
        else:
            n = callout.members.count()
            messages.success(
                request,
                _("Call-out raised: %(n)d party members called on.") % {"n": n},
            )
            return redirect("mobilise:callout", pk=callout.pk)
    status = 400 if form.errors or (targets.is_bound and not targets.is_valid()) else 200
    return render(request, "mobilise/callout_new.html", {"form": form, "targets": targets}, status=status)


def _visible_callout(request: HtmxHttpRequest, pk: int) -> CallOut:
    return get_object_or_404(selectors.callouts_visible_to(request.user), pk=pk)


def _detail_context(request: HtmxHttpRequest, callout: CallOut, **forms: Any) -> dict[str, Any]:
    user = request.user
    me = selectors.membership(user, callout)
    manage = selectors.can_manage(user, callout)
    accepted = CallOutMember.objects.filter(
        callout=callout, answer=CallOutMember.Answer.ACCEPTED
    ).select_related("party_member__person")
    targets = list(callout.targets.order_by("position", "pk"))
    context: dict[str, Any] = {
        "callout": callout,
        "me": me,
        "manage": manage,
        "figures": selectors.callout_figures(callout),
        "roster": selectors.roster(callout),
        "targets": targets,
        "tasks": list(callout.tasks.select_related("assignee__party_member__person").order_by("done", "pk")),
        "reports": selectors.recent_reports(callout),
    }
    if callout.is_open:
        if manage or (me is not None and me.answer == CallOutMember.Answer.ACCEPTED):
            context["report_form"] = forms.get("report_form") or ReportForm(
                targets=targets, members=accepted if manage else None
            )
        if manage:
            context["task_form"] = forms.get("task_form") or TaskForm(members=accepted)
            context["record_form"] = RecordAnswerForm(
                members=CallOutMember.objects.filter(callout=callout).select_related("party_member__person")
            )
            context["close_form"] = CloseForm()
    return context


@login_required
def callout_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The call-out: answer it, the live roster and progress (htmx refreshes `#callout-live` every 10 s),
    tasks and reports, and the frozen summary once closed."""
    callout = _visible_callout(request, pk)
    if request.htmx and request.htmx.target == "callout-live":
        return render(
            request,
            "mobilise/_live.html",
            {
                "callout": callout,
                "figures": selectors.callout_figures(callout),
                "roster": selectors.roster(callout),
            },
        )
    # Opening the page is reading its messages.
    user = login_of(request.user)
    unread = Notification.objects.inbox(user).unread().filter(url=request.path)
    ids = list(unread.values_list("pk", flat=True))
    if ids:
        notification_mark_read(user=user, ids=ids)
    return render(request, "mobilise/callout.html", _detail_context(request, callout))


@login_required
@require_POST
def callout_answer_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A member's own answer, from the page their message links to."""
    callout = _visible_callout(request, pk)
    me = selectors.membership(request.user, callout)
    form = AnswerForm(request.POST)
    if me is None or not form.is_valid():
        raise Http404
    try:
        accept = form.cleaned_data["answer"] == "accept"
        callout_answer(member=me, accept=accept, actor=login_of(request.user))
        messages.success(
            request,
            _("Thank you: you are on the squad.") if accept else _("Noted: you cannot come this time."),
        )
    except ValidationError as exc:
        _say(request, exc)
    return redirect("mobilise:callout", pk=pk)


@login_required
@require_POST
def callout_record_answer(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The organiser records an answer taken on the phone."""
    callout = _visible_callout(request, pk)
    if not selectors.can_manage(request.user, callout):
        raise Http404
    form = RecordAnswerForm(request.POST, members=CallOutMember.objects.filter(callout=callout))
    if form.is_valid():
        try:
            callout_answer(
                member=form.cleaned_data["member"],
                accept=form.cleaned_data["answer"] == "accept",
                actor=login_of(request.user),
            )
            messages.success(request, _("Answer recorded."))
        except ValidationError as exc:
            _say(request, exc)
    else:
        messages.error(request, _("Choose a member and an answer."))
    return redirect("mobilise:callout", pk=pk)


@login_required
@require_POST
def callout_task(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    callout = _visible_callout(request, pk)
    if not selectors.can_manage(request.user, callout):
        raise Http404
    form = TaskForm(
        request.POST,
        members=CallOutMember.objects.filter(callout=callout, answer=CallOutMember.Answer.ACCEPTED),
    )
    if form.is_valid():
        try:
            callout_task_assign(
                callout=callout,
                member=form.cleaned_data["assignee"],
                text=form.cleaned_data["text"],
                actor=login_of(request.user),
            )
            messages.success(request, _("Task given."))
        except ValidationError as exc:
            _say(request, exc)
        return redirect("mobilise:callout", pk=pk)
    return render(
        request, "mobilise/callout.html", _detail_context(request, callout, task_form=form), status=400
    )


@login_required
@require_POST
def callout_task_done_view(request: HtmxHttpRequest, pk: int, task: int) -> HttpResponse:
    callout = _visible_callout(request, pk)
    item = get_object_or_404(
        CallOutTask.objects.select_related("callout", "assignee"), pk=task, callout=callout
    )
    try:
        callout_task_done(task=item, actor=login_of(request.user))
        messages.success(request, _("Task done."))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        _say(request, exc)
    return redirect("mobilise:callout", pk=pk)


@login_required
@require_POST
def callout_report_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Hours, amounts and a note: a member for themselves, the organiser for a member or the squad."""
    callout = _visible_callout(request, pk)
    manage = selectors.can_manage(request.user, callout)
    me = selectors.membership(request.user, callout)
    if not manage and (me is None or me.answer != CallOutMember.Answer.ACCEPTED):
        raise Http404
    targets = list(callout.targets.order_by("position", "pk"))
    accepted = CallOutMember.objects.filter(callout=callout, answer=CallOutMember.Answer.ACCEPTED)
    form = ReportForm(request.POST, targets=targets, members=accepted if manage else None)
    if form.is_valid():
        # an organiser chooses whose work it was (empty: the squad's); a member reports their own
        member = form.cleaned_data.get("member") if manage else me
        try:
            callout_report(
                callout=callout,
                actor=login_of(request.user),
                member=member,
                hours=form.cleaned_data["hours"] or 0,
                amounts=form.amounts(),
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            for msg in exc.messages:
                form.add_error(None, msg)
        else:
            messages.success(request, _("Progress reported. Thank you."))
            return redirect("mobilise:callout", pk=pk)
    return render(
        request, "mobilise/callout.html", _detail_context(request, callout, report_form=form), status=400
    )


@login_required
@require_POST
def callout_close_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    callout = _visible_callout(request, pk)
    if not selectors.can_manage(request.user, callout):
        raise Http404
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            callout_close(callout=callout, actor=login_of(request.user), note=form.cleaned_data["note"])
            messages.success(request, _("Call-out closed. The summary is below."))
        except ValidationError as exc:
            _say(request, exc)
    return redirect("mobilise:callout", pk=pk)


# --- care visits ---------------------------------------------------------------------------------------


def _care_lists(request: HtmxHttpRequest, reasons: dict[int, list[str]] | None = None) -> dict[str, Any]:
    user = request.user
    today = timezone.localdate()
    mine = selectors.visits_due_for(user)
    overview = selectors.care_overview(user) if selectors.units_for_callouts(user).exists() else []
    for p in [*mine, *overview]:
        p.flag = selectors.flag_for(p, today)  # type: ignore[attr-defined]
        p.reasons = (reasons or {}).get(p.pk, [])  # type: ignore[attr-defined]
    may_reveal = any(selectors.can_see_reason(user, p.household) for p in overview[:1])
    return {
        "mine": mine,
        "overview": overview,
        "reasons": reasons or {},
        "revealed": reasons is not None,
        "may_reveal": may_reveal,
        "today": today,
        "grace": selectors.grace_days(),
    }


@login_required
def care(request: HtmxHttpRequest) -> HttpResponse:
    """My visits due (the households I answer for), and for cadres the care households of their scope.
    The reason for care shows as "care household" unless revealed (recorded)."""
    return render(request, "mobilise/care.html", _care_lists(request))


@login_required
@require_POST
def care_reveal_view(request: HtmxHttpRequest) -> HttpResponse:
    """The overview with the reasons for care, for those who may see them; recorded as `care.reveal`."""
    plans = (
        selectors.care_overview(request.user) if selectors.units_for_callouts(request.user).exists() else []
    )
    try:
        reasons = care_reveal(actor=login_of(request.user), plans=plans)
    except PermissionDenied:
        raise Http404 from None
    response = render(request, "mobilise/care.html", _care_lists(request, reasons))
    response["Cache-Control"] = "no-store"
    return response


@login_required
def care_find(request: HtmxHttpRequest) -> HttpResponse:
    """Find a household of one's scope by unit code and door number (to put it on a care plan)."""
    code = request.GET.get("unit_code", "").strip().split(" ", 1)[0]
    door = request.GET.get("door", "").strip()
    household = (
        households_visible_to(request.user).filter(unit__code=code, number=door).first()
        if code and door
        else None
    )
    if household is None:
        messages.error(request, _("No household with this unit code and door number in your area."))
        return redirect("mobilise:care")
    return redirect("mobilise:care_household", pk=household.pk)


def _visible_household(request: HtmxHttpRequest, pk: int) -> Household:
    return get_object_or_404(households_visible_to(request.user), pk=pk)


def _household_context(
    request: HtmxHttpRequest, household: Household, *, reasons: list[str] | None = None, **forms: Any
) -> dict[str, Any]:
    user = request.user
    plan = CarePlan.objects.active().filter(household=household).first()
    manage = selectors.can_manage_care(user, household)
    visit = selectors.can_visit(user, household) and plan is not None
    today = timezone.localdate()
    if plan is not None:
        plan.flag = selectors.flag_for(plan, today)  # type: ignore[attr-defined]
    return {
        "household": household,
        "plan": plan,
        "visits": selectors.household_visits(household),
        "escalations": list(plan.escalations.filter(due_on=plan.due_on).order_by("level")) if plan else [],
        "reasons": reasons,
        "may_reveal": plan is not None and selectors.can_see_reason(user, household),
        "visit_form": (forms.get("visit_form") or VisitForm()) if visit else None,
        "plan_form": (
            forms.get("plan_form")
            or CarePlanForm(initial={"cadence_days": plan.cadence_days, "note": ""} if plan else None)
        )
        if manage
        else None,
        "today": today,
    }


@login_required
def care_household(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A household's care: the plan and when the next visit is due, the visit form (phone), the history."""
    household = _visible_household(request, pk)
    if not selectors.can_visit(request.user, household) and not selectors.can_manage_care(
        request.user, household
    ):
        raise Http404
    return render(request, "mobilise/care_household.html", _household_context(request, household))


@login_required
@require_POST
def care_household_reveal(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    household = _visible_household(request, pk)
    plan = CarePlan.objects.active().filter(household=household).select_related("household__unit").first()
    if plan is None:
        raise Http404
    try:
        reasons = care_reveal(actor=login_of(request.user), plans=[plan])
    except PermissionDenied:
        raise Http404 from None
    response = render(
        request,
        "mobilise/care_household.html",
        _household_context(request, household, reasons=reasons[plan.pk]),
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def care_visit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    household = _visible_household(request, pk)
    if not selectors.can_visit(request.user, household):
        raise Http404
    form = VisitForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            care_visit_record(
                household=household,
                actor=login_of(request.user),
                outcome=d["outcome"],
                visited_at=d["visited_at"],
                notes=d["notes"],
                needs=d["needs"],
                follow_up=d["follow_up"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, msgs in exc.message_dict.items():
                    for msg in msgs:
                        form.add_error(name if name in form.fields else None, msg)
            else:
                for msg in exc.messages:
                    form.add_error(None, msg)
        else:
            messages.success(request, _("Visit recorded."))
            return redirect("mobilise:care_household", pk=pk)
    return render(
        request,
        "mobilise/care_household.html",
        _household_context(request, household, visit_form=form),
        status=400,
    )


@login_required
@require_POST
def care_plan(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Put the household on a care plan, change its cadence, or (with `end`) take it off."""
    household = _visible_household(request, pk)
    if not selectors.can_manage_care(request.user, household):
        raise Http404
    if request.POST.get("end"):
        plan = get_object_or_404(CarePlan.objects.active(), household=household)
        try:
            care_plan_end(plan=plan, actor=login_of(request.user))
            messages.success(request, _("Care plan ended."))
        except ValidationError as exc:
            _say(request, exc)
        return redirect("mobilise:care_household", pk=pk)
    form = CarePlanForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                care_plan_set(
                    household=household,
                    cadence_days=form.cleaned_data["cadence_days"],
                    note=form.cleaned_data["note"],
                    actor=login_of(request.user),
                )
            messages.success(request, _("Care plan saved."))
            return redirect("mobilise:care_household", pk=pk)
        except ValidationError as exc:
            for msg in exc.messages:
                form.add_error(None, msg)
    return render(
        request,
        "mobilise/care_household.html",
        _household_context(request, household, plan_form=form),
        status=400,
    )

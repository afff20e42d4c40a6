"""Meeting pages. Rows are looked up through scoped selectors, so anything outside the user's sight is a 404;
every change is one service call; a refused change says why (on the field it is about) and changes
nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minhu.accounts.models import User
from minhu.core.http import HtmxHttpRequest
from minhu.core.types import login_of
from minhu.grid.selectors import logins_answering_under, users_with_scope_over
from minhu.meetings import selectors
from minhu.meetings.forms import (
    ActionFormSet,
    CloseForm,
    DecideForm,
    DoneForm,
    HoldForm,
    ItemForm,
    MeetingForm,
    VerifyForm,
)
from minhu.meetings.minutes import minutes_pdf, minutes_xlsx
from minhu.meetings.models import ActionItem, AgendaItem, Attendance, Meeting, MeetingType
from minhu.meetings.services import (
    ActionSpec,
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
)


def _errors_to_form(form: Any, exc: ValidationError, fields: dict[str, str | None] | None = None) -> None:
    """Each message of a service's refusal onto the field it names (or the form's top)."""
    if not hasattr(exc, "error_dict"):
        for msg in exc.messages:
            form.add_error(None, msg)
        return
    for name, msgs in exc.message_dict.items():
        field = (fields or {}).get(name, name)
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)


def _say(request: HtmxHttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _meeting(request: HtmxHttpRequest, pk: int) -> Meeting:
    meeting = selectors.meeting_detail(request.user, pk)
    if meeting is None:
        raise Http404
    return meeting


def _item(request: HtmxHttpRequest, pk: int) -> AgendaItem:
    item = (
        AgendaItem.objects.select_related("meeting__unit", "meeting__type")
        .filter(pk=pk, meeting__in=selectors.meetings_visible_to(request.user))
        .first()
    )
    if item is None:
        raise Http404
    return item


def _action(request: HtmxHttpRequest, pk: int) -> ActionItem:
    action = (
        ActionItem.objects.select_related("item__meeting__unit", "item__meeting__convener", "owner")
        .filter(pk=pk, item__meeting__in=selectors.meetings_visible_to(request.user))
        .first()
    )
    if action is None:
        raise Http404
    return action


def _owners(meeting: Meeting) -> QuerySet[User]:
    """Who a decision or an action may be given to: the logins whose scope covers the unit, those answering
    for anything under it (down to a household's party member), and the attendees'. Three queries."""
    ids = set(users_with_scope_over(meeting.unit).filter(is_superuser=False).values_list("pk", flat=True))
    ids |= set(logins_answering_under(meeting.unit).values_list("pk", flat=True))
    ids |= set(
        Attendance.objects.filter(meeting=meeting, user__isnull=False).values_list("user_id", flat=True)
    )
    return User.objects.filter(pk__in=sorted(ids), is_active=True).order_by("display_name", "username")


# --- lists ---------------------------------------------------------------------------------------------


@login_required
def index(request: HtmxHttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in Meeting.State.values:
        state = ""
    return render(
        request,
        "meetings/index.html",
        {
            "meetings": selectors.meeting_list(request.user, state=state),
            "state": state,
            "states": Meeting.State.choices,
            "may_create": selectors.units_for_meetings(request.user).exists(),
            "n_actions": len(selectors.actions_for(request.user)),
        },
    )


@login_required
def my_actions(request: HtmxHttpRequest) -> HttpResponse:
    actions = selectors.actions_for(request.user)
    return render(
        request,
        "meetings/actions.html",
        {"actions": actions, "to_verify": selectors.actions_to_verify(request.user)},
    )


# --- a meeting -------------------------------------------------------------------------------------------


@login_required
def meeting_new(request: HtmxHttpRequest) -> HttpResponse:
    units = selectors.units_for_meetings(request.user)
    if not units.exists():
        raise Http404
    type_pk = request.POST.get("type") or request.GET.get("type")
    meeting_type = (
        MeetingType.objects.filter(pk=type_pk).first() if type_pk and type_pk.isdigit() else None
    ) or meeting_type_default()
    wanted = request.GET.get("unit", "")
    initial = {"unit": int(wanted)} if wanted.isdigit() and units.filter(pk=int(wanted)).exists() else {}
    form = MeetingForm(request.POST or None, units=units, meeting_type=meeting_type, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            meeting = meeting_create(
                actor=login_of(request.user),
                unit=d["unit"],
                type=form.meeting_type,
                title=d["title"],
                place=d["place"],
                starts_at=d["starts_at"],
                attendees=form.attendees(),
                idempotency_key=f"web:{d['idempotency_key']}",
            )
        except ValidationError as exc:
            _errors_to_form(form, exc, {"attendees": form.party_fields[0] if form.party_fields else None})
        except PermissionDenied:
            form.add_error("unit", _("You do not run meetings of this unit."))
        else:
            messages.success(request, _("Meeting planned."))
            return redirect("meetings:detail", pk=meeting.pk)
    return render(
        request,
        "meetings/new.html",
        {"form": form, "types": MeetingType.objects.all()},
        status=400 if form.errors else 200,
    )


@login_required
def detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    manager = selectors.may_manage(request.user, meeting.unit)
    return render(
        request,
        "meetings/detail.html",
        {
            "meeting": meeting,
            "items": list(meeting.items.all()),
            "attendance": list(meeting.attendance.all()),
            "may_manage": manager,
            "item_form": ItemForm() if manager and meeting.state != Meeting.State.CLOSED else None,
            "hold_form": HoldForm() if manager and meeting.state == Meeting.State.PLANNED else None,
            "user_pk": request.user.pk,
        },
    )


@login_required
@require_POST
def item_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    form = ItemForm(request.POST)
    if form.is_valid():
        try:
            agenda_item_add(
                meeting=meeting,
                actor=login_of(request.user),
                title=form.cleaned_data["title"],
                idempotency_key=f"web:{form.cleaned_data['idempotency_key']}",
            )
            messages.success(request, _("Matter added to the agenda."))
        except ValidationError as exc:
            _say(request, exc)
    else:
        for field, errs in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            text = " ".join(str(e) for e in errs)
            messages.error(request, f"{label}: {text}" if label else text)
    return redirect("meetings:detail", pk=pk)


@login_required
@require_POST
def sign_in(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    attendance = (
        Attendance.objects.select_related("meeting__unit")
        .filter(pk=pk, meeting__in=selectors.meetings_visible_to(request.user))
        .first()
    )
    if attendance is None:
        raise Http404
    error = ""
    try:
        attendance = attendance_sign_in(attendance=attendance, actor=login_of(request.user))
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        return render(
            request,
            "meetings/_attendee.html",
            {"a": attendance, "meeting": attendance.meeting, "may_manage": True, "error": error},
        )
    if error:
        messages.error(request, error)
    return redirect("meetings:detail", pk=attendance.meeting_id)


@login_required
@require_POST
def hold(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    form = HoldForm(request.POST)
    if form.is_valid():
        try:
            meeting_hold(meeting=meeting, actor=login_of(request.user), minutes=form.cleaned_data["minutes"])
            messages.success(request, _("Marked as held: the matters can now be decided."))
        except ValidationError as exc:
            _say(request, exc)
    return redirect("meetings:detail", pk=pk)


@login_required
@require_POST
def close(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    try:
        meeting_close(meeting=meeting, actor=login_of(request.user))
        messages.success(request, _("Meeting closed."))
    except ValidationError as exc:
        _say(request, exc)
    return redirect("meetings:detail", pk=pk)


# --- an item ---------------------------------------------------------------------------------------------


@login_required
def decide(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    meeting = item.meeting
    if not selectors.may_manage(request.user, meeting.unit):
        raise PermissionDenied
    if item.state != AgendaItem.State.OPEN:
        messages.info(request, _("This matter has already been decided."))
        return redirect("meetings:detail", pk=meeting.pk)
    owners = _owners(meeting)
    data = request.POST or None
    form = DecideForm(data, parties=list(meeting.type.parties), owners=owners)
    actions = ActionFormSet(data, prefix="actions", form_kwargs={"owners": owners})
    actions_errors: list[str] = []
    if request.method == "POST" and form.is_valid() and actions.is_valid():
        d = form.cleaned_data
        specs = [
            ActionSpec(title=a["title"], owner=a.get("owner"), due=a.get("due"))
            for a in actions.cleaned_data
            if a and a.get("title")
        ]
        try:
            agenda_item_decide(
                item=item,
                actor=login_of(request.user),
                notes=d["notes"],
                solution=d["solution"],
                owner_role=d["owner_role"],
                owner=d["owner"],
                deadline=d["deadline"],
                budget=d["budget"],
                actions=specs,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "actions" in exc.message_dict:
                actions_errors = exc.message_dict["actions"]
                exc = ValidationError({k: v for k, v in exc.message_dict.items() if k != "actions"})
            if not hasattr(exc, "error_dict") or exc.message_dict:
                _errors_to_form(form, exc)
        else:
            messages.success(request, _("Decision recorded; the action owners have been told."))
            return redirect("meetings:detail", pk=meeting.pk)
    failed = request.method == "POST"
    return render(
        request,
        "meetings/decide.html",
        {
            "item": item,
            "meeting": meeting,
            "form": form,
            "actions": actions,
            "actions_errors": actions_errors,
        },
        status=400 if failed else 200,
    )


@login_required
@require_POST
def item_close(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    form = CloseForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        agenda_item_close(item=item, actor=login_of(request.user), note=note)
        messages.success(request, _("Closed out."))
    except ValidationError as exc:
        _say(request, exc)
    return redirect("meetings:detail", pk=item.meeting_id)


# --- an action ---------------------------------------------------------------------------------------------


def _back(request: HtmxHttpRequest, action: ActionItem) -> HttpResponse:
    if request.POST.get("from") == "actions":
        return redirect("meetings:actions")
    return redirect("meetings:detail", pk=action.item.meeting_id)


@login_required
@require_POST
def action_done_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    action = _action(request, pk)
    form = DoneForm(request.POST)
    result = form.cleaned_data["result"] if form.is_valid() else ""
    try:
        action_done(action=action, actor=login_of(request.user), result=result)
        messages.success(request, _("Reported done; it will be verified."))
    except ValidationError as exc:
        _say(request, exc)
    return _back(request, action)


@login_required
@require_POST
def action_verify_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    action = _action(request, pk)
    form = VerifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Verdict: choose accept or refuse."))
        return _back(request, action)
    accept = form.cleaned_data["verdict"] == "accept"
    try:
        action_verify(
            action=action, actor=login_of(request.user), accept=accept, note=form.cleaned_data["note"]
        )
        messages.success(request, _("Verified.") if accept else _("Refused: the action is open again."))
    except ValidationError as exc:
        _say(request, exc)
    return _back(request, action)


# --- minutes ---------------------------------------------------------------------------------------------


@login_required
def minutes_pdf_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    response = HttpResponse(minutes_pdf(meeting), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="minutes-{meeting.pk}.pdf"'
    return response


@login_required
def minutes_xlsx_view(request: HtmxHttpRequest, pk: int) -> FileResponse:
    return minutes_xlsx(_meeting(request, pk))

"""Appeal pages: the resident's form and tracking page (no login), the staff workbench and detail."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minhu.accounts.roles import Role
from minhu.appeals.actions import appeal_act, candidates
from minhu.appeals.forms import (
    AppealForm,
    DispatchForm,
    RateForm,
    ReasonForm,
    RecordForm,
    ResolveForm,
    TrackForm,
    TransferForm,
)
from minhu.appeals.models import NOT_ANSWERABLE_ON_SPOT, Appeal, Attachment, State
from minhu.appeals.panels import detail_panels, intake_hints
from minhu.appeals.selectors import (
    appeal_timeline,
    appeals_visible_to,
    flag,
    normalise_code,
    workbench_for,
)
from minhu.appeals.services import (
    Conflict,
    IntakeData,
    NotAllowed,
    appeal_answer_on_spot,
    appeal_caller_reveal,
    appeal_rate,
    appeal_submit,
    may_dispatch,
    may_rate,
    may_reveal_caller,
)
from minhu.core.http import HtmxHttpRequest
from minhu.core.types import login_of
from minhu.grid.models import Household
from minhu.grid.selectors import units_visible_to

# Where an intake error is shown on the form.
_FIELD_FOR = {"location": "address", "household": "address", "channel": None, "idempotency_key": None}


def _errors_to_form(form: Any, exc: ValidationError) -> None:
    for name, msgs in exc.message_dict.items():
        field = _FIELD_FOR.get(name, name)
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)


def submit(request: HtmxHttpRequest) -> HttpResponse:
    form = AppealForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = IntakeData(
            kind=d["kind"],
            channel="web",
            category=d["category"],
            description=d["description"],
            address=d["address"],
            lat=d["lat"],
            long=d["long"],
            caller_name=d["caller_name"],
            caller_phone=d["caller_phone"],
            anonymous=d["anonymous"],
            caller=request.user,
            photos=d["photos"],
            idempotency_key=f"web:{d['idempotency_key']}",
        )
        try:
            result = appeal_submit(data=data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            return redirect(reverse("appeals:track", args=[result.appeal.tracking_code]) + "?new=1")
    return render(request, "appeals/submit.html", {"form": form}, status=400 if form.errors else 200)


def track_lookup(request: HtmxHttpRequest) -> HttpResponse:
    form = TrackForm(request.GET or None)
    if form.is_valid():
        code = normalise_code(form.cleaned_data["code"])
        if Appeal.objects.filter(tracking_code=code).exists():
            return redirect("appeals:track", code=code)
        form.add_error("code", _("No appeal has this tracking code. Check it and try again."))
    return render(request, "appeals/track_lookup.html", {"form": form})


def track(request: HtmxHttpRequest, code: str) -> HttpResponse:
    if normalise_code(code) != code:
        return redirect("appeals:track", code=normalise_code(code))  # `abcd-efgh-ijkl` as read out
    appeal = get_object_or_404(Appeal.objects.select_related("category", "repeat_of"), tracking_code=code)
    url = request.build_absolute_uri(reverse("appeals:track", args=[code]))
    context = {
        "appeal": appeal,
        "timeline": appeal_timeline(appeal, public=True),
        "qr_svg": segno.make(url, error="m").svg_inline(scale=4, title=_("QR code of this page")),
        "track_url": url,
        "rate_form": RateForm() if appeal.state == State.RESOLVED else None,
        # the phone's last four digits are asked for unless the caller's own login rates (`may_rate`)
        "needs_tail": bool(appeal.caller_phone)
        and not (request.user.is_authenticated and may_rate(appeal, request.user, None)),
        "is_new": request.GET.get("new") == "1",
    }
    return render(request, "appeals/track.html", context)


@require_POST
def rate(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """The caller's rating; who may rate is the service's rule (`may_rate`: the caller's login, or the last
    four digits of the phone given)."""
    appeal = get_object_or_404(Appeal, tracking_code=code)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            appeal_rate(
                appeal=appeal,
                resolved_ok=form.cleaned_data["resolved_ok"],
                satisfaction=form.cleaned_data["satisfaction"],
                comment=form.cleaned_data["comment"],
                actor=request.user if request.user.is_authenticated else None,
                phone_tail=form.cleaned_data["phone_tail"],
            )
            messages.success(request, _("Thank you. Your rating has been recorded."))
        except (ValidationError, Conflict) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.error(request, _("Answer both questions to rate."))
    return redirect("appeals:track", code=code)


@login_required
def workbench(request: HtmxHttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    return render(request, "appeals/workbench.html", {"bench": workbench_for(request.user, q=q), "q": q})


def _visible(request: HtmxHttpRequest, pk: int) -> Appeal:
    appeal = appeals_visible_to(request.user).select_related("household", "unit").filter(pk=pk).first()
    if appeal is None:
        raise Http404
    return appeal


@login_required
def detail(request: HtmxHttpRequest, pk: int, *, caller_phone: str = "") -> HttpResponse:
    """The staff page of an appeal; `caller_phone` is the full phone just revealed (`caller_reveal`)."""
    appeal = _visible(request, pk)
    is_handler = appeal.handler_id == request.user.pk
    dispatcher = may_dispatch(request.user)
    choices = candidates(appeal, request.user) if (dispatcher or is_handler) and appeal.is_open else []
    initial = {"version": appeal.version}
    return render(
        request,
        "appeals/detail.html",
        {
            "appeal": appeal,
            "timeline": appeal_timeline(appeal, public=False),
            "resolve_form": ResolveForm(),
            "reason_form": ReasonForm(),
            "dispatch_form": DispatchForm(candidates=choices, initial=initial) if dispatcher else None,
            "transfer_form": TransferForm(candidates=choices, initial=initial) if choices else None,
            "is_handler": is_handler,
            "may_dispatch": dispatcher,
            "photos": list(appeal.attachments.all()),
            "panels": detail_panels(request, appeal),
            "may_reveal": may_reveal_caller(appeal, request.user, in_scope=True, dispatcher=dispatcher),
            "caller_phone": caller_phone,
        },
    )


@login_required
@require_POST
def caller_reveal(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Show the caller's full phone as a `tel:` link to someone who may reach them (recorded by the
    service). htmx swaps the caller's line alone; without htmx the whole page comes back with it. Neither
    is cached, and a reload shows the mask again."""
    appeal = _visible(request, pk)
    try:
        phone = appeal_caller_reveal(appeal=appeal, actor=login_of(request.user))
    except PermissionDenied as exc:
        raise Http404 from exc
    if request.htmx:
        response = render(
            request, "appeals/_caller.html", {"appeal": appeal, "caller_phone": phone, "may_reveal": True}
        )
    else:
        response = detail(request, pk, caller_phone=phone)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def act(request: HtmxHttpRequest, pk: int, action: str) -> HttpResponse:
    """One-tap actions. A refused or raced action changes nothing and says why."""
    appeal = _visible(request, pk)
    user = login_of(request.user)
    status = 200
    try:
        appeal_act(appeal=appeal, actor=user, action=action, data=request.POST.dict())
        messages.success(request, _("Done."))
    except NotAllowed as exc:
        raise Http404 from exc
    except Conflict as exc:
        messages.error(request, str(exc))
        status = 409
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        status = 400
    if request.htmx and request.POST.get("from") == "queue":
        # one tap on the workbench: answer with the queue item alone (the message inside it)
        item = appeals_visible_to(user).filter(pk=pk).first()
        if item is None:
            return HttpResponse("")
        item.flag = flag(item, timezone.now())  # type: ignore[attr-defined]
        stored = list(messages.get_messages(request))
        response = render(
            request,
            "appeals/_queue_item.html",
            {
                "a": item,
                "queue_message": stored[-1].message if stored else "",
                "queue_outcome": "error" if status != 200 else "success",
            },
        )
        response["X-Minhu-Outcome"] = str(status)
        return response
    if request.htmx:
        # htmx swaps only 2xx answers: the refusal is in the page's message, the status in a header.
        response = detail(request, pk)
        response["X-Minhu-Outcome"] = str(status)
        return response
    if status == 200 and not appeals_visible_to(user).filter(pk=pk).exists():
        return redirect("appeals:workbench")  # transferred or returned out of the actor's sight
    return redirect("appeals:detail", pk=pk)


# --- staff recording an appeal from the hotline, the suggestion box, WeChat, or on foot ----------------


@login_required
def record(request: HtmxHttpRequest) -> HttpResponse:
    user = login_of(request.user)
    if not (may_dispatch(user) or user.roles() & {Role.GRID_MEMBER}):
        raise Http404
    form = RecordForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        unit, household = None, None
        code = d["unit_code"].strip()
        if code:
            unit = units_visible_to(request.user).filter(code=code.split(" ", 1)[0]).first()
            if unit is None:
                form.add_error("unit_code", _("No unit with this code in your area."))
        if unit is not None and d["door"].strip():
            household = Household.objects.filter(unit=unit, number=d["door"].strip()).first()
            if household is None:
                form.add_error("door", _("No household with this door number in that unit."))
        elif d["door"].strip():
            form.add_error("unit_code", _("Give the unit of this door number."))
        if d["answered"].strip() and not Appeal.kind_answerable_on_spot(d["kind"]):
            form.add_error("answered", NOT_ANSWERABLE_ON_SPOT)
        if not form.errors:
            data = IntakeData(
                kind=d["kind"],
                channel=d["channel"],
                category=d["category"],
                description=d["description"],
                unit=unit if household is None else None,
                household=household,
                address=d["address"],
                lat=d["lat"],
                long=d["long"],
                caller_name=d["caller_name"],
                caller_phone=d["caller_phone"],
                anonymous=d["anonymous"],
                photos=d["photos"],
                idempotency_key=f"staff:{d['idempotency_key']}",
            )
            try:
                with transaction.atomic():
                    result = appeal_submit(data=data, actor=user)
                    if d["answered"].strip() and result.created and result.repeat_of is None:
                        appeal_answer_on_spot(appeal=result.appeal, answer=d["answered"], actor=user)
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                if result.repeat_of is not None:
                    messages.info(
                        request,
                        _(
                            "Linked to %(code)s, already being handled (%(state)s): "
                            "tell the caller its progress."
                        )
                        % {
                            "code": result.repeat_of.tracking_code,
                            "state": result.repeat_of.get_state_display(),
                        },
                    )
                else:
                    messages.success(
                        request,
                        _("Recorded. Tracking code for the caller: %(code)s")
                        % {"code": result.appeal.tracking_code},
                    )
                return redirect("appeals:detail", pk=result.appeal.pk)
    return render(request, "appeals/record.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def record_hints(request: HtmxHttpRequest) -> HttpResponse:
    """What other apps say about the matter being recorded (e.g. similar open appeals and problems of its
    community), for the record form while staff type; nothing for those who may not record."""
    user = login_of(request.user)
    if not (may_dispatch(user) or user.roles() & {Role.GRID_MEMBER}):
        raise Http404
    text = request.GET.get("description", "").strip()[:4000]
    code = request.GET.get("unit_code", "").strip().split(" ", 1)[0]
    unit = units_visible_to(user).filter(code=code).first() if code else None
    hints = intake_hints(request, text, unit) if text else []
    return HttpResponse("".join(hints))


@login_required
def unit_options(request: HtmxHttpRequest) -> HttpResponse:
    """Up to 20 units in the user's scope whose name or code matches the typed text (the record form's
    list)."""
    q = request.GET.get("unit_code", "").strip()
    units = (
        units_visible_to(request.user).filter(Q(name__contains=q) | Q(code__startswith=q))[:20] if q else []
    )
    return render(request, "appeals/_unit_options.html", {"units": units})


@login_required
def photo(request: HtmxHttpRequest, pk: int, attachment: int) -> FileResponse:
    """A photo of an appeal, to those who may see the appeal (photos are never public: they show homes)."""
    appeal = _visible(request, pk)
    item = get_object_or_404(Attachment, pk=attachment, appeal=appeal)
    response = FileResponse(item.image.open("rb"))
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response

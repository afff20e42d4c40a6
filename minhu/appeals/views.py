"""Appeal pages: the resident's form and tracking page (no login), the staff workbench and detail."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minhu.appeals.forms import AppealForm, RateForm, ReasonForm, ResolveForm, TrackForm
from minhu.appeals.intake import IntakeData, appeal_submit
from minhu.appeals.models import Appeal, State
from minhu.appeals.selectors import appeal_timeline, appeals_visible_to, workbench_for
from minhu.appeals.services import (
    Conflict,
    appeal_rate,
    appeal_resolve,
    appeal_respond,
    appeal_return,
    appeal_start,
)
from minhu.core.http import HtmxHttpRequest

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
        code = form.cleaned_data["code"].strip().upper()
        if Appeal.objects.filter(tracking_code=code).exists():
            return redirect("appeals:track", code=code)
        form.add_error("code", _("No appeal has this tracking code. Check it and try again."))
    return render(request, "appeals/track_lookup.html", {"form": form})


def track(request: HtmxHttpRequest, code: str) -> HttpResponse:
    appeal = get_object_or_404(Appeal.objects.select_related("category", "repeat_of"), tracking_code=code)
    url = request.build_absolute_uri(reverse("appeals:track", args=[code]))
    context = {
        "appeal": appeal,
        "timeline": appeal_timeline(appeal, public=True),
        "qr_svg": segno.make(url, error="m").svg_inline(scale=4, title=_("QR code of this page")),
        "track_url": url,
        "rate_form": RateForm() if appeal.state == State.RESOLVED else None,
        "is_new": request.GET.get("new") == "1",
    }
    return render(request, "appeals/track.html", context)


@require_POST
def rate(request: HtmxHttpRequest, code: str) -> HttpResponse:
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
            )
            messages.success(request, _("Thank you. Your rating has been recorded."))
        except (ValidationError, Conflict) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.error(request, _("Answer both questions to rate."))
    return redirect("appeals:track", code=code)


@login_required
def workbench(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "appeals/workbench.html", {"bench": workbench_for(request.user)})


def _visible(request: HtmxHttpRequest, pk: int) -> Appeal:
    appeal = appeals_visible_to(request.user).filter(pk=pk).first()
    if appeal is None:
        raise Http404
    return appeal


@login_required
def detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    appeal = _visible(request, pk)
    return render(
        request,
        "appeals/detail.html",
        {
            "appeal": appeal,
            "timeline": appeal_timeline(appeal, public=False),
            "resolve_form": ResolveForm(),
            "reason_form": ReasonForm(),
            "is_handler": appeal.handler_id == request.user.pk,
        },
    )


@login_required
@require_POST
def act(request: HtmxHttpRequest, pk: int, action: str) -> HttpResponse:
    """One-tap actions of the handler. A refused or raced action changes nothing and says why."""
    appeal = _visible(request, pk)
    if appeal.handler_id != request.user.pk:
        raise Http404
    try:
        if action == "respond":
            appeal_respond(appeal=appeal, actor=request.user)
        elif action == "start":
            appeal_start(appeal=appeal, actor=request.user)
        elif action == "resolve":
            appeal_resolve(appeal=appeal, result=request.POST.get("result", ""), actor=request.user)
        elif action == "return":
            appeal_return(appeal=appeal, reason=request.POST.get("reason", ""), actor=request.user)
        else:
            raise Http404
        messages.success(request, _("Done."))
        status = 200
    except Conflict as exc:
        messages.error(request, str(exc))
        status = 409
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        status = 400
    if request.htmx:
        # htmx swaps only 2xx answers: the refusal is in the page's message, the status in a header.
        response = detail(request, pk)
        response["X-Minhu-Outcome"] = str(status)
        return response
    return redirect("appeals:detail", pk=pk)

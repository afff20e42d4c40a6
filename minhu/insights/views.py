"""The problem-of-the-month candidates page (staff, scoped), its .xlsx export and the adopt action."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minhu.appeals.stats import Period, previous_month
from minhu.core.http import HtmxHttpRequest
from minhu.core.tabular import xlsx_response
from minhu.core.types import Viewer, login_of
from minhu.grid.selectors import REVEAL_ROLES, scope_for
from minhu.insights.forms import CandidatesForm
from minhu.insights.selectors import (
    EXPORT_LIMIT,
    Analysis,
    analyse,
    candidate_appeals,
    candidate_for,
    default_level,
)
from minhu.insights.services import AdoptionUnavailable, candidate_adopt, problems_installed


def _may_view(user: Viewer) -> bool:
    scope = scope_for(user)
    return scope.everything or bool(scope.paths)


def may_adopt(user: Viewer) -> bool:
    """Cadres of village level and above (and administrators) put a candidate on the problem list."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(user.roles() & {r.value for r in REVEAL_ROLES})


def _form(request: HtmxHttpRequest, data: Any) -> CandidatesForm:
    data = data.copy()
    if not data.get("month"):
        data["month"] = f"{previous_month().start:%Y-%m}"
    if not data.get("level"):
        data["level"] = default_level(request.user)
    if not data.get("order"):
        data["order"] = "score"
    return CandidatesForm(request.user, data)


@login_required
def candidates(request: HtmxHttpRequest) -> HttpResponseBase:
    if not _may_view(request.user):
        raise PermissionDenied
    form = _form(request, request.GET)
    if not form.is_valid():
        return render(request, "insights/candidates.html", {"form": form, "a": None}, status=400)
    d = form.cleaned_data
    xlsx = request.GET.get("format") == "xlsx"
    a = analyse(
        request.user,
        month=d["month"],
        level=d["level"],
        within=d["unit"],
        category=d["category"],
        order=d["order"],
        limit=EXPORT_LIMIT if xlsx else 20,
    )
    if xlsx:
        return _xlsx(a)
    query = urlencode(
        {
            "month": f"{a.month.start:%Y-%m}",
            "level": a.level,
            "unit": a.within.pk if a.within else "",
            "category": a.category.pk if a.category else "",
            "order": d["order"],
        }
    )
    return render(
        request,
        "insights/candidates.html",
        {
            "form": form,
            "a": a,
            "query": query,
            "can_adopt": problems_installed() and may_adopt(request.user),
        },
    )


def _xlsx(a: Analysis) -> HttpResponseBase:
    yes, no = _("yes"), _("no")
    header = [
        _("Rank"),
        _("Area"),
        _("Category"),
        _("Score"),
        _("Appeals"),
        _("Households"),
        _("Per 1,000 households"),
        _("Previous month"),
        _("Same month last year"),
        _("Hot spot"),
        _("Rising (previous month)"),
        _("Rising (last year)"),
        _("Seasonal years"),
        _("Repeat callers"),
        _("Sample appeals"),
        _("Adopted"),
    ]
    rows = [
        [
            i,
            c.area,
            f"{c.category.code} {c.category.name}",
            c.score,
            c.count,
            c.households,
            c.per_thousand,
            c.previous,
            c.last_year,
            yes if c.hot else no,
            yes if c.rising_previous else no,
            yes if c.rising_year else no,
            c.seasonal_years,
            "; ".join(f"{r.label} ×{r.calls}" for r in c.repeat_callers),
            "; ".join(s.tracking_code for s in c.samples),
            yes if c.adoption else no,
        ]
        for i, c in enumerate(a.candidates, start=1)
    ]
    return xlsx_response(f"insights-{a.level}-{a.month.start:%Y-%m}.xlsx", header, rows)


@login_required
@require_POST
def adopt(request: HtmxHttpRequest) -> HttpResponseBase:
    """Make one candidate a problem (once; a retry shows the same problem)."""
    if not (_may_view(request.user) and may_adopt(request.user)):
        raise PermissionDenied
    form = _form(request, request.POST)
    if not form.is_valid() or form.cleaned_data["unit"] is None or form.cleaned_data["category"] is None:
        return HttpResponseBadRequest(_("Choose a candidate: month, level, place and category."))
    d = form.cleaned_data
    month: Period = d["month"]
    cand = candidate_for(request.user, month=month, level=d["level"], unit=d["unit"], category=d["category"])
    if cand is None:
        return HttpResponseBadRequest(_("This is not a candidate for that month."))
    description = _(
        "%(count)s appeals in %(month)s (previous month %(previous)s, same month last year %(last_year)s) "
        "in %(area)s."
    ) % {
        "count": cand.count,
        "month": f"{month.start:%Y-%m}",
        "previous": cand.previous,
        "last_year": cand.last_year,
        "area": cand.area,
    }
    try:
        adoption = candidate_adopt(
            actor=login_of(request.user),
            month=month.start,
            unit=cand.place,
            category=cand.category,
            title=f"{month.start:%Y-%m} {cand.title}",
            description=description,
            appeals=candidate_appeals(cand, month, d["level"]),
            score=cand.score,
            evidence=cand.evidence(month.start),
        )
    except AdoptionUnavailable as e:
        return HttpResponseBadRequest(str(e))
    messages.success(request, _("Adopted as problem #%(id)s.") % {"id": adoption.problem_id})
    query = urlencode({"month": f"{month.start:%Y-%m}", "level": d["level"], "order": d["order"] or "score"})
    return redirect(f"{request.path.rsplit('adopt/', 1)[0]}?{query}")

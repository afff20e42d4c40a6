"""Staff pages over many appeals: unit statistics with charts, the monthly ranking, the filtered list; each
also as .xlsx (`?format=xlsx`). Login required; every figure and row comes through the scope rule
(`appeals_visible_to`, `units_visible_to`), and a unit outside the user's scope is an invalid filter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals import charts
from minhu.appeals.forms_stats import ListForm, RankingForm, StatsForm
from minhu.appeals.selectors import AppealFilter, appeal_list, flag
from minhu.appeals.services import appeals_export_callers
from minhu.appeals.stats import (
    Period,
    Ranking,
    UnitStats,
    ancestors_in_scope,
    can_export_callers,
    default_level,
    default_unit,
    list_header,
    list_rows,
    previous_month,
    ranking,
    rates_cells,
    rates_header,
    unit_stats,
)
from minhu.core.http import HtmxHttpRequest
from minhu.core.tabular import xlsx_response
from minhu.core.types import login_of

PAGE_SIZE = 50


def _wants_xlsx(request: HtmxHttpRequest) -> bool:
    return request.GET.get("format") == "xlsx"


def _query(params: dict[str, Any]) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "", False)})


# --- statistics ------------------------------------------------------------------------------------


@login_required
def stats(request: HtmxHttpRequest) -> HttpResponseBase:
    today = timezone.localdate()
    # The defaults are written into the form's data, so that the form shows what the page shows: this
    # month, and the top of the user's scope (`unit=` empty chooses everything the user sees).
    data = request.GET.copy()
    if not any(data.get(k) for k in ("period", "from", "to")):
        data["period"] = f"{today:%Y-%m}"
    if "unit" not in data:
        root = default_unit(request.user)
        data["unit"] = str(root.pk) if root else ""
    form = StatsForm(request.user, data)
    if not form.is_valid():
        return render(request, "appeals/stats.html", {"form": form, "s": None}, status=400)
    unit = form.cleaned_data["unit"]
    period = form.chosen_period(today)
    category = form.cleaned_data["category"]
    s = unit_stats(request.user, unit=unit, period=period, category=category)
    if _wants_xlsx(request):
        return _stats_xlsx(s, request.GET.get("table", ""))
    here = {"unit": unit.pk if unit else "", "category": category.pk if category else ""}
    list_params = {**here, "from": period.start.isoformat(), "to": period.end.isoformat()}
    trend_labels = [r.label for r in s.trend]
    context = {
        "form": form,
        "s": s,
        "crumbs": ancestors_in_scope(request.user, unit) if unit else [],
        "query": _query({**here, **period.params()}),
        "list_query": _query(list_params),
        "branch_query": _query({"category": here["category"], **period.params()}),
        "count_blocks": [
            (name, title, tallies, charts.hbar_chart([(t.label, t.count) for t in tallies]))
            for name, title, tallies in (
                ("state", _("By state"), s.by_state),
                ("kind", _("By kind"), s.by_kind),
                ("channel", _("By channel"), s.by_channel),
            )
        ],
        "category_chart": charts.hbar_chart([(r.label, r.rates.appeals) for r in s.by_category[:10]]),
        "count_chart": charts.column_chart([(r.label, r.rates.appeals) for r in s.trend]),
        "rate_chart": charts.line_chart(
            trend_labels,
            [
                ("response", _("Response rate"), [r.rates.response_rate for r in s.trend]),
                ("resolution", _("Resolution rate"), [r.rates.resolution_rate for r in s.trend]),
                ("satisfaction", _("Satisfaction rate"), [r.rates.satisfaction_rate for r in s.trend]),
                ("composite", _("Composite"), [r.rates.composite for r in s.trend]),
            ],
        ),
    }
    return render(request, "appeals/stats.html", context)


def _stats_xlsx(s: UnitStats, table: str) -> HttpResponseBase:
    """One table of the statistics page: the units under it (default), the categories, or the trend."""
    name = s.unit.code if s.unit else "all"
    if table == "categories":
        header = rates_header(_("Category"))
        rows = [[r.label, *rates_cells(r.rates)] for r in s.by_category]
    elif table == "trend":
        header = [_("Month"), *rates_header("")[1:-1]]
        rows = [[r.label, *rates_cells(r.rates)[:-1]] for r in s.trend]
    else:
        table = "units"
        header = rates_header(_("Unit"))
        rows = [[r.label, *rates_cells(r.rates)] for r in s.by_branch]
    return xlsx_response(f"appeal-stats-{name}-{s.period.start:%Y%m%d}-{table}.xlsx", header, rows)


# --- ranking ---------------------------------------------------------------------------------------


@login_required
def ranking_page(request: HtmxHttpRequest) -> HttpResponseBase:
    data = request.GET.copy()  # defaults in the form's data, so the form shows what the page shows
    if not data.get("month"):
        data["month"] = f"{previous_month().start:%Y-%m}"
    if not data.get("level"):
        data["level"] = default_level(request.user)
    form = RankingForm(request.user, data)
    if not form.is_valid():
        return render(request, "appeals/ranking.html", {"form": form, "r": None}, status=400)
    month: Period = form.cleaned_data["month"]
    level = form.cleaned_data["level"]
    r = ranking(request.user, level=level, month=month, within=form.cleaned_data["unit"])
    if _wants_xlsx(request):
        return _ranking_xlsx(r)
    return render(
        request,
        "appeals/ranking.html",
        {
            "form": form,
            "r": r,
            "query": _query(
                {"month": f"{month.start:%Y-%m}", "level": level, "unit": r.within.pk if r.within else ""}
            ),
        },
    )


def _ranking_xlsx(r: Ranking) -> HttpResponseBase:
    header = [_("Rank"), *rates_header(_("Street") if r.level == "street" else _("Village or community"))]
    rows = [[row.rank, row.label, *rates_cells(row.rates)] for row in r.rows]
    return xlsx_response(f"appeal-ranking-{r.level}-{r.month.start:%Y-%m}.xlsx", header, rows)


# --- the list --------------------------------------------------------------------------------------


@login_required
def appeal_list_page(request: HtmxHttpRequest) -> HttpResponseBase:
    form = ListForm(request.user, request.GET)
    if not form.is_valid():
        return render(request, "appeals/list.html", {"form": form, "page": None}, status=400)
    filters = form.filters()
    now = timezone.now()
    qs = appeal_list(request.user, filters, now=now)
    if _wants_xlsx(request):
        return _list_xlsx(request, qs, filters, now)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for a in page.object_list:
        a.flag = flag(a, now)
    return render(
        request,
        "appeals/list.html",
        {"form": form, "page": page, "can_export_callers": can_export_callers(request.user)},
    )


def _list_xlsx(request: HtmxHttpRequest, qs: Any, filters: AppealFilter, now: Any) -> HttpResponseBase:
    """Exactly the filtered list (every page). Callers' names and phones are masked unless a user allowed
    to see them asks for them (`personal=1`), which is recorded first."""
    full = request.GET.get("personal") == "1" and can_export_callers(request.user)
    if full:
        appeals_export_callers(actor=login_of(request.user), rows=qs.count(), filters=filters.record())
    rows: Iterator[list[Any]] = list_rows(qs, full_callers=full, now=now)
    response = xlsx_response(f"appeals-{timezone.localdate():%Y%m%d}.xlsx", list_header(), rows)
    if full:
        response["Cache-Control"] = "no-store"
    return response

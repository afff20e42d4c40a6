"""Pages of the problem list: the staff list, a problem, the panel on an appeal's page, the .xlsx export,
and each community's public board (no login, no personal data)."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minhu.appeals.models import Appeal
from minhu.appeals.selectors import appeals_visible_to
from minhu.core.http import HtmxHttpRequest
from minhu.core.tabular import xlsx_response
from minhu.core.types import Viewer, login_of
from minhu.grid.models import Unit
from minhu.problems import board as board_data
from minhu.problems.forms import CloseForm, DismissForm, EditForm, FilterForm, ProblemForm
from minhu.problems.models import Problem
from minhu.problems.selectors import (
    COMMUNITY_KINDS,
    MANAGER_ROLES,
    can_manage,
    communities_visible_to,
    community_of,
    problem_list,
    problems_visible_to,
    similar_to,
    with_figures,
)
from minhu.problems.services import (
    problem_close,
    problem_create,
    problem_dismiss,
    problem_merge,
    problem_unmerge,
    problem_update,
)

PAGE_SIZE = 50


def _errors_to_form(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, msgs in exc.message_dict.items():
            for msg in msgs:
                form.add_error(name if name in form.fields else None, msg)
    else:
        for msg in exc.messages:
            form.add_error(None, msg)


def _appeal_ids(raw: list[str]) -> list[int]:
    ids: list[int] = []
    for chunk in raw:
        for part in chunk.replace(",", " ").split():
            if part.isdigit():
                ids.append(int(part))
    return ids


@login_required
def index(request: HtmxHttpRequest) -> HttpResponse | FileResponse:
    units = communities_visible_to(request.user).order_by("path")
    form = FilterForm(request.GET or None, units=units)
    unit, state, query = None, "", ""
    if form.is_valid():
        unit, state, query = form.cleaned_data["unit"], form.cleaned_data["state"], form.cleaned_data["q"]
    qs = problem_list(request.user, unit=unit, state=state, query=query)
    page = list(qs[:PAGE_SIZE])
    if request.GET.get("format") == "xlsx":
        return _export(request, qs)
    return render(
        request,
        "problems/index.html",
        {
            "form": form,
            "rows": with_figures(page),
            "more": qs.count() > PAGE_SIZE if len(page) == PAGE_SIZE else False,
            "may_create": _may_create(request.user) and units.exists(),
        },
    )


def _may_create(user: Viewer) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(user.roles() & MANAGER_ROLES))


def _export(request: HttpRequest, qs: Any) -> FileResponse:
    header = [
        _("Number"),
        _("Village or community"),
        _("Title"),
        _("Category"),
        _("State"),
        _("Appeals"),
        _("First seen"),
        _("Last seen"),
        _("How it was solved"),
        _("Closed at"),
    ]

    def fmt(dt: Any) -> str:
        return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else ""

    def rows() -> Any:
        for p in qs.iterator(chunk_size=500):
            yield [
                p.pk,
                p.unit.name,
                p.title,
                p.category.name if p.category else "",
                p.get_state_display(),
                p.appeal_count,
                fmt(p.first_seen),
                fmt(p.last_seen),
                p.resolution,
                fmt(p.closed_at),
            ]

    return xlsx_response("problems.xlsx", header, rows())


@login_required
def new(request: HtmxHttpRequest) -> HttpResponse:
    user = login_of(request.user)
    units = communities_visible_to(user).order_by("path")
    seed_ids = _appeal_ids(request.GET.getlist("appeal") + request.POST.getlist("appeals"))
    seed = list(appeals_visible_to(user).filter(pk__in=seed_ids).select_related("unit")) if seed_ids else []
    initial: dict[str, Any] = {}
    if seed and request.method != "POST":
        first = seed[0]
        community = community_of(first.unit) if first.unit is not None else None
        initial = {
            "unit": community,
            "category": first.category_id,
            "description": first.description,
            "appeals": " ".join(str(a.pk) for a in seed),
        }
    form = ProblemForm(request.POST or None, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            problem = problem_create(
                actor=user,
                unit=d["unit"],
                title=d["title"],
                description=d["description"],
                category=d["category"],
                appeals=seed,
                source=Problem.Source.APPEAL if seed else Problem.Source.STAFF,
                idempotency_key=f"form:{d['idempotency_key']}",
            )
        except PermissionDenied:
            form.add_error("unit", _("You do not keep the problem list of this unit."))
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("The problem is on the list."))
            return redirect("problems:detail", pk=problem.pk)
    return render(
        request,
        "problems/new.html",
        {"form": form, "seed": seed},
        status=400 if form.errors else 200,
    )


def _visible(request: HttpRequest, pk: int) -> Problem:
    problem = problems_visible_to(request.user).filter(pk=pk).first()
    if problem is None:
        raise Http404
    return problem


@login_required
def detail(
    request: HtmxHttpRequest, pk: int, forms: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    problem = _visible(request, pk)
    links = list(
        problem.links.select_related("appeal__category", "appeal__unit").order_by(
            "appeal__submitted_at", "pk"
        )
    )
    manage = can_manage(request.user, problem.unit)
    suggestions = (
        [
            s
            for s in similar_to(
                request.user,
                text=f"{problem.title} {problem.description}",
                unit=problem.unit,
                category_id=problem.category_id,
                limit=8,
            )
            if s.appeal is not None
        ]
        if manage and problem.is_open
        else []
    )
    forms = forms or {}
    context = {
        "problem": problem,
        "links": links,
        "figures": with_figures([problem])[0],
        "manage": manage,
        "suggestions": suggestions,
        "edit_form": forms.get("edit")
        or EditForm(initial={"title": problem.title, "description": problem.description}),
        "close_form": forms.get("close") or CloseForm(),
        "dismiss_form": forms.get("dismiss") or DismissForm(),
        "board": board_data.for_problem(problem),
        "extras": board_data.detail_extras(request, problem),
    }
    return render(request, "problems/detail.html", context, status=status)


# The problem page's form actions: the form, the service it feeds, what to say when done.
_FORM_ACTIONS: dict[str, tuple[type[Any], Any, Any]] = {
    "edit": (EditForm, lambda p, u, d: problem_update(problem=p, actor=u, **d), gettext_lazy("Saved.")),
    "close": (
        CloseForm,
        lambda p, u, d: problem_close(problem=p, actor=u, resolution=d["resolution"]),
        gettext_lazy("Struck off the list; the callers have been told."),
    ),
    "dismiss": (
        DismissForm,
        lambda p, u, d: problem_dismiss(problem=p, actor=u, reason=d["reason"]),
        gettext_lazy("Dismissed."),
    ),
}


@login_required
@require_POST
def act(request: HtmxHttpRequest, pk: int, action: str) -> HttpResponse:
    problem = _visible(request, pk)
    user = login_of(request.user)
    if not can_manage(user, problem.unit):
        raise Http404
    post = request.POST
    failed: dict[str, Any] = {}
    form: Any
    try:
        if action == "merge":
            ids = _appeal_ids(post.getlist("appeal"))
            chosen = list(appeals_visible_to(user).filter(pk__in=ids).select_related("unit"))
            if not chosen:
                raise ValidationError({"appeal": _("Choose at least one appeal.")})
            n = problem_merge(problem=problem, actor=user, appeals=chosen)
            messages.success(request, _("%(n)d appeal(s) merged.") % {"n": n})
        elif action == "unmerge":
            appeal = get_object_or_404(Appeal, pk=post.get("appeal") or 0, problem_link__problem=problem)
            problem_unmerge(problem=problem, actor=user, appeal=appeal)
            messages.success(request, _("Taken out of the problem."))
        elif action == "agenda":
            from minhu.meetings.services import agenda_item_add

            wanted = post.get("meeting", "")
            meeting = next((m for m in board_data.meetings_for(user, problem) if str(m.pk) == wanted), None)
            if meeting is None:
                raise ValidationError(
                    {"meeting": _("Choose a meeting of this community that is not closed.")}
                )
            item = agenda_item_add(
                meeting=meeting,
                actor=user,
                title=problem.title,
                subject=problem,
                idempotency_key=f"problem:{problem.pk}:meeting:{meeting.pk}",
            )
            messages.success(request, _("On the agenda as item %(n)d.") % {"n": item.number})
            return redirect(f"{reverse('meetings:detail', args=[meeting.pk])}#item-{item.pk}")
        elif action in _FORM_ACTIONS:
            form_class, run, done = _FORM_ACTIONS[action]
            form = form_class(post)
            failed[action] = form
            if not form.is_valid():
                raise ValidationError(_("Please correct the fields marked below."))
            run(problem, user, form.cleaned_data)
            messages.success(request, str(done))
        else:
            raise Http404
    except ValidationError as exc:
        for f in failed.values():
            if f.is_bound and not f.errors:
                _errors_to_form(f, exc)
        messages.error(request, " ".join(exc.messages))
        return detail(request, pk, forms=failed, status=400)
    return redirect("problems:detail", pk=pk)


def appeal_panel(request: HttpRequest, appeal: Appeal) -> str:
    """On the staff's appeal page: the problem it is part of, or similar open appeals and problems of its
    community with one-tap merging (for those who keep the list)."""
    user = request.user
    link = getattr(appeal, "problem_link", None) if hasattr(appeal, "problem_link") else None
    problem = link.problem if link is not None else None
    community = community_of(appeal.unit) if appeal.unit is not None else None
    manage = community is not None and can_manage(user, community)
    similar = (
        similar_to(
            user, text=appeal.description, unit=appeal.unit, category_id=appeal.category_id, exclude=appeal
        )
        if problem is None and community is not None
        else []
    )
    if problem is None and not similar and not manage:
        return ""
    return render_to_string(
        "problems/_appeal_panel.html",
        {"appeal": appeal, "problem": problem, "similar": similar, "manage": manage},
        request=request,
    )


def intake_hint(request: HttpRequest, text: str, unit: Unit | None) -> str:
    """On the record form, while staff type: the open appeals and problems of the unit's community that
    look like the same matter (so the caller can be told it is in hand, and the new appeal merged)."""
    if unit is None:
        return ""
    similar = similar_to(request.user, text=text, unit=unit)
    if not similar:
        return ""
    return render_to_string("problems/_intake_hint.html", {"similar": similar}, request=request)


def board(request: HttpRequest, code: str) -> HttpResponse:
    """A community's public board: problems, decisions, owners by role, deadlines, status. No login and no
    personal data: titles and decisions only, never callers, names or phone numbers."""
    unit = get_object_or_404(Unit, code=code, kind__in=COMMUNITY_KINDS)
    url = request.build_absolute_uri()
    return render(
        request,
        "problems/board.html",
        {
            "unit": unit,
            "rows": board_data.public_rows(unit),
            "qr_svg": segno.make(url, error="m").svg_inline(scale=4, title=_("QR code of this page")),
            "url": url,
            "now": timezone.now(),
        },
    )

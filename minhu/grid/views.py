"""The grid's pages. Every lookup goes through a scoped selector, so a row outside the user's scope is a 404
(not a 403: its existence is not disclosed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minhu.core.masking import mask_id_number, mask_name, mask_phone
from minhu.core.tabular import stream_csv, template_rows, xlsx_response
from minhu.core.types import login_of
from minhu.grid import selectors
from minhu.grid.forms import ImportForm
from minhu.grid.imports import SPECS
from minhu.grid.models import Household, Person, Unit
from minhu.grid.services import grid_import, person_reveal


def _scoped_unit(request: HttpRequest, pk: int) -> Unit:
    return get_object_or_404(selectors.units_visible_to(request.user), pk=pk)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The tree browser's top: the units at the top of the user's scope (a resident goes to their home)."""
    roots = selectors.tree_roots(request.user)
    if not roots:
        own = list(selectors.households_visible_to(request.user)[:2])
        if len(own) == 1:
            return redirect("grid:household", pk=own[0].pk)
        return render(request, "grid/index.html", {"roots": [], "households": own})
    numbers = selectors.coverage_numbers(request.user)
    return render(request, "grid/index.html", {"roots": roots, "numbers": numbers})


@login_required
def unit(request: HttpRequest, pk: int) -> HttpResponse:
    u = _scoped_unit(request, pk)
    households = list(selectors.unit_households(request.user, u).select_related("unit")[:200])
    return render(
        request,
        "grid/unit.html",
        {
            "unit": u,
            "chain": selectors.responsible_chain(u),
            "members": selectors.unit_members(u),
            "children": selectors.unit_children(request.user, u),
            "households": households,
            "numbers": selectors.coverage_numbers(request.user, root=u),
        },
    )


@login_required
def coverage(request: HttpRequest, pk: int) -> HttpResponse:
    u = _scoped_unit(request, pk)
    return render(
        request,
        "grid/coverage.html",
        {
            "unit": u,
            "gaps": selectors.coverage_gaps(request.user, root=u),
            "numbers": selectors.coverage_numbers(request.user, root=u),
        },
    )


@login_required
def coverage_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """The coverage gaps under a unit as CSV: each unit without its own responsible person and who answers."""
    u = _scoped_unit(request, pk)
    gaps = selectors.coverage_gaps(request.user, root=u)

    def rows() -> Iterator[list[Any]]:
        for g in gaps:
            yield [
                g.unit.code,
                g.unit.name,
                g.unit.get_kind_display(),
                g.fallback_unit.name if g.fallback_unit else "",
                "; ".join(f"{r.get_role_display()} {r.holder_label()}" for r in g.fallback),
            ]

    header = [_("code"), _("name"), _("kind"), _("answered by unit"), _("answered by")]
    return stream_csv(f"coverage-{u.code}.csv", header, rows())


@login_required
def households_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """The households under a unit with their heads, personal data masked (an export is not a reveal)."""
    u = _scoped_unit(request, pk)
    qs = (
        selectors.unit_households(request.user, u)
        .select_related("unit")
        .prefetch_related("members")
        .order_by("unit__path", "number")
    )

    def rows() -> Iterator[list[Any]]:
        for h in qs.iterator(chunk_size=2000):
            head = next((p for p in h.members.all() if p.is_head), None)
            yield [
                h.unit.code,
                h.number,
                h.address,
                mask_name(head.name) if head else "",
                mask_phone(head.phone) if head else "",
                h.n_members,  # type: ignore[attr-defined]
            ]

    header = [
        _("unit code"),
        _("door number"),
        _("address"),
        _("head of household"),
        _("phone"),
        _("members"),
    ]
    return stream_csv(f"households-{u.code}.csv", header, rows())


@login_required
def household(request: HttpRequest, pk: int) -> HttpResponse:
    h = get_object_or_404(selectors.households_visible_to(request.user), pk=pk)
    members = selectors.household_members(request.user, h)
    return render(
        request,
        "grid/household.html",
        {"household": h, "members": _masked(members), "chain": selectors.responsible_chain(h)},
    )


def _masked(people: list[Person]) -> list[dict[str, Any]]:
    return [
        {
            "person": p,
            "phone": mask_phone(p.phone),
            "id_number": mask_id_number(p.id_number),
            "party": getattr(p, "party_member", None),
        }
        for p in people
    ]


def _person(request: HttpRequest, pk: int) -> Person:
    return get_object_or_404(
        selectors.people_visible_to(request.user).select_related("household__unit", "party_member"), pk=pk
    )


@login_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    p = _person(request, pk)
    return render(request, "grid/person.html", _person_context(request, p, revealed=None))


def _person_context(request: HttpRequest, p: Person, revealed: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "p": p,
        "party": getattr(p, "party_member", None),
        "phone": revealed["phone"] if revealed else mask_phone(p.phone),
        "id_number": revealed["id_number"] if revealed else mask_id_number(p.id_number),
        "sensitive": revealed["sensitive"] if revealed else None,
        "revealed": revealed is not None,
        "can_reveal": selectors.can_reveal(request.user, p),
    }


@login_required
@require_POST
def person_reveal_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the full values once, recorded as `person.reveal`; never kept in the session or a URL."""
    p = _person(request, pk)
    try:
        revealed = person_reveal(person=p, actor=login_of(request.user))
    except PermissionDenied:
        raise Http404 from None
    response = render(request, "grid/person.html", _person_context(request, p, revealed=revealed))
    response["Cache-Control"] = "no-store"
    return response


@login_required
def terms(request: HttpRequest) -> HttpResponse:
    """The cadre roster report: two terms compared (average age, education, 一肩挑)."""
    years = selectors.term_years(request.user)
    if len(years) < 1:
        return render(request, "grid/terms.html", {"years": years, "comparison": None})

    def year(name: str, default: int) -> int:
        try:
            value = int(request.GET.get(name, default))
        except ValueError:
            value = default
        return value if value in years else default

    before = year("before", years[-2] if len(years) > 1 else years[-1])
    after = year("after", years[-1])
    return render(
        request,
        "grid/terms.html",
        {
            "years": years,
            "before_year": before,
            "after_year": after,
            "comparison": selectors.term_comparison(request.user, before, after),
        },
    )


def unit_or_404(request: HttpRequest, pk: int) -> Unit:
    return _scoped_unit(request, pk)


def household_or_404(request: HttpRequest, pk: int) -> Household:
    return get_object_or_404(selectors.households_visible_to(request.user), pk=pk)


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload a list; the result lists every rejected row (row, column, reason)."""
    if not selectors.can_import(request.user):
        raise Http404
    result = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            result = grid_import(
                kind=form.cleaned_data["kind"],
                f=upload,
                filename=upload.name,
                mode=form.cleaned_data["mode"],
                actor=login_of(request.user),
            )
    else:
        form = ImportForm()
    return render(
        request,
        "grid/import.html",
        {
            "form": form,
            "result": result,
            "specs": sorted(SPECS),
            "errors": result.errors[:500] if result else [],
        },
    )


@login_required
def import_template(request: HttpRequest, kind: str, fmt: str) -> HttpResponseBase:
    """A blank template for a list, with its columns and one example row."""
    if kind not in SPECS or fmt not in ("csv", "xlsx") or not selectors.can_import(request.user):
        raise Http404
    spec = SPECS[kind](login_of(request.user))
    if fmt == "csv":
        return stream_csv(f"{kind}.csv", spec.headers(), template_rows(spec))
    return xlsx_response(f"{kind}.xlsx", spec.headers(), template_rows(spec))

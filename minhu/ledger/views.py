"""Public pages of the sunshine accounts: no login, no personal data."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from minhu.ledger.models import Disclosure, Organisation
from minhu.ledger.selectors import ledger_verify


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "ledger/index.html", {"organisations": Organisation.objects.order_by("name")})


def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_object_or_404(Organisation, slug=slug)
    result = ledger_verify(org)
    disclosures = list(Disclosure.objects.filter(organisation=org).order_by("-start"))
    for d in disclosures:
        d.verified = d.pk not in result.broken_disclosures  # type: ignore[attr-defined]
    return render(
        request, "ledger/organisation.html", {"org": org, "result": result, "disclosures": disclosures}
    )


def disclosure(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    d = get_object_or_404(Disclosure.objects.select_related("organisation"), organisation__slug=slug, pk=pk)
    result = ledger_verify(d.organisation)
    return render(
        request,
        "ledger/disclosure.html",
        {"d": d, "s": d.statement, "verified": d.pk not in result.broken_disclosures, "result": result},
    )

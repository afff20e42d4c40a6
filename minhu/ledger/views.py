"""Public pages of the sunshine accounts: no login, no personal data."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from minhu.core.masking import mask_name
from minhu.ledger.models import Disclosure, Organisation, Programme
from minhu.ledger.pdf import disclosure_pdf
from minhu.ledger.selectors import (
    ledger_verify,
    programme_totals,
    programme_year,
    published_entries,
    villages_below_minimum,
)


def index(request: HttpRequest) -> HttpResponse:
    organisations = Organisation.objects.exclude(kind=Organisation.Kind.DISTRICT).order_by("name")
    year = timezone.localdate().year
    return render(request, "ledger/index.html", {"organisations": organisations, "year": year})


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


def disclosure_notice(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The printable notice for the board: the statement, its checksum, a QR code back to the page."""
    d = get_object_or_404(Disclosure.objects.select_related("organisation"), organisation__slug=slug, pk=pk)
    url = request.build_absolute_uri(reverse("ledger:disclosure", args=[slug, pk]))
    response = HttpResponse(disclosure_pdf(d, url), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{slug}-{d.start:%Y%m%d}-{d.end:%Y%m%d}.pdf"'
    return response


FDP_FIELDS = [
    "id",
    "date",
    "amount",
    "currency",
    "direction",
    "classification",
    "counterparty",
    "description",
    "corrects",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def entries_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """The published entries (up to the end of the last disclosure) as CSV in the Fiscal Data Package
    vocabulary, streamed. A counterparty that looks like a person's name (four characters or fewer) is
    masked."""
    org = get_object_or_404(Organisation, slug=slug)
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(FDP_FIELDS)  # BOM: Excel opens UTF-8 Chinese correctly
        for e in published_entries(org).iterator(chunk_size=2000):
            direction = {"income": "revenue", "cost": "expenditure"}.get(e.account.klass, "fund")
            party = e.counterparty if len(e.counterparty) > 4 else mask_name(e.counterparty)
            yield writer.writerow(
                [
                    e.seq,
                    e.date.isoformat(),
                    f"{e.amount}",
                    "CNY",
                    direction,
                    f"{e.account.code} {e.account.name}",
                    party,
                    e.description,
                    e.reverses.seq if e.reverses else "",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-entries.csv"'
    return response


def funds(request: HttpRequest, year: int) -> HttpResponse:
    """Party-building funds of a year: per programme, what each organisation got and spent, the villages
    below the minimum, and the totals of the last three years."""
    programmes = list(Programme.objects.order_by("name"))
    sections = [
        {
            "programme": p,
            "lines": programme_year(p, year),
            "below": villages_below_minimum(p, year),
        }
        for p in programmes
    ]
    years = [year - 2, year - 1, year]
    totals = programme_totals(years)
    return render(
        request,
        "ledger/funds.html",
        {"year": year, "sections": sections, "years": years, "totals": totals},
    )

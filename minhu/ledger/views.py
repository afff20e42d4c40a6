"""The sunshine accounts' pages: the public ones (no login, no personal data), and the staff pages where
keepers post entries with their vouchers, reverse mistakes and import existing ledgers. A staff page of an
organisation outside the user's scope is a 404 (its existence is not disclosed); a user who keeps no
accounts at all gets a 403."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from minhu.core.masking import mask_name
from minhu.core.tabular import stream_csv, template_rows, xlsx_response
from minhu.core.types import login_of
from minhu.ledger.forms import EntryForm, ImportForm, ObjectionForm, ReverseForm
from minhu.ledger.imports import EntrySpec
from minhu.ledger.models import Disclosure, Entry, Organisation, Programme, Voucher
from minhu.ledger.pdf import disclosure_pdf
from minhu.ledger.selectors import (
    can_keep_accounts,
    ledger_verify,
    organisations_kept_by,
    programme_totals,
    programme_year,
    published_entries,
    recent_entries,
    villages_below_minimum,
)
from minhu.ledger.services import (
    VOUCHER_TYPES,
    ledger_entry_post,
    ledger_entry_reverse,
    ledger_import,
    ledger_objection_raise,
    objection_line,
)


def index(request: HttpRequest) -> HttpResponse:
    organisations = Organisation.objects.exclude(kind=Organisation.Kind.DISTRICT).order_by("name")
    year = timezone.localdate().year
    return render(
        request,
        "ledger/index.html",
        {"organisations": organisations, "year": year, "keeper": can_keep_accounts(request.user)},
    )


def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_object_or_404(Organisation, slug=slug)
    result = ledger_verify(org)
    disclosures = list(Disclosure.objects.filter(organisation=org).order_by("-start"))
    for d in disclosures:
        d.verified = d.pk not in result.broken_disclosures  # type: ignore[attr-defined]
    keeper = organisations_kept_by(request.user).filter(pk=org.pk).exists()
    return render(
        request,
        "ledger/organisation.html",
        {"org": org, "result": result, "disclosures": disclosures, "keeper": keeper},
    )


def disclosure(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    d = get_object_or_404(Disclosure.objects.select_related("organisation"), organisation__slug=slug, pk=pk)
    result = ledger_verify(d.organisation)
    return render(
        request,
        "ledger/disclosure.html",
        {"d": d, "s": d.statement, "verified": d.pk not in result.broken_disclosures, "result": result},
    )


# Intake field → objection form field (the line itself is in the address, and a bad line is a 404).
_OBJECTION_FIELDS = {"description": "text", "caller_phone": "caller_phone", "caller_name": "caller_name"}


def disclosure_object(request: HttpRequest, slug: str, pk: int, code: str) -> HttpResponse:
    """A resident objects to one line of a published statement; it becomes an appeal to the line's checker
    and the resident follows it on the appeal's tracking page."""
    d = get_object_or_404(Disclosure.objects.select_related("organisation"), organisation__slug=slug, pk=pk)
    line = objection_line(d, code)
    if line is None:
        raise Http404
    form = ObjectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            result = ledger_objection_raise(
                disclosure=d,
                account_code=code,
                text=c["text"],
                caller_name=c["caller_name"],
                caller_phone=c["caller_phone"],
                anonymous=c["anonymous"],
                idempotency_key=c["token"],
            )
        except ValidationError as exc:
            for name, msgs in exc.message_dict.items():
                field = _OBJECTION_FIELDS.get(name)
                for msg in msgs:
                    form.add_error(field, msg)
        else:
            return redirect(reverse("appeals:track", args=[result.appeal.tracking_code]) + "?new=1")
    return render(
        request,
        "ledger/object.html",
        {"d": d, "line": line, "form": form},
        status=400 if form.errors else 200,
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


def _fdp_rows(org: Organisation) -> Iterator[list[Any]]:
    """The published entries (up to the end of the last disclosure) in the Fiscal Data Package vocabulary.
    A counterparty that looks like a person's name (four characters or fewer) is masked."""
    for e in published_entries(org).iterator(chunk_size=2000):
        direction = {"income": "revenue", "cost": "expenditure"}.get(e.account.klass, "fund")
        party = e.counterparty if len(e.counterparty) > 4 else mask_name(e.counterparty)
        yield [
            e.seq,
            e.date,
            e.amount,
            "CNY",
            direction,
            f"{e.account.code} {e.account.name}",
            party,
            e.description,
            e.reverses.seq if e.reverses else None,
        ]


def entries_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """The published entries as CSV (UTF-8 with a BOM, so Excel opens it correctly), streamed."""
    org = get_object_or_404(Organisation, slug=slug)
    return stream_csv(f"{slug}-entries.csv", FDP_FIELDS, _fdp_rows(org))


def entries_xlsx(request: HttpRequest, slug: str) -> FileResponse:
    """The published entries as .xlsx, the same columns as the CSV: amounts are numbers and dates are
    dates, so a spreadsheet can sum and sort them."""
    org = get_object_or_404(Organisation, slug=slug)
    return xlsx_response(f"{slug}-entries.xlsx", FDP_FIELDS, _fdp_rows(org))


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


# --- staff pages -----------------------------------------------------------------------------------


def _kept(request: HttpRequest, slug: str) -> Organisation:
    """The organisation if the user keeps its accounts: 403 for users who keep none, 404 outside scope."""
    if not can_keep_accounts(request.user):
        raise PermissionDenied
    return get_object_or_404(organisations_kept_by(request.user), slug=slug)


@login_required
def staff_index(request: HttpRequest) -> HttpResponse:
    """The organisations whose accounts the user keeps."""
    if not can_keep_accounts(request.user):
        raise PermissionDenied
    organisations = organisations_kept_by(request.user).order_by("name")
    return render(request, "ledger/staff_index.html", {"organisations": organisations})


@login_required
def staff_organisation(request: HttpRequest, slug: str) -> HttpResponse:
    """Post an entry (the user is the maker) with its vouchers; the latest entries below."""
    org = _kept(request, slug)
    maker = login_of(request.user)
    if request.method == "POST":
        form = EntryForm(request.POST, request.FILES, organisation=org, maker=maker)
        if form.is_valid():
            d = form.cleaned_data
            try:
                entry = ledger_entry_post(
                    account=d["account"],
                    day=d["date"],
                    amount=d["amount"],
                    counterparty=d["counterparty"],
                    description=d["description"],
                    maker=maker,
                    checker=d["checker"],
                    vouchers=d["vouchers"],
                    idempotency_key=d["idempotency_key"],
                )
            except ValidationError as e:
                form.add_service_errors(e)
            else:
                messages.success(request, _("Entry #%(seq)d is recorded.") % {"seq": entry.seq})
                return redirect("ledger:staff_organisation", slug=org.slug)
    else:
        form = EntryForm(organisation=org, maker=maker)
    return render(
        request,
        "ledger/staff_organisation.html",
        {"org": org, "form": form, "entries": recent_entries(org)},
    )


@login_required
def staff_reverse(request: HttpRequest, slug: str, seq: int) -> HttpResponse:
    """Correct an entry with a reversing entry and a reason (the user is the maker)."""
    org = _kept(request, slug)
    maker = login_of(request.user)
    entry = get_object_or_404(
        Entry.objects.select_related("account", "reversed_by"), organisation=org, seq=seq
    )
    if request.method == "POST":
        form = ReverseForm(request.POST, organisation=org, maker=maker)
        if form.is_valid():
            d = form.cleaned_data
            try:
                correction = ledger_entry_reverse(
                    entry=entry,
                    reason=d["reason"],
                    day=d["date"],
                    maker=maker,
                    checker=d["checker"],
                    idempotency_key=d["idempotency_key"],
                )
            except ValidationError as e:
                form.add_service_errors(e)
            else:
                messages.success(
                    request,
                    _("Entry #%(seq)d reverses entry #%(original)d.")
                    % {"seq": correction.seq, "original": entry.seq},
                )
                return redirect("ledger:staff_organisation", slug=org.slug)
    else:
        form = ReverseForm(organisation=org, maker=maker)
    return render(request, "ledger/staff_reverse.html", {"org": org, "entry": entry, "form": form})


VOUCHER_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


@login_required
def staff_voucher(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A voucher, as the type its content was found to be; only for the organisation's keepers. Photos
    open in the browser, in a sandbox; PDFs download (browsers will not show a PDF in a sandbox)."""
    org = _kept(request, slug)
    voucher = get_object_or_404(Voucher.objects.select_related("entry"), entry__organisation=org, pk=pk)
    stem = voucher.name.rsplit(".", 1)[0] or "voucher"
    filename = f"{stem}{VOUCHER_TYPES[voucher.content_type]}"
    download = voucher.content_type == "application/pdf"
    response = HttpResponse(bytes(voucher.content), content_type=voucher.content_type)
    response["Content-Disposition"] = content_disposition_header(download, filename) or "inline"
    # Shown on its own, never as part of the site: no scripts, no forms, whatever the file holds.
    response["Content-Security-Policy"] = VOUCHER_CSP
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def staff_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload an existing ledger (.xlsx or .csv); all or nothing, every bad row listed."""
    org = _kept(request, slug)
    result = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            result = ledger_import(
                organisation=org, f=upload, filename=upload.name, actor=login_of(request.user)
            )
    else:
        form = ImportForm()
    return render(
        request,
        "ledger/staff_import.html",
        {
            "org": org,
            "form": form,
            "result": result,
            "errors": result.errors[:500] if result else [],
            "columns": EntrySpec.columns,
        },
    )


@login_required
def staff_import_template(request: HttpRequest, slug: str, fmt: str) -> HttpResponseBase:
    """The import's columns with one example row."""
    org = _kept(request, slug)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    spec = EntrySpec(org, file_key="")
    if fmt == "csv":
        return stream_csv("ledger-entries.csv", spec.headers(), template_rows(spec))
    return xlsx_response("ledger-entries.xlsx", spec.headers(), template_rows(spec))

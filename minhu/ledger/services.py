"""The only functions that write the ledger."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from minhu.core.services import event_record
from minhu.core.tabular import ImportResult, run_import
from minhu.core.types import Actor, Login
from minhu.grid.models import Unit
from minhu.ledger.models import Account, Allocation, Disclosure, Entry, Organisation, Programme, Voucher
from minhu.ledger.selectors import statement_for

GENESIS = "0" * 64
KEY_LENGTH = 64  # Entry.idempotency_key
MAX_AMOUNT = Decimal("1e12")  # Entry.amount holds 14 digits, two of them after the point


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"amount": _("Enter an amount in yuan, e.g. 1234.50.")}) from exc
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationError({"amount": _("At most two decimal places (fen).")})
    if amount == 0:
        raise ValidationError({"amount": _("The amount cannot be zero.")})
    if abs(amount) >= MAX_AMOUNT:
        raise ValidationError({"amount": _("The amount is too large.")})
    return amount


def _closed_until(organisation: Organisation) -> date | None:
    last = Disclosure.objects.filter(organisation=organisation).order_by("-end").values_list("end", flat=True)
    return last.first()


def _append(
    *,
    organisation: Organisation,
    account: Account,
    day: date,
    amount: Decimal,
    counterparty: str,
    description: str,
    maker: Any,
    checker: Any,
    reverses: Entry | None = None,
    reason: str = "",
    idempotency_key: str | None = None,
) -> tuple[Entry, bool]:
    """Append the next entry of the chain: (entry, True); or, when an entry with the same idempotency key
    was appended meanwhile, (that entry, False)."""
    # Lock the organisation: entries are numbered and chained one at a time.
    Organisation.objects.select_for_update().get(pk=organisation.pk)
    if idempotency_key:
        # Under the lock: a concurrent retry waits above and finds the first one's entry here.
        existing = _by_key(organisation, idempotency_key)
        if existing is not None:
            return existing, False
    last = Entry.objects.filter(organisation=organisation).order_by("-seq").first()
    entry = Entry(
        organisation=organisation,
        seq=(last.seq + 1) if last else 1,
        account=account,
        date=day,
        amount=amount,
        counterparty=counterparty.strip(),
        description=description.strip(),
        maker=maker,
        checker=checker,
        reverses=reverses,
        reason=reason.strip(),
        prev_hash=last.hash if last else GENESIS,
        idempotency_key=idempotency_key or None,
    )
    entry.hash = entry.compute_hash()
    entry.full_clean(exclude=["hash", "prev_hash"])
    entry.save()
    return entry, True


def _key(value: str | None) -> str | None:
    if value is None:
        return None
    if not (1 <= len(value) <= KEY_LENGTH):
        raise ValidationError(
            {"idempotency_key": _("1 to %(n)d characters.") % {"n": KEY_LENGTH}}  # a client's mistake
        )
    return value


def _by_key(organisation: Organisation, key: str) -> Entry | None:
    return Entry.objects.filter(organisation=organisation, idempotency_key=key).first()


# --- vouchers ----------------------------------------------------------------------------------------

VOUCHER_MAX_BYTES = 10 * 1024 * 1024  # a phone photo of a receipt is 2–5 MB
VOUCHERS_PER_ENTRY = 10
VOUCHER_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}


@dataclass(frozen=True)
class VoucherFile:
    """An uploaded voucher, read: its name as uploaded and its bytes."""

    name: str
    content: bytes


def voucher_type(content: bytes) -> str | None:
    """What the bytes are (JPEG, PNG, WebP or PDF), from their signatures; None for anything else. The
    file's name and the type the browser declared are not trusted."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n") and content[12:16] == b"IHDR":
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    # A PDF starts with its header and ends with an end-of-file marker (maybe followed by whitespace).
    if content.startswith(b"%PDF-") and b"%%EOF" in content[-2048:]:
        return "application/pdf"
    return None


def _too_large(name: str) -> ValidationError:
    mb = VOUCHER_MAX_BYTES // (1024 * 1024)
    return ValidationError({"vouchers": _("%(name)s is larger than %(mb)d MB.") % {"name": name, "mb": mb}})


def voucher_read(*, name: str, size: int | None, f: IO[bytes]) -> VoucherFile:
    """Read an upload into a VoucherFile, refusing one over the size limit before reading it."""
    if size is not None and size > VOUCHER_MAX_BYTES:
        raise _too_large(name)
    content = f.read(VOUCHER_MAX_BYTES + 1)
    if len(content) > VOUCHER_MAX_BYTES:
        raise _too_large(name)
    return VoucherFile(name=name, content=content)


def _check_vouchers(vouchers: Sequence[VoucherFile]) -> list[tuple[VoucherFile, str]]:
    if len(vouchers) > VOUCHERS_PER_ENTRY:
        raise ValidationError(
            {"vouchers": _("At most %(n)d vouchers per entry.") % {"n": VOUCHERS_PER_ENTRY}}
        )
    checked = []
    for v in vouchers:
        if len(v.content) > VOUCHER_MAX_BYTES:
            raise _too_large(v.name)
        content_type = voucher_type(v.content)
        if content_type is None:
            raise ValidationError(
                {"vouchers": _("%(name)s is not a photo (JPEG, PNG, WebP) or a PDF.") % {"name": v.name}}
            )
        checked.append((v, content_type))
    return checked


def _attach(*, entry: Entry, voucher: VoucherFile, content_type: str, actor: Actor) -> Voucher:
    digest = hashlib.sha256(voucher.content).hexdigest()
    row = Voucher(
        entry=entry,
        name=(voucher.name.replace("\\", "/").rsplit("/", 1)[-1] or "voucher")[:200],
        content_type=content_type,
        size=len(voucher.content),
        sha256=digest,
        content=voucher.content,
        uploaded_by=actor,
    )
    row.full_clean()
    row.save()
    event_record(
        actor=actor,
        verb="ledger.voucher",
        target=row,
        after={
            "entry": entry.seq,
            "name": row.name,
            "type": content_type,
            "size": row.size,
            "sha256": digest,
        },
    )
    return row


def _check_people(maker: Any, checker: Any) -> None:
    if maker is None or checker is None:
        raise ValidationError({"checker": _("An entry needs a maker and a checker.")})
    if maker.pk == checker.pk:
        raise ValidationError({"checker": _("The checker must be someone other than the maker.")})


def entry_check(
    *,
    organisation: Organisation,
    day: date,
    amount: Any,
    description: str,
    maker: Any,
    checker: Any,
    closed_until: date | Literal["unknown"] | None = "unknown",
) -> Decimal:
    """The rules an entry must meet before it is appended (the amount, as a Decimal, if it does): a maker
    and a different checker, a positive amount to the fen, a description, a date after the last published
    period. Raises ValidationError naming the first field that fails. `closed_until`, when the caller
    already knows it (an import checks many rows), saves a query."""
    _check_people(maker, checker)
    value = _amount(amount)
    if value < 0:
        raise ValidationError({"amount": _("Enter a positive amount; corrections are reversing entries.")})
    if not description.strip():
        raise ValidationError({"description": _("Say what the money was for.")})
    closed = _closed_until(organisation) if isinstance(closed_until, str) else closed_until
    if closed is not None and day <= closed:
        raise ValidationError(
            {"day": _("The period up to %(date)s is closed and published.") % {"date": closed.isoformat()}}
        )
    return value


@transaction.atomic
def ledger_entry_post(
    *,
    account: Account,
    day: date,
    amount: Any,
    description: str,
    maker: Any,
    checker: Any,
    counterparty: str = "",
    vouchers: Sequence[VoucherFile] = (),
    idempotency_key: str | None = None,
) -> Entry:
    """Append an entry (positive amounts; the account's class says income, cost or fund), with its
    vouchers. Refused: maker = checker, a zero or over-precise amount, no description, a date in a period
    already disclosed, a voucher that is not a JPEG, PNG, WebP or PDF by its content, or too large.

    A retried call with the same `idempotency_key` (the posting form's hidden token) returns the entry the
    first call appended, and appends nothing."""
    key = _key(idempotency_key)
    if key:
        existing = _by_key(account.organisation, key)
        if existing is not None:
            return existing
    value = entry_check(
        organisation=account.organisation,
        day=day,
        amount=amount,
        description=description,
        maker=maker,
        checker=checker,
    )
    checked = _check_vouchers(vouchers)
    entry, created = _append(
        organisation=account.organisation,
        account=account,
        day=day,
        amount=value,
        counterparty=counterparty,
        description=description,
        maker=maker,
        checker=checker,
        idempotency_key=key,
    )
    if not created:
        return entry
    event_record(actor=maker, verb="ledger.post", target=entry, after={"seq": entry.seq, "amount": value})
    for voucher, content_type in checked:
        _attach(entry=entry, voucher=voucher, content_type=content_type, actor=maker)
    return entry


@transaction.atomic
def ledger_entry_reverse(
    *,
    entry: Entry,
    reason: str,
    day: date,
    maker: Any,
    checker: Any,
    idempotency_key: str | None = None,
) -> Entry:
    """Correct an entry by appending its opposite; both stay visible. An entry is reversed at most once. A
    retried call with the same `idempotency_key` returns the correction the first call appended."""
    key = _key(idempotency_key)
    if key:
        existing = _by_key(entry.organisation, key)
        if existing is not None:
            return existing
    _check_people(maker, checker)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the entry is corrected.")})
    if entry.reverses_id is not None:
        raise ValidationError({"entry": _("A correction cannot itself be reversed; post a new entry.")})
    if Entry.objects.filter(reverses=entry).exists():
        raise ValidationError({"entry": _("This entry has already been reversed.")})
    closed = _closed_until(entry.organisation)
    if closed is not None and day <= closed:
        raise ValidationError({"day": _("Date the correction after the last published period.")})
    correction, created = _append(
        organisation=entry.organisation,
        account=entry.account,
        day=day,
        amount=-entry.amount,
        counterparty=entry.counterparty,
        # stored (and hashed) in the default language, whoever is logged in
        description=_correction_text(entry.seq),
        maker=maker,
        checker=checker,
        reverses=entry,
        reason=reason,
        idempotency_key=key,
    )
    if not created:
        return correction
    event_record(
        actor=maker,
        verb="ledger.reverse",
        target=correction,
        after={"seq": correction.seq, "reverses": entry.seq, "reason": reason},
    )
    return correction


def _correction_text(seq: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Correction of entry #%(seq)d") % {"seq": seq}


def checksum_of(statement: dict[str, Any], chain_hash: str) -> str:
    """SHA-256 of the statement's canonical JSON and the chain position: printed on the notice board."""
    text = json.dumps(statement, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "|" + chain_hash
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def ledger_period_close(
    *, organisation: Organisation, period: str, start: date, end: date, actor: Login
) -> Disclosure:
    """Freeze a period into a public disclosure. Periods close in order and never overlap."""
    if end < start:
        raise ValidationError({"end": _("The period ends before it starts.")})
    closed = _closed_until(organisation)
    if closed is not None and start <= closed:
        raise ValidationError({"start": _("This period overlaps one already published.")})
    Organisation.objects.select_for_update().get(pk=organisation.pk)
    statement = statement_for(organisation, start, end)
    last = Entry.objects.filter(organisation=organisation, date__lte=end).order_by("-seq").first()
    chain_hash = last.hash if last else GENESIS
    disclosure = Disclosure.objects.create(
        organisation=organisation,
        period=period,
        start=start,
        end=end,
        statement=statement,
        last_seq=last.seq if last else 0,
        chain_hash=chain_hash,
        checksum=checksum_of(statement, chain_hash),
        published_by=actor,
    )
    event_record(
        actor=actor,
        verb="ledger.disclose",
        target=disclosure,
        after={"period": period, "start": start, "end": end, "checksum": disclosure.checksum},
    )
    return disclosure


@transaction.atomic
def allocation_record(
    *,
    programme: Programme,
    organisation: Organisation,
    year: int,
    amount: Any,
    purpose: str = "",
    actor: Actor,
) -> Allocation:
    """Record money a programme gives an organisation for a year."""
    value = _amount(amount)
    if value <= 0:
        raise ValidationError({"amount": _("Enter a positive amount.")})
    allocation = Allocation(
        programme=programme, organisation=organisation, year=year, amount=value, purpose=purpose
    )
    allocation.full_clean()
    allocation.save()
    event_record(
        actor=actor,
        verb="ledger.allocate",
        target=allocation,
        after={"programme": programme.name, "organisation": organisation.name, "year": year, "amount": value},
    )
    return allocation


@transaction.atomic
def organisation_link_unit(*, organisation: Organisation, unit: Unit | None, actor: Actor) -> Organisation:
    """Link an organisation to its grid unit (or unlink it): the staff whose scope covers the unit keep its
    accounts from then on. Recorded with the unit before and after."""
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = {"unit": org.unit.code if org.unit else None}
    if org.unit_id == (unit.pk if unit else None):
        return org
    org.unit = unit
    org.save(update_fields=["unit"])
    event_record(
        actor=actor,
        verb="ledger.organisation_link",
        target=org,
        before=before,
        after={"unit": unit.code if unit else None},
    )
    return org


class _Refused(Exception):
    pass


def ledger_import(
    *,
    organisation: Organisation,
    f: IO[bytes],
    filename: str,
    actor: Actor,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import existing entries from an .xlsx or .csv file (columns in minhu/ledger/imports.py), all or
    nothing: every row is checked (the report names row, column and reason for each bad one) and, if all
    are good, appended in file order through `ledger_entry_post`, so the chain and the audit are as if they
    had been posted one by one. Records one `ledger.import` event. `actor` must keep the organisation's
    accounts; None is the operator on the command line."""
    from minhu.ledger.imports import EntrySpec
    from minhu.ledger.selectors import organisations_kept_by

    if actor is not None and not organisations_kept_by(actor).filter(pk=organisation.pk).exists():
        raise PermissionDenied
    digest = hashlib.sha256()
    for chunk in iter(lambda: f.read(1024 * 1024), b""):
        digest.update(chunk)
    f.seek(0)
    spec = EntrySpec(organisation, file_key=digest.hexdigest()[:40])
    result = ImportResult(mode="atomic")
    try:
        with transaction.atomic():
            result = run_import(spec=spec, f=f, filename=filename, mode="atomic", progress=progress)
            if spec.refused:
                result.errors.extend(spec.refused)
                raise _Refused
            if result.written:
                event_record(
                    actor=actor,
                    actor_label=None if actor is not None else "ledger_import",
                    verb="ledger.import",
                    target=organisation,
                    after={
                        "file": filename[:200],
                        "sha256": digest.hexdigest(),
                        "rows": result.rows,
                        "written": result.written,
                    },
                )
    except _Refused:
        result.written = 0
    return result


def objection_line(disclosure: Disclosure, account_code: str) -> dict[str, str] | None:
    """The statement line with this account code (income, costs or funds), or None."""
    s = disclosure.statement
    for line in [*s.get("income", []), *s.get("costs", []), *s.get("funds", [])]:
        if line.get("code") == account_code:
            return dict(line)
    return None


def ledger_objection_raise(
    *,
    disclosure: Disclosure,
    account_code: str,
    text: str,
    caller_name: str = "",
    caller_phone: str = "",
    anonymous: bool = False,
    idempotency_key: str | None = None,
) -> Any:
    """A resident objects to a line of a published statement: an appeal (category L01) dispatched straight
    to the checker of the line's latest entry in the period, tied to the line by an `Objection`. Returns
    the appeals intake result (a retried submission returns the first appeal). Field errors are keyed as
    the intake keys them (`description`, `caller_phone`) plus `line`."""
    from minhu.appeals.models import Category, Channel, Kind
    from minhu.appeals.services import IntakeData, appeal_submit
    from minhu.ledger.models import Objection

    line = objection_line(disclosure, account_code)
    if line is None:
        raise ValidationError({"line": _("This statement has no such line.")})
    category = Category.objects.filter(code="L01", active=True).first()
    latest = (
        Entry.objects.filter(
            organisation=disclosure.organisation,
            account__code=account_code,
            date__gte=disclosure.start,
            date__lte=disclosure.end,
        )
        .select_related("checker")
        .order_by("-seq")
        .first()
    )
    org = disclosure.organisation
    period = f"{disclosure.start:%Y-%m-%d}–{disclosure.end:%Y-%m-%d}"
    data = IntakeData(
        kind=Kind.REPORT,
        channel=Channel.WEB,
        category=category,
        description=f"【{org.name} {period} {line['name']} {line['amount']}】\n{(text or '').strip()}"
        if (text or "").strip()
        else "",
        unit=org.unit,
        # the line is the place: a second objection to the same line is linked to the first, as a repeat
        address=f"{org.name}·{line['name']}",
        caller_name=caller_name,
        caller_phone=caller_phone,
        anonymous=anonymous,
        idempotency_key=f"objection:{idempotency_key}" if idempotency_key else None,
        handler=latest.checker if latest else None,
    )
    with transaction.atomic():
        result = appeal_submit(data=data)
        if result.created:
            Objection.objects.create(disclosure=disclosure, account_code=account_code, appeal=result.appeal)
            event_record(
                actor=None,
                actor_label="resident",
                verb="ledger.objection",
                target=disclosure,
                after={"account": account_code, "appeal": result.appeal.tracking_code},
            )
    return result


# --- who keeps a ledger, and its lines (configuration, added in administration) ---------------------------


@transaction.atomic
def organisation_create(
    *, name: str, slug: str, kind: str, actor: Actor, unit: Unit | None = None
) -> Organisation:
    """Add an organisation that keeps a ledger, linked to its grid unit (who keeps it: see
    `organisation_link_unit`). Its public address (`slug`) is fixed from then on: it is printed on the
    notices. Validated in full (ValidationError, nothing written); records `ledger.organisation_create`."""
    org = Organisation(name=name.strip(), slug=slug, kind=kind, unit=unit)
    org.full_clean()
    org.save()
    event_record(
        actor=actor,
        verb="ledger.organisation_create",
        target=org,
        after={"name": org.name, "slug": org.slug, "kind": org.kind, "unit": unit.code if unit else None},
    )
    return org


@transaction.atomic
def account_create(
    *,
    organisation: Organisation,
    code: str,
    name: str,
    klass: str,
    actor: Actor,
    is_maintenance: bool = False,
    programme: Programme | None = None,
) -> Account:
    """Add a line to an organisation's accounts. It is never changed afterwards: its class gives the
    direction of the entries posted on it, which the hash chain has fixed. Validated in full
    (ValidationError, nothing written); records `ledger.account_create`."""
    account = Account(
        organisation=organisation,
        code=code.strip(),
        name=name.strip(),
        klass=klass,
        is_maintenance=is_maintenance,
        programme=programme,
    )
    account.full_clean()
    account.save()
    event_record(
        actor=actor,
        verb="ledger.account_create",
        target=account,
        after={
            "organisation": organisation.slug,
            "code": account.code,
            "name": account.name,
            "klass": account.klass,
            "is_maintenance": is_maintenance,
            "programme": programme.name if programme else None,
        },
    )
    return account

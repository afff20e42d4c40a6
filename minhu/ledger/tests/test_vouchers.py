"""Vouchers: photos and PDFs by their content, size-limited, append-only, in the audit; and a retried
posting (same idempotency key) appends nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from minhu.accounts.models import User
from minhu.core.models import AppendOnlyError, Event
from minhu.ledger import services
from minhu.ledger.models import Entry, Organisation, Voucher
from minhu.ledger.services import VoucherFile, ledger_entry_post, ledger_entry_reverse, voucher_type
from minhu.ledger.tests.conftest import JPEG, PDF, PNG, acct


def post(
    org: Organisation,
    maker: User,
    checker: User,
    vouchers: Sequence[VoucherFile] = (),
    idempotency_key: str | None = None,
) -> Entry:
    return ledger_entry_post(
        account=acct(org, "C03"),
        day=date(2026, 5, 6),
        amount="860.00",
        description="更换楼道灯",
        maker=maker,
        checker=checker,
        vouchers=vouchers,
        idempotency_key=idempotency_key,
    )


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (PDF, "application/pdf"),
        (b"<html><script>alert(1)</script>", None),
        (b"%PDF-1.4 but never finished", None),  # a PDF header alone is not a PDF
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, None),  # a signature without its header chunk
        (b"", None),
    ],
)
def test_voucher_type_comes_from_the_content(content: bytes, kind: str | None) -> None:
    assert voucher_type(content) == kind


def test_vouchers_are_stored_with_their_digest_and_recorded(
    estate: Organisation, alice: User, bob: User
) -> None:
    import hashlib

    entry = post(
        estate,
        alice,
        bob,
        vouchers=[VoucherFile("发票.pdf", PDF), VoucherFile("receipt.pdf", PNG)],  # a PNG named .pdf
    )
    rows = list(Voucher.objects.filter(entry=entry).values_list("name", "content_type", "size", "sha256"))
    assert rows == [
        ("发票.pdf", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest()),
        ("receipt.pdf", "image/png", len(PNG), hashlib.sha256(PNG).hexdigest()),
    ]
    assert bytes(Voucher.objects.get(name="发票.pdf").content) == PDF
    events = Event.objects.filter(verb="ledger.voucher").order_by("pk")
    assert [(e.actor, e.after["entry"], e.after["sha256"]) for e in events] == [
        (alice, entry.seq, hashlib.sha256(PDF).hexdigest()),
        (alice, entry.seq, hashlib.sha256(PNG).hexdigest()),
    ]


def test_a_voucher_that_is_not_a_photo_or_pdf_refuses_the_whole_posting(
    estate: Organisation, alice: User, bob: User
) -> None:
    with pytest.raises(ValidationError) as info:
        post(estate, alice, bob, vouchers=[VoucherFile("a.jpg", PNG), VoucherFile("b.jpg", b"MZ\x90\x00")])
    assert set(info.value.message_dict) == {"vouchers"}
    assert "b.jpg" in info.value.message_dict["vouchers"][0]
    assert (Entry.objects.count(), Voucher.objects.count()) == (0, 0)
    assert not Event.objects.filter(verb__startswith="ledger.").exists()


def test_a_voucher_over_the_limit_is_refused_before_it_is_read(
    estate: Organisation, alice: User, bob: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr(services, "VOUCHER_MAX_BYTES", len(PNG) - 1)
    with pytest.raises(ValidationError) as info:
        services.voucher_read(name="big.png", size=len(PNG), f=io.BytesIO(PNG))
    assert set(info.value.message_dict) == {"vouchers"}
    with pytest.raises(ValidationError):  # the size the client declared is not trusted either
        services.voucher_read(name="big.png", size=1, f=io.BytesIO(PNG))
    with pytest.raises(ValidationError):
        post(estate, alice, bob, vouchers=[VoucherFile("big.png", PNG)])
    assert Entry.objects.count() == 0


def test_at_most_ten_vouchers(estate: Organisation, alice: User, bob: User) -> None:
    with pytest.raises(ValidationError) as info:
        post(estate, alice, bob, vouchers=[VoucherFile(f"{i}.png", PNG) for i in range(11)])
    assert set(info.value.message_dict) == {"vouchers"}
    assert Entry.objects.count() == 0


def test_vouchers_cannot_be_changed_or_removed(estate: Organisation, alice: User, bob: User) -> None:
    entry = post(estate, alice, bob, vouchers=[VoucherFile("a.png", PNG)])
    voucher = Voucher.objects.get(entry=entry)
    voucher.name = "forged.png"
    with pytest.raises(AppendOnlyError):
        voucher.save()
    with pytest.raises(AppendOnlyError):
        voucher.delete()
    with pytest.raises(AppendOnlyError):
        Voucher.objects.filter(pk=voucher.pk).update(content=JPEG)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_voucher SET content = %s WHERE id = %s", [JPEG, voucher.pk])
    assert bytes(Voucher.objects.get(pk=voucher.pk).content) == PNG


def test_a_retried_posting_appends_nothing(estate: Organisation, alice: User, bob: User) -> None:
    first = post(estate, alice, bob, vouchers=[VoucherFile("a.png", PNG)], idempotency_key="form-1")
    again = post(estate, alice, bob, vouchers=[VoucherFile("a.png", PNG)], idempotency_key="form-1")
    other = post(estate, alice, bob, idempotency_key="form-2")
    assert again.pk == first.pk
    assert list(Entry.objects.values_list("seq", "idempotency_key")) == [(1, "form-1"), (2, "form-2")]
    assert other.prev_hash == first.hash
    assert Voucher.objects.count() == 1
    assert Event.objects.filter(verb="ledger.post").count() == 2


def test_a_retry_is_recognised_even_after_its_period_closed(
    estate: Organisation, alice: User, bob: User
) -> None:
    from minhu.ledger.services import ledger_period_close

    first = post(estate, alice, bob, idempotency_key="form-1")
    ledger_period_close(
        organisation=estate, period="month", start=date(2026, 5, 1), end=date(2026, 5, 31), actor=alice
    )
    assert post(estate, alice, bob, idempotency_key="form-1").pk == first.pk


def test_the_same_key_in_another_organisation_is_another_posting(
    estate: Organisation, alice: User, bob: User
) -> None:
    from minhu.ledger.models import Account

    other = Organisation.objects.create(name="互助村", slug="huzhu", kind="village")
    account = Account.objects.create(organisation=other, code="C03", name="维修", klass="cost")
    a = post(estate, alice, bob, idempotency_key="form-1")
    b = ledger_entry_post(
        account=account,
        day=date(2026, 5, 6),
        amount="1",
        description="x",
        maker=alice,
        checker=bob,
        idempotency_key="form-1",
    )
    assert (a.organisation, b.organisation, b.seq) == (estate, other, 1)


def test_a_retried_reversal_appends_nothing(estate: Organisation, alice: User, bob: User) -> None:
    wrong = post(estate, alice, bob)
    kw = {"entry": wrong, "reason": "重复记账", "day": date(2026, 5, 7), "maker": alice, "checker": bob}
    fix = ledger_entry_reverse(**kw, idempotency_key="rev-1")  # type: ignore[arg-type]
    assert ledger_entry_reverse(**kw, idempotency_key="rev-1").pk == fix.pk  # type: ignore[arg-type]
    with pytest.raises(ValidationError):  # without the key it is a second reversal, and refused
        ledger_entry_reverse(**kw)  # type: ignore[arg-type]
    assert Entry.objects.count() == 2

"""The staff pages: posting with vouchers, maker ≠ checker on the field, a retried submission posted once,
reversal with a reason, and scope (403 for users who keep no accounts, 404 outside their area)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from minhu.accounts.models import User
from minhu.core.models import Event
from minhu.ledger.models import Entry, Voucher
from minhu.ledger.tests.conftest import PDF, PNG, Linked, acct


def page(linked: Linked) -> str:
    return reverse("ledger:staff_organisation", args=[linked.a.slug])


def form_data(linked: Linked, checker: User, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "idempotency_key": "0f3c5e0d9b8a4e7f8a1b2c3d4e5f6a7b",
        "account": acct(linked.a, "C03").pk,
        "date": "2026-05-06",
        "amount": "860.50",
        "counterparty": "罗定市明亮电器行",
        "description": "更换楼道灯",
        "checker": checker.pk,
    }
    data.update(over)
    return data


def test_bob_posts_an_entry_with_vouchers(linked: Linked, client: Client, bob: User, alice: User) -> None:
    client.force_login(bob)
    form = client.get(page(linked)).content.decode()
    assert 'name="idempotency_key"' in form
    assert 'accept="image/jpeg,image/png,image/webp,application/pdf"' in form
    data = form_data(
        linked,
        alice,
        vouchers=[SimpleUploadedFile("发票.pdf", PDF), SimpleUploadedFile("IMG_0001.JPG", PNG)],
    )
    response = client.post(page(linked), data)
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert (entry.seq, str(entry.amount), entry.maker, entry.checker) == (1, "860.50", bob, alice)
    assert list(entry.vouchers.values_list("name", "content_type")) == [
        ("发票.pdf", "application/pdf"),
        ("IMG_0001.JPG", "image/png"),  # what the content is, not what the name says
    ]
    listing = client.get(page(linked)).content.decode()
    assert 'data-entry="1"' in listing
    assert "发票.pdf" in listing
    assert "第 1 号凭证已记账" in listing  # the message after the redirect, in Chinese first


def test_maker_as_checker_is_refused_on_the_checker_field(linked: Linked, client: Client, bob: User) -> None:
    client.force_login(bob)
    response = client.post(page(linked), form_data(linked, bob))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["checker"]
    html = response.content.decode()
    assert 'id="id_checker_error"' in html
    assert "审核人不能与制单人为同一人" in html
    assert Entry.objects.count() == 0
    assert not Event.objects.filter(verb="ledger.post").exists()


def test_the_maker_is_not_offered_as_checker(
    linked: Linked, client: Client, bob: User, alice: User, root: User
) -> None:
    client.force_login(bob)
    checker = client.get(page(linked)).context["form"]["checker"]
    offered = [str(c.data["value"]) for c in checker.subwidgets if c.data["value"]]
    assert offered == [str(alice.pk), str(root.pk)]  # by user name; not bob himself


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"amount": "12.345"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "一百"}, "amount"),
        ({"description": ""}, "description"),
        ({"date": "2026-13-01"}, "date"),
    ],
)
def test_bad_fields_are_named(
    linked: Linked, client: Client, bob: User, alice: User, over: dict[str, str], field: str
) -> None:
    client.force_login(bob)
    response = client.post(page(linked), form_data(linked, alice, **over))
    assert list(response.context["form"].errors) == [field]
    assert Entry.objects.count() == 0


def test_a_non_image_voucher_is_refused_and_nothing_is_posted(
    linked: Linked, client: Client, bob: User, alice: User
) -> None:
    client.force_login(bob)
    script = SimpleUploadedFile("receipt.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")
    response = client.post(page(linked), form_data(linked, alice, vouchers=[script]))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["vouchers"]
    assert "receipt.jpg" in response.context["form"].errors["vouchers"][0]
    assert (Entry.objects.count(), Voucher.objects.count()) == (0, 0)


def test_a_retried_submission_posts_once(linked: Linked, client: Client, bob: User, alice: User) -> None:
    client.force_login(bob)
    data = form_data(linked, alice)
    first = client.post(page(linked), data)
    second = client.post(page(linked), data)  # the same form sent again (a double tap, a retry)
    assert (first.status_code, second.status_code) == (302, 302)
    assert Entry.objects.count() == 1
    assert Event.objects.filter(verb="ledger.post").count() == 1
    client.post(page(linked), form_data(linked, alice, idempotency_key="another-form"))
    assert Entry.objects.count() == 2


def test_a_fresh_form_has_a_fresh_token(linked: Linked, client: Client, bob: User) -> None:
    client.force_login(bob)
    keys = {client.get(page(linked)).context["form"].initial["idempotency_key"] for _ in range(2)}
    assert len(keys) == 2


def test_reversal_needs_a_reason_and_keeps_both(
    linked: Linked, client: Client, bob: User, alice: User
) -> None:
    client.force_login(bob)
    client.post(page(linked), form_data(linked, alice))
    url = reverse("ledger:staff_reverse", args=[linked.a.slug, 1])
    data = {"idempotency_key": "rev-form-1", "reason": "", "date": "2026-05-07", "checker": alice.pk}
    refused = client.post(url, data)
    assert list(refused.context["form"].errors) == ["reason"]
    assert Entry.objects.count() == 1
    data["reason"] = "重复记账"
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # retried: the same correction, not a refusal
    assert list(Entry.objects.order_by("seq").values_list("seq", "amount", "reverses__seq", "reason")) == [
        (1, Decimal("860.50"), None, ""),
        (2, Decimal("-860.50"), 1, "重复记账"),
    ]
    listing = client.get(page(linked)).content.decode()
    assert "被第 2 号冲销" in listing
    assert "冲销第 1 号" in listing
    again = client.post(url, dict(data, idempotency_key="rev-form-2"))
    assert again.status_code == 200
    assert "该凭证已被冲销" in again.content.decode()


def test_a_voucher_is_served_as_what_it_is_in_a_sandbox(
    linked: Linked, client: Client, bob: User, alice: User
) -> None:
    client.force_login(bob)
    client.post(page(linked), form_data(linked, alice, vouchers=[SimpleUploadedFile("a.pdf", PNG)]))
    voucher = Voucher.objects.get()
    response = client.get(reverse("ledger:staff_voucher", args=[linked.a.slug, voucher.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="a.png"'
    assert "sandbox" in response["Content-Security-Policy"]
    assert response.content == PNG


@pytest.mark.parametrize(
    ("who", "index", "a", "b"),
    [
        ("alice", 200, 200, 200),  # street staff: both villages
        ("bob", 200, 200, 404),  # village cadre: not the other village
        ("carol", 403, 403, 403),  # a party member keeps no accounts
        ("dave", 403, 403, 403),  # a resident
        ("root", 200, 200, 200),
    ],
)
def test_staff_pages_follow_the_scope(
    linked: Linked, client: Client, who: str, index: int, a: int, b: int, request: Any
) -> None:
    from conftest import login_with_second_factor

    user = request.getfixturevalue(who)
    if who == "root":
        login_with_second_factor(client, user)
    else:
        client.force_login(user)
    got = (
        client.get(reverse("ledger:staff_index")).status_code,
        client.get(reverse("ledger:staff_organisation", args=[linked.a.slug])).status_code,
        client.get(reverse("ledger:staff_organisation", args=[linked.b.slug])).status_code,
    )
    assert got == (index, a, b)


def test_out_of_scope_posts_reversals_and_vouchers_are_404(
    linked: Linked, client: Client, alice: User, bob: User, root: User
) -> None:
    from datetime import date

    from minhu.ledger.services import VoucherFile, ledger_entry_post

    entry = ledger_entry_post(
        account=acct(linked.b, "P01"),
        day=date(2026, 5, 6),
        amount="100",
        description="党员活动室桌椅",
        maker=alice,
        checker=root,
        vouchers=[VoucherFile("a.png", PNG)],
    )
    client.force_login(bob)
    voucher = Voucher.objects.get(entry=entry)
    urls = [
        reverse("ledger:staff_reverse", args=[linked.b.slug, entry.seq]),
        reverse("ledger:staff_voucher", args=[linked.b.slug, voucher.pk]),
        reverse("ledger:staff_voucher", args=[linked.a.slug, voucher.pk]),  # another ledger's voucher
    ]
    assert [client.get(u).status_code for u in urls] == [404, 404, 404]
    post = client.post(
        reverse("ledger:staff_organisation", args=[linked.b.slug]),
        {"account": acct(linked.b, "P01").pk, "date": "2026-05-06", "amount": "1", "description": "x"},
    )
    assert post.status_code == 404
    assert Entry.objects.count() == 1


def test_anonymous_is_sent_to_login(linked: Linked, client: Client) -> None:
    response = client.get(reverse("ledger:staff_organisation", args=[linked.a.slug]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_page_speaks_english_when_chosen(
    linked: Linked, client: Client, bob: User, settings: Any
) -> None:
    client.force_login(bob)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(page(linked)).content.decode()
    assert "Post an entry" in html
    assert "Checker" in html


def test_the_staff_page_query_count_does_not_grow_with_entries(
    linked: Linked, client: Client, bob: User, alice: User, django_assert_max_num_queries: Any
) -> None:
    from minhu.ledger.services import VoucherFile, ledger_entry_post

    for i in range(12):
        ledger_entry_post(
            account=acct(linked.a, "C03"),
            day=date(2026, 5, 6),
            amount=f"{i + 1}.00",
            description=f"第{i}笔",
            maker=bob,
            checker=alice,
            vouchers=[VoucherFile("a.png", PNG)],
        )
    client.force_login(bob)
    client.get(page(linked))
    # session, user, roles, scope, organisation, accounts, checkers, entries (+ vouchers), messages, inbox
    with django_assert_max_num_queries(20):
        assert client.get(page(linked)).status_code == 200

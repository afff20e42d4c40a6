"""Administrators need a second factor (TOTP); other users do not."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from minhu.accounts.models import User
from minhu.core.models import Event


def code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def test_admin_without_a_device_is_sent_to_set_one_up(client: Client, root: User) -> None:
    client.post("/accounts/login/", {"username": "root", "password": PASSWORD})
    response = client.get("/admin/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/setup/")
    assert client.get("/").status_code == 302


def test_enrolling_with_a_correct_code_opens_the_admin(client: Client, root: User) -> None:
    client.force_login(root)
    page = client.get("/accounts/2fa/setup/")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=root, confirmed=False)
    refused = client.post(
        "/accounts/2fa/setup/", {"token": "000000" if code(device) != "000000" else "111111"}
    )
    assert refused.status_code == 200
    device.refresh_from_db()
    assert device.confirmed is False
    # a failure throttles the device for a moment: wait it out, then the right code confirms it
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=None, throttling_failure_count=0
    )
    device.refresh_from_db()
    assert client.post("/accounts/2fa/setup/", {"token": code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get("/admin/").status_code == 200
    assert list(
        Event.objects.filter(verb__startswith="auth.2fa").order_by("at", "id").values_list("verb", flat=True)
    ) == ["auth.2fa_device_created", "auth.2fa_failed", "auth.2fa_confirmed"]


def test_next_login_asks_for_a_code(client: Client, root: User) -> None:
    device = TOTPDevice.objects.create(user=root, name="phone", confirmed=True)
    client.post("/accounts/login/", {"username": "root", "password": PASSWORD})
    assert client.get("/admin/")["Location"] == "/accounts/2fa/verify/"
    assert client.post("/accounts/2fa/verify/", {"token": "12345x"}).status_code == 200
    assert client.get("/admin/").status_code == 302
    # after a failure the device throttles: wait out the delay, then the right code passes
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=None, throttling_failure_count=0
    )
    device.refresh_from_db()
    assert client.post("/accounts/2fa/verify/", {"token": code(device)}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_other_users_need_no_second_factor(client: Client, alice: User, settings: Any) -> None:
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert client.get("/").status_code == 200


def test_second_factor_can_be_switched_off(client: Client, root: User, settings: Any) -> None:
    settings.ADMIN_2FA = False
    client.force_login(root)
    assert client.get("/admin/").status_code == 200

"""Keeps an administrator who has not passed the second factor on the two-factor pages."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from minhu.accounts.twofactor import confirmed_device, requires_second_factor

_OPEN = ("/accounts/2fa/", "/accounts/logout/", "/static/", "/healthz", "/i18n/")


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_OPEN)
            and not user.is_verified()  # type: ignore[attr-defined]  # added by OTPMiddleware
            and requires_second_factor(user)
        ):
            target = "accounts:2fa_verify" if confirmed_device(user) else "accounts:2fa_setup"
            return redirect(target)
        return self.get_response(request)

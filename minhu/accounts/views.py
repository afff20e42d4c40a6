from __future__ import annotations

from base64 import b32encode
from datetime import timedelta

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login

from minhu.accounts.forms import ApiTokenForm, LoginForm, TokenForm
from minhu.accounts.models import ApiToken
from minhu.accounts.services import (
    token_issue,
    token_revoke,
    totp_device_confirm,
    totp_device_start,
    totp_verify,
)
from minhu.accounts.twofactor import confirmed_device
from minhu.core.types import login_of


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


@login_required
def twofactor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code (or type the key), then confirm with a first code."""
    user = login_of(request.user)
    if confirmed_device(user) is not None:
        return redirect("accounts:2fa_verify")
    device = totp_device_start(actor=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_device_confirm(device=device, token=form.cleaned_data["token"], actor=user):
            otp_login(request, device)
            return redirect(settings.LOGIN_REDIRECT_URL)
        form.add_error("token", _("That code is not right. Check the time on your phone and try again."))
    context = {
        "form": form,
        "qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=4),
        "secret": b32encode(device.bin_key).decode(),
    }
    return render(request, "registration/2fa_setup.html", context)


@login_required
def twofactor_verify(request: HttpRequest) -> HttpResponse:
    user = login_of(request.user)
    if confirmed_device(user) is None:
        return redirect("accounts:2fa_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = totp_verify(actor=user, token=form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(request.GET.get("next") or settings.LOGIN_REDIRECT_URL)
        form.add_error("token", _("That code is not right, or too many tries: wait a moment and try again."))
    return render(request, "registration/2fa_verify.html", {"form": form})


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's own JSON API tokens: issue one (its plaintext shown once, here) and revoke."""
    user = login_of(request.user)
    form = ApiTokenForm(request.POST or None)
    issued = ""
    if request.method == "POST" and "revoke" in request.POST:
        raw = request.POST["revoke"]
        token = get_object_or_404(ApiToken, pk=int(raw) if raw.isdigit() else 0, user=user)
        try:
            token_revoke(token=token, actor=user)
            messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.key_prefix})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("accounts:api_tokens")
    if request.method == "POST" and form.is_valid():
        try:
            _token, issued = token_issue(
                user=user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=timezone.now() + timedelta(days=form.cleaned_data["days"]),
                actor=user,
            )
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                for err in errs:
                    form.add_error(field if field in form.fields else None, err)
        else:
            form = ApiTokenForm()
    tokens = ApiToken.objects.filter(user=user).order_by("-created_at")
    return render(
        request,
        "registration/api_tokens.html",
        {"form": form, "tokens": tokens, "issued": issued},
        status=400 if form.errors else 200,
    )

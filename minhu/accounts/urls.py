from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from minhu.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("2fa/setup/", views.twofactor_setup, name="2fa_setup"),
    path("2fa/verify/", views.twofactor_verify, name="2fa_verify"),
    path("tokens/", views.api_tokens, name="api_tokens"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]

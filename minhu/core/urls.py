from __future__ import annotations

from django.urls import path

from minhu.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/preference/", views.notification_preference, name="notification_preference"),
    path("inbox/failures/", views.delivery_failures, name="delivery_failures"),
]

from __future__ import annotations

from django.urls import path

from minhu.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.candidates, name="candidates"),
    path("adopt/", views.adopt, name="adopt"),
]

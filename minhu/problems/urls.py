from __future__ import annotations

from django.urls import path

from minhu.problems import views

app_name = "problems"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("board/<str:code>/", views.board, name="board"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
]

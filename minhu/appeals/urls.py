from __future__ import annotations

from django.urls import path

from minhu.appeals import views, views_stats

app_name = "appeals"
urlpatterns = [
    path("new/", views.submit, name="submit"),
    path("track/", views.track_lookup, name="track_lookup"),
    path("track/<str:code>/", views.track, name="track"),
    path("track/<str:code>/rate/", views.rate, name="rate"),
    path("workbench/", views.workbench, name="workbench"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
    path("stats/", views_stats.stats, name="stats"),
    path("ranking/", views_stats.ranking_page, name="ranking"),
    path("list/", views_stats.appeal_list_page, name="list"),
]

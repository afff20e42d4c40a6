from __future__ import annotations

from django.urls import path

from minhu.appeals import inbound, views, views_stats

app_name = "appeals"
urlpatterns = [
    path("new/", views.submit, name="submit"),
    path("track/", views.track_lookup, name="track_lookup"),
    path("track/<str:code>/", views.track, name="track"),
    path("track/<str:code>/rate/", views.rate, name="rate"),
    path("workbench/", views.workbench, name="workbench"),
    path("record/", views.record, name="record"),
    path("inbound/wechat/", inbound.wechat, name="inbound_wechat"),
    path("record/units/", views.unit_options, name="unit_options"),
    path("record/hints/", views.record_hints, name="record_hints"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/photo/<int:attachment>/", views.photo, name="photo"),
    path("<int:pk>/caller/", views.caller_reveal, name="caller_reveal"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
    path("stats/", views_stats.stats, name="stats"),
    path("ranking/", views_stats.ranking_page, name="ranking"),
    path("list/", views_stats.appeal_list_page, name="list"),
]

"""GeoReport v2 under /open311/v2/: the format is the extension (`services.xml`, `services/G01.json`)."""

from __future__ import annotations

from django.urls import re_path

from minhu.open311 import views

app_name = "open311"
urlpatterns = [
    re_path(r"^discovery\.(?P<fmt>\w+)$", views.discovery, name="discovery"),
    re_path(r"^services\.(?P<fmt>\w+)$", views.services, name="services"),
    re_path(r"^services/(?P<code>[^/]+)\.(?P<fmt>\w+)$", views.service_definition, name="service"),
    re_path(r"^requests\.(?P<fmt>\w+)$", views.requests, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/]+)\.(?P<fmt>\w+)$", views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+)\.(?P<fmt>\w+)$", views.token, name="token"),
    re_path(r"^servicerequestupdates\.(?P<fmt>\w+)$", views.updates, name="updates"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]

from __future__ import annotations

from django.urls import path

from minhu.ledger import views

app_name = "ledger"
urlpatterns = [
    path("", views.index, name="index"),
    path("funds/<int:year>/", views.funds, name="funds"),
    path("<slug:slug>/", views.organisation, name="organisation"),
    path("<slug:slug>/entries.csv", views.entries_csv, name="entries_csv"),
    path("<slug:slug>/<int:pk>/", views.disclosure, name="disclosure"),
    path("<slug:slug>/<int:pk>/notice.pdf", views.disclosure_notice, name="notice"),
]

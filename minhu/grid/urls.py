from __future__ import annotations

from django.urls import path

from minhu.grid import views

app_name = "grid"
urlpatterns = [
    path("", views.index, name="index"),
    path("terms/", views.terms, name="terms"),
    path("import/", views.import_page, name="import"),
    path("import/<slug:kind>.<str:fmt>", views.import_template, name="import_template"),
    path("units/<int:pk>/", views.unit, name="unit"),
    path("units/<int:pk>/coverage/", views.coverage, name="coverage"),
    path("units/<int:pk>/coverage.csv", views.coverage_csv, name="coverage_csv"),
    path("units/<int:pk>/households.csv", views.households_csv, name="households_csv"),
    path("households/<int:pk>/", views.household, name="household"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/reveal/", views.person_reveal_view, name="person_reveal"),
]

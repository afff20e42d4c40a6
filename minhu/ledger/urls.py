from __future__ import annotations

from django.urls import path

from minhu.ledger import views

app_name = "ledger"
urlpatterns = [
    path("", views.index, name="index"),
    path("funds/<int:year>/", views.funds, name="funds"),
    # Staff pages (before the organisations' public addresses; "staff" is a reserved slug).
    path("staff/", views.staff_index, name="staff_index"),
    path("staff/<slug:slug>/", views.staff_organisation, name="staff_organisation"),
    path("staff/<slug:slug>/entries/<int:seq>/reverse/", views.staff_reverse, name="staff_reverse"),
    path("staff/<slug:slug>/vouchers/<int:pk>/", views.staff_voucher, name="staff_voucher"),
    path("staff/<slug:slug>/import/", views.staff_import, name="staff_import"),
    path(
        "staff/<slug:slug>/import/template.<str:fmt>",
        views.staff_import_template,
        name="staff_import_template",
    ),
    path("<slug:slug>/", views.organisation, name="organisation"),
    path("<slug:slug>/entries.csv", views.entries_csv, name="entries_csv"),
    path("<slug:slug>/entries.xlsx", views.entries_xlsx, name="entries_xlsx"),
    path("<slug:slug>/<int:pk>/", views.disclosure, name="disclosure"),
    path("<slug:slug>/<int:pk>/notice.pdf", views.disclosure_notice, name="notice"),
    path("<slug:slug>/<int:pk>/object/<str:code>/", views.disclosure_object, name="object"),
]

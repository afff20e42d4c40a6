from __future__ import annotations

from django.urls import path

from minhu.meetings import views

app_name = "meetings"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.meeting_new, name="new"),
    path("actions/", views.my_actions, name="actions"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/items/", views.item_add, name="item_add"),
    path("<int:pk>/hold/", views.hold, name="hold"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/minutes.pdf", views.minutes_pdf_view, name="minutes_pdf"),
    path("<int:pk>/minutes.xlsx", views.minutes_xlsx_view, name="minutes_xlsx"),
    path("attendance/<int:pk>/sign-in/", views.sign_in, name="sign_in"),
    path("items/<int:pk>/decide/", views.decide, name="decide"),
    path("items/<int:pk>/close/", views.item_close, name="item_close"),
    path("actions/<int:pk>/done/", views.action_done_view, name="action_done"),
    path("actions/<int:pk>/verify/", views.action_verify_view, name="action_verify"),
]

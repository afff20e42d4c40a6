from __future__ import annotations

from django.urls import path

from minhu.mobilise import views

app_name = "mobilise"
urlpatterns = [
    path("", views.index, name="index"),
    path("callouts/new/", views.callout_new, name="callout_new"),
    path("callouts/<int:pk>/", views.callout_detail, name="callout"),
    path("callouts/<int:pk>/answer/", views.callout_answer_view, name="callout_answer"),
    path("callouts/<int:pk>/answers/", views.callout_record_answer, name="callout_record_answer"),
    path("callouts/<int:pk>/tasks/", views.callout_task, name="callout_task"),
    path("callouts/<int:pk>/tasks/<int:task>/done/", views.callout_task_done_view, name="callout_task_done"),
    path("callouts/<int:pk>/report/", views.callout_report_view, name="callout_report"),
    path("callouts/<int:pk>/close/", views.callout_close_view, name="callout_close"),
    path("care/", views.care, name="care"),
    path("care/reveal/", views.care_reveal_view, name="care_reveal"),
    path("care/find/", views.care_find, name="care_find"),
    path("care/households/<int:pk>/", views.care_household, name="care_household"),
    path("care/households/<int:pk>/reveal/", views.care_household_reveal, name="care_household_reveal"),
    path("care/households/<int:pk>/visit/", views.care_visit, name="care_visit"),
    path("care/households/<int:pk>/plan/", views.care_plan, name="care_plan"),
]

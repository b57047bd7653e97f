from django.urls import path

from . import views

app_name = "conduct"

urlpatterns = [
    path("", views.entry_list, name="entries"),
    path("export.xlsx", views.entry_export, name="entries_export"),
    path("entries/new/", views.entry_new, name="entry_new"),
    path("entries/<int:pk>/edit/", views.entry_edit, name="entry_edit"),
    path("breaches/", views.breach_list, name="breaches"),
    path("breaches/export.xlsx", views.breach_export, name="breaches_export"),
    path("breaches/new/", views.breach_new, name="breach_new"),
    path("breaches/<int:pk>/", views.breach_detail, name="breach"),
    path("breaches/<int:pk>/<str:action>/", views.breach_act, name="breach_act"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence"),
    path("mine/", views.mine, name="mine"),
]

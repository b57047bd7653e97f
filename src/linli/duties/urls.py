from django.urls import path

from . import views

app_name = "duties"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("sw.js", views.service_worker, name="sw"),
    path("contacts/quick/", views.contact_quick, name="contact_quick"),
    path("contacts/new/", views.contact_new, name="contact_new"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("deliberations/new/", views.deliberation_new, name="deliberation_new"),
    path("reports/new/", views.report_new, name="report_new"),
    path("visits/photos/<int:pk>/", views.visit_photo, name="visit_photo"),
    path("reports/<int:pk>/document/", views.report_document, name="report_document"),
    path("records/<str:kind>/<int:pk>/correct/", views.record_correct, name="correct"),
    path("records/<str:kind>/<int:pk>/withdraw/", views.record_withdraw, name="withdraw"),
    path("team/", views.team, name="team"),
    path("team/export.xlsx", views.team_export, name="export"),
    path("rep/<int:pk>/", views.rep_detail, name="rep"),
]

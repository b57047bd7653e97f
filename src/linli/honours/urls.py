from django.urls import path

from . import views

app_name = "honours"

urlpatterns = [
    path("", views.selection, name="selection"),
    path("<int:year>/quotas/", views.quotas, name="quotas"),
    path("<int:year>/nominate/", views.nominate, name="nominate"),
    path("nominations/<int:pk>/", views.nomination, name="nomination"),
    path("public/", views.public_notice, name="public_notice"),
    path("public/nominees/<int:pk>/", views.public_nominee, name="public_nominee"),
    path("public/<int:year>/", views.public_final, name="public_final"),
    path("benefits/", views.benefits, name="benefits"),
    path("benefits/kinds/", views.benefit_kinds, name="benefit_kinds"),
    path("benefits/<int:pk>/revoke/", views.benefit_revoke, name="benefit_revoke"),
    path("benefits/export.xlsx", views.benefits_export, name="benefits_export"),
    path("reserve/", views.reserve, name="reserve"),
    path("reserve/<int:pk>/", views.reserve_candidate, name="reserve_candidate"),
    path("reserve/export.xlsx", views.reserve_export, name="reserve_export"),
]

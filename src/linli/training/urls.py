from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("", views.plans, name="plans"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("representatives/<int:pk>/", views.representative, name="representative"),
    path("mine/", views.mine, name="mine"),
    path("hours/", views.hours_table, name="hours"),
    path("hours/export.xlsx", views.export, name="export"),
]

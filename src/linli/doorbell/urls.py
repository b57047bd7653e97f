from django.urls import path  # noqa: F401  (filled by the parts below)

from . import views  # noqa: F401

app_name = "doorbell"

urlpatterns = [
    # --- care register and pairing ---
    # --- devices, messages and maintenance ---
    # --- alarms ---
    path("alarms/", views.alarm_panel, name="alarms"),
    path("alarms/export.xlsx", views.alarm_export, name="alarm_export"),
    path("alarms/figures/", views.figures, name="figures"),
    path("alarms/figures/export.xlsx", views.figures_export, name="figures_export"),
    path("alarms/<int:pk>/", views.alarm_detail, name="alarm_detail"),
    path("alarms/<int:pk>/<str:action>/", views.alarm_act, name="alarm_act"),
]

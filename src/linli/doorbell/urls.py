from django.urls import path

from . import views

app_name = "doorbell"

urlpatterns = [
    # --- care register and pairing ---
    path("care/", views.care_list, name="care_list"),
    path("care/export.xlsx", views.care_export_view, name="care_export"),
    path("care/new/", views.care_register, name="care_register"),
    path("care/<int:pk>/", views.care_detail, name="care_detail"),
    path("care/<int:pk>/edit/", views.care_edit, name="care_edit"),
    path("care/<int:pk>/end/", views.care_end, name="care_end"),
    path("care/<int:pk>/contacts/", views.care_contacts, name="care_contacts"),
    path("care/<int:pk>/call/<int:contact>/", views.care_call, name="care_call"),
    path("care/<int:pk>/pair/", views.care_pair, name="care_pair"),
    path("care/<int:pk>/pair/end/", views.care_pair_end, name="care_pair_end"),
    path("care/mine/", views.mine, name="mine"),
    path("settings/<int:unit_id>/", views.unit_settings, name="settings"),
    # --- devices, messages and maintenance ---
    path("devices/", views.device_list, name="devices"),
    path("devices/export.xlsx", views.device_export, name="devices_export"),
    path("devices/new/", views.device_new, name="device_new"),
    path("devices/<int:pk>/", views.device_detail, name="device_detail"),
    path("devices/<int:pk>/secret/", views.device_secret, name="device_secret"),
    path("devices/<int:pk>/new-secret/", views.device_new_secret, name="device_new_secret"),
    path("devices/<int:pk>/bind/", views.device_bind, name="device_bind"),
    path("devices/<int:pk>/retire/", views.device_retire, name="device_retire"),
    path("devices/<int:pk>/seq-reset/", views.device_seq_reset, name="device_seq_reset"),
    path("maintenance/", views.task_list, name="tasks"),
    path("maintenance/<int:pk>/resolve/", views.task_resolve, name="task_resolve"),
    path("rejections/", views.rejection_list, name="rejections"),
    # --- alarms ---
    path("alarms/", views.alarm_panel, name="alarms"),
    path("alarms/export.xlsx", views.alarm_export, name="alarm_export"),
    path("alarms/figures/", views.figures, name="figures"),
    path("alarms/figures/export.xlsx", views.figures_export, name="figures_export"),
    path("alarms/<int:pk>/", views.alarm_detail, name="alarm_detail"),
    path("alarms/<int:pk>/call/<int:contact>/", views.alarm_call, name="alarm_call"),
    path("alarms/<int:pk>/<str:action>/", views.alarm_act, name="alarm_act"),
]

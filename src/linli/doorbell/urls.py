from django.urls import path  # noqa: F401  (filled by the parts below)

from . import views  # noqa: F401

app_name = "doorbell"

urlpatterns = [
    # --- care register and pairing ---
    # --- devices, messages and maintenance ---
    path("devices/", views.device_list, name="devices"),
    path("devices/export.xlsx", views.device_export, name="devices_export"),
    path("devices/new/", views.device_new, name="device_new"),
    path("devices/<int:pk>/", views.device_detail, name="device_detail"),
    path("devices/<int:pk>/secret/", views.device_secret, name="device_secret"),
    path("devices/<int:pk>/new-secret/", views.device_new_secret, name="device_new_secret"),
    path("devices/<int:pk>/bind/", views.device_bind, name="device_bind"),
    path("devices/<int:pk>/retire/", views.device_retire, name="device_retire"),
    path("maintenance/", views.task_list, name="tasks"),
    path("maintenance/<int:pk>/resolve/", views.task_resolve, name="task_resolve"),
    path("rejections/", views.rejection_list, name="rejections"),
    # --- alarms ---
]

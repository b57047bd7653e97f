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
    path("care/<int:pk>/pair/", views.care_pair, name="care_pair"),
    path("care/<int:pk>/pair/end/", views.care_pair_end, name="care_pair_end"),
    path("care/mine/", views.mine, name="mine"),
    path("settings/<int:unit_id>/", views.unit_settings, name="settings"),
    # --- devices, messages and maintenance ---
    # --- alarms ---
]

from django.urls import path  # noqa: F401  (filled by the parts below)

from . import views  # noqa: F401

app_name = "doorbell"

urlpatterns = [
    # --- care register and pairing ---
    # --- devices, messages and maintenance ---
    # --- alarms ---
]

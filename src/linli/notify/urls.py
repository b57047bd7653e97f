from django.urls import path

from . import views

app_name = "notify"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/read/", views.read, name="read"),
    path("read-all/", views.read_all, name="read_all"),
    path("dev-inbox/", views.dev_inbox, name="dev_inbox"),
    path("failed/", views.failed, name="failed"),
    path("failed/retry/", views.failed_retry, name="failed_retry"),
]

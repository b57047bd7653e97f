from django.contrib import admin
from django.urls import include, path

from linli.api import api

urlpatterns = [
    path("", include("linli.dashboard.urls")),
    path("accounts/", include("linli.accounts.urls")),
    path("org/", include("linli.org.urls")),
    path("notify/", include("linli.notify.urls")),
    path("", include("linli.appeals.urls")),
    path("duties/", include("linli.duties.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

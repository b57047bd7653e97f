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
    path("charter/", include("linli.charter.urls")),
    path("conduct/", include("linli.conduct.urls")),
    path("activities/", include("linli.activities.urls")),
    path("notices/", include("linli.notices.urls")),
    path("deliberation/", include("linli.deliberation.urls")),
    path("doorbell/", include("linli.doorbell.urls")),
    path("funds/", include("linli.funds.urls")),
    path("evaluation/", include("linli.evaluation.urls")),
    path("training/", include("linli.training.urls")),
    path("honours/", include("linli.honours.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# The error pages: styled and translated, JSON under /api/ (linli/core/views.py).
handler400 = "linli.core.views.bad_request"
handler403 = "linli.core.views.permission_denied"
handler404 = "linli.core.views.page_not_found"
handler500 = "linli.core.views.server_error"

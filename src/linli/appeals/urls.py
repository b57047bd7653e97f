from django.urls import path

from . import views

app_name = "appeals"

urlpatterns = [
    path("appeals/", views.appeal_list, name="list"),
    path("appeals/queue/", views.queue, name="queue"),
    path("appeals/new/", views.appeal_create, name="create"),
    path("appeals/stats/", views.stats, name="stats"),
    path("appeals/export.xlsx", views.export, name="export"),
    path("appeals/photos/<int:pk>/", views.photo, name="photo"),
    path("appeals/<str:code>/", views.appeal_detail, name="detail"),
    path("appeals/<str:code>/act/<str:action>/", views.appeal_act, name="act"),
    path("appeals/<str:code>/dispatch/", views.appeal_dispatch, name="dispatch"),
    path("appeals/<str:code>/reporter/", views.reporter_reveal, name="reporter_reveal"),
    # Public: residents without an account.
    path("report/", views.report, name="report"),
    path("report/units/", views.public_units, name="public_units"),
    path("track/", views.track, name="track"),
    path("track/<str:code>/", views.track_detail, name="track_detail"),
    path("track/<str:code>/act/<str:action>/", views.track_act, name="track_act"),
    # The short link in every SMS to a resident (links.py); no trailing slash, to keep it short.
    path("t/<str:token>", views.track_link, name="track_link"),
]

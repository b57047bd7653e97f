from django.urls import path

from . import views

app_name = "activities"

urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("calendar/<int:unit_id>.ics", views.ics_feed, name="ics"),
    path("list/", views.activity_list, name="list"),
    path("export.xlsx", views.activity_export, name="export"),
    path("new/", views.activity_create, name="create"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/signup/", views.activity_signup, name="signup"),
    path("<int:pk>/edit/", views.activity_edit, name="edit"),
    path("<int:pk>/cancel/", views.activity_cancel, name="cancel"),
    path("<int:pk>/manage/", views.activity_manage, name="manage"),
    path("photos/<int:pk>/", views.activity_photo, name="photo"),
    path("service-day/<int:unit_id>/", views.service_day, name="service_day"),
]

from django.urls import path

from . import views

app_name = "notices"

urlpatterns = [
    path("", views.notice_list, name="list"),
    path("export.xlsx", views.notice_export, name="export"),
    path("new/", views.notice_new, name="new"),
    path("<int:pk>/", views.notice_detail, name="detail"),
    path("<int:pk>/reach/", views.notice_reach, name="reach"),
    path("<int:pk>/deliver/", views.deliver, name="deliver"),
    path("<int:pk>/deliver/bulk/", views.deliver_bulk, name="deliver_bulk"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/reach.xlsx", views.export_reach, name="export_reach"),
    path("<int:pk>/deliveries.xlsx", views.export_deliveries, name="export_deliveries"),
]
